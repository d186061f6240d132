"""In a real browser, on a desktop (1280×900) and a phone (375×812): the studio's safety nets.

(a) A refused diagram uploaded alone (dotted name, user task in a lane « Équipe médicale » no
role is mapped to) is kept as a draft; the import page says why in French; the BPMN editor
opens the draft with its errors listed under a « refused, draft » heading and outlined on the
canvas. (b) « Couloirs et rôles » maps the lane to Médecin-conseil: the diagram is accepted
(the draft becomes the file). (c) A role change in a copy of the project's processes (the
folder the live app deploys) shows « Changements de rôle » on the deploy page, with the
confirmation box unticked, and deploying without ticking it is refused. Also: a refused DMN
draft opens in the DMN editor with its errors.

axe-core on every page (no serious/critical violation), no sideways scrolling of the page
on the phone, screenshots test-artifacts/safety_<viewport>_*.png.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from app.models import DeployedFile

from .browser import axe_violations, browser_login, real_app, serving, shot

ROOT = Path(__file__).resolve().parent.parent
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}
UPLOADED = "visite.controle.bpmn"  # dotted name, kept as is by the import
RECOURS = "recours.bpmn"  # « Commission de recours amiable » → cra; examen_cra in it

# Written for this test: a medical form in a lane whose name maps to no role (refused twice:
# no role, and medical secret); drawn in a pool so bpmn-js shows the lane.
REFUSED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Definitions_visite" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab_visite">
    <bpmn:participant id="Participant_visite" name="Visite de contrôle" processRef="visite_controle" />
  </bpmn:collaboration>
  <bpmn:process id="visite_controle" name="Visite de contrôle" isExecutable="true">
    <bpmn:laneSet id="LaneSet_visite">
      <bpmn:lane id="Lane_equipe" name="Équipe médicale">
        <bpmn:flowNodeRef>debut</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>examiner</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fin</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut" name="Début"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="examiner" name="Examiner l'assuré">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="formJsonSchemaFilename" value="medical_examen.json" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="fin" name="Fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="examiner" />
    <bpmn:sequenceFlow id="f2" sourceRef="examiner" targetRef="fin" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_visite">
    <bpmndi:BPMNPlane id="Plane_visite" bpmnElement="Collab_visite">
      <bpmndi:BPMNShape id="Participant_visite_di" bpmnElement="Participant_visite" isHorizontal="true">
        <dc:Bounds x="120" y="60" width="560" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_equipe_di" bpmnElement="Lane_equipe" isHorizontal="true">
        <dc:Bounds x="150" y="60" width="530" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="debut_di" bpmnElement="debut">
        <dc:Bounds x="212" y="142" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="examiner_di" bpmnElement="examiner">
        <dc:Bounds x="330" y="120" width="120" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fin_di" bpmnElement="fin">
        <dc:Bounds x="552" y="142" width="36" height="36" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1">
        <di:waypoint x="248" y="160" />
        <di:waypoint x="330" y="160" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2">
        <di:waypoint x="450" y="160" />
        <di:waypoint x="552" y="160" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

# A decision table whose output cell is not a valid expression (refused by the checks).
REFUSED_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="Definitions_bareme" name="Barème" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="bareme_essai" name="Barème d'essai">
    <decisionTable id="Table_bareme" hitPolicy="FIRST">
      <input id="Input_age" label="Âge">
        <inputExpression id="Expr_age" typeRef="integer"><text>age</text></inputExpression>
      </input>
      <output id="Output_taux" label="Taux" name="taux" typeRef="integer" />
      <rule id="Regle_1">
        <inputEntry id="Entree_1"><text>&gt;= 60</text></inputEntry>
        <outputEntry id="Sortie_1"><text>30 +* (</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
</definitions>
"""


# What sticks out of the page on the right (outermost elements first), to say what overflows.
WIDEST = """() => {
  const width = document.documentElement.clientWidth, found = [];
  for (const node of document.querySelectorAll('body *')) {
    const box = node.getBoundingClientRect();
    if (box.right > width + 1 && !found.some(f => f.node.contains(node))) {
      found.push({node: node, right: Math.round(box.right)});
    }
  }
  return found.slice(0, 8).map(f => f.node.tagName.toLowerCase() + (f.node.id ? '#' + f.node.id : '') +
    (typeof f.node.className === 'string' && f.node.className.trim()
     ? '.' + f.node.className.trim().split(/ +/).join('.') : '') + ' → ' + f.right + 'px');
}"""


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request) -> str:
    return request.param


@pytest.fixture
def live_dirs(tmp_path):
    """A copy of the folders the live app deploys (the project's processes/ and forms/)."""
    shutil.copytree(ROOT / "processes", tmp_path / "processes")
    shutil.copytree(ROOT / "forms", tmp_path / "forms")
    return tmp_path / "processes", tmp_path / "forms"


@pytest.fixture
def safety_app(database_url, tmp_path, session_factory, live_dirs):
    return real_app(database_url, tmp_path, PROCESSES_DIR=live_dirs[0], FORMS_DIR=live_dirs[1])


@pytest.fixture
def server(safety_app):
    with serving(safety_app) as url:
        yield url


@pytest.fixture
def view(chromium, server, viewport):
    """The analyst's page at this viewport (a phone is small and touch-driven)."""
    phone = viewport == "phone"
    context = chromium.new_context(locale="fr-FR", viewport=VIEWPORTS[viewport],
                                   is_mobile=phone, has_touch=phone)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.viewport = viewport
    browser_login(page, server, "analyste")
    page.wait_for_load_state()
    yield page
    context.close()


def checked(page, name: str) -> str:
    """axe-core, the phone's page width and script errors on the current page; a screenshot.
    Returns the main content's text."""
    page.wait_for_load_state()
    shot(page, f"safety_{page.viewport}_{name}")
    assert axe_violations(page) == [], name
    assert page.errors == [], name
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, (f"{name} : la page défile de {overflow}px vers la droite",
                           page.evaluate(WIDEST))
    return page.inner_text("main")


def upload(page, server, filename: str, content: str) -> None:
    page.goto(f"{server}/studio/")
    checked(page, f"00_studio_{filename}")
    page.set_input_files("#fichier", files=[{"name": filename, "mimeType": "application/xml",
                                             "buffer": content.encode("utf-8")}])
    page.click("form[enctype] button[type=submit]:has-text('Importer')")
    page.wait_for_load_state()


def open_bpmn(page, server, filename: str) -> None:
    page.goto(f"{server}/studio/bpmn/{filename}")
    page.wait_for_selector("body[data-studio-ready=true]", timeout=20000)


def lane_role_property(path: Path, lane_id: str) -> str | None:
    root = etree.fromstring(path.read_bytes())
    found = root.find(f".//{{{BPMN}}}lane[@id='{lane_id}']//{{{SPIFF}}}property[@name='role']")
    return None if found is None else found.get("value")


def upload_refused(page, server, processes: Path) -> None:
    """(a) the upload is refused in French, kept as a draft only."""
    upload(page, server, UPLOADED, REFUSED)
    text = checked(page, "01_import_refuse")
    assert "Fichier gardé en brouillon" in text
    assert f"« {UPLOADED} » a été enregistré comme brouillon" in text
    assert "Équipe médicale" in text and "ne correspond à aucun rôle" in text
    assert "secret médical" in text
    assert (processes / f"{UPLOADED}.brouillon").is_file()
    assert not (processes / UPLOADED).exists()


def test_a_refused_upload_is_a_draft_whose_errors_the_editor_lists_and_outlines(
        view, server, live_dirs):
    page = view
    upload_refused(page, server, live_dirs[0])
    page.click("a:has-text(\"Ouvrir dans l'éditeur\")")
    page.wait_for_selector("body[data-studio-ready=true]", timeout=20000)
    assert page.url.endswith(f"/studio/bpmn/{UPLOADED}")
    assert page.locator("#studio-errors").is_visible()
    assert page.inner_text("#studio-errors-title") == "Diagramme refusé : brouillon à corriger"
    assert page.locator("#studio-errors-intro").is_visible()
    assert page.locator("#studio-errors-list li").count() >= 2
    listed = page.inner_text("#studio-errors-list")
    assert "ne correspond à aucun rôle" in listed and "secret médical" in listed
    assert page.locator("#studio-errors-list button:has-text('examiner')").count() >= 1
    assert "studio-error" in page.get_attribute('.djs-element[data-element-id="examiner"]', "class")
    assert "Brouillon refusé" in page.inner_text("#studio-status")
    lanes_link = page.locator("#link-lanes")
    assert lanes_link.inner_text().strip() == "Couloirs et rôles"
    assert lanes_link.get_attribute("href") == f"/studio/couloirs/{UPLOADED}"
    checked(page, "02_editeur_brouillon")
    lanes_link.click()
    page.wait_for_url(f"**/studio/couloirs/{UPLOADED}")
    text = checked(page, "03_couloirs_brouillon")
    assert "Brouillon non déployable" in text
    assert page.input_value("#role-Lane_equipe") == ""


def test_mapping_the_lane_to_medecin_conseil_gets_the_draft_accepted(view, server, live_dirs):
    page, processes = view, live_dirs[0]
    upload_refused(page, server, processes)
    # (b) « Couloirs et rôles »: Équipe médicale → Médecin-conseil; the diagram is accepted
    page.goto(f"{server}/studio/couloirs/{UPLOADED}")
    page.select_option("#role-Lane_equipe", "medecin_conseil")
    page.click("button:has-text('Enregistrer les rôles')")
    page.wait_for_url(f"**/studio/couloirs/{UPLOADED}")
    text = checked(page, "04_couloirs_acceptes")
    assert "devient Médecin-conseil" in text  # the medical-secret warning
    assert page.input_value("#role-Lane_equipe") == "medecin_conseil"
    assert "Brouillon non déployable" not in text, text
    assert f"Rôles des couloirs enregistrés dans « {UPLOADED} »" in text
    assert not (processes / f"{UPLOADED}.brouillon").exists()
    assert lane_role_property(processes / UPLOADED, "Lane_equipe") == "medecin_conseil"

    open_bpmn(page, server, UPLOADED)  # no draft any more: nothing listed, nothing outlined
    assert page.locator("#studio-errors").is_hidden()
    assert page.locator(".djs-element.studio-error").count() == 0
    assert "Brouillon refusé" not in page.inner_text("#studio-status")
    checked(page, "05_editeur_accepte")


def assert_role_change_needs_confirmation(page, server, app, name: str, words: str) -> None:
    """The deploy page shows the role change and its unticked box; unticked, it is refused."""
    page.goto(f"{server}/studio/deployer")
    text = checked(page, f"{name}_deployer")
    assert "Déploiement impossible" not in text
    box = page.locator("#changements-de-role")
    assert box.count() == 1, "pas d'encadré « Changements de rôle »"
    assert box.is_visible()
    assert "Changements de rôle" in box.inner_text()
    assert words in box.inner_text()
    assert page.locator("label[for=confirmer_roles]").is_visible()
    assert not page.locator("#confirmer_roles").is_checked()
    before = _deployed_versions(app)
    page.click("button:has-text('Confirmer le déploiement')")
    page.wait_for_load_state()
    text = checked(page, f"{name}_deployer_refuse")
    assert "Confirmation requise" in text
    assert not page.locator("#confirmer_roles").is_checked()
    assert _deployed_versions(app) == before


def test_a_lane_mapped_to_another_role_asks_for_confirmation_before_deploying(
        view, server, live_dirs, safety_app):
    page, processes = view, live_dirs[0]
    # (c) in the copy of the live processes, the CRA's lane handed to the supervisors
    page.goto(f"{server}/studio/couloirs/{RECOURS}")
    checked(page, "06_couloirs_recours")
    assert page.input_value("#role-Lane_cra") == "cra"
    page.select_option("#role-Lane_cra", "superviseur")
    page.click("button:has-text('Enregistrer les rôles')")
    page.wait_for_url(f"**/studio/couloirs/{RECOURS}")
    assert f"Rôles des couloirs enregistrés dans « {RECOURS} »" in checked(page, "07_couloirs_enregistres")
    assert lane_role_property(processes / RECOURS, "Lane_cra") == "superviseur"
    assert_role_change_needs_confirmation(page, server, safety_app, "08",
                                          "Examiner la réclamation (CRA)")


def test_a_renamed_lane_asks_for_confirmation_before_deploying(view, server, live_dirs,
                                                               safety_app):
    # (c) the same, by editing the copied file: the lane now named after the supervisors
    path = live_dirs[0] / RECOURS
    text = path.read_text(encoding="utf-8")
    assert text.count('name="Commission de recours amiable"') == 1
    # (the lane's own « role » property removed too: the name then decides)
    text = text.replace('<spiffworkflow:property name="role" value="cra" />', "")
    path.write_text(text.replace('name="Commission de recours amiable"', 'name="Superviseur"'),
                    encoding="utf-8")
    assert_role_change_needs_confirmation(view, server, safety_app, "09",
                                          "Examiner la réclamation (CRA)")


def test_the_medical_lane_cannot_be_handed_to_the_agents(view, server, live_dirs, safety_app):
    """« Service médical » mapped to Agent through the lanes screen: its medical forms would
    reach the agents' inboxes, so the checks refuse it (kept as a draft, the file unchanged)."""
    page, path = view, live_dirs[0] / "instruction_invalidite.bpmn"
    before = path.read_text(encoding="utf-8")
    page.goto(f"{server}/studio/couloirs/instruction_invalidite.bpmn")
    assert page.input_value("#role-Lane_service_medical") == "medecin_conseil"
    page.select_option("#role-Lane_service_medical", "agent")
    page.click("button:has-text('Enregistrer les rôles')")
    page.wait_for_url("**/studio/couloirs/instruction_invalidite.bpmn")
    text = checked(page, "10_couloir_medical_refuse")
    assert "n'est plus Médecin-conseil" in text  # the warning, at least
    assert path.read_text(encoding="utf-8") == before, "secret médical : rôle Agent accepté"
    assert "Brouillon non déployable" in text and "secret médical" in text


def _deployed_versions(app) -> int:
    with app.extensions["invalidite"].session_factory() as session:
        return len(session.scalars(select(DeployedFile.id)).all())


def test_a_refused_decision_table_opens_as_a_draft_with_its_errors(view, server, live_dirs):
    page = view
    upload(page, server, "bareme.essai.dmn", REFUSED_DMN)
    text = checked(page, "11_import_dmn_refuse")
    assert "Fichier gardé en brouillon" in text
    assert (live_dirs[0] / "bareme.essai.dmn.brouillon").is_file()
    page.click("a:has-text(\"Ouvrir dans l'éditeur\")")
    page.wait_for_selector("body[data-studio-ready]", timeout=20000)
    assert page.get_attribute("body", "data-studio-ready") == "true"
    assert page.locator("#studio-errors").is_visible()
    assert page.inner_text("#studio-errors-title") == "Table de décision refusée : brouillon à corriger"
    assert page.locator("#studio-errors-intro").is_visible()
    assert page.locator("#studio-errors-list li").count() >= 1
    assert "30 +* (" in page.inner_text("#studio-errors-list")
    assert "Brouillon refusé" in page.inner_text("#studio-status")
    assert page.locator("#link-lanes").count() == 0  # no lanes in a decision table
    checked(page, "12_editeur_dmn_brouillon")
