"""What the diagram says the screens need: page kind, stepper, récapitulatif, buttons.

The web layer knows no BPMN element id: each human task says, with `spiffworkflow:property`
elements of its extension, which screen shows it. An analyst who adds, removes, reorders or
renames a step in the studio changes the screens with the diagram; a dossier keeps the
screens of the version it runs on (everything here is read from that version's spec).

Properties of a user task (all optional):

- `ecran` — page kind: `formulaire` (default: the task's JSON Schema form), `recapitulatif`
  (the answers of the group's earlier steps, one section each with a pencil), `depot_document`
  (a PDF upload, e.g. the avis d'imposition), `conversation` (a question of ameliBot, shown
  as a chat bubble), `panneau` (agent side: the panel named by `panneau`, see
  `app/web/agent/panneaux.py`), `pieces` (the assuré's answer to a request for documents:
  several PDFs and a message), `contestation` (the assuré contests a decision). Any other
  value is refused at deployment (`PAGE_KINDS`, checked by `app/engine/specs.py`).
- `etape_groupe` — the journey the task belongs to (e.g. `demande`): the screens of one group
  share a page title and a stepper.
- `etape_ordre` — integer, the task's place in its group's stepper. A task of a group without
  an order is a side page of the journey (e.g. « Demande sur formulaire papier S4150 »): it
  has no « Étape k sur n ».
- `etape_libelle` — the title of the step in the stepper (default: the task's name).
- `recap_section` — the section title of this step in the récapitulatif (default: the
  step's label). Every numbered `formulaire` step before the récapitulatif has a section.
- `recap_choix` — the value the récapitulatif's choice field takes to come back to this
  step (its pencil; default: the task's spiff `variableName`). No value, no pencil.
- `recap_valider` — on the récapitulatif: the value of its choice field meaning « Tout est
  bon » (default `valider`).
- `recap_identite` — `oui`: the account's identity (read only) opens this step's section.
- `encart` — an information box shown above the form (a template of
  templates/assure/encarts/, e.g. `identite`, `formulaire_papier`).
- `document` — on a `depot_document` screen: the document kind, which is also the field of
  the upload and the key of the task data.
- `bouton_envoyer` — label of the submit button (defaults: « Suivant », « Tout est bon » on a
  récapitulatif, « Envoyer » outside a journey).
- `bouton_retour` — label of the back button (default « Retour »).

Whether a step has « Retour » comes from the diagram too: an interrupting message boundary
event on the task (its message name is read from the spec and sent by the button). The
first step of a stepper without such an event gets a « Retour » back to the journey's
entry page; a récapitulatif's « Retour » is the pencil of the step before it.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from .screen_kinds import (  # noqa: F401 - the vocabulary, used as screens.X
    CONTESTATION,
    CONVERSATION,
    DEPOT_DOCUMENT,
    FORMULAIRE,
    PAGE_KINDS,
    PANEL_KINDS,
    PANNEAU,
    PANNEAU_ATTRIBUTION,
    PANNEAU_COMMISSION,
    PANNEAU_CONVOCATION,
    PANNEAU_EXAMEN,
    PANNEAU_REFUS_MEDICAL,
    PANNEAU_VERIFICATION,
    PIECES,
    RECAPITULATIF,
)
from .specs import form_of, spec_cache, task_property

DEFAULT_ENVOYER = "Suivant"
DEFAULT_ENVOYER_RECAP = "Tout est bon"
DEFAULT_RETOUR = "Retour"
DEFAULT_VALIDER = "valider"
OUI = ("oui", "true", "1", "yes")


@dataclass(frozen=True)
class Ecran:
    """The screen of one human task, as its diagram describes it."""

    element_id: str
    nom: str  # the task's name in the diagram
    ecran: str
    groupe: str | None
    ordre: int | None
    libelle: str
    form: str | None
    variable: str | None
    recap_section: str
    recap_choix: str | None
    recap_valider: str
    recap_identite: bool
    encart: str | None
    document: str | None
    bouton_envoyer: str | None
    bouton_retour: str
    message_retour: str | None  # the message of its interrupting boundary event, if any
    numero: int | None = None  # 1..n in its group's stepper, None outside it

    @property
    def title(self) -> str:
        return self.libelle

    @property
    def number(self) -> int | None:
        return self.numero


@dataclass(frozen=True)
class Parcours:
    """The screens of one group of a process version, the stepper in order."""

    groupe: str
    etapes: tuple[Ecran, ...]  # numbered steps, in stepper order
    ecrans: dict[str, Ecran] = field(default_factory=dict)  # every screen of the group

    @property
    def total(self) -> int:
        return len(self.etapes)

    def ecran(self, element_id: str) -> Ecran | None:
        return self.ecrans.get(element_id)

    def suivante(self, ecran: Ecran) -> Ecran | None:
        if ecran.numero is None or ecran.numero >= self.total:
            return None
        return self.etapes[ecran.numero]

    def precedente(self, ecran: Ecran) -> Ecran | None:
        if ecran.numero is None or ecran.numero <= 1:
            return None
        return self.etapes[ecran.numero - 2]

    def sections(self, recap: Ecran | None = None) -> list[Ecran]:
        """The récapitulatif's sections: the numbered form steps before it, in order."""
        recap = recap or next((e for e in self.etapes if e.ecran == RECAPITULATIF), None)
        limit = recap.numero if recap is not None and recap.numero else self.total + 1
        return [e for e in self.etapes
                if e.ecran == FORMULAIRE and e.form and e.numero < limit]

    def retour_vers_accueil(self, ecran: Ecran) -> bool:
        """The first step without a diagram « Retour » goes back to the entry page."""
        return ecran.numero == 1 and ecran.message_retour is None


@dataclass(frozen=True)
class Ecrans:
    """Every screen of a process version (its top-level process)."""

    par_tache: dict[str, Ecran]
    parcours: dict[str, Parcours]

    def ecran(self, element_id: str) -> Ecran | None:
        return self.par_tache.get(element_id)

    def groupe(self, groupe: str) -> Parcours:
        return self.parcours.get(groupe) or Parcours(groupe, (), {})


# ----- reading the spec ---------------------------------------------------------------------
def _int(value) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def message_retour(task_spec) -> str | None:
    """Name of the message of an interrupting message boundary event on this task."""
    for parent in task_spec.inputs:
        if type(parent).__name__ != "BoundaryEventSplit":
            continue
        for event in parent.outputs:
            definition = getattr(event, "event_definition", None)
            if event is not task_spec and getattr(event, "cancel_activity", False) and \
                    isinstance(definition, MessageEventDefinition):
                return definition.name
    return None


def ecran_of(task_spec) -> Ecran | None:
    """The screen of a human task spec (None for anything else)."""
    if not _is_human(task_spec):
        return None

    def prop(name):
        value = task_property(task_spec, name)
        return value.strip() if isinstance(value, str) and value.strip() else None

    nom = getattr(task_spec, "bpmn_name", None) or task_spec.name
    libelle = prop("etape_libelle") or nom
    variable = (getattr(task_spec, "extensions", None) or {}).get("variableName") or \
        getattr(task_spec, "variable", None)
    kind = prop("ecran") or FORMULAIRE
    return Ecran(
        element_id=task_spec.name, nom=nom, ecran=kind, groupe=prop("etape_groupe"),
        ordre=_int(prop("etape_ordre")), libelle=libelle, form=form_of(task_spec),
        variable=variable, recap_section=prop("recap_section") or libelle,
        recap_choix=prop("recap_choix") or variable,
        recap_valider=prop("recap_valider") or DEFAULT_VALIDER,
        recap_identite=(prop("recap_identite") or "").lower() in OUI,
        encart=prop("encart"), document=prop("document"),
        bouton_envoyer=prop("bouton_envoyer"),
        bouton_retour=prop("bouton_retour") or DEFAULT_RETOUR,
        message_retour=message_retour(task_spec))


def _is_human(task_spec) -> bool:
    return isinstance(task_spec, (UserTask, ManualTask, NoneTask))


def build(spec) -> Ecrans:
    """The screens of a process spec, grouped and numbered."""
    par_tache: dict[str, Ecran] = {}
    for task_spec in spec.task_specs.values():
        ecran = ecran_of(task_spec)
        if ecran is not None:
            par_tache[ecran.element_id] = ecran
    groupes: dict[str, list[Ecran]] = {}
    for ecran in par_tache.values():
        if ecran.groupe:
            groupes.setdefault(ecran.groupe, []).append(ecran)
    parcours = {}
    for groupe, members in groupes.items():
        numbered = sorted((e for e in members if e.ordre is not None),
                          key=lambda e: (e.ordre, e.element_id))
        etapes = tuple(_numbered(e, i + 1) for i, e in enumerate(numbered))
        ecrans = {e.element_id: e for e in members if e.ordre is None}
        ecrans.update({e.element_id: e for e in etapes})
        for e in etapes:
            par_tache[e.element_id] = e
        parcours[groupe] = Parcours(groupe, etapes, ecrans)
    return Ecrans(par_tache, parcours)


def _numbered(ecran: Ecran, numero: int) -> Ecran:
    return replace(ecran, numero=numero)


# ----- cached per deployed bundle -------------------------------------------------------------
_cache: dict[tuple[str, str], Ecrans] = {}
_lock = threading.Lock()


def of_version(session, version, specs=spec_cache) -> Ecrans:
    """The screens of a ProcessVersion row (its deployed files, or a sandbox draft's),
    parsed once per bundle like the specs."""
    key = (version.bundle_sha256, version.process_key)
    found = _cache.get(key)
    if found is None:
        from .sandbox import version_sources

        spec = specs.get(version, lambda vid: version_sources(session, vid))[0]
        found = build(spec)
        with _lock:
            _cache[key] = found
    return found


def of_task(session, row, specs=spec_cache) -> Ecran | None:
    """The screen of a HumanTask row, as the version its instance runs on describes it."""
    return of_version(session, row.instance.process_version, specs).ecran(row.element_id)


def clear() -> None:
    _cache.clear()
