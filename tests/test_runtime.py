"""The runtime service: one call = one transaction; bad data, conflicts and script errors
leave the database exactly as it was."""
from __future__ import annotations

import pytest
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine.errors import Conflict, Forbidden, FormInvalid, IncidentRaised
from app.models import AuditLog, HumanTask, Incident, ProcessInstance

from .conftest import FIXTURES, advance_clock


@pytest.fixture
def agent(users):
    return users["agent.cramif"]


@pytest.fixture
def petit(runtime, deployed_fixtures, agent):
    """An instance of the small process waiting at « Saisir un montant »."""
    return runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")


def snapshot(session_factory, instance_id) -> dict:
    """Everything a step may write, to compare before and after a refused action."""
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        return {
            "state": instance.state, "lock": instance.lock_version, "status": instance.status,
            "timer": instance.next_timer_at,
            "tasks": [(t.id, t.status, t.claimed_by_id) for t in session.scalars(
                select(HumanTask).order_by(HumanTask.id))],
            "audit": session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all(),
        }


def open_task(session_factory, instance_id) -> HumanTask:
    with session_factory() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.status == "open")).one()


def test_start_opens_the_first_user_task_for_the_lane_role_and_caisse(session_factory, petit):
    task = open_task(session_factory, petit)
    assert (task.title, task.role, task.caisse_code, task.form) == (
        "Saisir un montant", "agent", "CRAMIF", "petit_formulaire.json")


def test_completing_runs_script_gateway_and_waits_with_a_timer(session_factory, runtime,
                                                               petit, agent):
    runtime.complete_task(open_task(session_factory, petit).id, agent, {"montant": 60})
    with session_factory() as session:
        instance = session.get(ProcessInstance, petit)
        assert instance.current_step.startswith("Valider le montant")
        assert instance.next_timer_at is not None
        assert instance.state["data"] == {} or "double" not in instance.state["data"]
    assert open_task(session_factory, petit).title == "Valider le montant"


def test_every_action_leaves_an_audit_row(session_factory, runtime, petit, agent):
    task = open_task(session_factory, petit)
    runtime.claim(task.id, agent)
    runtime.unclaim(task.id, agent)
    runtime.complete_task(task.id, agent, {"montant": 1})
    with session_factory() as session:
        actions = session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    # Completing a free task takes it first (claim on submit), and says so.
    assert actions == ["instance_started", "task_claimed", "task_released", "task_claimed",
                       "task_completed"]


def test_bad_form_data_gives_field_errors_and_changes_nothing(session_factory, runtime, petit,
                                                              agent):
    before = snapshot(session_factory, petit)
    with pytest.raises(FormInvalid) as caught:
        runtime.complete_task(open_task(session_factory, petit).id, agent, {"montant": -5})
    assert "montant" in caught.value.errors
    assert snapshot(session_factory, petit) == before


def test_completing_twice_is_a_conflict_not_a_double_step(session_factory, runtime, petit,
                                                          agent):
    task = open_task(session_factory, petit)
    runtime.complete_task(task.id, agent, {"montant": 60})
    after_first = snapshot(session_factory, petit)
    with pytest.raises(Conflict):
        runtime.complete_task(task.id, agent, {"montant": 60})
    assert snapshot(session_factory, petit) == after_first


def test_stale_form_version_is_a_conflict(session_factory, runtime, petit, agent):
    task = open_task(session_factory, petit)
    with pytest.raises(Conflict):
        runtime.complete_task(task.id, agent, {"montant": 60}, expected_lock_version=999)


def test_agent_of_another_caisse_cannot_complete(session_factory, runtime, petit, users):
    with pytest.raises(Forbidden):
        runtime.complete_task(open_task(session_factory, petit).id, users["agent.cpam69"],
                              {"montant": 60})


def test_claimed_task_is_reserved_to_its_claimant(session_factory, runtime, petit, agent,
                                                  users):
    task = open_task(session_factory, petit)
    runtime.claim(task.id, agent)
    with pytest.raises(Forbidden):
        runtime.complete_task(task.id, users["agent2.cramif"], {"montant": 60})


def test_superviseur_reassigns_a_task(session_factory, runtime, petit, agent, users):
    task = open_task(session_factory, petit)
    runtime.assign(task.id, agent.id, users["superviseur"])
    assert open_task(session_factory, petit).claimed_by_id == agent.id
    # Within the team (same role and caisse) a colleague may hand it on; nobody else may.
    runtime.assign(task.id, users["agent2.cramif"].id, agent)
    assert open_task(session_factory, petit).claimed_by_id == users["agent2.cramif"].id
    for outsider in (users["agent.cpam69"], users["marie.durand"]):
        with pytest.raises(Forbidden):
            runtime.assign(task.id, agent.id, outsider)


@pytest.fixture
def fragile(runtime, deployed_fixtures, agent, session_factory):
    return runtime.start("etape_fragile", user_id=agent.id, caisse_code="CRAMIF")


def test_script_error_rolls_back_the_step_and_records_an_incident(session_factory, runtime,
                                                                  fragile, agent):
    before = snapshot(session_factory, fragile)
    task = open_task(session_factory, fragile)
    with pytest.raises(IncidentRaised):
        runtime.complete_task(task.id, agent, {"diviseur": 0})
    after = snapshot(session_factory, fragile)
    # Same workflow state and tasks as before; only the incident status and its audit row.
    assert after["state"] == before["state"] and after["tasks"] == before["tasks"]
    assert after["status"] == "incident"
    assert after["audit"] == before["audit"] + ["incident_recorded"]
    with session_factory() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.element_id == "calcul" and "division by zero" in incident.message
    assert incident.pending["data"] == {"diviseur": 0}  # what the agent typed is kept


def test_instance_in_incident_refuses_work_until_retried(session_factory, runtime, fragile,
                                                         agent, users):
    task = open_task(session_factory, fragile)
    with pytest.raises(IncidentRaised):
        runtime.complete_task(task.id, agent, {"diviseur": 0})
    with pytest.raises(Conflict):
        runtime.complete_task(task.id, agent, {"diviseur": 4})
    with session_factory() as session:
        incident_id = session.scalar(select(Incident.id))
    # The superviseur retries with the corrected value.
    runtime.retry_incident(incident_id, users["superviseur"], corrections={"diviseur": 4})
    assert open_task(session_factory, fragile).title == "Suite"
    with session_factory() as session:
        assert session.get(ProcessInstance, fragile).status == "running"
        assert session.get(Incident, incident_id).resolved_at is not None


def test_suspended_instance_refuses_work_and_timers_wait(session_factory, runtime, petit,
                                                         agent, users):
    runtime.complete_task(open_task(session_factory, petit).id, agent, {"montant": 60})
    runtime.set_status(petit, "suspended", users["superviseur"])
    with pytest.raises(Conflict):
        runtime.complete_task(open_task(session_factory, petit).id, agent, {})
    advance_clock(days=3)
    from app.engine.timers import fire_due_timers

    assert fire_due_timers(runtime) == 0
    runtime.set_status(petit, "running", users["superviseur"])
    assert fire_due_timers(runtime) == 1


def test_terminate_needs_a_reason_and_cancels_open_tasks(session_factory, runtime, petit,
                                                         users):
    with pytest.raises(FormInvalid):
        runtime.set_status(petit, "terminated", users["superviseur"], reason=" ")
    runtime.set_status(petit, "terminated", users["superviseur"], reason="doublon")
    with session_factory() as session:
        assert session.get(ProcessInstance, petit).status == "terminated"
        assert session.scalars(select(HumanTask.status)).all() == ["cancelled"]


def test_failing_first_script_keeps_the_started_instance_with_an_incident(
        session_factory, runtime, deployed_fixtures, users):
    with pytest.raises(IncidentRaised) as caught:
        runtime.start("debut_fragile", user_id=users["superviseur"].id, data={"diviseur": 0})
    with session_factory() as session:
        incident = session.get(Incident, caught.value.incident_id)
        instance = session.get(ProcessInstance, incident.instance_id)
        assert (instance.status, incident.element_id) == ("incident", "premier_calcul")
    runtime.retry_incident(incident.id, users["superviseur"], corrections={"diviseur": 5})
    with session_factory() as session:
        assert session.get(ProcessInstance, incident.instance_id).status == "completed"


def test_a_resubmitted_form_replaces_its_answers_instead_of_merging():
    """Règle : un formulaire renvoyé remplace les réponses qu'il porte. SpiffWorkflow
    fusionnerait en profondeur : un champ vidé à la seconde visite (le SIRET de l'employeur)
    ou un pays retiré de la liste resteraient dans le dossier."""
    from SpiffWorkflow.bpmn import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    from app.engine.runtime import store_form_data

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(FIXTURES / "processes" / "petit_processus.bpmn"))
    workflow = BpmnWorkflow(parser.get_spec("petit_processus"))
    workflow.do_engine_steps()
    (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
    store_form_data(task, {"employeur": {"nom": "Société Lelièvre", "siret": "12345678900011"},
                           "pays": [{"nom": "Italie"}, {"nom": "Espagne"}]})
    store_form_data(task, {"employeur": {"nom": "Boulangerie du Four"},
                           "pays": [{"nom": "Italie"}]})
    assert task.data["employeur"] == {"nom": "Boulangerie du Four"}
    assert task.data["pays"] == [{"nom": "Italie"}]


def test_a_task_whose_lane_gives_no_role_is_an_incident_never_an_agents_task(
        session_factory, runtime, deployed_fixtures, agent):
    """Defence in depth behind the deploy checks: a version that reaches the runtime with a
    human task in a lane without role (deployed before a check existed) hands it to nobody."""
    from app.engine.deploy import latest_version, load_version_sources

    with session_factory() as session:
        version = latest_version(session, "petit_processus")
        spec = runtime.specs.get(version, lambda vid: load_version_sources(session, vid))[0]
    saisie = next(t for t in spec.task_specs.values() if t.bpmn_id == "saisie")
    saisie.lane = "Couloir inconnu"
    with pytest.raises(IncidentRaised):
        runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    with session_factory() as session:
        assert session.scalars(select(HumanTask)).all() == []
        incident = session.scalars(select(Incident)).one()
        assert "ne correspond à aucun rôle" in incident.message
