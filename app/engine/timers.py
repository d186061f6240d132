"""Fire due BPMN timers, exactly once, from any number of worker processes.

A worker claims due instances in batches (`BATCH`) and fires each batch in one transaction
with batched writes (app/engine/timers_batch.py): `FOR UPDATE SKIP LOCKED` on PostgreSQL (so
two workers never pick the same row); on SQLite, no row locks, the instance's optimistic
`lock_version` lets only one firing commit.

Instances are isolated from each other: whatever one raises (a script's SystemExit, an
after-step hook's error…) rolls its batch back, and the batch is fired again one instance at
a time, each in its own savepoint: the failing one becomes an incident of that instance —
which takes it out of the running set — and the others commit. Studio test runs (sandbox
instances) are never fired here: they move their own clock (`Runtime.shift_timers`).
"""
from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from app.models import AppSetting, ProcessInstance

from .clock import clock
from .errors import Conflict, IncidentRaised
from .runtime import Runtime
from .timers_batch import claim, due_query, fire_in_batch

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5
BATCH = 100  # instances per transaction: enough to amortise, few enough to hold locks briefly
# SQLite has one write lock for the whole database, held from a batch's first write to its
# commit: smaller batches there, so pages never wait long behind the timer worker.
SQLITE_BATCH = 20
LAST_PASS_KEY = "timers_derniere_passe"  # app_setting row: the readiness probe reads it
HEARTBEAT_SECONDS = 10.0  # a worker writes its last pass at most this often (not every poll)


def due_instance_ids(session, limit: int, exclude=(), only=None) -> list[int]:
    """Ids of instances due now, earliest first (locked, skipping locked ones, on
    PostgreSQL: the caller's transaction keeps other workers off them)."""
    lock = session.get_bind().dialect.name == "postgresql"
    return list(session.scalars(due_query([ProcessInstance.id], limit, exclude, only, lock)))


def fire_due_timers(runtime: Runtime, batch: int | None = None) -> int:
    """One pass: fire every instance due now; return how many instances were handled."""
    if batch is None:
        batch = BATCH if _dialect(runtime) == "postgresql" else SQLITE_BATCH
    handled = 0
    stuck: set[int] = set()  # failed and still due: left for the next pass, not re-fired now
    while True:
        fired_in_batch = _fire_batch(runtime, batch, stuck)
        handled += fired_in_batch
        if fired_in_batch < batch:
            return handled


def _fire_batch(runtime: Runtime, batch: int, stuck: set[int]) -> int:
    """Fire one batch in one transaction; on any failure, again one instance at a time."""
    postgres = _dialect(runtime) == "postgresql"
    # SQLite: a deferred session reads without the write lock (taken at the batch's first
    # write, kept to its commit).
    factory = runtime.session_factory if postgres else runtime.step_session_factory
    ids: list[int] = []
    try:
        with factory() as session, session.begin():
            instances = claim(session, batch, stuck, lock=postgres)
            ids = [instance.id for instance in instances]
            if instances:
                fire_in_batch(runtime, session, instances)
        return len(ids)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # retried one by one below, each instance isolated
        if not ids:
            raise
        log.info("timer batch of %s instances rolled back (%s): one by one", len(ids),
                 type(err).__name__ if isinstance(err, StaleDataError | OperationalError)
                 else repr(err)[:200])
    _fire_one_by_one(runtime, ids, stuck, postgres)
    return len(ids)


def _fire_one_by_one(runtime: Runtime, ids: list[int], stuck: set[int],
                     postgres: bool) -> None:
    if not postgres:
        # No row locks to hold: one transaction per instance; one fired meanwhile by
        # another worker is refused by its lock_version (or no longer due: skipped).
        for instance_id in ids:
            _fire_one(runtime, instance_id, None, stuck)
        return
    with runtime.session_factory() as session, session.begin():
        # Locked again (those another worker took meanwhile are skipped: fired there), each
        # fired in its own savepoint below.
        for instance_id in due_instance_ids(session, len(ids), stuck, only=ids):
            _fire_one(runtime, instance_id, session, stuck)


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


JOB_ID = "bpmn-timers"


def clock_now() -> datetime:
    """Wall-clock time for the scheduler (the app clock may be moved: not for polling)."""
    return datetime.now(UTC)


class TimerWorker:
    """An APScheduler job polling for due timers (embedded in the app or `flask run-timers`)."""

    def __init__(self, runtime: Runtime, poll_seconds: float = POLL_SECONDS):
        self.runtime = runtime
        self.poll_seconds = poll_seconds
        self.scheduler = None
        self._recorded_at: float | None = None
        # `stop` and the end of a pass both touch the schedule: APScheduler's shutdown holds
        # its job-store lock while it waits for the pass, so a pass that schedules its next
        # run after shutdown began would wait for that lock forever.
        self._schedule_lock = threading.Lock()
        self._stopping = False

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

        self._stopping = False
        self.scheduler = (BlockingScheduler if blocking else BackgroundScheduler)()
        self._schedule(clock_now())
        self.scheduler.start()

    def _schedule(self, when: datetime) -> None:
        """One run at `when`, scheduled again by the run itself once its pass is over.

        Why not an interval job: a pass longer than the interval (a big batch of due
        timers) made APScheduler skip each overdue run and log « maximum number of running
        instances reached » every 0.5 s. A job that is never pending while its pass runs
        cannot overlap, and the next poll comes `poll_seconds` after the end of a pass.
        """
        # A fresh job id each time: the scheduler removes the run that just fired by its id,
        # which must never be the next run's.
        self.scheduler.add_job(self._run, "date", run_date=when, name=JOB_ID,
                               max_instances=1, coalesce=True, misfire_grace_time=None)

    def _run(self) -> None:
        try:
            self.tick()
        finally:
            with self._schedule_lock:
                if not self._stopping and self.scheduler is not None \
                        and self.scheduler.running:
                    self._schedule(clock_now() + timedelta(seconds=self.poll_seconds))

    def stop(self) -> None:
        with self._schedule_lock:  # no pass schedules another one from now on
            self._stopping = True
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
