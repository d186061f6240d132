"""Fire due BPMN timers, exactly once, from any number of worker processes.

A worker claims due instances with `FOR UPDATE SKIP LOCKED` on PostgreSQL (so two workers never
pick the same row) and fires each in its own transaction through the runtime. SQLite has no
row locks, but the instance's optimistic `lock_version` still lets only one firing commit.
"""
from __future__ import annotations

import logging

from sqlalchemy import select

from app.models import ProcessInstance

from .clock import clock
from .errors import Conflict, IncidentRaised
from .runtime import Runtime

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


def due_instance_ids(session, limit: int) -> list[int]:
    query = (select(ProcessInstance.id)
             .where(ProcessInstance.status == "running",
                    ProcessInstance.next_timer_at <= clock.now())
             .order_by(ProcessInstance.next_timer_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def fire_due_timers(runtime: Runtime, batch: int = 20) -> int:
    """One pass: fire every instance due now; return how many instances were handled."""
    handled = 0
    while True:
        fired_in_batch = _fire_batch(runtime, batch)
        handled += fired_in_batch
        if fired_in_batch < batch:
            return handled


def _fire_batch(runtime: Runtime, batch: int) -> int:
    with runtime.session_factory() as session, session.begin():
        # The lock held by this transaction keeps other workers off these rows while
        # each one is fired in its own nested transaction below.
        ids = due_instance_ids(session, batch)
        for instance_id in ids:
            _fire_one(runtime, instance_id, session)
    return len(ids)


def _fire_one(runtime: Runtime, instance_id: int, session) -> None:
    try:
        runtime.fire_timers(instance_id, session=session)
    except Conflict:
        log.info("timer of instance %s fired elsewhere", instance_id)
    except IncidentRaised as err:
        log.warning("timer of instance %s raised incident %s", instance_id, err.incident_id)


class TimerWorker:
    """An APScheduler job polling for due timers (embedded in the app or `flask run-timers`)."""

    def __init__(self, runtime: Runtime, poll_seconds: float = POLL_SECONDS):
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.scheduler = None

    def tick(self) -> None:
        try:
            fire_due_timers(self.runtime)
        except Exception:  # keep the job alive; a failing instance shows as an incident
            log.exception("timer pass failed")

    def start(self, blocking: bool = False) -> None:
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.scheduler = (BlockingScheduler if blocking else BackgroundScheduler)()
        # One pass at a time per worker; late passes are merged, never stacked.
        self.scheduler.add_job(self.tick, "interval", seconds=self.poll_seconds,
                               max_instances=1, coalesce=True, id="bpmn-timers")
        self.scheduler.start()

    def stop(self) -> None:
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
