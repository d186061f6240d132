"""Two people completing the same task at the same moment: one wins, one gets a conflict."""
from __future__ import annotations

import threading
from functools import partial

import pytest
from sqlalchemy import func, select, text

from app.engine.errors import Conflict
from app.models import AuditLog, HumanTask

from .conftest import advance_clock, needs_postgres
from .test_runtime import open_task


def race(count: int, action) -> list:
    barrier, outcomes = threading.Barrier(count), []

    def run():
        barrier.wait()
        try:
            action()
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_two_threads_completing_one_task_give_one_success(session_factory, runtime,
                                                          deployed_fixtures, users):
    agent = users["agent.cramif"]
    for _ in range(5):
        instance_id = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
        task_id = open_task(session_factory, instance_id).id
        outcomes = race(2, partial(runtime.complete_task, task_id, agent, {"montant": 60}))
        assert outcomes == ["conflict", "ok"]
        with session_factory() as session:
            completed = session.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "task_completed", AuditLog.instance_id == instance_id))
            tasks = session.scalars(select(HumanTask.title).where(
                HumanTask.instance_id == instance_id).order_by(HumanTask.id)).all()
        assert completed == 1
        assert tasks == ["Saisir un montant", "Valider le montant"]


def test_two_agents_claiming_one_task_give_one_owner(session_factory, runtime,
                                                    deployed_fixtures, users):
    first, second = users["agent.cramif"], users["agent2.cramif"]
    instance_id = runtime.start("petit_processus", user_id=first.id, caisse_code="CRAMIF")
    task_id = open_task(session_factory, instance_id).id
    claimers = iter([first, second])
    lock = threading.Lock()

    def claim():
        with lock:
            who = next(claimers)
        runtime.claim(task_id, who)

    assert race(2, claim) == ["conflict", "ok"]


def test_an_instance_saved_from_a_stale_read_is_refused(session_factory, runtime,
                                                        deployed_fixtures, users):
    """Règle (verrou optimiste) : deux lectures de la même instance, deux écritures — la
    seconde, faite sur un état dépassé, est refusée au lieu d'écraser la première. Vrai sur
    toutes les bases, même quand rien ne tient de verrou de ligne."""
    from sqlalchemy.orm.exc import StaleDataError

    from app.models import ProcessInstance

    instance_id = runtime.start("petit_processus", user_id=users["agent.cramif"].id,
                                caisse_code="CRAMIF")
    first, second = session_factory(), session_factory()
    try:
        mine = first.get(ProcessInstance, instance_id)
        first.commit()  # the read is over (as a page's); the object keeps its version
        theirs = second.get(ProcessInstance, instance_id)
        theirs.current_step = "écrit par l'autre"
        second.commit()
        mine.current_step = "écrit sur un état dépassé"
        with pytest.raises(StaleDataError):
            first.commit()
    finally:
        first.close()
        second.close()


@needs_postgres
def test_two_timer_workers_never_hold_the_same_due_instance(session_factory, runtime,
                                                            deployed_fixtures, users):
    """Règle : un worker qui prend des instances échues les verrouille ; un second worker,
    au même moment, en prend d'autres sans attendre (FOR UPDATE SKIP LOCKED)."""
    from app.engine.timers import due_instance_ids

    for _ in range(6):
        runtime.start("minuteur_simple", user_id=users["superviseur"].id)
    advance_clock(days=2)
    with session_factory() as first, first.begin():
        held = due_instance_ids(first, 3)
        with session_factory() as second, second.begin():
            second.execute(text("SET LOCAL lock_timeout = '2s'"))
            other = due_instance_ids(second, 6)
    assert len(held) == 3 and len(other) == 3
    assert set(held).isdisjoint(other)


def bump_version(session_factory):
    """An after-step hook standing for someone else's step: it changes the instance after
    the step read it, before the step's last writes; and adds a row of its own to the step
    (as a letter does), which the ORM writes before them."""
    from sqlalchemy import update

    from app.engine.clock import clock
    from app.models import ProcessInstance

    def someone_else_writes(context) -> None:
        with session_factory() as other, other.begin():
            other.execute(update(ProcessInstance).where(
                ProcessInstance.id == context.instance.id).values(
                lock_version=ProcessInstance.lock_version + 1, current_step="ailleurs"))
        context.session.add(AuditLog(at=clock.now(), action="ligne_d_un_crochet",
                                     instance_id=context.instance.id))
    return someone_else_writes


def test_a_step_whose_instance_changed_meanwhile_commits_nothing(session_factory, runtime,
                                                                deployed_fixtures, users):
    """Règle (verrou optimiste d'une étape) : si l'instance a changé entre la lecture de
    l'étape et ses écritures, l'étape entière est refusée — ni tâche close, ni ligne d'audit,
    ni état. Sur PostgreSQL, ses écritures et son COMMIT partent ensemble : c'est le serveur
    qui refuse (`version_attendue`) ; la connexion reste saine pour l'étape suivante."""
    from app.models import ProcessInstance

    agent = users["agent.cramif"]
    someone_else_writes = bump_version(session_factory)

    for _ in range(3):  # the pooled connections stay usable after a refused step
        instance_id = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
        runtime.complete_task(open_task(session_factory, instance_id).id, agent,
                              {"montant": 60})
        last = open_task(session_factory, instance_id)
        runtime.after_step_hooks.append(someone_else_writes)
        try:
            with pytest.raises(Conflict):
                runtime.complete_task(last.id, agent, {})
        finally:
            runtime.after_step_hooks.remove(someone_else_writes)
        with session_factory() as session:
            instance = session.get(ProcessInstance, instance_id)
            assert (instance.status, instance.current_step) == ("running", "ailleurs")
            assert session.get(HumanTask, last.id).status == "open"
            assert session.get(HumanTask, last.id).claimed_by_id is None
            assert session.scalar(select(func.count()).select_from(AuditLog).where(
                AuditLog.action == "task_completed",
                AuditLog.instance_id == instance_id)) == 1
        runtime.complete_task(last.id, agent, {})  # read again: it goes through
        with session_factory() as session:
            assert session.get(ProcessInstance, instance_id).status == "completed"


def test_a_refused_step_leaves_no_row_at_all(session_factory, runtime, deployed_fixtures,
                                            users):
    """Règle : les écritures d'une étape forment une transaction, même celles qui partent
    avant ses dernières (les lignes d'un crochet, un courrier) ; PostgreSQL lit l'étape hors
    transaction et envoie BEGIN juste avant sa première écriture."""
    agent = users["agent.cramif"]
    instance_id = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    first = open_task(session_factory, instance_id)
    someone_else_writes = bump_version(session_factory)
    runtime.after_step_hooks.append(someone_else_writes)
    try:
        with pytest.raises(Conflict):
            runtime.complete_task(first.id, agent, {"montant": 60})  # opens « Valider »
    finally:
        runtime.after_step_hooks.remove(someone_else_writes)
    with session_factory() as session:
        assert session.scalars(select(HumanTask.title).where(
            HumanTask.instance_id == instance_id)).all() == ["Saisir un montant"]
        assert session.get(HumanTask, first.id).status == "open"
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "ligne_d_un_crochet")) == 0
