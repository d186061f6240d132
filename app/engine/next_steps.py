"""What a dossier is doing now and what comes next, read from its instance's task tree: the
user tasks READY now (« en cours »), the waiting timers with their due date and the first
named step after them in the diagram, and the next user tasks SpiffWorkflow predicts on the
default path (FUTURE / LIKELY).
"""
from __future__ import annotations

from datetime import UTC, datetime

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.models import HumanTask

from .persistence import timer_due
from .specs import task_property
from .timeline import A_VENIR, EN_COURS, GATEWAYS, Entree, actor_of, is_timer, name_of, phase_of

MAX_PREVUES = 3


def en_cours(session, workflow, instance) -> list[Entree]:
    """The user tasks READY now, since their row was created, with their due date."""
    rows = {row.spiff_task_id: row for row in session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == "open"))}
    entries = []
    for task in workflow.get_tasks(state=TaskState.READY, manual=True):
        row = rows.get(str(task.id))
        entries.append(Entree(EN_COURS, "tache", name_of(task),
                              row.created_at if row is not None else None, actor_of(task.task_spec),
                              phase_of(task),
                              echeance=row.due_at if row is not None else _due_at(task)))
    return entries


def a_venir(workflow) -> list[Entree]:
    """The next user tasks on the default path (at most MAX_PREVUES), then the waiting
    timers by due date, each with the step the diagram takes when it fires."""
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    seen = {t.task_spec for t in ready}
    prevues: list[Entree] = []

    def add(spec, phase: str) -> None:
        if spec not in seen and len(prevues) < MAX_PREVUES and getattr(spec, "bpmn_name", None):
            seen.add(spec)
            prevues.append(Entree(A_VENIR, "tache", spec.bpmn_name, None, actor_of(spec), phase))

    for task in ready:
        for spec, inner in _default_path(workflow, task.task_spec):
            add(spec, inner or phase_of(task))
    # What SpiffWorkflow predicts elsewhere in the tree (FUTURE / LIKELY).
    for task in workflow.get_tasks(state=TaskState.FUTURE | TaskState.LIKELY, manual=True):
        add(task.task_spec, phase_of(task))
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not is_timer(definition):
            continue
        timers.append(Entree(A_VENIR, "echeance", name_of(task), timer_due(task), "",
                             phase_of(task), ensuite=_next_named(task.task_spec)))
    timers.sort(key=lambda e: e.quand or datetime.max.replace(tzinfo=UTC))
    return prevues + timers


def _default_path(workflow, start, limit: int = 200):
    """(user task spec, sub-process name) met after `start` when every exclusive gateway
    takes its default flow and no boundary event fires; inside `start`'s process and the
    sub-processes it enters (never the parent process: the path there depends on how this
    one ends)."""
    stack = [(output, "") for output in reversed(start.outputs)]
    seen = set()
    while stack and limit > 0:
        limit -= 1
        spec, inner = stack.pop()
        if spec in seen:
            continue
        seen.add(spec)
        if getattr(spec, "manual", False):
            yield spec, inner
        following = list(spec.outputs)
        if isinstance(spec, ExclusiveGateway) and spec.default_task_spec:
            default = spec._wf_spec.task_specs.get(spec.default_task_spec)
            following = [default] if default is not None else []
        elif isinstance(spec, BoundaryEventSplit):
            following = [o for o in spec.outputs if not isinstance(o, BoundaryEvent)]
        stack.extend((o, inner) for o in reversed(following))
        if isinstance(spec, SubWorkflowTask):
            sub = (workflow.subprocess_specs or {}).get(getattr(spec, "spec", None))
            if sub is not None and sub.start is not None:
                name = spec.bpmn_name or inner
                stack.extend((o, name) for o in reversed(sub.start.outputs))


def _next_named(spec) -> str:
    """The first named step after `spec` in the diagram (gateways skipped)."""
    queue, seen = list(spec.outputs), set()
    while queue:
        current = queue.pop(0)
        if current in seen:
            continue
        seen.add(current)
        name = getattr(current, "bpmn_name", None)
        if name and getattr(current, "bpmn_id", None) and not isinstance(current, GATEWAYS):
            return name
        queue.extend(current.outputs)
    return ""


def _due_at(task) -> datetime | None:
    value = task.data.get(task_property(task.task_spec, "dueDateVariable") or "", None)
    try:
        moment = datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
