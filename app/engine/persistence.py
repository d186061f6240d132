"""Load a workflow from its row and save it back: state, human tasks, next timer, step label."""
from __future__ import annotations

from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, inspect, select, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.models import HumanTask, ProcessInstance

from .clock import clock
from .elagage import elaguer, etendre
from .human_tasks import is_flagged
from .invariants import role_for_task
from .serializer import dump_state, load_state
from .specs import form_of


def load_workflow(instance: ProcessInstance, specs, script_engine) -> BpmnWorkflow:
    spec, subprocess_specs = specs[0], specs[1]
    workflow = load_state(etendre(instance.state), spec, subprocess_specs)  # elagage.py
    workflow.script_engine = script_engine
    # What the instance's open human_task rows mirror (sync_human_tasks closes from it).
    workflow.ready_at_load = frozenset(
        str(task.id) for flow in (workflow, *workflow.subprocesses.values())
        for task in flow.tasks.values()  # a flat scan: no tree walk on every load
        if task.state == TaskState.READY and getattr(task.task_spec, "manual", False))
    return workflow


def save_workflow(session, instance: ProcessInstance, workflow: BpmnWorkflow, user_id,
                  open_rows: dict | None = None, recorded: bool = False,
                  writes=None) -> None:
    """The workflow into its instance row, its READY user tasks into `human_task` rows.
    `recorded`: `record_state` has just run (a new instance, inserted with its state).
    `writes` (a step's `StepWrites`, app/engine/step_writes.py): the instance's columns and
    the tasks it closes and opens wait there as rows for the step's last writes, unless the
    instance has changes of its own for the ORM (a retried incident, a new instance)."""
    if writes is not None and not recorded and not inspect(instance).modified:
        writes.instance, writes.row = instance, record_state_unflushed(instance, workflow)
    else:
        writes = None
        if not recorded:
            record_state(instance, workflow)
    sync_human_tasks(session, instance, workflow, user_id, instance.updated_at, open_rows,
                     writes)


def record_state(instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """The instance row's columns that follow the workflow (state, next timer, step)."""
    for name, value in state_columns(instance, workflow).items():
        setattr(instance, name, value)


def state_columns(instance: ProcessInstance, workflow: BpmnWorkflow) -> dict:
    """Those columns' new values, every one always named (a batch writes them in one
    statement: same keys for every row)."""
    now = clock.now()
    ended = workflow.is_completed() and instance.status == "running"
    return {"state": elaguer(workflow, dump_state(workflow)),  # ended: pruned (elagage.py)
            "updated_at": now, "next_timer_at": next_timer_at(workflow),
            "current_step": current_step(workflow),
            "status": "completed" if ended else instance.status,
            "ended_at": now if ended else instance.ended_at}


def record_state_unflushed(instance: ProcessInstance, workflow: BpmnWorkflow) -> dict:
    """`record_state` for a timer batch or a step's last writes: the session's copy gets the
    new values without being dirtied (the ORM would write one UPDATE per row, and read its row
    count at once for its version check); → the row for `write_states` or
    `step_writes._guarded_update`."""
    values = state_columns(instance, workflow)
    row = {"b_id": instance.id, "b_version": instance.lock_version, **values}
    values["lock_version"] = instance.lock_version + 1
    for name, value in values.items():
        set_committed_value(instance, name, value)
    return row


def write_states(session, rows: list[dict]) -> None:
    """The batch's instance rows in ONE executemany UPDATE (a pipeline on psycopg), with the
    optimistic check by hand: every row must still hold the version that was read."""
    if not rows:
        return
    table = ProcessInstance.__table__
    written = session.execute(
        update(table).where(table.c.id == bindparam("b_id"),
                            table.c.lock_version == bindparam("b_version"))
        .values(lock_version=table.c.lock_version + 1), rows).rowcount
    if written != len(rows):
        raise StaleDataError(f"{len(rows) - written} instance(s) du lot modifiée(s) ailleurs")


def ready_user_tasks(workflow: BpmnWorkflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def sync_human_tasks(session, instance, workflow, user_id, now,
                     open_rows: dict | None = None, writes=None) -> None:
    """Mirror READY user tasks into `human_task` rows (new ones opened, gone ones closed).
    `open_rows` (spiff task id → open row), when given, were read already: the timer worker
    reads those of a whole batch of instances in one query (app/engine/timers_batch.py).
    `writes` (a step's `StepWrites`): the rows closed (their new columns; the session's copies
    updated without being dirtied) and opened go there, written by the step, not the ORM."""
    ready = {str(task.id): task for task in ready_user_tasks(workflow)}
    if open_rows is None:
        open_rows = _rows_known(session, instance, workflow, ready)
    if open_rows is None:
        open_rows = {row.spiff_task_id: row for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id,
                                    HumanTask.status == "open")
            .options(lazyload(HumanTask.instance)))}  # the instance is in the session
    for task_id, row in open_rows.items():
        if task_id not in ready:
            _close_row(row, workflow, user_id, now,
                       None if writes is None else writes.closed)
    for task_id, task in ready.items():
        if task_id not in open_rows:
            values = new_task_values(instance, task, now)
            if writes is None:
                session.add(HumanTask(**values))
            else:  # nothing in the step reads it back: no id needed before the commit
                writes.opened.append(values)


def _rows_known(session, instance, workflow, ready: dict) -> dict | None:
    """The open rows without a query, when the step knows them: the rows mirror the tasks
    READY when the workflow was loaded (`ready_at_load`); those to close must be in the
    session (the task a completion read). None: read them (a token moved, a new path)."""
    expected = getattr(workflow, "ready_at_load", None)
    if expected is None or len(session.identity_map) > 200:  # a worker's batch: query
        return None
    held = {row.spiff_task_id: row for row in list(session.identity_map.values())
            if isinstance(row, HumanTask) and row.instance_id == instance.id
            and row.status == "open"}
    if not (expected - ready.keys()) <= held.keys():
        return None
    return {**dict.fromkeys(expected), **held}  # rows that stay open need not be read


def _close_row(row: HumanTask, workflow, user_id, now, closed: list | None) -> None:
    try:
        task = workflow.get_task_from_id(_uuid(row.spiff_task_id))
    except TaskNotFoundException:  # removed from the tree (a superviseur moved the token)
        task = None
    done = task is not None and task.state == TaskState.COMPLETED
    values = {"status": "completed" if done else "cancelled", "completed_at": now,
              "completed_by_id": user_id if done else None}
    if closed is None:
        for name, value in values.items():
            setattr(row, name, value)
        return
    values = {**pending_changes(row), **values}  # a claim at submission, in the same UPDATE
    for name, value in values.items():
        set_committed_value(row, name, value)
    closed.append({"b_id": row.id, **values})


def pending_changes(row) -> dict:
    """The column values changed on an ORM row and not yet flushed (most rows: none, known
    from the row's `modified` flag without looking at each attribute)."""
    state = inspect(row)
    if not state.modified:
        return {}
    columns = row.__table__.c
    return {key: state.attrs[key].value for key in set(state.manager) - state.unmodified
            if key in columns and state.attrs[key].history.has_changes()}


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)


def new_task_values(instance: ProcessInstance, task, now) -> dict:
    """Every column of the `human_task` row of a READY user task but its id."""
    spec = task.task_spec
    # Never a default role: a task whose lane gives none becomes an incident, not an agent's.
    role = role_for_task(spec)
    return {
        "instance_id": instance.id, "spiff_task_id": str(task.id), "element_id": spec.bpmn_id,
        "title": spec.bpmn_name or spec.bpmn_id, "lane": spec.lane or "", "role": role,
        "caisse_code": None if role == "assure" else instance.caisse_code,
        "assignee_id": instance.owner_id if role == "assure" else None, "claimed_by_id": None,
        "form": form_of(spec), "status": "open", "due_at": _due_at(task), "created_at": now,
        "completed_at": None, "completed_by_id": None,
        "decision": is_flagged(spec, "decision"), "recours": is_flagged(spec, "recours")}


def _due_at(task) -> datetime | None:
    """A task's due date: the task data variable named by its `dueDateVariable` property."""
    properties = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
    value = task.data.get(properties.get("dueDateVariable", ""), None)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def refresh_due_timers(workflow: BpmnWorkflow) -> list[str]:
    """Let the due timers of `workflow` fire; → the element ids of the timer events that did
    (for the audit rows of the runtime and of the batch worker)."""
    waiting = waiting_events(workflow)
    workflow.refresh_timers()
    return [task.task_spec.bpmn_id for task in waiting
            if task.state in (TaskState.READY, TaskState.COMPLETED)]


def waiting_events(workflow: BpmnWorkflow) -> list:
    """The catching events that wait (timers, messages, event-based gateways), in every
    subprocess: SpiffWorkflow's own register of them (what `refresh_timers` reads), not a
    walk of the whole task tree (two walks per timer fired, one per step)."""
    return [task for task in workflow.event_manager.tasks.values()
            if task.state == TaskState.WAITING]


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    """Earliest due time among waiting timer events (None if no timer waits)."""
    due = []
    for task in waiting_events(workflow):
        if _waits_on_timer(getattr(task.task_spec, "event_definition", None)):
            moment = timer_due(task)
            if moment is not None:
                due.append(moment)
    return min(due) if due else None


def _waits_on_timer(definition) -> bool:
    # An event-based gateway waits with a MultipleEventDefinition holding the timer.
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def timer_due(task) -> datetime | None:
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):  # cycle timers keep {'cycles', 'next', 'duration'}
        value = value.get("next")
    if not value:
        return None
    try:
        parsed = TimerEventDefinition.parse_time_or_duration(value)
    except Exception:  # noqa: BLE001 - SpiffWorkflow raises bare Exception on bad values
        return None
    return parsed if isinstance(parsed, datetime) else None


def current_step(workflow: BpmnWorkflow) -> str:
    """Names of the user tasks to do; if none, of what the instance waits for."""
    names = _named(ready_user_tasks(workflow)) or _named(
        workflow.get_tasks(state=TaskState.READY | TaskState.WAITING))
    return ", ".join(dict.fromkeys(names))[:200]


def _named(tasks) -> list[str]:
    return [t.task_spec.bpmn_name for t in tasks
            if getattr(t.task_spec, "bpmn_id", None) and t.task_spec.bpmn_name]
