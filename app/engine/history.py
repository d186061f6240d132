"""The timeline of a dossier, told from its instance's history (« ce qui s'est passé »).

What happened comes from the instance's audit rows (`task_completed`, `timer_fired`,
`message_received`, `dossier_mis_a_jour`…, dated by the app clock, with who acted), read
against the workflow's task tree of the deployed version: every label is the name the
diagram gives (`bpmn_name` of the task, event, sub-process or call activity), every actor
the lane of the task in the diagram. A step that never ran is never shown as done.

One instance holds the whole dossier: the instruction runs as a call activity of the
request, the recours as a call activity of the instruction, each as a sub-workflow of the
same serialized state, and the runtime writes every audit row under the top instance's id.
The task tree keeps every task that ran (sub-workflows included, even when an interrupting
timer cancelled them) with the wall-clock time of its last change: the automatic steps that
follow a trigger (script tasks, start and end events) are those completed after it and
before the next trigger, which dates them and gives them their actor. Once the instance has
ended its stored tree is pruned (app/engine/elagage.py): every completed task with a diagram
element stays, with its date and sub-process (stored compact, loaded back as a tree), so
this reading is unchanged.

What is under way and what comes next is read from the same tree (app/engine/next_steps.py).

Medical secret: an entry carries names, dates and roles, never task data.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent, ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.models import AuditLog, ProcessInstance, User

from .next_steps import a_venir, en_cours
from .timeline import (
    A_VENIR,
    EN_COURS,
    FAIT,
    GATEWAYS,
    ROLE_LABELS,
    Entree,
    actor_of,
    is_timer,
    name_of,
    phase_of,
)

# What other modules import from here (the timeline's vocabulary included).
__all__ = ["A_VENIR", "EN_COURS", "FAIT", "Entree", "chronologie"]

TRIGGERS = ("task_completed", "timer_fired", "message_received")


# ----- entry point ---------------------------------------------------------------------------
def chronologie(session, runtime, instance: ProcessInstance, *, audience: str = "assure",
                decision_labels: dict | None = None) -> list[Entree]:
    """The timeline of `instance`: done entries (oldest first), then « en cours », then
    « à venir ». `audience` « assure » leaves out the back office's internals (incidents,
    suspensions, automatic steps) and groups the assuré's consecutive steps; « agent » keeps
    everything. `decision_labels` maps a decision's statut or code to its label."""
    workflow = runtime.workflow_of(session, instance)
    rows = list(session.scalars(select(AuditLog).where(AuditLog.instance_id == instance.id)
                                .order_by(AuditLog.at, AuditLog.id)))
    roles = _user_roles(session, rows)
    done = _done(workflow, rows, roles, decision_labels or {}, audience)
    if audience == "assure":
        done = _grouped(done)
    entries = list(done)
    if instance.status not in ("completed", "terminated"):
        entries += en_cours(session, workflow, instance)
        entries += a_venir(workflow)
    return entries


# ----- what happened -------------------------------------------------------------------------
def _done(workflow, rows, roles, decision_labels, audience) -> list[Entree]:
    matched = _match_triggers(workflow, rows)
    groups = _consequences(workflow, matched)
    entries: list[Entree] = []
    trigger: Entree | None = None  # the action whose step is being read
    for row in rows:
        action = row.action
        if action not in TRIGGERS and action.startswith(("instance_", "incident_")):
            trigger = None  # a step of its own (start, retry…), no task behind it
        if action == "instance_started":
            entries += _start_entries(row, groups.get(None, []), workflow)
        elif action in TRIGGERS:
            task = matched.get(row.id)
            entry = trigger = _trigger_entry(row, task, workflow, roles)
            consequences = groups.get(row.id, [])
            if audience != "assure":
                entry.suite = [name_of(t) for t in consequences if _automatic(t.task_spec)]
            entries.append(entry)
            entries += [_event_entry(t, row.at) for t in consequences if _event(t.task_spec)]
        elif action == "dossier_mis_a_jour":
            entry = _decision_entry(row, decision_labels)
            if entry is not None:
                # Taken by whoever did the task of its step; nobody when a timer fired.
                if trigger is not None and trigger.genre == "tache":
                    entry.acteur = trigger.acteur
                entries.append(entry)
        elif action == "instance_terminated":
            entries.append(Entree(FAIT, "arret", "Dossier arrêté", row.at,
                                  _role_label(roles.get(row.user_id))))
        elif audience != "assure" and action in ("instance_suspended", "instance_running"):
            genre = "suspension" if action == "instance_suspended" else "reprise"
            label = "Dossier suspendu" if genre == "suspension" else "Dossier repris"
            entries.append(Entree(FAIT, genre, label, row.at,
                                  _role_label(roles.get(row.user_id))))
        elif audience != "assure" and action == "incident_recorded":
            entries.append(Entree(FAIT, "incident", "Incident technique", row.at))
        elif audience != "assure" and action == "incident_retried":
            entries.append(Entree(FAIT, "incident", "Incident résolu, étape rejouée", row.at,
                                  _role_label(roles.get(row.user_id))))
    return entries


def _trigger_key(task) -> tuple[str, str] | None:
    """(audit action, audit element) a completed task of the tree is recorded under."""
    spec = task.task_spec
    if getattr(spec, "manual", False):
        return ("task_completed", spec.bpmn_id)
    if isinstance(spec, CatchingEvent):
        definition = getattr(spec, "event_definition", None)
        if is_timer(definition):
            return ("timer_fired", spec.bpmn_id)
        if isinstance(definition, MessageEventDefinition):
            return ("message_received", definition.name)
    return None


def _completed(workflow) -> list:
    tasks = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)]
    return sorted(tasks, key=lambda t: t.last_state_change)


def _match_triggers(workflow, rows) -> dict[int, object]:
    """audit row id → the tree task it recorded (k-th row of a key ↔ k-th task of it)."""
    queues: dict[tuple[str, str], list] = {}
    for task in _completed(workflow):
        key = _trigger_key(task)
        if key is not None:
            queues.setdefault(key, []).append(task)
    matched = {}
    for row in rows:
        if row.action in TRIGGERS:
            queue = queues.get((row.action, row.element_id))
            if queue:
                matched[row.id] = queue.pop(0)
    return matched


def _consequences(workflow, matched) -> dict[int | None, list]:
    """Trigger row id (None: the instance's start) → the tasks completed in its step."""
    by_task = {task.id: row_id for row_id, task in matched.items()}
    groups: dict[int | None, list] = {}
    current = None
    for task in _completed(workflow):
        if task.id in by_task:
            current = by_task[task.id]
            continue
        if _trigger_key(task) is None and getattr(task.task_spec, "bpmn_name", None):
            groups.setdefault(current, []).append(task)
    return groups


def _start_entries(row, consequences, workflow) -> list[Entree]:
    events = [_event_entry(t, row.at) for t in consequences if _event(t.task_spec)]
    if events:
        first = events[0]
        first.genre = "debut"
        return events
    return [Entree(FAIT, "debut", _process_name(workflow.spec) or "Dossier ouvert", row.at)]


def _trigger_entry(row, task, workflow, roles) -> Entree:
    spec = task.task_spec if task is not None else _find_spec(workflow, row)
    genre = {"task_completed": "tache", "timer_fired": "echeance",
             "message_received": "message"}[row.action]
    label = (getattr(spec, "bpmn_name", None) or (row.details or {}).get("title")
             or _generic_label(genre))
    acteur = ""
    if genre != "echeance":
        acteur = actor_of(spec) if spec is not None else ""
        acteur = acteur or _role_label(roles.get(row.user_id))
    return Entree(FAIT, genre, label, row.at, acteur, phase_of(task))


def _event_entry(task, at) -> Entree:
    return Entree(FAIT, "evenement", name_of(task), at, "", phase_of(task))


def _decision_entry(row, labels) -> Entree | None:
    details = row.details or {}
    code = details.get("decision")
    if code in (None, "", "None"):
        return None
    statut = details.get("statut") or ""
    label = labels.get(statut) or labels.get(code) or code.replace("_", " ").capitalize()
    return Entree(FAIT, "decision", label, row.at, code=code)


def _grouped(entries: list[Entree]) -> list[Entree]:
    """The assuré's consecutive tasks and messages as one line (the request's steps, with
    their back-and-forth): each name once, in the order first done."""
    assure = ROLE_LABELS["assure"]
    out: list[Entree] = []
    for entry in entries:
        last = out[-1] if out else None
        if last is not None and entry.genre in ("tache", "message") and \
                last.genre in ("tache", "message") and entry.acteur == assure and \
                last.acteur == assure and entry.phase == last.phase:
            if last.depuis is None:
                last.depuis = last.quand
            names = last.libelle.split(" · ")
            if entry.libelle not in names:
                last.libelle = " · ".join(names + [entry.libelle])
            last.quand, last.genre = entry.quand, "tache"
            continue
        out.append(entry)
    return out


def _event(spec) -> bool:
    return isinstance(spec, (StartEvent, EndEvent, ThrowingEvent, CatchingEvent)) and \
        bool(getattr(spec, "bpmn_name", None)) and bool(getattr(spec, "bpmn_id", None))


def _automatic(spec) -> bool:
    return bool(getattr(spec, "bpmn_name", None)) and bool(getattr(spec, "bpmn_id", None)) \
        and not getattr(spec, "manual", False) and not _event(spec) \
        and not isinstance(spec, (*GATEWAYS, SubWorkflowTask))


def _role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", "")


def _user_roles(session, rows) -> dict[int, str]:
    ids = {r.user_id for r in rows if r.user_id}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.role).where(User.id.in_(ids))).all())


def _specs(workflow):
    yield workflow.spec
    yield from (workflow.subprocess_specs or {}).values()


def _find_spec(workflow, row):
    """The spec an audit row names when its task is no longer in the tree."""
    for process in _specs(workflow):
        for spec in process.task_specs.values():
            if row.action == "message_received":
                definition = getattr(spec, "event_definition", None)
                if isinstance(spec, CatchingEvent) and \
                        isinstance(definition, MessageEventDefinition) and \
                        definition.name == row.element_id:
                    return spec
            elif getattr(spec, "bpmn_id", None) == row.element_id:
                return spec
    return None


def _process_name(spec) -> str:
    return getattr(spec, "description", None) or ""


def _generic_label(genre: str) -> str:
    return {"tache": "Étape", "echeance": "Échéance", "message": "Message reçu"}[genre]
