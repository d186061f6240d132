"""The entries of a dossier's timeline and the labels they carry (app/engine/history.py
tells what happened, app/engine/next_steps.py what is under way and what comes next).

Every label is the name the diagram gives, every actor the lane of the task in the diagram.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway

from .clock import PARIS
from .specs import role_of_task

# ----- vocabulary ----------------------------------------------------------------------------
FAIT, EN_COURS, A_VENIR = "fait", "en_cours", "a_venir"
GENRES = {
    "debut": "Ouverture",
    "tache": "Tâche",
    "echeance": "Échéance",
    "message": "Message",
    "evenement": "Événement",
    "decision": "Décision",
    "arret": "Arrêt",
    "suspension": "Suspension",
    "reprise": "Reprise",
    "incident": "Incident",
}
ROLE_LABELS = {
    "assure": "Assuré",
    "agent": "Service Invalidité",
    "medecin_conseil": "Médecin-conseil",
    "cra": "Commission de recours amiable",
    "cmra": "Commission médicale de recours amiable",
    "superviseur": "Superviseur",
    "analyste": "Analyste",
}
# The usual lane of each role: its tasks are shown with the role's label; any other lane
# (a commission…) is shown with its own name from the diagram.
USUAL_LANES = {"assure": {"assure"}, "agent": {"service invalidite"},
               "medecin_conseil": {"service medical", "medecin conseil"}}
GATEWAYS = (ExclusiveGateway, InclusiveGateway, ParallelGateway)


@dataclass
class Entree:
    """One line of the timeline."""

    etat: str                      # fait, en_cours, a_venir
    genre: str                     # a key of GENRES
    libelle: str
    quand: datetime | None = None  # done: when; en cours: since; à venir: due date (timers)
    acteur: str = ""               # role or lane label, never a person's name
    phase: str = ""                # the sub-process or call activity it ran in
    echeance: datetime | None = None  # en cours: the task's due date
    ensuite: str = ""              # a waiting timer: the diagram's next named step
    suite: list[str] = field(default_factory=list)  # automatic steps that followed
    depuis: datetime | None = None  # grouped entries: the first date
    code: str = ""                 # a decision: its code (« accord », « rejet_implicite »…)

    @property
    def genre_libelle(self) -> str:
        return GENRES.get(self.genre, self.genre)

    @property
    def jour_limite(self) -> date | None:
        """The last day of a deadline (a timer's due moment, a task's due date): a deadline
        falls at midnight, Paris time, once its last day is over."""
        moment = self.echeance if self.etat == EN_COURS else self.quand
        if moment is None:
            return None
        local = moment.astimezone(PARIS)
        if local.time() == time(0):
            return (local - timedelta(microseconds=1)).date()
        return local.date()


# ----- labels from the diagram ---------------------------------------------------------------
def is_timer(definition) -> bool:
    if isinstance(definition, MultipleEventDefinition):
        return any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions)
    return isinstance(definition, TimerEventDefinition)


def name_of(task) -> str:
    spec = task.task_spec
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", "") or ""


def phase_of(task) -> str:
    """Name of the sub-process or call activity `task` runs in ("" at the top level)."""
    if task is None:
        return ""
    workflow = task.workflow
    parent_id = getattr(workflow, "parent_task_id", None)
    if parent_id is None:
        return ""
    parent = workflow.top_workflow.get_task_from_id(parent_id)
    if parent is None:
        return ""
    return getattr(parent.task_spec, "bpmn_name", None) or ""


def _plain(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return " ".join(plain.lower().replace("-", " ").split())


def actor_of(spec) -> str:
    """The label of the lane of `spec`: its role's label for the role's usual lane, else
    the lane's own name (« Commission de recours amiable »…)."""
    lane = getattr(spec, "lane", None)
    if not lane:
        return ""
    role = role_of_task(spec)
    if role in ROLE_LABELS and _plain(lane) in USUAL_LANES.get(role, ()):
        return ROLE_LABELS[role]
    return lane
