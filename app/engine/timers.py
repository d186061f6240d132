"""Fire due BPMN timers, exactly once, from any number of worker processes.

A worker claims due instances with `FOR UPDATE SKIP LOCKED` on PostgreSQL (so two workers never
pick the same row) and fires each in its own savepoint through the runtime. SQLite has no
row locks: each instance fires in its own transaction, and the instance's optimistic
`lock_version` lets only one firing commit.

Instances are isolated from each other: whatever one raises (a script's SystemExit, an
after-step hook's error…) becomes an incident of that instance — which takes it out of the
running set — and the pass goes on with the others. Studio test runs (sandbox instances) are
never fired here: they move their own clock (`Runtime.shift_timers`).
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.models import AppSetting, ProcessInstance

from .clock import clock
from .errors import Conflict, IncidentRaised
from .runtime import Runtime

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
LAST_PASS_KEY = "timers_derniere_passe"  # app_setting row: the readiness probe reads it
HEARTBEAT_SECONDS = 10.0  # a worker writes its last pass at most this often (not every poll)


def due_instance_ids(session, limit: int, exclude=()) -> list[int]:
    query = (select(ProcessInstance.id)
             .where(ProcessInstance.status == "running",
                    ProcessInstance.sandbox.is_(False),
                    ProcessInstance.next_timer_at <= clock.now())
             .order_by(ProcessInstance.next_timer_at).limit(limit))
    if exclude:
        query = query.where(ProcessInstance.id.not_in(list(exclude)))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def fire_due_timers(runtime: Runtime, batch: int = 20) -> int:
    """One pass: fire every instance due now; return how many instances were handled."""
    handled = 0
    stuck: set[int] = set()  # failed and still due: left for the next pass, not re-fired now
    while True:
        fired_in_batch = _fire_batch(runtime, batch, stuck)
        handled += fired_in_batch
        if fired_in_batch < batch:
            return handled


def _fire_batch(runtime: Runtime, batch: int, stuck: set[int]) -> int:
    if _dialect(runtime) != "postgresql":
        # No row locks to hold: pick the ids without any transaction, then one transaction
        # per instance (the write lock is never held across instances or while picking).
        with runtime.step_session_factory() as session:
            ids = due_instance_ids(session, batch, stuck)
        for instance_id in ids:
            _fire_one(runtime, instance_id, None, stuck)
        return len(ids)
    with runtime.session_factory() as session, session.begin():
        # The lock held by this transaction keeps other workers off these rows while
        # each one is fired in its own savepoint below.
        ids = due_instance_ids(session, batch, stuck)
        for instance_id in ids:
            _fire_one(runtime, instance_id, session, stuck)
    return len(ids)


def _dialect(runtime: Runtime) -> str:
    bind = runtime.session_factory.kw.get("bind")
    return bind.dialect.name if bind is not None else ""


def _fire_one(runtime: Runtime, instance_id: int, session, stuck: set[int]) -> None:
    """Fire one instance; nothing it raises reaches the other instances of the pass."""
    try:
        runtime.fire_timers(instance_id, session=session)
    except Conflict:
        log.info("timer of instance %s fired elsewhere", instance_id)
        stuck.add(instance_id)
    except IncidentRaised as err:
        log.warning("timer of instance %s raised incident %s", instance_id, err.incident_id)
    except KeyboardInterrupt:
        raise
    except OperationalError:  # database busy or gone: retried at the next pass
        log.exception("timer of instance %s not fired (database)", instance_id)
        stuck.add(instance_id)
    except BaseException as err:  # noqa: BLE001 - isolate the instance, whatever happened
        stuck.add(instance_id)
        try:
            incident_id = runtime.record_failure(instance_id, err, {"type": "timers"},
                                                 outer=session)
            log.warning("timer of instance %s raised incident %s", instance_id, incident_id)
        except Exception:
            log.exception("timer of instance %s failed; no incident could be recorded",
                          instance_id)


def record_pass(session_factory) -> None:
    """Say, for the readiness probe, that a timer worker has just finished a pass."""
    with session_factory() as session, session.begin():
        session.merge(AppSetting(key=LAST_PASS_KEY, value=clock.now().isoformat()))


def last_pass(session) -> datetime | None:
    """When a timer worker (any of them) last finished a pass, by the app clock."""
    row = session.get(AppSetting, LAST_PASS_KEY)
    try:
        return datetime.fromisoformat(row.value) if row else None
    except ValueError:
        return None


class TimerWorker:
    """An APScheduler job polling for due timers (embedded in the app or `flask run-timers`)."""

    def __init__(self, runtime: Runtime, poll_seconds: float = POLL_SECONDS):
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.scheduler = None
        self._recorded_at: float | None = None

    def tick(self) -> None:
        try:
            fire_due_timers(self.runtime)
        except Exception:  # keep the job alive; a failing instance shows as an incident
            log.exception("timer pass failed")
            return  # a failed pass is no sign of life
        self._heartbeat()

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if self._recorded_at is not None and now - self._recorded_at < HEARTBEAT_SECONDS:
            return
        try:
            record_pass(self.runtime.session_factory)
            self._recorded_at = now
        except Exception:  # database busy: said at the next pass
            log.exception("timer pass not recorded")

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
