"""Load a workflow from its row and save it back: state, human tasks, next timer, step label."""
from __future__ import annotations

from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.models import HumanTask, ProcessInstance

from .clock import clock
from .human_tasks import is_flagged
from .invariants import role_for_task
from .serializer import dump_state, load_state
from .specs import form_of


def load_workflow(instance: ProcessInstance, specs, script_engine) -> BpmnWorkflow:
    spec, subprocess_specs = specs[0], specs[1]
    workflow = load_state(instance.state, spec, subprocess_specs)
    workflow.script_engine = script_engine
    return workflow


def save_workflow(session, instance: ProcessInstance, workflow: BpmnWorkflow, user_id) -> None:
    now = clock.now()
    instance.state = dump_state(workflow)
    instance.updated_at = now
    instance.next_timer_at = next_timer_at(workflow)
    instance.current_step = current_step(workflow)
    if workflow.is_completed() and instance.status == "running":
        instance.status, instance.ended_at = "completed", now
    sync_human_tasks(session, instance, workflow, user_id, now)


def ready_user_tasks(workflow: BpmnWorkflow):
    return workflow.get_tasks(state=TaskState.READY, manual=True)


def sync_human_tasks(session, instance, workflow, user_id, now) -> None:
    """Mirror READY user tasks into `human_task` rows (new ones opened, gone ones closed)."""
    open_rows = {row.spiff_task_id: row for row in session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance.id,
                                HumanTask.status == "open"))}
    ready = {str(task.id): task for task in ready_user_tasks(workflow)}
    for task_id, row in open_rows.items():
        if task_id not in ready:
            _close_row(row, workflow, user_id, now)
    for task_id, task in ready.items():
        if task_id not in open_rows:
            session.add(_new_row(instance, task, now))


def _close_row(row: HumanTask, workflow, user_id, now) -> None:
    try:
        task = workflow.get_task_from_id(_uuid(row.spiff_task_id))
    except TaskNotFoundException:  # removed from the tree (a superviseur moved the token)
        task = None
    done = task is not None and task.state == TaskState.COMPLETED
    row.status = "completed" if done else "cancelled"
    row.completed_at = now
    row.completed_by_id = user_id if done else None


def _uuid(value: str):
    from uuid import UUID

    return UUID(value)


def _new_row(instance: ProcessInstance, task, now) -> HumanTask:
    spec = task.task_spec
    # Never a default role: a task whose lane gives none becomes an incident, not an agent's.
    role = role_for_task(spec)
    return HumanTask(
        instance_id=instance.id, spiff_task_id=str(task.id), element_id=spec.bpmn_id,
        title=spec.bpmn_name or spec.bpmn_id, lane=spec.lane or "", role=role,
        caisse_code=None if role == "assure" else instance.caisse_code,
        assignee_id=instance.owner_id if role == "assure" else None,
        form=form_of(spec), status="open", due_at=_due_at(task), created_at=now,
        decision=is_flagged(spec, "decision"), recours=is_flagged(spec, "recours"))


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


def next_timer_at(workflow: BpmnWorkflow) -> datetime | None:
    """Earliest due time among waiting timer events (None if no timer waits)."""
    due = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
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
