"""Batch migration: compatible instances move to the new version and carry on; the others
are reported with the reason and left exactly as they were."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.deploy import latest_version
from app.engine.migration import check_instances, migrate_instances
from app.models import AuditLog, HumanTask, ProcessInstance

from .conftest import advance_clock, deploy_folder

# Version 2 of the small process: a new check after « Saisir un montant », and « Valider le
# montant » (with its timer) removed — large amounts now end at once.
V2_EDITS = [
    ('<bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="calcul" />',
     ('<bpmn:sequenceFlow id="f2" sourceRef="saisie" targetRef="controle" />'
     '<bpmn:userTask id="controle" name="Contrôler la saisie"><bpmn:incoming>f2</bpmn:incoming>'
     '<bpmn:outgoing>f2b</bpmn:outgoing></bpmn:userTask>'
     '<bpmn:sequenceFlow id="f2b" sourceRef="controle" targetRef="calcul" />')),
    ('<bpmn:flowNodeRef>calcul</bpmn:flowNodeRef>',
     '<bpmn:flowNodeRef>calcul</bpmn:flowNodeRef><bpmn:flowNodeRef>controle</bpmn:flowNodeRef>'),
    ('sourceRef="choix" targetRef="validation"', 'sourceRef="choix" targetRef="fin"'),
]


def edit(path, pairs):
    text = path.read_text()
    for old, new in pairs:
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)


def remove_validation(path):
    """Drop « validation », its timer and their flows (and DI) from the diagram."""
    import re

    text = path.read_text()
    text = re.sub(r'<bpmn:userTask id="validation".*?</bpmn:userTask>', "", text, flags=re.DOTALL)
    text = re.sub(r'<bpmn:boundaryEvent id="delai".*?</bpmn:boundaryEvent>', "", text,
                  flags=re.DOTALL)
    text = re.sub(r'<bpmn:endEvent id="fin_delai".*?</bpmn:endEvent>', "", text, flags=re.DOTALL)
    for flow in ("f6", "f7"):
        text = re.sub(rf'<bpmn:sequenceFlow id="{flow}"[^>]*/>', "", text)
    for ref in ("validation", "delai", "fin_delai"):
        text = text.replace(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>", "")
    text = re.sub(r"<bpmndi:BPMNDiagram.*</bpmndi:BPMNDiagram>", "", text, flags=re.DOTALL)
    path.write_text(text)


@pytest.fixture
def agent(users):
    return users["agent.cramif"]


@pytest.fixture
def superviseur(users):
    return users["superviseur"]


def open_task(session_factory, instance_id) -> HumanTask:
    with session_factory() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.status == "open")).one()


def row(session_factory, instance_id):
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        return (instance.process_version.version, instance.lock_version, instance.state,
                instance.status)


def target(session_factory, key="petit_processus"):
    with session_factory() as session:
        return latest_version(session, key)


@pytest.fixture
def two_instances(session_factory, runtime, folders, agent):
    """v1 deployed; « a » waits at « Saisir un montant », « b » at « Valider le montant »;
    then v2 deployed (new check after the input, validation removed)."""
    deploy_folder(session_factory, *folders)
    a = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    b = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, b).id, agent, {"montant": 60})
    edit(folders[0] / "petit_processus.bpmn", V2_EDITS)
    remove_validation(folders[0] / "petit_processus.bpmn")
    assert deploy_folder(session_factory, *folders).new_versions == {"petit_processus": 2}
    return a, b


def test_precheck_says_which_instance_can_move_and_why_the_other_cannot(
        session_factory, runtime, two_instances):
    a, b = two_instances
    with session_factory() as session:
        checks = {c.instance_id: c for c in check_instances(
            runtime, session, [a, b], target(session_factory))}
    assert checks[a].movable and checks[a].reasons == []
    assert not checks[b].movable
    assert any("validation" in reason and "n'existe plus" in reason
               for reason in checks[b].reasons), checks[b].reasons


def test_precheck_changes_nothing(session_factory, runtime, two_instances):
    a, b = two_instances
    before = [row(session_factory, i) for i in (a, b)]
    with session_factory() as session:
        check_instances(runtime, session, [a, b], target(session_factory))
    assert [row(session_factory, i) for i in (a, b)] == before


def test_compatible_instance_moves_and_continues_on_the_new_path(
        session_factory, runtime, two_instances, agent, superviseur):
    a, b = two_instances
    task_before = open_task(session_factory, a)
    report = migrate_instances(runtime, [a, b], target(session_factory).id, superviseur)
    assert report.moved == [a]
    assert row(session_factory, a)[0] == 2
    # Same human task row (claims and links kept), then the new step of version 2.
    assert open_task(session_factory, a).id == task_before.id
    runtime.complete_task(task_before.id, agent, {"montant": 60})
    assert open_task(session_factory, a).title == "Contrôler la saisie"
    runtime.complete_task(open_task(session_factory, a).id, agent, {})
    assert row(session_factory, a)[3] == "completed"


def test_incompatible_instance_is_reported_and_left_intact(session_factory, runtime,
                                                            two_instances, agent, superviseur):
    a, b = two_instances
    before = row(session_factory, b)
    report = migrate_instances(runtime, [a, b], target(session_factory).id,
                               superviseur)
    assert b in report.refused and "validation" in " ".join(report.refused[b])
    assert row(session_factory, b) == before
    # …and it still finishes on version 1.
    runtime.complete_task(open_task(session_factory, b).id, agent, {})
    assert row(session_factory, b)[3] == "completed"


def test_migration_is_recorded_per_instance_and_for_the_batch(session_factory, runtime,
                                                              two_instances, superviseur):
    a, b = two_instances
    migrate_instances(runtime, [a, b], target(session_factory).id, superviseur)
    with session_factory() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action.in_(
            ["instance_migree", "migration_lot"])).order_by(AuditLog.id)).all()
    assert [(r.action, r.instance_id) for r in rows] == [("instance_migree", a),
                                                          ("migration_lot", None)]
    assert rows[0].details == {"de": 1, "vers": 2}
    assert rows[1].details["migrees"] == [a] and str(b) in rows[1].details["refusees"]


def test_a_waiting_timer_keeps_its_due_time_when_moved(session_factory, runtime, folders,
                                                       agent, superviseur):
    deploy_folder(session_factory, *folders)
    c = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, c).id, agent, {"montant": 60})
    with session_factory() as session:
        due = session.get(ProcessInstance, c).next_timer_at
    edit(folders[0] / "petit_processus.bpmn", [('name="Valider le montant"',
                                                'name="Valider le montant saisi"'),
                                               ('"P2D"', '"P10D"')])
    deploy_folder(session_factory, *folders)
    report = migrate_instances(runtime, [c], target(session_factory).id,
                               superviseur)
    assert report.moved == [c]
    with session_factory() as session:
        assert session.get(ProcessInstance, c).next_timer_at == due
    assert open_task(session_factory, c).title == "Valider le montant saisi"
    advance_clock(days=3)
    assert runtime.fire_timers(c) == ["delai"]
    assert row(session_factory, c)[3] == "completed"


def test_instances_with_an_incident_or_already_on_the_version_do_not_move(
        session_factory, runtime, two_instances, superviseur):
    a, _b = two_instances
    migrate_instances(runtime, [a], target(session_factory).id, superviseur)
    with session_factory() as session:
        (check,) = check_instances(runtime, session, [a], target(session_factory))
    assert check.reasons == ["déjà en version 2"]


def test_an_instance_with_an_incident_does_not_move(session_factory, runtime, folders, agent,
                                                    superviseur):
    from app.engine.errors import IncidentRaised

    deploy_folder(session_factory, *folders)
    fragile = runtime.start("etape_fragile", user_id=agent.id, caisse_code="CRAMIF")
    with pytest.raises(IncidentRaised):
        runtime.complete_task(open_task(session_factory, fragile).id, agent, {"diviseur": 0})
    edit(folders[0] / "etape_fragile.bpmn", [('name="Suite"', 'name="Et ensuite"')])
    deploy_folder(session_factory, *folders)
    report = migrate_instances(runtime, [fragile], target(session_factory, "etape_fragile").id,
                               superviseur)
    assert report.moved == [] and "incident" in report.refused[fragile][0]
