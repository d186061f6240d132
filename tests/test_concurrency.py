"""Two people completing the same task at the same moment: one wins, one gets a conflict."""
from __future__ import annotations

import threading
from functools import partial

from sqlalchemy import func, select

from app.engine.errors import Conflict
from app.models import AuditLog, HumanTask

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
