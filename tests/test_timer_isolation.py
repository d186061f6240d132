"""Timers are isolated: one poisoned instance (a script raising SystemExit, an after-step hook
failing) becomes an incident of its own and every other due timer still fires, once, in the
same pass; studio test runs are never fired by the production worker."""
from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from app.engine.deploy import read_folders
from app.engine.sandbox import start_test_run
from app.engine.specs import Sources
from app.engine.timers import fire_due_timers
from app.models import AuditLog, Incident, ProcessInstance

from .conftest import FIXTURES, advance_clock, deploy_folder
from .test_script_limits import script_process

HEALTHY = 100

# The timer path of this process runs a script raising SystemExit.
POISON = script_process("minuteur_poison", "raise SystemExit('poison')").replace(
    '<bpmn:sequenceFlow id="f0" sourceRef="debut" targetRef="calculer" />',
    '<bpmn:sequenceFlow id="f0" sourceRef="debut" targetRef="attente" />'
    '<bpmn:sequenceFlow id="ft" sourceRef="attente" targetRef="calculer" />').replace(
    '<bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>',
    '<bpmn:incoming>ft</bpmn:incoming><bpmn:outgoing>f1</bpmn:outgoing>').replace(
    '<bpmn:flowNodeRef>fin</bpmn:flowNodeRef>',
    '<bpmn:flowNodeRef>fin</bpmn:flowNodeRef><bpmn:flowNodeRef>attente</bpmn:flowNodeRef>'
).replace('<bpmn:endEvent id="fin">', """<bpmn:intermediateCatchEvent id="attente" name="Attendre">
      <bpmn:incoming>f0</bpmn:incoming><bpmn:outgoing>ft</bpmn:outgoing>
      <bpmn:timerEventDefinition id="attente_def"><bpmn:timeDuration>"PT12H"</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="fin">""")


@pytest.fixture
def deployed(session_factory, deployed_fixtures):
    from app.engine.deploy import deploy

    with session_factory() as session, session.begin():
        deploy(session, Sources(bpmn={"minuteur_poison.bpmn": POISON}), "test")


def timer_audit(session_factory) -> dict[int, int]:
    with session_factory() as session:
        return dict(session.execute(select(AuditLog.instance_id, func.count())
                                    .where(AuditLog.action == "timer_fired")
                                    .group_by(AuditLog.instance_id)).all())


def status_of(session_factory, instance_id) -> str:
    with session_factory() as session:
        return session.get(ProcessInstance, instance_id).status


def incident_message(session_factory, instance_id) -> str:
    with session_factory() as session:
        return session.scalars(select(Incident.message).where(
            Incident.instance_id == instance_id)).one()


def test_a_poisoned_instance_does_not_stop_the_others(session_factory, runtime, deployed,
                                                      users):
    who = users["superviseur"].id
    # Started first: the poisoned ones are due first and share the first batch.
    script_poison = runtime.start("minuteur_poison", user_id=who)
    hook_poison = runtime.start("minuteur_simple", user_id=who)
    healthy = [runtime.start("minuteur_simple", user_id=who) for _ in range(HEALTHY)]

    def failing_hook(context):  # e.g. a letter or the dossier sync going wrong
        if context.instance.id == hook_poison:
            raise SystemExit("courrier impossible")

    runtime.after_step_hooks.append(failing_hook)
    advance_clock(days=1, minutes=1)

    began = time.perf_counter()
    handled = fire_due_timers(runtime)
    latency = time.perf_counter() - began
    print(f"\n{HEALTHY} minuteurs sains + 2 empoisonnés : une passe en {latency:.2f} s "
          f"({latency / (HEALTHY + 2) * 1000:.1f} ms par instance)")

    assert handled == HEALTHY + 2
    audit = timer_audit(session_factory)
    assert {i: audit.get(i) for i in healthy} == dict.fromkeys(healthy, 1)  # all, once each
    assert script_poison not in audit and hook_poison not in audit  # rolled back
    with session_factory() as session:
        statuses = dict(session.execute(select(ProcessInstance.status, func.count()).where(
            ProcessInstance.id.in_(healthy)).group_by(ProcessInstance.status)).all())
    assert statuses == {"completed": HEALTHY}
    assert status_of(session_factory, script_poison) == "incident"
    assert "Le script de « Calculer » a levé SystemExit : poison" in \
        incident_message(session_factory, script_poison)
    assert status_of(session_factory, hook_poison) == "incident"
    assert "failing_hook" in incident_message(session_factory, hook_poison)
    assert "SystemExit" in incident_message(session_factory, hook_poison)
    # Incidents leave the running set: the next pass has nothing to do (no hot loop).
    assert fire_due_timers(runtime) == 0
    assert timer_audit(session_factory) == audit


def test_a_hook_raising_an_ordinary_error_is_an_incident_too(session_factory, runtime,
                                                             deployed, users):
    who = users["superviseur"].id
    ids = [runtime.start("minuteur_simple", user_id=who) for _ in range(3)]

    def sync_dossier(context):
        if context.instance.id == ids[1]:
            raise ValueError("champs de dossier inconnus : ['statu']")

    runtime.after_step_hooks.append(sync_dossier)
    advance_clock(days=1, minutes=1)
    assert fire_due_timers(runtime) == 3
    assert [status_of(session_factory, i) for i in ids] == ["completed", "incident",
                                                            "completed"]
    message = incident_message(session_factory, ids[1])
    assert "sync_dossier" in message and "champs de dossier inconnus" in message


def test_an_instance_whose_incident_cannot_be_recorded_does_not_loop(
        session_factory, runtime, deployed, users, monkeypatch):
    who = users["superviseur"].id
    poison = runtime.start("minuteur_poison", user_id=who)
    healthy = [runtime.start("minuteur_simple", user_id=who) for _ in range(12)]

    def broken(*args, **kwargs):
        raise RuntimeError("base indisponible pour les incidents")

    monkeypatch.setattr(runtime, "_record_incident", broken)
    advance_clock(days=1, minutes=1)
    began = time.perf_counter()
    assert fire_due_timers(runtime, batch=5) == 13  # the stuck one is handled once
    assert time.perf_counter() - began < 5
    assert set(timer_audit(session_factory)) == set(healthy)
    assert status_of(session_factory, poison) == "running"  # left for a later pass


def test_the_worker_never_fires_a_test_run(session_factory, runtime, deployed, users):
    analyste = users["analyste"]
    sources = read_folders(FIXTURES / "processes", FIXTURES / "forms")
    essai = start_test_run(runtime, sources, "minuteur_simple", analyste)
    real = runtime.start("minuteur_simple", user_id=users["superviseur"].id)
    advance_clock(days=3)
    assert fire_due_timers(runtime) == 1
    assert set(timer_audit(session_factory)) == {real}
    with session_factory() as session:
        instance = session.get(ProcessInstance, essai)
        assert (instance.sandbox, instance.status) == (True, "running")
        assert instance.next_timer_at is not None
    # Its own clock still moves it.
    from datetime import timedelta

    assert runtime.shift_timers(essai, timedelta(days=1), analyste) == ["attente"]
    assert status_of(session_factory, essai) == "completed"


def test_the_shared_fixtures_hold_no_poison_process(session_factory, folders):
    # The poison process lives in this file, not in tests/fixtures (other tests copy it):
    # the shared fixtures deploy as they are, each process once, the poison not among them.
    report = deploy_folder(session_factory, *folders)
    expected = {path.stem for path in folders[0].glob("*.bpmn")}
    assert set(report.new_versions) == expected
    assert not any("poison" in key for key in report.new_versions)
