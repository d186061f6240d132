"""In a real browser: the studio editors lose nothing.

Every file of processes/ opened in the BPMN / DMN editor and exported without a change keeps
its semantics (lanes and their flowNodeRefs, nested ones included; spiffworkflow extensions;
DI). After ordinary edits (a user task dropped on the top-level flow, shapes and the
sub-process moved, a task created inside the sub-process) every lane keeps its previous
flowNodeRefs; the panel's lane field moves a nested task, undoably. DMN 1.1 and 1.5 files open
(converted to DMN 1.3, said in the status bar) or are refused in French.
Screenshots: test-artifacts/roundtrip_*.png. One server and one page for the module."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import text

from .browser import AXE, browser_login, real_app, serving, shot
from .conftest import ON_POSTGRES

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI", "spiffworkflow": SPIFF}
INSTRUCTION = "instruction_invalidite.bpmn"
SUBPROCESS = "instruire_dossier"

# Every spiffworkflow element SpiffWorkflow's spiff parser reads, an undeclared one, a
# multi-instance loop naming variables (not element ids), written for this test.
EXTENSIONS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_extensions" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="extensions_essai" isExecutable="true">
    <bpmn:extensionElements>
      <spiffworkflow:processVariableCorrelation>
        <spiffworkflow:propertyId>numero_dossier</spiffworkflow:propertyId>
        <spiffworkflow:expression>dossier["numero"]</spiffworkflow:expression>
      </spiffworkflow:processVariableCorrelation>
    </bpmn:extensionElements>
    <bpmn:dataObject id="pieces_objet"><bpmn:extensionElements>
      <spiffworkflow:category>pieces</spiffworkflow:category>
    </bpmn:extensionElements></bpmn:dataObject>
    <bpmn:userTask id="saisie_essai" name="Saisir">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="petit.json" />
        </spiffworkflow:properties>
        <spiffworkflow:instructionsForEndUser>Lire **attentivement**.</spiffworkflow:instructionsForEndUser>
        <spiffworkflow:variableName>reponse</spiffworkflow:variableName>
        <spiffworkflow:preScript>a = 1</spiffworkflow:preScript>
        <spiffworkflow:postScript>b = a + 1</spiffworkflow:postScript>
        <spiffworkflow:taskMetadataValues>
          <spiffworkflow:taskMetadataValue name="priorite" value="haute" />
        </spiffworkflow:taskMetadataValues>
        <spiffworkflow:unitTests>
          <spiffworkflow:unitTest id="cas_1">
            <spiffworkflow:inputJson>{"a": 1}</spiffworkflow:inputJson>
            <spiffworkflow:expectedOutputJson>{"b": 2}</spiffworkflow:expectedOutputJson>
          </spiffworkflow:unitTest>
        </spiffworkflow:unitTests>
        <spiffworkflow:nouveauReglage mode="strict"><spiffworkflow:detail>x</spiffworkflow:detail></spiffworkflow:nouveauReglage>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:serviceTask id="appel_essai" name="Appeler">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="http/GetRequest" resultVariable="reponse_http">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="url" type="str" value="&quot;https://exemple.fr&quot;" />
          </spiffworkflow:parameters>
          <spiffworkflow:retry retries="3" backoff_base="2" />
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics spiffworkflow:scriptsOnInstances="true">
        <bpmn:loopDataInputRef>entrees</bpmn:loopDataInputRef>
        <bpmn:loopDataOutputRef>resultats</bpmn:loopDataOutputRef>
        <bpmn:inputDataItem id="entree" name="entree" />
        <bpmn:outputDataItem id="resultat" name="resultat" />
      </bpmn:multiInstanceLoopCharacteristics>
    </bpmn:serviceTask>
    <bpmn:businessRuleTask id="regle_essai" name="Décider">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>taux_categorie</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:intermediateThrowEvent id="signal_essai">
      <bpmn:signalEventDefinition id="signal_def" signalRef="alerte" />
    </bpmn:intermediateThrowEvent>
    <bpmn:intermediateThrowEvent id="message_essai">
      <bpmn:messageEventDefinition id="message_def" messageRef="avis">
        <bpmn:extensionElements>
          <spiffworkflow:messagePayload>{"avis": avis}</spiffworkflow:messagePayload>
          <spiffworkflow:messageVariable>avis_recu</spiffworkflow:messageVariable>
        </bpmn:extensionElements>
      </bpmn:messageEventDefinition>
    </bpmn:intermediateThrowEvent>
  </bpmn:process>
  <bpmn:message id="avis" name="avis" />
  <bpmn:signal id="alerte" name="alerte">
    <bpmn:extensionElements>
      <spiffworkflow:payloadExpression>{"niveau": 2}</spiffworkflow:payloadExpression>
      <spiffworkflow:variableName>alerte_recue</spiffworkflow:variableName>
    </bpmn:extensionElements>
  </bpmn:signal>
  <bpmndi:BPMNDiagram id="Diagram_extensions">
    <bpmndi:BPMNPlane id="Plane_extensions" bpmnElement="extensions_essai">
      <bpmndi:BPMNShape id="saisie_essai_di" bpmnElement="saisie_essai"><dc:Bounds x="100" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="appel_essai_di" bpmnElement="appel_essai"><dc:Bounds x="250" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="regle_essai_di" bpmnElement="regle_essai"><dc:Bounds x="400" y="80" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="signal_essai_di" bpmnElement="signal_essai"><dc:Bounds x="550" y="102" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="message_essai_di" bpmnElement="message_essai"><dc:Bounds x="650" y="102" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

DMN_11 = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/DMN/20151101/dmn.xsd" id="Definitions_essai_11"
  name="Essai DMN 1.1" namespace="http://invalidite.demo/dmn">
  <decision id="essai_11" name="Taux (DMN 1.1)">
    <decisionTable id="table_essai_11" hitPolicy="FIRST">
      <input id="entree_11" label="Catégorie">
        <inputExpression id="expr_11" typeRef="feel:number"><text>categorie</text></inputExpression>
      </input>
      <output id="sortie_11" label="Taux" name="taux" typeRef="feel:number" />
      <rule id="regle_11">
        <inputEntry id="cond_11"><text>1</text></inputEntry>
        <outputEntry id="valeur_11"><text>0.3</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""

DMN_15 = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/"
  xmlns:dmndi="https://www.omg.org/spec/DMN/20230324/DMNDI/"
  xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
  id="Definitions_essai_15" name="Essai DMN 1.5" namespace="http://invalidite.demo/dmn">
  <decision id="essai_15" name="Taux (DMN 1.5)">
    <decisionTable id="table_essai_15" hitPolicy="UNIQUE">
      <input id="entree_15" label="Catégorie">
        <inputExpression id="expr_15" typeRef="number"><text>categorie</text></inputExpression>
      </input>
      <output id="sortie_15" label="Taux" name="taux" typeRef="number" />
      <rule id="regle_15">
        <inputEntry id="cond_15"><text>2</text></inputEntry>
        <outputEntry id="valeur_15"><text>0.5</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI><dmndi:DMNDiagram id="DRD_15">
    <dmndi:DMNShape id="essai_15_di" dmnElementRef="essai_15"><dc:Bounds height="80" width="180" x="150" y="80" /></dmndi:DMNShape>
  </dmndi:DMNDiagram></dmndi:DMNDI>
</definitions>
"""

# DMN 1.5 with a boxed conditional (no DMN 1.3 equivalent): refused, in French.
DMN_15_CONDITIONAL = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20230324/MODEL/" id="Definitions_essai_si"
  name="Essai conditionnel" namespace="http://invalidite.demo/dmn">
  <decision id="essai_si" name="Taux conditionnel">
    <conditional id="si_15">
      <if><literalExpression><text>categorie = 1</text></literalExpression></if>
      <then><literalExpression><text>0.3</text></literalExpression></then>
      <else><literalExpression><text>0.5</text></literalExpression></else>
    </conditional>
  </decision>
</definitions>
"""


# ----- one server and one logged-in page for the module ----------------------------------------
@pytest.fixture(scope="module")
def roundtrip_dirs(tmp_path_factory):
    base = tmp_path_factory.mktemp("roundtrip")
    shutil.copytree(PROCESSES, base / "processes")
    shutil.copytree(ROOT / "forms", base / "forms")
    return base


@pytest.fixture(scope="module")
def roundtrip_server(migrated, roundtrip_dirs):
    if ON_POSTGRES:
        from app.db import make_engine
        from app.models import Base

        engine = make_engine(migrated)
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE " + ", ".join(
                t.name for t in Base.metadata.sorted_tables) + " RESTART IDENTITY CASCADE"))
        engine.dispose()
        url = migrated
    else:
        copy = roundtrip_dirs / "roundtrip.db"
        shutil.copy(migrated, copy)
        url = f"sqlite:///{copy}"
    app = real_app(url, roundtrip_dirs, PROCESSES_DIR=roundtrip_dirs / "processes",
                   FORMS_DIR=roundtrip_dirs / "forms")
    # files the deployment would refuse: written once the app is up (the editor only reads them)
    extra = {"zz_extensions_essai.bpmn": EXTENSIONS, "zz_essai_11.dmn": DMN_11,
             "zz_essai_15.dmn": DMN_15, "zz_essai_conditionnel.dmn": DMN_15_CONDITIONAL}
    for name, content in extra.items():
        (roundtrip_dirs / "processes" / name).write_text(content, encoding="utf-8")
    with serving(app) as base_url:
        yield base_url


@pytest.fixture(scope="module")
def editor(chromium, roundtrip_server):
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    browser_login(page, roundtrip_server, "analyste")
    page.wait_for_load_state()
    page.base_url = roundtrip_server
    yield page
    context.close()


def open_file(page, filename: str) -> str:
    """Open `filename` in its editor; the state it reached ('true' or 'error')."""
    page.errors.clear()
    kind = "dmn" if filename.endswith(".dmn") else "bpmn"
    page.goto(f"{page.base_url}/studio/{kind}/{filename}")
    page.wait_for_selector("body[data-studio-ready]", timeout=20000)
    return page.get_attribute("body", "data-studio-ready")


def exported(page) -> bytes:
    return page.evaluate("StudioEditor.getXml()").encode("utf-8")


# ----- what must not change ----------------------------------------------------------------------
def lanes(root) -> dict[str, set[str]]:
    return {lane.get("id"): {ref.text.strip() for ref in lane.findall("bpmn:flowNodeRef", NS)}
            for lane in root.iter(f"{{{BPMN}}}lane")}


def canonical(node) -> str:
    """Tag, attributes, stripped text and children: independent of layout and escaping."""
    attrs = " ".join(f"{k}={v!r}" for k, v in sorted(node.attrib.items()))
    inner = "".join(canonical(child) for child in node if isinstance(child.tag, str))
    return f"<{node.tag} {attrs}>{(node.text or '').strip()}{inner}</>"


def owner_key(node) -> str:
    return node.get("id") or node.getroottree().getpath(node)


def spiff_extensions(root) -> dict[str, list[str]]:
    found = {}
    for ext in root.iter(f"{{{BPMN}}}extensionElements"):
        spiff = [canonical(child) for child in ext
                 if isinstance(child.tag, str) and child.tag.startswith(f"{{{SPIFF}}}")]
        if spiff:
            found[owner_key(ext.getparent())] = spiff
    return found


def spiff_attributes(root) -> dict[str, dict[str, str]]:
    found = {}
    for node in root.iter():
        attrs = {k: v for k, v in node.attrib.items() if k.startswith(f"{{{SPIFF}}}")}
        if attrs:
            found[owner_key(node.getparent()) + "/" + etree.QName(node).localname] = attrs
    return found


def loop_refs(root) -> set[tuple[str, str, str]]:
    return {(owner_key(ref.getparent().getparent()), etree.QName(ref).localname, ref.text.strip())
            for tag in ("loopDataInputRef", "loopDataOutputRef")
            for ref in root.iter(f"{{{BPMN}}}{tag}")}


def diagram(root) -> set[tuple]:
    shapes = {("shape", s.get("bpmnElement"),
               tuple(float(b.get(k)) for k in ("x", "y", "width", "height")))
              for s in root.iter(f"{{{BPMNDI}}}BPMNShape") for b in s.findall("dc:Bounds", NS)}
    edges = {("edge", e.get("bpmnElement"),
              tuple((float(w.get("x")), float(w.get("y"))) for w in e.findall("di:waypoint", NS)))
             for e in root.iter(f"{{{BPMNDI}}}BPMNEdge")}
    return shapes | edges


def bpmn_elements(root) -> dict[str, str]:
    return {node.get("id"): etree.QName(node).localname for node in root.iter()
            if isinstance(node.tag, str) and node.tag.startswith(f"{{{BPMN}}}") and node.get("id")}


def assert_same_bpmn(original: bytes, saved: bytes, name: str) -> None:
    before, after = etree.fromstring(original), etree.fromstring(saved)
    assert lanes(after) == lanes(before), name
    assert spiff_extensions(after) == spiff_extensions(before), name
    assert spiff_attributes(after) == spiff_attributes(before), name
    assert loop_refs(after) == loop_refs(before), name
    assert diagram(after) == diagram(before), name
    assert bpmn_elements(after) == bpmn_elements(before), name


# Attributes dmn-moddle leaves out when they hold the DMN default (same meaning).
DMN_DEFAULTS = {"decisionTable": {"hitPolicy": "UNIQUE"}}


def dmn_content(root) -> list[tuple]:
    """Every element of the model with its attributes and text (namespaces left aside)."""
    def attrs(node):
        return tuple(sorted({**DMN_DEFAULTS.get(etree.QName(node).localname, {}),
                             **node.attrib}.items()))

    return [(etree.QName(n).localname, attrs(n), (n.text or "").strip())
            for n in root.iter() if isinstance(n.tag, str)]


FILES = sorted(p.name for p in PROCESSES.iterdir() if p.suffix in (".bpmn", ".dmn"))


@pytest.mark.parametrize("filename", [*FILES, "zz_extensions_essai.bpmn"])
def test_opening_and_saving_loses_nothing(editor, roundtrip_dirs, filename):
    source = PROCESSES / filename if (PROCESSES / filename).exists() else \
        roundtrip_dirs / "processes" / filename
    assert open_file(editor, filename) == "true", editor.inner_text("#studio-status")
    saved = exported(editor)
    assert editor.errors == []
    if filename.endswith(".bpmn"):
        assert_same_bpmn(source.read_bytes(), saved, filename)
        assert "avertissement" not in editor.inner_text("#studio-status")
    else:
        assert dmn_content(etree.fromstring(saved)) == dmn_content(
            etree.fromstring(source.read_bytes()))
    if filename == "zz_extensions_essai.bpmn":  # the undeclared element, kept and said so
        assert "conservée" in editor.inner_text("#studio-status")
    if filename in (INSTRUCTION, "zz_extensions_essai.bpmn"):
        shot(editor, "roundtrip_" + filename.split(".")[0])


def lane_ref_count(xml: bytes) -> int:
    return sum(len(refs) for refs in lanes(etree.fromstring(xml)).values())


def test_saving_through_the_server_keeps_the_nested_lanes(editor, roundtrip_dirs):
    assert open_file(editor, INSTRUCTION) == "true"
    # saving checks the whole folder: the test-only files are set aside meanwhile
    folder, aside = roundtrip_dirs / "processes", roundtrip_dirs / "aside"
    aside.mkdir(exist_ok=True)
    extras = sorted(folder.glob("zz_*"))
    for path in extras:
        path.rename(aside / path.name)
    try:
        editor.click("#btn-save")
        editor.wait_for_selector(".studio-status--ok")
    finally:
        for path in extras:
            (aside / path.name).rename(path)
    on_disk = (roundtrip_dirs / "processes" / INSTRUCTION).read_bytes()
    assert_same_bpmn((PROCESSES / INSTRUCTION).read_bytes(), on_disk, INSTRUCTION)
    assert lane_ref_count(on_disk) == lane_ref_count((PROCESSES / INSTRUCTION).read_bytes())


# ----- ordinary edits ------------------------------------------------------------------------------
EDITS = """async ([subprocess]) => {
  const modeler = StudioEditor.modeler, registry = modeler.get('elementRegistry');
  const modeling = modeler.get('modeling'), factory = modeler.get('elementFactory');
  const sub = registry.get(subprocess);
  const topFlow = registry.filter(e => e.type === 'bpmn:SequenceFlow' && e.parent === sub.parent &&
                                       e.source.parent === sub.parent && e.target.parent === sub.parent)[0];
  const [a, b] = topFlow.waypoints;
  const task = modeling.createShape(factory.createShape({ type: 'bpmn:UserTask' }),
                                    { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 }, topFlow);
  modeling.updateLabel(task, 'Contrôle qualité');
  const nested = registry.filter(e => e.parent === sub && e.type === 'bpmn:UserTask')[0];
  modeling.moveElements([nested], { x: 0, y: 4 });
  modeling.moveElements([sub], { x: 10, y: 0 });
  modeling.moveElements([task], { x: 0, y: 5 });
  return { task: task.id, flow: topFlow.id, incoming: task.incoming.map(c => c.id),
           lane: task.businessObject.lanes.map(l => l.id) };
}"""


def test_ordinary_edits_keep_every_lane_reference(editor):
    original = lanes(etree.fromstring((PROCESSES / INSTRUCTION).read_bytes()))
    assert lane_ref_count((PROCESSES / INSTRUCTION).read_bytes()) > 40  # nested ones included
    assert open_file(editor, INSTRUCTION) == "true"
    done = editor.evaluate(EDITS, [SUBPROCESS])
    assert done["incoming"] == [done["flow"]]  # really dropped on the flow
    after = lanes(etree.fromstring(exported(editor)))
    for lane, refs in original.items():
        assert refs <= after[lane], (lane, sorted(refs - after[lane]))
    assert done["lane"] and done["task"] in after[done["lane"][0]]
    shot(editor, "roundtrip_edition")

    editor.evaluate("() => { const s = StudioEditor.modeler.get('commandStack');"
                    " while (s.canUndo()) s.undo(); }")
    assert lanes(etree.fromstring(exported(editor))) == original
    editor.evaluate("() => { const s = StudioEditor.modeler.get('commandStack');"
                    " while (s.canRedo()) s.redo(); }")
    redone = lanes(etree.fromstring(exported(editor)))
    assert all(refs <= redone[lane] for lane, refs in original.items())
    assert editor.errors == []


CREATE_INSIDE = """async ([subprocess]) => {
  const modeler = StudioEditor.modeler, registry = modeler.get('elementRegistry');
  const sub = registry.get(subprocess);
  const shape = modeler.get('modeling').createShape(
    modeler.get('elementFactory').createShape({ type: 'bpmn:UserTask' }),
    { x: sub.x + 150, y: sub.y + sub.height - 60 }, sub);
  return shape.id;
}"""


def sub_process_lane(root, subprocess_id):
    """The lane of the sub-process: listed, else the one its shape is drawn in."""
    listed = [lane for lane, refs in lanes(root).items() if subprocess_id in refs]
    if listed:
        return listed
    bounds = root.find(f".//bpmndi:BPMNShape[@bpmnElement='{subprocess_id}']/dc:Bounds", NS)
    x = float(bounds.get("x")) + float(bounds.get("width")) / 2
    y = float(bounds.get("y")) + float(bounds.get("height")) / 2
    found = []
    for lane in root.iter(f"{{{BPMN}}}lane"):
        b = root.find(f".//bpmndi:BPMNShape[@bpmnElement='{lane.get('id')}']/dc:Bounds", NS)
        lx, ly, w, h = (float(b.get(k)) for k in ("x", "y", "width", "height"))
        if lx < x < lx + w and ly < y < ly + h:
            found.append(lane.get("id"))
    return found


def test_a_task_created_inside_the_sub_process_takes_its_lane(editor):
    original = etree.fromstring((PROCESSES / INSTRUCTION).read_bytes())
    expected = sub_process_lane(original, SUBPROCESS)
    assert len(expected) == 1
    assert open_file(editor, INSTRUCTION) == "true"
    created = editor.evaluate(CREATE_INSIDE, [SUBPROCESS])
    after = lanes(etree.fromstring(exported(editor)))
    assert [lane for lane, refs in after.items() if created in refs] == expected
    assert all(refs <= after[lane] for lane, refs in lanes(original).items())


def test_the_panel_moves_a_nested_task_to_another_lane(editor):
    original = etree.fromstring((PROCESSES / INSTRUCTION).read_bytes())
    before = lanes(original)
    sub = original.find(f".//bpmn:subProcess[@id='{SUBPROCESS}']", NS)
    nested = sub.find("bpmn:userTask", NS).get("id")
    [lane] = [lane for lane, refs in before.items() if nested in refs]
    other = next(name for name in before if name != lane)
    assert open_file(editor, INSTRUCTION) == "true"
    editor.select_option("#studio-element-select", nested)
    editor.wait_for_selector(f'.studio-panel__type:has-text("{nested}")')
    assert editor.input_value("#prop-lane") == lane
    assert editor.inner_text("label[for=prop-lane]").startswith("Couloir")
    editor.select_option("#prop-lane", other)
    after = lanes(etree.fromstring(exported(editor)))
    assert nested in after[other] and nested not in after[lane]
    assert all(refs - {nested} <= after[name] for name, refs in before.items())
    shot(editor, "roundtrip_couloir_panneau")
    editor.evaluate(AXE.read_text())  # not add_script_tag: the CSP refuses inline scripts
    violations = editor.evaluate("""async () => (await axe.run('#studio-panel',
      { resultTypes: ['violations'] })).violations
      .filter(v => ['serious', 'critical'].includes(v.impact)).map(v => v.id)""")
    assert violations == []
    editor.click("#btn-undo")
    assert lanes(etree.fromstring(exported(editor))) == before
    editor.click("#btn-redo")
    assert nested in lanes(etree.fromstring(exported(editor)))[other]
    assert editor.errors == []


# ----- DMN versions --------------------------------------------------------------------------------
@pytest.mark.parametrize("filename,version", [("zz_essai_11.dmn", "1.1"),
                                              ("zz_essai_15.dmn", "1.5")])
def test_older_and_newer_dmn_open_as_dmn_1_3(editor, filename, version):
    assert open_file(editor, filename) == "true", editor.inner_text("#studio-status")
    assert editor.errors == []
    editor.wait_for_selector(".tjs-table")
    status = editor.inner_text("#studio-status")
    assert f"DMN {version}" in status and "DMN 1.3" in status
    saved = etree.fromstring(exported(editor))
    assert saved.tag == "{https://www.omg.org/spec/DMN/20191111/MODEL/}definitions"
    texts = [n.text for n in saved.iter("{*}text")]
    assert texts == ["categorie", "1", "0.3"] if version == "1.1" else ["categorie", "2", "0.5"]
    assert {n.get("typeRef") for n in saved.iter() if n.get("typeRef")} == {"number"}
    shot(editor, f"roundtrip_dmn_{version.replace('.', '')}")


def test_a_dmn_1_5_file_without_dmn_1_3_equivalent_is_refused_in_french(editor):
    assert open_file(editor, "zz_essai_conditionnel.dmn") == "error"
    assert editor.errors == []
    status = editor.inner_text("#studio-status")
    assert "DMN 1.5" in status and "ne peut pas être ouvert" in status and "conditional" in status
    assert editor.is_visible("#studio-canvas .fr-alert")
    assert editor.is_disabled("#btn-save")
    shot(editor, "roundtrip_dmn_refus")
