"""Timers and the app clock: due timers fire once, from any number of workers."""
from __future__ import annotations

import multiprocessing

from sqlalchemy import func, select

from app.engine.clock import clock
from app.engine.timers import fire_due_timers
from app.models import AuditLog, ProcessInstance

from .conftest import advance_clock, needs_postgres


def fired_count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(AuditLog)
                              .where(AuditLog.action == "timer_fired"))


def test_timer_waits_until_the_clock_passes_its_due_time(session_factory, runtime,
                                                         deployed_fixtures, users):
    instance_id = runtime.start("minuteur_simple", user_id=users["superviseur"].id)
    with session_factory() as session:
        due = session.get(ProcessInstance, instance_id).next_timer_at
    assert abs((due - clock.now()).total_seconds() - 86400) < 5
    advance_clock(hours=23)
    assert fire_due_timers(runtime) == 0
    advance_clock(hours=2)
    assert fire_due_timers(runtime) == 1
    assert fire_due_timers(runtime) == 0  # nothing left: fired exactly once
    assert fired_count(session_factory) == 1
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert (instance.status, instance.next_timer_at) == ("completed", None)


def test_boundary_timer_cancels_the_task_it_is_attached_to(session_factory, runtime,
                                                          deployed_fixtures, users):
    from .test_runtime import open_task

    agent = users["agent.cramif"]
    instance_id = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, instance_id).id, agent, {"montant": 60})
    advance_clock(days=2, seconds=1)
    assert fire_due_timers(runtime) == 1
    with session_factory() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"


def _worker(database_url: str, rounds: int) -> None:
    """A separate OS process running timer passes, as `flask run-timers` does."""
    from app.db import make_engine, make_session_factory, read_session_factory
    from app.engine.runtime import Runtime

    engine = make_engine(database_url)
    clock.bind(read_session_factory(database_url, engine))
    runtime = Runtime(make_session_factory(engine))
    for _ in range(rounds):
        fire_due_timers(runtime, batch=10)
    engine.dispose()


@needs_postgres
def test_two_worker_processes_fire_500_timers_exactly_once(session_factory, runtime,
                                                           deployed_fixtures, users,
                                                           database_url):
    ids = [runtime.start("minuteur_simple", user_id=users["superviseur"].id)
           for _ in range(500)]
    advance_clock(days=2)
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(database_url, 3)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
        assert worker.exitcode == 0
    assert fired_count(session_factory) == 500
    with session_factory() as session:
        statuses = session.execute(select(ProcessInstance.status, func.count())
                                   .where(ProcessInstance.id.in_(ids))
                                   .group_by(ProcessInstance.status)).all()
        per_instance = session.execute(
            select(AuditLog.instance_id, func.count()).where(AuditLog.action == "timer_fired")
            .group_by(AuditLog.instance_id).having(func.count() > 1)).all()
    assert statuses == [("completed", 500)]
    assert per_instance == []


def test_timer_behind_an_event_based_gateway_is_scheduled_and_fires(
        session_factory, runtime, deployed_fixtures, users):
    instance_id = runtime.start("attente_evenement", user_id=users["superviseur"].id,
                                business_key="EVT-1")
    with session_factory() as session:
        assert session.get(ProcessInstance, instance_id).next_timer_at is not None
    advance_clock(days=1, minutes=1)
    assert fire_due_timers(runtime) == 1
    with session_factory() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"


def test_correlated_message_wins_the_race_against_the_timer(session_factory, runtime,
                                                            deployed_fixtures, users):
    instance_id = runtime.start("attente_evenement", user_id=users["superviseur"].id,
                                business_key="EVT-2")
    runtime.send_message("EVT-2", "reponse", {"texte": "bonjour"})
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert (instance.status, instance.next_timer_at) == ("completed", None)
    advance_clock(days=2)
    assert fire_due_timers(runtime) == 0


def test_decimal_and_date_in_a_subprocess_are_saved(session_factory, runtime,
                                                    deployed_fixtures, users):
    instance_id = runtime.start("sous_processus", user_id=users["superviseur"].id)
    advance_clock(days=1, minutes=1)
    assert fire_due_timers(runtime) == 1
    with session_factory() as session:
        assert session.get(ProcessInstance, instance_id).status == "completed"


def test_the_waiting_events_register_is_what_a_walk_of_the_tree_finds(
        session_factory, runtime, deployed_fixtures, users):
    """Steps and timers read the waiting events from SpiffWorkflow's register of them (no
    walk of the task tree): the same tasks as the walk, for a boundary timer, an event-based
    gateway and a process with a subprocess."""
    from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
    from SpiffWorkflow.util.task import TaskState

    from app.engine.persistence import waiting_events

    from .test_instruction_outils import workflow_of
    from .test_runtime import open_task

    agent = users["agent.cramif"]
    boundary = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, boundary).id, agent, {"montant": 60})
    gateway = runtime.start("attente_evenement", user_id=users["superviseur"].id,
                            business_key="EVT-2")
    inside = runtime.start("sous_processus", user_id=users["superviseur"].id)
    for instance_id in (boundary, gateway, inside):
        workflow = workflow_of(session_factory, instance_id)
        walked = {t.id for t in workflow.get_tasks(state=TaskState.WAITING)
                  if isinstance(t.task_spec, CatchingEvent)}
        assert {t.id for t in waiting_events(workflow)} == walked
    assert waiting_events(workflow_of(session_factory, boundary))  # something to compare
    assert waiting_events(workflow_of(session_factory, gateway))
