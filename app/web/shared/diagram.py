"""Where an instance stands on its diagram, computed server-side from its stored state.

Used by the supervision's instance view, its heat map and the studio's test runs: element
states (done / active / waiting), waiting timers with their due time, awaited messages, the
current variables, and the BPMN XML to draw.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.engine.persistence import timer_due
from app.engine.sandbox import version_sources
from app.engine.specs import form_of, role_of_task
from app.models.user import MEDICAL_ROLES

RANK = {"done": 1, "waiting": 2, "active": 3}
STATUS_LABELS = {"running": "en cours", "suspended": "suspendue", "incident": "incident",
                 "completed": "terminée", "terminated": "arrêtée"}
WAITING_STATES = TaskState.READY | TaskState.WAITING | TaskState.STARTED

# French labels of the audit actions shown in an instance's history.
ACTION_LABELS = {
    "instance_started": "démarrage", "task_completed": "tâche terminée",
    "task_claimed": "tâche prise", "task_released": "tâche libérée",
    "task_assigned": "tâche réattribuée", "message_received": "message reçu",
    "timer_fired": "minuteur déclenché", "incident_recorded": "incident",
    "incident_retried": "incident relancé", "instance_suspended": "suspension",
    "instance_running": "reprise", "instance_terminated": "arrêt",
    "instance_migree": "migration de version", "lettre_envoyee": "courrier envoyé",
    "dossier_mis_a_jour": "dossier mis à jour", "lettre_simulee": "courrier simulé (non envoyé)",
    "essai_horloge_avancee": "horloge de l'essai avancée",
}

# Variables that are medical whatever the form that produced them (secret médical). The
# fields of every form filled in a medical lane (« Service médical », « Commission médicale
# de recours amiable ») are medical too — see `medical_keys`.
MEDICAL_PREFIXES = ("medical", "medic", "avis_medical", "examen_medic", "diagnostic",
                    "pathologie", "taux_incapacite", "capacite_", "incapacite", "tierce_personne")


def element_states(workflow) -> dict[str, str]:
    """BPMN id → "active" (ready to work on), "waiting" (timer, message, join) or "done"."""
    states: dict[str, str] = {}
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.has_state(TaskState.READY | TaskState.STARTED):
            state = "active"
        elif task.has_state(TaskState.WAITING):
            state = "waiting"
        elif task.has_state(TaskState.COMPLETED):
            state = "done"
        else:
            continue
        if RANK[state] > RANK.get(states.get(bpmn_id, ""), 0):
            states[bpmn_id] = state
    return states


def waiting_timers(workflow, offset: timedelta = timedelta(0)) -> list[dict]:
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            due = timer_due(task)
            timers.append({"element": task.task_spec.bpmn_id,
                           "name": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                           "expression": definition.expression,
                           "due": due + offset if due else None})
    return sorted(timers, key=lambda t: (t["due"] is None, t["due"] or 0))


def timer_badges(timers: list[dict]) -> list[dict]:
    """Short due times drawn under the timers on the diagram (Paris time)."""
    from app.documents.formats import date_heure_courte
    from app.engine.clock import PARIS

    return [{"element": t["element"],
             "label": date_heure_courte(t["due"].astimezone(PARIS)) if t["due"] else ""}
            for t in timers]


def waiting_messages(workflow) -> list[dict]:
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, MessageEventDefinition):
            found.append({"element": task.task_spec.bpmn_id,
                          "name": task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                          "message": definition.name})
    return found


def current_data(workflow) -> dict:
    """The variables where the instance stands (merged data of its active and waiting tasks,
    or of its last task once it has ended)."""
    data: dict = {}
    tasks = workflow.get_tasks(state=WAITING_STATES)
    if not tasks:
        completed = workflow.get_tasks(state=TaskState.COMPLETED)
        tasks = [max(completed, key=lambda t: t.last_state_change)] if completed else []
    for task in tasks:
        data.update(task.data)
    data.update(workflow.data or {})
    return data


def medical_keys(specs) -> set[str]:
    """Fields of the forms filled in medical lanes, for this version's specs."""
    spec, subprocess_specs, forms = specs
    keys: set[str] = set()
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if role_of_task(task_spec) in MEDICAL_ROLES:
                schema = forms.get(form_of(task_spec) or "") or {}
                keys |= set((schema.get("properties") or {}).keys())
    return keys


def is_medical(name: str, extra: set[str]) -> bool:
    lowered = name.lower()
    return name in extra or lowered.startswith(MEDICAL_PREFIXES)


def visible_variables(data: dict, role: str, extra_medical: set[str]) -> tuple[dict, list[str]]:
    """(variables shown to `role`, names hidden by the secret médical)."""
    if role in MEDICAL_ROLES:
        return dict(sorted(data.items())), []
    hidden = sorted(k for k in data if is_medical(k, extra_medical))
    return {k: v for k, v in sorted(data.items()) if k not in hidden}, hidden


def diagram_xml(runtime, session, version) -> tuple[str, str]:
    """(filename, XML) of the BPMN file the version's main process comes from."""
    spec = runtime.specs.get(version, lambda vid: version_sources(session, vid))[0]
    _key, sources = version_sources(session, version.id)
    return spec.file, sources.bpmn.get(spec.file, "")


def waiting_counts(states: list[dict]) -> Counter:
    """Heat map: how many instances stand at each element (from stored states, no engine)."""
    counts: Counter = Counter()
    for state in states:
        if "elague" in state:  # an ended instance, stored compact: it waits nowhere
            continue
        here = set()
        for workflow in [state, *(state.get("subprocesses") or {}).values()]:
            for task in (workflow.get("tasks") or {}).values():
                if task.get("state", 0) & WAITING_STATES:
                    here.add(task.get("task_spec"))
        counts.update(here)
    return counts
