"""« Couloirs et rôles »: the analyst maps the diagram's own lane names to the platform's
roles; the role is written in the diagram (spiffworkflow:properties on the lane), the rest of
the file is left byte for byte, the save is checked and audited like any studio save."""
from __future__ import annotations

import html
import re

import pytest
from lxml import etree
from sqlalchemy import select

from app.models import AuditLog
from app.web.studio.lanes import LaneEditError, lanes_of, set_lane_roles

from .conftest import deploy_folder, login

FILE = "parcours.medical.bpmn"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# No spiffworkflow namespace on purpose (as Camunda Modeler writes it); bpmn-js style « />».
DIAGRAM = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="Definitions_parcours" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="parcours_medical" name="Parcours médical" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_medicale" name="Équipe médicale">
        <bpmn:flowNodeRef>preparer</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>noter</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_agent" name="Service Invalidité">
        <bpmn:flowNodeRef>debut</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fin</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut" name="Début"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="preparer" name="Préparer l'examen">
      <bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>pret = True</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:scriptTask id="noter" name="Noter">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>note = 1</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="preparer" />
    <bpmn:sequenceFlow id="f2" sourceRef="preparer" targetRef="noter" />
    <bpmn:sequenceFlow id="f3" sourceRef="noter" targetRef="fin" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="parcours_medical">
      <bpmndi:BPMNShape id="debut_di" bpmnElement="debut">
        <dc:Bounds x="180" y="100" width="36" height="36" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

BLOCK = """
        <bpmn:extensionElements>
          <spiffworkflow:properties>
            <spiffworkflow:property name="role" value="medecin_conseil" />
          </spiffworkflow:properties>
        </bpmn:extensionElements>"""
NAMESPACE = f' xmlns:spiffworkflow="{SPIFF}"'


@pytest.fixture
def analyste(app, client, users, folders, session_factory):
    app.config.update(PROCESSES_DIR=folders[0], FORMS_DIR=folders[1])
    deploy_folder(session_factory, *folders)
    (folders[0] / FILE).write_text(DIAGRAM)
    assert login(client, "analyste").status_code == 302
    return client


def page_of(client, filename=FILE) -> str:
    response = client.get(f"/studio/couloirs/{filename}")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def fingerprint(page: str) -> str:
    return page.split('name="empreinte" value="')[1].split('"')[0]


def post(client, roles: dict, page: str | None = None, filename=FILE):
    page = page or page_of(client, filename)
    data = {"empreinte": fingerprint(page), **{f"role-{k}": v for k, v in roles.items()}}
    return client.post(f"/studio/couloirs/{filename}", data=data)


def audit_rows(session_factory, action="studio_couloirs") -> list[AuditLog]:
    with session_factory() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def role_of(text: str, lane_id: str) -> str | None:
    root = etree.fromstring(text.encode())
    (lane,) = [lane for lane in root.iter("{*}lane") if lane.get("id") == lane_id]
    values = [p.get("value") for p in lane.iter(f"{{{SPIFF}}}property")
              if p.get("name") == "role"]
    return values[0] if values else None


def row(page: str, lane_name: str) -> str:
    return page.split(f'<th scope="row">{lane_name}', 1)[1].split("</tr>", 1)[0]


def test_the_screen_lists_every_lane_with_its_tasks_and_current_role(analyste):
    page = page_of(analyste)
    assert "Couloirs et rôles" in page
    medical = row(page, "Équipe médicale")
    assert "<td>2</td>" in medical and "aucun — à choisir" in medical
    assert 'name="role-Lane_medicale"' in medical
    agent = row(page, "Service Invalidité")
    assert "Agent (Service Invalidité)" in agent and "nom du couloir" in agent
    assert '<option value="agent" selected>' in agent
    for label in ("Assuré", "Agent (Service Invalidité)", "Médecin-conseil", "Superviseur",
                  "Analyste"):
        assert label in medical
    assert 'name="csrf_token"' in page and "Secret médical" in page


def test_mapping_a_custom_lane_to_medecin_conseil_writes_it_in_the_diagram(
        analyste, folders, session_factory, users):
    response = post(analyste, {"Lane_medicale": "medecin_conseil", "Lane_agent": "agent"})
    assert response.status_code == 303
    saved = (folders[0] / FILE).read_text()
    assert role_of(saved, "Lane_medicale") == "medecin_conseil"
    assert role_of(saved, "Lane_agent") is None  # unchanged: its name already maps to agent
    # Everything else is byte for byte what was there.
    expected = DIAGRAM.replace('targetNamespace="http://bpmn.io/schema/bpmn">',
                               f'targetNamespace="http://bpmn.io/schema/bpmn"{NAMESPACE}>', 1)
    expected = expected.replace('<bpmn:lane id="Lane_medicale" name="Équipe médicale">',
                                '<bpmn:lane id="Lane_medicale" name="Équipe médicale">' + BLOCK)
    assert saved == expected
    (audit,) = audit_rows(session_factory)
    assert audit.user_id == users["analyste"].id
    assert audit.details["couloirs"] == [{"couloir": "Lane_medicale", "nom": "Équipe médicale",
                                          "avant": None, "apres": "medecin_conseil"}]
    assert FILE in audit.details["fichiers"]
    page = html.unescape(analyste.get(response.headers["Location"]).get_data(as_text=True))
    assert "Secret médical : le couloir « Équipe médicale » devient Médecin-conseil" in page
    assert "Rôles des couloirs enregistrés" in page
    medical = row(page, "Équipe médicale")
    assert "propriété du diagramme" in medical
    assert '<option value="medecin_conseil" selected>' in medical


def test_leaving_medecin_conseil_warns_and_changes_only_the_value(analyste, folders):
    post(analyste, {"Lane_medicale": "medecin_conseil"})
    before = (folders[0] / FILE).read_text()
    response = post(analyste, {"Lane_medicale": "agent"})
    after = (folders[0] / FILE).read_text()
    assert after == before.replace('value="medecin_conseil"', 'value="agent"')
    page = html.unescape(analyste.get(response.headers["Location"]).get_data(as_text=True))
    assert "n'est plus Médecin-conseil" in page and "données médicales" in page


def test_an_unknown_role_is_refused_in_french_with_400(analyste, folders, session_factory):
    response = post(analyste, {"Lane_medicale": "docteur"})
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert "Rôle inconnu" in page and "fr-error-text" in page
    assert (folders[0] / FILE).read_text() == DIAGRAM
    assert audit_rows(session_factory) == []


def test_no_change_and_a_stale_page_write_nothing(analyste, folders, session_factory):
    response = post(analyste, {"Lane_medicale": "", "Lane_agent": "agent"})
    assert "Aucun changement" in html.unescape(
        analyste.get(response.headers["Location"]).get_data(as_text=True))
    stale = page_of(analyste)
    (folders[0] / FILE).write_text(DIAGRAM.replace("note = 1", "note = 2"))
    response = post(analyste, {"Lane_medicale": "medecin_conseil"}, page=stale)
    assert "a changé depuis l'affichage" in html.unescape(
        analyste.get(response.headers["Location"]).get_data(as_text=True))
    assert role_of((folders[0] / FILE).read_text(), "Lane_medicale") is None
    assert audit_rows(session_factory) == []


def test_a_user_task_in_a_custom_lane_gets_its_role_even_while_refused(analyste, folders):
    """Mapped in the draft if the checks still refuse it, in the file once they accept it."""
    with_user_task = DIAGRAM.replace(
        '<bpmn:scriptTask id="noter" name="Noter">', '<bpmn:userTask id="noter" name="Noter">'
    ).replace("<bpmn:script>note = 1</bpmn:script>\n    </bpmn:scriptTask>",
              "</bpmn:userTask>")
    draft = folders[0] / "avis.medical.bpmn.brouillon"
    draft.write_text(with_user_task)
    page = page_of(analyste, "avis.medical.bpmn")
    assert "Brouillon non déployable" in page and "Équipe médicale" in page
    response = post(analyste, {"Lane_medicale": "medecin_conseil"}, page=page,
                    filename="avis.medical.bpmn")
    assert response.status_code == 303
    saved = folders[0] / "avis.medical.bpmn"
    text = draft.read_text() if draft.exists() else saved.read_text()
    assert role_of(text, "Lane_medicale") == "medecin_conseil"


def test_the_form_works_with_csrf_protection_on(app, analyste, folders):
    app.config["WTF_CSRF_ENABLED"] = True
    page = page_of(analyste)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = analyste.post(f"/studio/couloirs/{FILE}", data={
        "empreinte": fingerprint(page), "role-Lane_medicale": "medecin_conseil"})
    assert refused.status_code == 400
    response = analyste.post(f"/studio/couloirs/{FILE}", data={
        "csrf_token": token, "empreinte": fingerprint(page),
        "role-Lane_medicale": "medecin_conseil"})
    assert response.status_code == 303
    assert role_of((folders[0] / FILE).read_text(), "Lane_medicale") == "medecin_conseil"


def test_unknown_files_are_404(analyste):
    assert analyste.get("/studio/couloirs/absent.bpmn").status_code == 404
    assert analyste.get("/studio/couloirs/petit_formulaire.json").status_code == 404
    assert analyste.post("/studio/couloirs/absent.bpmn", data={}).status_code == 404


def test_the_studio_index_links_each_diagram_to_its_lanes(analyste):
    index = analyste.get("/studio/").get_data(as_text=True)
    assert f"/studio/couloirs/{FILE}" in index
    assert "/studio/couloirs/petit_processus.bpmn" in index


# ----- the XML edit itself ---------------------------------------------------------------
DEFAULT_NS = """<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d">
  <process id="p">
    <laneSet id="ls">
      <lane id="l1" name="Accueil" />
      <lane id="l2" name="Contrôle">
        <documentation>Les contrôleurs</documentation>
        <extensionElements>
          <spiffworkflow:properties>
            <spiffworkflow:property name="autre" value="x" />
          </spiffworkflow:properties>
        </extensionElements>
        <flowNodeRef>t</flowNodeRef>
      </lane>
    </laneSet>
    <task id="t" />
  </process>
</definitions>"""


def test_set_lane_roles_handles_self_closing_lanes_existing_extensions_and_removal():
    edited = set_lane_roles(DEFAULT_NS, {"l1": "assure", "l2": "superviseur"})
    assert {lane.id: lane.role for lane in lanes_of(edited)} == {"l1": "assure",
                                                                "l2": "superviseur"}
    assert '<spiffworkflow:property name="autre" value="x" />' in edited
    assert edited.count("xmlns:spiffworkflow") == 1
    assert edited.count("<extensionElements>") == 2
    restored = set_lane_roles(edited, {"l1": None, "l2": None})
    assert {lane.id: lane.property_role for lane in lanes_of(restored)} == {"l1": None,
                                                                           "l2": None}
    assert '<spiffworkflow:property name="autre" value="x" />' in restored
    with pytest.raises(LaneEditError):
        set_lane_roles(DEFAULT_NS, {"absent": "agent"})
