"""After-step hook: apply `maj_dossier(...)` effects of BPMN scripts to the dossier row."""
from __future__ import annotations

from datetime import date, datetime

from app.models import Dossier
from app.models.dossier import dossier_de_l_instance
from app.models.records import journaliser

from .clock import clock

DATE_FIELDS = {"date_reception", "date_limite_decision"}
PLAIN_FIELDS = {"statut", "etape", "categorie", "decision", "jours_prolongation", "caisse_code"}


def numero_dossier(annee: int, instance_id: int) -> str:
    """The one series of dossier numbers, online and paper alike: « INV-AAAA-NNNNNN », the
    year the dossier is created and its instance's id (unique with no counter to lock)."""
    return f"INV-{annee}-{instance_id:06d}"


def dossier_of(session, instance_id: int) -> Dossier | None:
    return dossier_de_l_instance(session, instance_id)


def apply_dossier_effects(context) -> None:
    """`context` is the runtime's StepContext (app/engine/step.py)."""
    updates = [e.params for e in context.effects if e.kind == "dossier"]
    if not updates:  # most steps: no query at all (the step label lives on the instance)
        return
    dossier = _dossier_for(context)
    if dossier is None:
        return
    for fields in updates:
        _apply(dossier, fields)
        journaliser(context.session, "dossier_mis_a_jour", at=clock.now(),
                    user_id=context.user_id, instance_id=dossier.instance_id,
                    details={k: str(v) for k, v in fields.items()})
    dossier.updated_at = clock.now()


def _dossier_for(context) -> Dossier | None:
    # A call activity runs inside its parent's instance, so the row is always the instance's.
    return dossier_of(context.session, context.instance.id)


def _apply(dossier: Dossier, fields: dict) -> None:
    unknown = set(fields) - DATE_FIELDS - PLAIN_FIELDS - {"decision_at"}
    if unknown:
        raise ValueError(f"champs de dossier inconnus : {sorted(unknown)}")
    for name, value in fields.items():
        if name in DATE_FIELDS and value is not None:
            value = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
        if name == "decision_at":
            value = decision_at(value)
        setattr(dossier, name, value)


def decision_at(value) -> datetime:
    """When a decision was taken: `True` → now; an ISO instant (a tacit refusal: the moment
    its delay ran out, whenever the timer actually fired) → that instant."""
    if value in (None, True):
        return clock.now()
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError("decision_at : instant sans fuseau horaire")
    return moment
