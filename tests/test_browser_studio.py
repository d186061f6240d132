"""In a real browser: the studio's BPMN editor (edit a task name, validate, see the diff,
deploy), its properties panel writing what SpiffWorkflow parses, the form editor's live
preview, a test run, and the supervision's diagrams (active element highlighted, heat map).
Screenshots: test-artifacts/studio_*.png and supervision_*.png."""
from __future__ import annotations

import pytest
from lxml import etree
from sqlalchemy import select

from app.models import HumanTask, ProcessVersion

from .browser import axe_violations, browser_login, real_app, serving, shot

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


@pytest.fixture
def studio_app(database_url, tmp_path, session_factory, folders):
    """The real app working on private copies of the fixture folders."""
    return real_app(database_url, tmp_path, PROCESSES_DIR=folders[0], FORMS_DIR=folders[1])


@pytest.fixture
def server(studio_app):
    with serving(studio_app) as url:
        yield url


@pytest.fixture
def runtime_of(studio_app):
    return studio_app.extensions["invalidite"].runtime


def open_editor(page, server, filename="petit_processus.bpmn", login=True):
    if login:
        browser_login(page, server, "analyste")
    page.goto(f"{server}/studio/bpmn/{filename}")
    page.wait_for_selector("body[data-studio-ready=true]")


def select_element(page, element_id):
    page.click(f'.djs-element[data-element-id="{element_id}"] .djs-hit', force=True)
    page.wait_for_selector(f'.studio-panel__type:has-text("{element_id}")')


def test_edit_a_task_name_validate_see_the_diff_and_deploy(server, page, folders, studio_app):
    open_editor(page, server)
    shot(page, "studio_01_editor")
    select_element(page, "saisie")
    assert page.input_value("#prop-name") == "Saisir un montant"
    assert page.input_value("#prop-form") == "petit_formulaire.json"
    page.fill("#prop-name", "Saisir le montant demandé")
    page.press("#prop-name", "Tab")
    page.click("#btn-validate")
    page.wait_for_selector(".studio-status--ok")
    assert "Aucune erreur" in page.inner_text("#studio-status")
    shot(page, "studio_02_panel_valide")

    page.click("#btn-deploy")
    page.wait_for_url("**/studio/deployer")
    assert "Saisir le montant demandé" in page.inner_text("main")
    assert "saisie" in page.inner_text("main")
    shot(page, "studio_04_diff")
    page.click("text=Confirmer le déploiement")
    page.wait_for_url("**/studio/")
    assert "petit_processus version 2" in page.inner_text("main")
    shot(page, "studio_05_deploye")
    saved = etree.fromstring((folders[0] / "petit_processus.bpmn").read_bytes())
    task = saved.find(".//bpmn:userTask[@id='saisie']", NS)
    assert task.get("name") == "Saisir le montant demandé"
    form = task.find(".//spiffworkflow:property[@name='formJsonSchemaFilename']", NS)
    assert form.get("value") == "petit_formulaire.json"  # extension kept by the round trip
    with studio_app.extensions["invalidite"].session_factory() as session:
        assert session.scalar(select(ProcessVersion.version).where(
            ProcessVersion.process_key == "petit_processus").order_by(
            ProcessVersion.version.desc()).limit(1)) == 2


def test_an_invalid_script_is_pointed_at_on_the_canvas(server, page, folders):
    open_editor(page, server)
    select_element(page, "calcul")
    page.fill("#prop-script", "import os\ndouble = montant * 2")
    page.locator("#prop-script").blur()
    page.click("#btn-save")
    page.wait_for_selector(".studio-status--error")
    assert "calcul" in page.inner_text("#studio-errors")
    assert "import" in page.inner_text("#studio-errors")
    classes = page.get_attribute('.djs-element[data-element-id="calcul"]', "class")
    assert "studio-error" in classes
    shot(page, "studio_03_erreur")
    assert "import os" not in (folders[0] / "petit_processus.bpmn").read_text()
    page.click("#btn-undo")
    page.click("#btn-save")
    page.wait_for_selector(".studio-status--ok")


def test_the_panel_writes_what_spiffworkflow_executes(server, page, folders):
    open_editor(page, server)
    select_element(page, "calcul")
    page.fill("#prop-script", "double = montant * 3")
    page.locator("#prop-script").blur()
    page.fill("#prop-prescript", "avant = 1")
    page.locator("#prop-prescript").blur()
    select_element(page, "f4")
    page.fill("#prop-condition", "double >= 300")
    page.locator("#prop-condition").blur()
    select_element(page, "delai")
    page.select_option("#prop-timer-kind", "timeDuration")
    page.fill("#prop-timer", '"P5D"')
    page.locator("#prop-timer").blur()
    select_element(page, "validation")
    page.select_option("#prop-form", "petit_formulaire.json")
    page.fill("#prop-due", "date_limite")
    page.locator("#prop-due").blur()
    page.select_option("#studio-element-select", "Lane_agent")  # the keyboard way
    page.wait_for_selector('.studio-panel__type:has-text("Lane_agent")')
    assert "rôle : agent" in page.inner_text("#studio-properties")
    page.click("#btn-save")
    page.wait_for_selector(".studio-status--ok")
    root = etree.fromstring((folders[0] / "petit_processus.bpmn").read_bytes())
    assert root.findtext(".//bpmn:scriptTask[@id='calcul']/bpmn:script", namespaces=NS) \
        == "double = montant * 3"
    assert root.findtext(".//bpmn:scriptTask[@id='calcul']/bpmn:extensionElements/"
                         "spiffworkflow:preScript", namespaces=NS) == "avant = 1"
    assert root.findtext(".//bpmn:sequenceFlow[@id='f4']/bpmn:conditionExpression",
                         namespaces=NS) == "double >= 300"
    assert root.findtext(".//bpmn:boundaryEvent[@id='delai']//bpmn:timeDuration",
                         namespaces=NS) == '"P5D"'
    properties = {p.get("name"): p.get("value") for p in root.findall(
        ".//bpmn:userTask[@id='validation']//spiffworkflow:property", NS)}
    assert properties == {"formJsonSchemaFilename": "petit_formulaire.json",
                          "dueDateVariable": "date_limite"}


def test_form_editor_preview_follows_the_typing(server, page):
    browser_login(page, server, "analyste")
    page.goto(f"{server}/studio/formulaires/petit_formulaire.json")
    assert page.is_visible("#studio-form-preview #f-montant")
    text = page.input_value("#schema-source").replace('"title": "Montant"',
                                                '"title": "Montant en euros"')
    page.fill("#schema-source", text)
    page.wait_for_selector("#studio-form-preview label:has-text('Montant en euros')")
    shot(page, "studio_06_formulaire")
    assert axe_violations(page) == []


def test_a_test_run_from_the_editor(server, page):
    open_editor(page, server)
    page.click("#btn-test")
    page.wait_for_url("**/studio/essais/*")
    page.wait_for_selector("#diagramme-essai[data-ready=true]")
    assert "Bac à sable" in page.inner_text("main")
    page.click("a:has-text('Saisir un montant')")
    page.fill("#f-montant", "70")
    page.click("button:has-text('Valider')")
    page.wait_for_url("**/studio/essais/*")
    page.wait_for_selector("#diagramme-essai[data-ready=true]")
    classes = page.get_attribute('#diagramme-essai .djs-element[data-element-id="validation"]',
                                 "class")
    assert "highlight-active" in classes
    page.click("button:has-text('+2 mois')")
    page.wait_for_selector("text=Minuteur(s) déclenché(s) : delai")
    shot(page, "studio_07_essai")


def test_dmn_editor_opens_a_decision_table(server, page, folders):
    browser_login(page, server, "analyste")
    page.goto(f"{server}/studio/")
    page.select_option("#nouveau-type", "dmn")
    page.fill("#nouveau-nom", "bareme_essai")
    page.fill("#nouveau-titre", "Barème d'essai")
    page.click("button:has-text('Créer')")
    page.wait_for_selector("body[data-studio-ready=true]")
    page.wait_for_selector(".tjs-table")
    assert "Barème d'essai" in page.inner_text("#dmn-views")
    page.click("#btn-save")
    page.wait_for_selector(".studio-status--ok")
    shot(page, "studio_08_dmn")
    assert "bareme_essai" in (folders[0] / "bareme_essai.dmn").read_text()


def test_instance_view_highlights_the_active_element(server, page, studio_app, runtime_of):
    from app.models import User

    factory = studio_app.extensions["invalidite"].session_factory
    with factory() as session:
        agent = session.scalars(select(User).where(User.email == "agent.cramif@demo.fr")).one()
    instance = runtime_of.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF",
                                business_key="INV-2026-000123")
    with factory() as session:
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance)).one()
    runtime_of.complete_task(task.id, agent, {"montant": 60})
    for _ in range(2):
        runtime_of.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    browser_login(page, server, "superviseur")
    page.goto(f"{server}/supervision/instances/{instance}")
    page.wait_for_selector("#diagramme-instance[data-ready=true]")

    def classes(element):
        return page.get_attribute(
            f'#diagramme-instance .djs-element[data-element-id="{element}"]', "class")

    assert "highlight-active" in classes("validation")
    assert "highlight-waiting" in classes("delai")
    assert "highlight-done" in classes("saisie")
    shot(page, "supervision_01_instance")

    page.goto(f"{server}/supervision/carte")
    page.wait_for_selector("#carte[data-ready=true]")
    badges = page.locator(".heat-badge").all_inner_texts()
    assert sorted(badges) == ["1", "1", "2"]
    shot(page, "supervision_02_carte")

    page.goto(f"{server}/supervision/instances")
    shot(page, "supervision_03_liste")
    assert axe_violations(page) == []
    for path, name in (("/supervision/", "supervision_00_accueil"),
                       ("/supervision/migration", "supervision_04_migration"),
                       ("/supervision/echeances", "supervision_05_echeances"),
                       ("/supervision/horloge", "supervision_06_horloge")):
        page.goto(server + path)
        shot(page, name)
        assert axe_violations(page) == [], path


def test_studio_home_is_accessible(server, page):
    browser_login(page, server, "analyste")
    page.goto(f"{server}/studio/")
    shot(page, "studio_00_accueil")
    assert axe_violations(page) == []
    page.goto(f"{server}/studio/deployer")
    assert axe_violations(page) == []


DECISION = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_bareme" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bareme_essai" name="Barème" isExecutable="true">
    <bpmn:startEvent id="debut"><bpmn:outgoing>b1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="regle" name="Appliquer le barème">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>bareme</spiffworkflow:calledDecisionId>
        <spiffworkflow:preScript>valeur = "x"</spiffworkflow:preScript>
        <spiffworkflow:postScript>fini = True</spiffworkflow:postScript>
      </bpmn:extensionElements>
      <bpmn:incoming>b1</bpmn:incoming><bpmn:outgoing>b2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>b2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="b1" sourceRef="debut" targetRef="regle" />
    <bpmn:sequenceFlow id="b2" sourceRef="regle" targetRef="fin" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_bareme">
    <bpmndi:BPMNPlane id="Plane_bareme" bpmnElement="bareme_essai">
      <bpmndi:BPMNShape id="debut_di" bpmnElement="debut"><dc:Bounds x="180" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="regle_di" bpmnElement="regle"><dc:Bounds x="260" y="78" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fin_di" bpmnElement="fin"><dc:Bounds x="420" y="100" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="b1_di" bpmnElement="b1"><di:waypoint x="216" y="118" /><di:waypoint x="260" y="118" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="b2_di" bpmnElement="b2"><di:waypoint x="360" y="118" /><di:waypoint x="420" y="118" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


def add_richer_files(folders):
    """A draft with lanes, a letter, a timer and a message; and one calling a DMN table."""
    from app.web.studio.starters import new_file

    from .test_studio_sandbox import ESSAI

    (folders[0] / "essai_courrier.bpmn").write_text(ESSAI)
    (folders[0] / "bareme_essai.bpmn").write_text(DECISION)
    (folders[0] / "bareme.dmn").write_text(new_file("bareme.dmn", "Barème"))


def test_opening_and_saving_in_the_editor_changes_nothing_executable(server, page, folders):
    from app.engine.diff import diff_file

    add_richer_files(folders)
    browser_login(page, server, "analyste")
    for path in sorted(folders[0].glob("*.bpmn")):
        page.goto(f"{server}/studio/bpmn/{path.name}")
        page.wait_for_selector("body[data-studio-ready]")
        if "BPMNDiagram" not in path.read_text():  # nothing to draw: said, not hidden
            assert page.get_attribute("body", "data-studio-ready") == "error"
            assert "mise en page" in page.inner_text("#studio-status")
            continue
        exported = page.evaluate("StudioEditor.getXml()")
        found = diff_file(path.name, path.read_text(), exported)
        assert found.elements == [], (path.name, found.elements)


def test_message_and_decision_are_edited_without_touching_xml(server, page, folders):
    add_richer_files(folders)
    open_editor(page, server, "essai_courrier.bpmn")
    page.select_option("#studio-element-select", "pieces")
    page.wait_for_selector('.studio-panel__type:has-text("pieces")')
    assert page.input_value("#prop-message") == "pieces_recues"
    page.fill("#prop-message", "pieces_completes")
    page.locator("#prop-message").blur()
    page.click("#btn-save")
    page.wait_for_selector(".studio-status--ok")
    root = etree.fromstring((folders[0] / "essai_courrier.bpmn").read_bytes())
    ref = root.find(".//bpmn:intermediateCatchEvent[@id='pieces']/bpmn:messageEventDefinition",
                    NS).get("messageRef")
    assert root.find(f".//bpmn:message[@id='{ref}']", NS).get("name") == "pieces_completes"

    open_editor(page, server, "bareme_essai.bpmn", login=False)
    page.select_option("#studio-element-select", "regle")
    page.wait_for_selector('.studio-panel__type:has-text("regle")')
    assert page.input_value("#prop-decision") == "bareme"
    assert page.input_value("#prop-postscript") == "fini = True"
    page.fill("#prop-postscript", "fini = False")
    page.locator("#prop-postscript").blur()
    page.click("#btn-save")
    page.wait_for_selector(".studio-status--ok")
    root = etree.fromstring((folders[0] / "bareme_essai.bpmn").read_bytes())
    assert root.findtext(".//spiffworkflow:calledDecisionId", namespaces=NS) == "bareme"
    assert root.findtext(".//spiffworkflow:postScript", namespaces=NS) == "fini = False"
