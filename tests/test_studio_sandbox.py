"""Studio test runs: a draft runs in a sandbox with the real forms and its own clock, never
among real dossiers, inboxes or supervision lists, never sending a letter, then is thrown
away."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.engine.clock import clock
from app.engine.deploy import latest_version
from app.models import (
    AuditLog,
    Document,
    Dossier,
    HumanTask,
    Message,
    ProcessInstance,
    ProcessVersion,
    SandboxFile,
    SandboxRun,
)

from .conftest import deploy_folder, login

# A draft: the assuré fills the small form, a letter is asked for, two days pass, an agent
# checks, then the process waits for a message.
ESSAI = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_essai" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab_essai">
    <bpmn:participant id="Participant_essai" name="Essai courrier" processRef="essai_courrier" />
  </bpmn:collaboration>
  <bpmn:message id="Message_pieces" name="pieces_recues" />
  <bpmn:process id="essai_courrier" name="Essai courrier" isExecutable="true">
    <bpmn:laneSet id="LaneSet_essai">
      <bpmn:lane id="Lane_assure" name="Assuré"><bpmn:flowNodeRef>demande</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="Lane_agent" name="Service Invalidité"><bpmn:flowNodeRef>examen</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut"><bpmn:outgoing>e1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="demande" name="Faire la demande">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="petit_formulaire.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>e1</bpmn:incoming><bpmn:outgoing>e2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:scriptTask id="accuser" name="Accuser réception">
      <bpmn:incoming>e2</bpmn:incoming><bpmn:outgoing>e3</bpmn:outgoing>
      <bpmn:script>notifier("accuse_reception")
maj_dossier(statut="recue")</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:intermediateCatchEvent id="attente" name="Attendre deux jours">
      <bpmn:incoming>e3</bpmn:incoming><bpmn:outgoing>e4</bpmn:outgoing>
      <bpmn:timerEventDefinition id="attente_def"><bpmn:timeDuration>"P2D"</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:userTask id="examen" name="Examiner">
      <bpmn:incoming>e4</bpmn:incoming><bpmn:outgoing>e5</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:intermediateCatchEvent id="pieces" name="Pièces reçues">
      <bpmn:incoming>e5</bpmn:incoming><bpmn:outgoing>e6</bpmn:outgoing>
      <bpmn:messageEventDefinition id="pieces_def" messageRef="Message_pieces" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="fin"><bpmn:incoming>e6</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="e1" sourceRef="debut" targetRef="demande" />
    <bpmn:sequenceFlow id="e2" sourceRef="demande" targetRef="accuser" />
    <bpmn:sequenceFlow id="e3" sourceRef="accuser" targetRef="attente" />
    <bpmn:sequenceFlow id="e4" sourceRef="attente" targetRef="examen" />
    <bpmn:sequenceFlow id="e5" sourceRef="examen" targetRef="pieces" />
    <bpmn:sequenceFlow id="e6" sourceRef="pieces" targetRef="fin" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_essai">
    <bpmndi:BPMNPlane id="Plane_essai" bpmnElement="Collab_essai">
      <bpmndi:BPMNShape id="Participant_essai_di" bpmnElement="Participant_essai" isHorizontal="true"><dc:Bounds x="100" y="60" width="900" height="300" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_assure_di" bpmnElement="Lane_assure" isHorizontal="true"><dc:Bounds x="130" y="60" width="870" height="150" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_agent_di" bpmnElement="Lane_agent" isHorizontal="true"><dc:Bounds x="130" y="210" width="870" height="150" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="debut_di" bpmnElement="debut"><dc:Bounds x="180" y="112" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="demande_di" bpmnElement="demande"><dc:Bounds x="250" y="90" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="accuser_di" bpmnElement="accuser"><dc:Bounds x="400" y="240" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="attente_di" bpmnElement="attente"><dc:Bounds x="552" y="262" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="examen_di" bpmnElement="examen"><dc:Bounds x="640" y="240" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="pieces_di" bpmnElement="pieces"><dc:Bounds x="792" y="262" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fin_di" bpmnElement="fin"><dc:Bounds x="902" y="262" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="e1_di" bpmnElement="e1"><di:waypoint x="216" y="130" /><di:waypoint x="250" y="130" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e2_di" bpmnElement="e2"><di:waypoint x="350" y="130" /><di:waypoint x="450" y="130" /><di:waypoint x="450" y="240" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e3_di" bpmnElement="e3"><di:waypoint x="500" y="280" /><di:waypoint x="552" y="280" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e4_di" bpmnElement="e4"><di:waypoint x="588" y="280" /><di:waypoint x="640" y="280" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e5_di" bpmnElement="e5"><di:waypoint x="740" y="280" /><di:waypoint x="792" y="280" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="e6_di" bpmnElement="e6"><di:waypoint x="828" y="280" /><di:waypoint x="902" y="280" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""


@pytest.fixture
def folders(folders):
    """The shared fixture folders plus the draft under test."""
    (folders[0] / "essai_courrier.bpmn").write_text(ESSAI)
    return folders


@pytest.fixture
def analyste(app, client, users, folders, session_factory):
    app.config.update(PROCESSES_DIR=folders[0], FORMS_DIR=folders[1])
    deploy_folder(session_factory, *folders)
    assert login(client, "analyste").status_code == 302
    return client


def start(client, filename="essai_courrier.bpmn", content=None) -> int:
    data = {"fichier": filename}
    if content is not None:
        data["contenu"] = content
    response = client.post("/studio/essais", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def open_tasks(session_factory, instance_id) -> list[HumanTask]:
    with session_factory() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")))


def count(session_factory, model, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def walk_to_the_timer(client, session_factory, run) -> None:
    (task,) = open_tasks(session_factory, run)
    response = client.post(f"/studio/essais/{run}/taches/{task.id}", data={"montant": "12"})
    assert response.status_code == 303


def test_a_test_run_walks_user_tasks_with_the_real_form(analyste, session_factory):
    run = start(analyste)
    (task,) = open_tasks(session_factory, run)
    assert (task.title, task.role, task.form) == ("Faire la demande", "assure",
                                                  "petit_formulaire.json")
    page = analyste.get(f"/studio/essais/{run}/taches/{task.id}").get_data(as_text=True)
    assert 'id="f-montant"' in page
    bad = analyste.post(f"/studio/essais/{run}/taches/{task.id}", data={"montant": "-1"})
    assert bad.status_code == 422 and "fr-error-text" in bad.get_data(as_text=True)
    walk_to_the_timer(analyste, session_factory, run)
    page = analyste.get(f"/studio/essais/{run}").get_data(as_text=True)
    assert "Attendre deux jours" in page and "accuse_reception" in page


def test_a_test_run_never_appears_among_real_dossiers(analyste, app, session_factory, users):
    run = start(analyste)
    walk_to_the_timer(analyste, session_factory, run)
    analyste.post(f"/studio/essais/{run}/horloge", data={"avance": "7j"})
    assert [t.title for t in open_tasks(session_factory, run)] == ["Examiner"]
    assert count(session_factory, Dossier) == 0
    agent = app.test_client()
    login(agent, "agent.cramif")
    assert "Examiner" not in agent.get("/agent/").get_data(as_text=True)
    assert agent.get("/api/taches").json == []
    superviseur = app.test_client()
    login(superviseur, "superviseur")
    listing = superviseur.get("/supervision/instances").get_data(as_text=True)
    assert "essai_courrier v" not in listing and f"/supervision/instances/{run}" not in listing
    assert "0 instance(s)" in listing
    # Nor among the back office's tasks the superviseur reassigns.
    assert "Examiner" not in superviseur.get("/agent/").get_data(as_text=True)


def test_a_test_run_never_sends_a_letter(analyste, session_factory):
    run = start(analyste)
    walk_to_the_timer(analyste, session_factory, run)
    assert count(session_factory, Message) == 0 and count(session_factory, Document) == 0
    with session_factory() as session:
        simulated = session.scalars(select(AuditLog).where(
            AuditLog.action == "lettre_simulee", AuditLog.instance_id == run)).one()
    assert simulated.details == {"modele": "accuse_reception"}


def test_moving_the_runs_clock_fires_its_timer_and_leaves_the_app_clock(analyste,
                                                                        session_factory):
    run = start(analyste)
    walk_to_the_timer(analyste, session_factory, run)
    app_offset = clock.offset
    analyste.post(f"/studio/essais/{run}/horloge", data={"avance": "1j"})
    assert open_tasks(session_factory, run) == []  # one day is not enough
    response = analyste.post(f"/studio/essais/{run}/horloge", data={"jours": "1",
                                                                    "heures": "1"})
    assert response.status_code == 303
    assert [t.title for t in open_tasks(session_factory, run)] == ["Examiner"]
    assert clock.offset == app_offset
    with session_factory() as session:
        assert session.get(SandboxRun, run).clock_offset_seconds == 2 * 86400 + 3600
        fired = session.scalars(select(AuditLog.details).where(
            AuditLog.action == "essai_horloge_avancee")).all()
    assert fired[-1]["minuteurs"] == ["attente"]
    page = analyste.get(f"/studio/essais/{run}").get_data(as_text=True)
    assert "avancée de 2,04 jour(s)" in page


def test_bad_clock_steps_are_refused(analyste, session_factory):
    run = start(analyste)
    for data in ({"jours": "-2"}, {"jours": "abc"}, {}):
        response = analyste.post(f"/studio/essais/{run}/horloge", data=data)
        page = analyste.get(response.headers["Location"]).get_data(as_text=True)
        assert "Indiquez une avance positive" in page
    with session_factory() as session:
        assert session.get(SandboxRun, run).clock_offset_seconds == 0


def test_only_a_test_runs_clock_can_be_moved(runtime, analyste, users, session_factory):
    from app.engine.errors import Forbidden

    real = runtime.start("minuteur_simple", user_id=users["agent.cramif"].id)
    with pytest.raises(Forbidden):
        from datetime import timedelta

        runtime.shift_timers(real, timedelta(days=2), users["analyste"])
    assert analyste.get(f"/studio/essais/{real}").status_code == 404


def test_a_test_run_receives_a_message(analyste, session_factory):
    run = start(analyste)
    walk_to_the_timer(analyste, session_factory, run)
    analyste.post(f"/studio/essais/{run}/horloge", data={"avance": "2m"})
    (task,) = open_tasks(session_factory, run)
    analyste.post(f"/studio/essais/{run}/taches/{task.id}", data={})
    assert "pieces_recues" in analyste.get(f"/studio/essais/{run}").get_data(as_text=True)
    response = analyste.post(f"/studio/essais/{run}/message", data={
        "message": "pieces_recues", "contenu": '{"pieces": true}'})
    assert response.status_code == 303
    with session_factory() as session:
        assert session.get(ProcessInstance, run).status == "completed"
    bad = analyste.post(f"/studio/essais/{run}/message", data={"message": "x", "contenu": "[1]"})
    assert "objet JSON" in analyste.get(bad.headers["Location"]).get_data(as_text=True)


def test_the_draft_in_the_editor_runs_without_being_saved(analyste, folders, session_factory):
    draft = ESSAI.replace('name="Faire la demande"', 'name="Demande (brouillon)"')
    run = start(analyste, content=draft)
    assert [t.title for t in open_tasks(session_factory, run)] == ["Demande (brouillon)"]
    assert (folders[0] / "essai_courrier.bpmn").read_text() == ESSAI
    with session_factory() as session:
        instance = session.get(ProcessInstance, run)
        assert instance.sandbox and instance.process_version.sandbox
        assert instance.process_version.version < 0
        # Drafts never become the deployed version real dossiers start on.
        assert latest_version(session, "essai_courrier").version == 1


def test_an_invalid_draft_does_not_start(analyste, session_factory):
    response = analyste.post("/studio/essais", data={
        "fichier": "essai_courrier.bpmn", "contenu": ESSAI.replace(
            'maj_dossier(statut="recue")', "import os")})
    assert response.status_code == 303
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 0


def test_drafts_never_disturb_version_numbers(analyste, folders, session_factory):
    start(analyste, content=ESSAI.replace("P2D", "P3D"))
    start(analyste, content=ESSAI.replace("P2D", "P4D"))
    (folders[0] / "essai_courrier.bpmn").write_text(ESSAI.replace("P2D", "P5D"))
    assert deploy_folder(session_factory, *folders).new_versions == {"essai_courrier": 2}


def test_throwing_a_test_run_away_removes_it_and_its_draft(analyste, session_factory):
    run = start(analyste)
    walk_to_the_timer(analyste, session_factory, run)
    response = analyste.post(f"/studio/essais/{run}/supprimer")
    assert response.status_code == 303
    assert count(session_factory, ProcessInstance, ProcessInstance.id == run) == 0
    assert count(session_factory, HumanTask, HumanTask.instance_id == run) == 0
    assert count(session_factory, ProcessVersion, ProcessVersion.sandbox.is_(True)) == 0
    assert count(session_factory, SandboxFile) == 0
    assert count(session_factory, AuditLog, AuditLog.action == "essai_supprime") == 1
    # Its history stays in the audit log, detached from the deleted instance.
    assert count(session_factory, AuditLog, AuditLog.action == "task_completed") == 1
    assert analyste.post(f"/studio/essais/{run}/supprimer").status_code == 404


def test_a_real_instance_cannot_be_thrown_away_as_a_test_run(analyste, runtime, users,
                                                             session_factory):
    real = runtime.start("petit_processus", user_id=users["agent.cramif"].id)
    assert analyste.post(f"/studio/essais/{real}/supprimer").status_code == 404
    assert count(session_factory, ProcessInstance, ProcessInstance.id == real) == 1


def test_an_analyst_cannot_act_on_real_tasks(runtime, users, session_factory, analyste):
    from app.engine.errors import Forbidden

    real = runtime.start("petit_processus", user_id=users["agent.cramif"].id,
                         caisse_code="CRAMIF")
    (task,) = open_tasks(session_factory, real)
    with pytest.raises(Forbidden):
        runtime.complete_task(task.id, users["analyste"], {"montant": 3})
    assert analyste.get(f"/studio/essais/{real}/taches/{task.id}").status_code == 404


def test_a_test_run_may_start_with_data_and_bad_data_is_refused(analyste, session_factory):
    response = analyste.post("/studio/essais", data={"fichier": "essai_courrier.bpmn",
                                                     "donnees": '{"origine": "essai"}'})
    run = int(response.headers["Location"].rsplit("/", 1)[1])
    assert "origine" in analyste.get(f"/studio/essais/{run}").get_data(as_text=True)
    response = analyste.post("/studio/essais", data={"fichier": "essai_courrier.bpmn",
                                                     "donnees": "[1, 2]"})
    assert "objet JSON" in analyste.get(response.headers["Location"]).get_data(as_text=True)
    assert count(session_factory, ProcessInstance) == 1
