"""Fire a batch of due instances in one transaction, with batched reads and writes.

Why: one transaction per instance costs a handful of round trips and a commit each; a worker
that fires a few hundred instances at once reads their rows and open human tasks in two
queries, steps each workflow in memory, and lets one flush write every state, human task,
audit row and hook row (executemany / multi-row INSERT), then commits once.

Isolation is kept by retrying: if anything fails for one instance (a script, a hook, the
save), the whole batch is rolled back and fired again one instance at a time, each in its
own savepoint (`timers._fire_one`), so the failing one becomes an incident of its own and
the others commit. A failure is rare; the fast path pays for no savepoint.

Exactly once: on PostgreSQL the batch's rows are claimed `FOR UPDATE SKIP LOCKED` for the
whole transaction (another worker takes the next rows without waiting). SQLite has no row
locks: rows are read outside any transaction and the optimistic `lock_version` of every
UPDATE refuses a batch that another worker fired meanwhile (it is then retried one by one,
and the instances fired elsewhere are skipped).
"""
from __future__ import annotations

import logging

from sqlalchemy import and_, false, literal_column, select
from sqlalchemy.orm import lazyload, undefer

from app.models import HumanTask, ProcessInstance
from app.models.dossier import lire_dossiers_du_lot, oublier_dossiers_du_lot
from app.models.records import ecrire_journal

from . import effects as fx
from .clock import clock
from .persistence import (
    load_workflow,
    record_state_unflushed,
    refresh_due_timers,
    save_workflow,
    write_states,
)
from .step import StepContext, _EngineGuard, audit_batch

log = logging.getLogger(__name__)


def due_queue():
    """The due-queue predicate, as the partial index `ix_instance_due_queue` states it
    (literal status, `sandbox = false`): both databases then scan that index only."""
    return and_(ProcessInstance.status == literal_column("'running'"),
                ProcessInstance.sandbox == false(),
                ProcessInstance.next_timer_at.is_not(None))


def due_query(columns, limit: int, exclude=(), only=None, lock: bool = False):
    query = (select(*columns).where(due_queue(), ProcessInstance.next_timer_at <= clock.now())
             .order_by(ProcessInstance.next_timer_at).limit(limit))
    if exclude:
        query = query.where(ProcessInstance.id.not_in(list(exclude)))
    if only is not None:
        query = query.where(ProcessInstance.id.in_(list(only)))
    if lock:  # only the instance rows: the joined version row is shared by every worker
        query = query.with_for_update(skip_locked=True, of=ProcessInstance)
    return query


def claim(session, limit: int, exclude, lock: bool) -> list[ProcessInstance]:
    """The batch's instance rows, state included, in one query (locked on PostgreSQL)."""
    query = due_query([ProcessInstance], limit, exclude, lock=lock).options(
        undefer(ProcessInstance.state))
    return list(session.scalars(query).unique())


def open_rows_of(session, instance_ids: list[int]) -> dict[int, dict]:
    """Open human tasks of the batch in one query: instance id → {spiff task id: row}.
    The rows' instance is already in the session: never joined again (nor its state)."""
    found: dict[int, dict] = {i: {} for i in instance_ids}
    for row in session.scalars(select(HumanTask).where(
            HumanTask.instance_id.in_(instance_ids), HumanTask.status == "open")
            .options(lazyload(HumanTask.instance))):
        found[row.instance_id][row.spiff_task_id] = row
    return found


def fire_in_batch(runtime, session, instances: list[ProcessInstance]) -> None:
    """Step every instance of the batch in `session` (nothing flushed in between)."""
    ids = [i.id for i in instances]
    open_rows = open_rows_of(session, ids)
    lire_dossiers_du_lot(session, ids)  # for the hooks (dossier, letters): one query
    try:
        with session.no_autoflush, audit_batch(session):
            states = [fire_instance(runtime, session, instance, open_rows[instance.id])
                      for instance in instances]
            write_states(session, states)  # the batch's instances: one statement
            ecrire_journal(session)  # its audit lines, the hooks' included: one more
    finally:  # a failed batch is rolled back: its objects must not serve the retries
        oublier_dossiers_du_lot(session)


def fire_instance(runtime, session, instance: ProcessInstance, open_rows: dict) -> dict:
    """What `Runtime.fire_timers` does for one instance, minus its own transaction and the
    UPDATE of its row; → that row's new values (`write_states` writes the batch's)."""
    with fx.collecting() as collected:
        workflow = load_workflow(instance, runtime._specs(session, instance.process_version),
                                 runtime.script_engine)
        for element in refresh_due_timers(workflow):
            runtime._audit(session, "timer_fired", instance.id, None, element)
        workflow.do_engine_steps(will_complete_task=_EngineGuard())
        state = record_state_unflushed(instance, workflow)
        save_workflow(session, instance, workflow, None, open_rows=open_rows, recorded=True)
    context = StepContext(session, instance, workflow, list(collected), None)
    for hook in runtime.after_step_hooks:
        hook(context)
    return state
