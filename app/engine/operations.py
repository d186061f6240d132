"""The superviseur's repairs on one instance (Camunda Cockpit's « process instance
modification », spiff-arena's « reset » and « skip »), each through the runtime's one door
(a step: one transaction, human tasks and timers resynchronised, an audit row with the
reason given):

- `move_token`: cancel an active task and start before another element of the same
  (sub-)process — back to an element already passed (SpiffWorkflow's `reset_from_task_id`),
  or forward to an element predicted after it (the skipped elements do not run);
- `fire_timer_now`, `redate_timer`: a waiting timer fires now, or at another moment;
- `edit_variable`: change a non-medical variable where the instance stands.

Every refusal is a French `Conflict` or `FormInvalid`; nothing is saved then.
"""
from __future__ import annotations

import json
from copy import deepcopy
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.specs.Join import Join
from SpiffWorkflow.util.task import TaskState

from .clock import clock
from .errors import Conflict, FormInvalid
from .human_tasks import form_of, role_of_task
from .invariants import MEDICAL_ROLE, medical_variables, top_fields

# Variables medical whatever the form that produced them (the supervision hides the same).
MEDICAL_PREFIXES = ("medical", "medic", "avis_medical", "examen_medic", "diagnostic",
                    "pathologie", "taux_incapacite", "capacite_", "incapacite", "tierce_personne")
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


def _reason(motif: str) -> str:
    motif = (motif or "").strip()
    if not motif:
        raise FormInvalid({"motif": "Indiquez le motif de cette intervention."})
    return motif[:500]


def _label(task) -> str:
    spec = task.task_spec
    return f"« {spec.bpmn_name or spec.bpmn_id} »"


# ----- moving the token ---------------------------------------------------------------------
def move_token(runtime, instance_id: int, cancel: str, target: str, user, motif: str) -> None:
    """Cancel the active task of element `cancel` and start before element `target`."""
    motif = _reason(motif)

    def act(session, instance, workflow):
        active = _active_task(workflow, cancel)
        found = _target_task(workflow, active, target)
        if found.has_state(TaskState.FINISHED_MASK):
            workflow.reset_from_task_id(found.id)  # drops the active task, its descendant
            how = "retour"
        else:
            _skip_to(active, found)
            how = "saut"
        _forget_removed_events(workflow)
        runtime._audit(session, "jeton_deplace", instance.id, user.id, target,
                       {"annulee": cancel, "demarre_avant": target, "sens": how,
                        "motif": motif})

    runtime._step(instance_id, user.id, {"type": "steps"}, act)


def _forget_removed_events(workflow) -> None:
    """SpiffWorkflow 3.2 leaves the catching events of a removed branch (the boundary timer
    of a task reset away) in its event manager; they would fire from nowhere."""
    manager = workflow.event_manager
    for task_id, task in list(manager.tasks.items()):
        if task_id not in task.workflow.tasks or task.has_state(TaskState.FINISHED_MASK):
            manager.tasks.pop(task_id, None)


def _active_task(workflow, element: str):
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        if task.task_spec.bpmn_id == element and not _is_subprocess(workflow, task):
            return task
    raise Conflict(f"L'élément « {element} » n'est pas une étape active de cette instance.")


def _is_subprocess(workflow, task) -> bool:
    return task.id in workflow.subprocesses


def _target_task(workflow, active, element: str):
    """The task to start before: a finished ancestor of the active task (back), or a
    predicted descendant of it (forward), always in the active task's own (sub-)process."""
    same = [t for t in workflow.get_tasks() if t.task_spec.bpmn_id == element]
    if not same:
        raise Conflict(f"L'élément « {element} » n'existe pas dans ce processus ou n'est pas "
                       "atteignable depuis l'étape en cours.")
    if all(t.workflow is not active.workflow for t in same):
        raise Conflict(f"L'élément « {element} » est dans un autre sous-processus que "
                       f"l'étape annulée {_label(active)} : ce déplacement n'est pas sûr, il "
                       "est refusé.")
    same = [t for t in same if t.workflow is active.workflow]
    back = [t for t in same if t.has_state(TaskState.COMPLETED) and _is_ancestor(t, active)]
    if back:
        return max(back, key=lambda t: t.last_state_change)
    ahead = [t for t in same if t.has_state(TaskState.PREDICTED_MASK)
             and _is_ancestor(active, t)]
    if ahead:
        return ahead[0]
    raise Conflict(f"Aucun chemin ne relie l'étape {_label(active)} à « {element} » : "
                   "choisissez un élément déjà franchi ou à venir sur la même branche.")


def _is_ancestor(ancestor, task) -> bool:
    parent = task.parent
    while parent is not None:
        if parent is ancestor:
            return True
        parent = parent.parent
    return False


def _skip_to(active, target) -> None:
    """Forward: the active task and the elements between it and the target are cancelled
    without running (their other predicted branches dropped); the target becomes ready with
    the active task's data."""
    start = target.parent if _boundary_split(target.parent) else target
    path, node = [], start.parent
    while node is not active:
        if _is_join(node):
            raise Conflict("Le chemin vers cet élément traverse une jonction parallèle : "
                           "ce déplacement n'est pas sûr, il est refusé.")
        path.append(node)
        node = node.parent
    path.append(active)
    data = deepcopy(active.data)
    _cancel_boundaries(active)
    keep = start
    for node in path:  # from the target's parent up to the active task
        for child in list(node.children):
            if child is not keep:
                if not child.has_state(TaskState.PREDICTED_MASK):
                    raise Conflict("Une autre branche active part de ce chemin : "
                                   "ce déplacement n'est pas sûr, il est refusé.")
                child._drop_children(force=True)
                node.workflow._remove_task(child.id)
        node.data = deepcopy(data)
        node._set_state(TaskState.CANCELLED)
        keep = node
    start._set_state(TaskState.FUTURE)
    start.task_spec._update(start)
    if not start.has_state(TaskState.READY):
        raise Conflict(f"L'élément {_label(target)} ne peut pas démarrer ainsi : "
                       "déplacement refusé.")


def _cancel_boundaries(active) -> None:
    """Timers and messages attached to the cancelled task go with it."""
    parent = active.parent
    if parent is not None and _boundary_split(parent):
        for sibling in parent.children:
            if sibling is not active and not sibling.has_state(TaskState.FINISHED_MASK):
                sibling.cancel()


def _boundary_split(task) -> bool:
    return task is not None and isinstance(task.task_spec, BoundaryEventSplit)


def _is_join(task) -> bool:
    """A parallel or inclusive join waits for other branches: skipping across it is unsafe."""
    return isinstance(task.task_spec, Join) and len(task.task_spec.inputs) > 1


# ----- timers -------------------------------------------------------------------------------
def fire_timer_now(runtime, instance_id: int, element: str, user, motif: str) -> None:
    motif = _reason(motif)

    def act(session, instance, workflow):
        timers = _waiting_timers(workflow, element)
        past = (clock.now() - timedelta(seconds=1)).isoformat()
        for task in timers:
            _set_due(task, past)
        workflow.refresh_timers()
        runtime._audit(session, "minuteur_declenche", instance.id, user.id, element,
                       {"motif": motif})

    runtime._step(instance_id, user.id, {"type": "timers"}, act)


def redate_timer(runtime, instance_id: int, element: str, due: datetime, user,
                 motif: str) -> None:
    """A waiting timer falls due at `due` (an aware datetime, in the future)."""
    motif = _reason(motif)
    if due <= clock.now():
        raise FormInvalid({"echeance": "Choisissez une échéance future, ou déclenchez le "
                                       "minuteur maintenant."})

    def act(session, instance, workflow):
        timers = _waiting_timers(workflow, element)
        before = [_due_of(task) for task in timers]
        for task in timers:
            _set_due(task, due.isoformat())
        runtime._audit(session, "minuteur_redate", instance.id, user.id, element,
                       {"avant": ", ".join(before), "apres": due.isoformat(),
                        "motif": motif})

    runtime._step(instance_id, user.id, {"type": "steps"}, act,
                  statuses=("running", "suspended"))


def _waiting_timers(workflow, element: str) -> list:
    found = [t for t in workflow.get_tasks(state=TaskState.WAITING)
             if t.task_spec.bpmn_id == element and isinstance(
                 getattr(t.task_spec, "event_definition", None), TimerEventDefinition)]
    if not found:
        raise Conflict(f"Aucun minuteur « {element} » n'attend dans cette instance.")
    return found


def _set_due(task, value: str) -> None:
    current = task._get_internal_data("event_value")
    if isinstance(current, dict):  # cycle timers keep their count
        current["next"] = value
    else:
        task._set_internal_data(event_value=value)


def _due_of(task) -> str:
    value = task._get_internal_data("event_value")
    return str(value.get("next") if isinstance(value, dict) else value or "")


# ----- variables ----------------------------------------------------------------------------
def edit_variable(runtime, instance_id: int, name: str, text: str, user, motif: str) -> None:
    """Set variable `name` where the instance stands (the data of its active and waiting
    tasks). The value is read as JSON (numbers, true/false, lists…), else kept as text.
    Medical variables are never edited here (secret médical)."""
    motif = _reason(motif)
    name = (name or "").strip()
    if not name.isidentifier():
        raise FormInvalid({"nom": "Indiquez le nom d'une variable (lettres, chiffres, « _ »)."})
    value = _parse_value(text)

    def act(session, instance, workflow):
        specs = runtime._specs(session, instance.process_version)
        if _is_medical(name, specs):
            raise Conflict(f"« {name} » est une variable médicale : seul le médecin-conseil "
                           "la renseigne, un superviseur ne peut pas la modifier.")
        tasks = [t for t in workflow.get_tasks(state=ACTIVE)
                 if not isinstance(t.task_spec, CatchingEvent) or t.state == TaskState.WAITING]
        if not tasks:
            raise Conflict("L'instance n'a plus d'étape active : ses variables ne peuvent "
                           "plus être modifiées.")
        before = next((t.data[name] for t in tasks if name in t.data), None)
        for task in tasks:
            task.data[name] = deepcopy(value)
        runtime._audit(session, "variable_modifiee", instance.id, user.id, "",
                       {"variable": name, "avant": _short(before), "apres": _short(value),
                        "motif": motif})

    runtime._step(instance_id, user.id, {"type": "steps"}, act,
                  statuses=("running", "suspended"))


def _parse_value(text: str):
    text = (text or "").strip()
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return text


def _short(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)[:200]


def _is_medical(name: str, specs) -> bool:
    """Fields of forms marked `x-secret-medical`, every field of a form filled in a medical
    lane, and names medical whatever their form."""
    spec, subprocess_specs, forms = specs
    if name.lower().startswith(MEDICAL_PREFIXES):
        return True
    for schema in forms.values():
        if name in medical_variables(schema):
            return True
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if role_of_task(task_spec) != MEDICAL_ROLE:
                continue
            schema = forms.get(form_of(task_spec) or "")
            if name == getattr(task_spec, "variable", None) or (
                    schema and name in top_fields(schema)):
                return True
    return False
