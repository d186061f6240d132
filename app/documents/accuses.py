"""Accusés de réception of what the assuré sends from their space: the documents asked for
(« Envoyer mes documents ») and a contestation (« Envoyer ma contestation »).

Each is a letter like the others (messagerie text + A4 PDF to keep), posted through the
delivery module (`LetterDelivery.send`), so it follows the messagerie wherever it goes. Like
the others, its PDF is made after commit (outbox.py): the page that confirms the sending
does not wait for WeasyPrint, although it runs outside any workflow step. It
says what was received (file names and sizes, or the contestation), when (date and time,
Paris), what happens next and the deadline that now runs. Nothing here decides a rule: the
caller passes the deadlines the process recorded.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from sqlalchemy.orm import Session

from app.domain import moment_echeance
from app.models import Message

from .delivery import LetterDelivery, LetterInput, assure_ctx, builder
from .formats import en_date, en_datetime, taille
from .letters import COMMISSIONS
from .letters import _commun as commun  # the keys every letter template takes
from .rendu import Lettre, rendre

PIECES = "accuse_pieces"
CONTESTATION = "accuse_contestation"
OBJET_PIECES = "Accusé de réception de vos documents — pension d'invalidité"
OBJET_CONTESTATION = "Accusé de réception de votre contestation — pension d'invalidité"
NATURES = {
    "medicale": "l'appréciation médicale (état d'invalidité, capacité de travail, catégorie)",
    "administrative": "un motif administratif (conditions d'ouverture des droits, montant, "
                      "date d'effet)",
}
DECISIONS = {"refus": "la décision de refus", "rejet_implicite": "le rejet implicite"}


def envoyer(session: Session, store, instance_id: int, modele: str, data: dict, *,
            today: Callable[[], date], now: Callable[[], datetime]) -> Message:
    """Post the receipt `modele` (PIECES or CONTESTATION) to the dossier's messagerie."""
    return LetterDelivery(store, today, now).send(session, instance_id, modele, data, {})


@builder(PIECES)
def accuse_pieces(letter: LetterInput) -> Lettre:
    """data: ``recu_le`` (moment, Paris), ``documents`` [{"nom", "taille" (bytes)}],
    ``message`` (the assuré wrote one), ``etapes`` [{"libelle", "acteur"}] under way now.
    The deadline is the dossier's, as the process just moved it back."""
    data, dossier = letter.data, letter.dossier
    return rendre(PIECES, OBJET_PIECES, commun(assure_ctx(letter)) | {
        "recu_le": en_datetime(data["recu_le"]),
        "documents": [{"nom": d["nom"], "taille": taille(int(d["taille"]))}
                      for d in data["documents"]],
        "message": bool(data.get("message")),
        "etapes": list(data.get("etapes") or []),
        "date_limite_decision": dossier.date_limite_decision,
        "jours_prolongation": dossier.jours_prolongation,
    })


@builder(CONTESTATION)
def accuse_contestation(letter: LetterInput) -> Lettre:
    """data: ``recu_le``, ``nature`` (medicale/administrative), ``motifs`` (the assuré's
    text), ``decision`` (refus/rejet_implicite); ``commission`` (« CRA »/« CMRA ») and
    ``date_limite_commission`` when the commission has the claim (absent: received late);
    ``documents`` [{"nom", "taille" (bytes)}] attached to the contestation, if any."""
    data = letter.data
    sigle = data.get("commission")
    limite = en_date(data["date_limite_commission"]) if sigle else None
    libelle, silence = COMMISSIONS[sigle] if sigle else ("", "")
    return rendre(CONTESTATION, OBJET_CONTESTATION, commun(assure_ctx(letter)) | {
        "recu_le": en_datetime(data["recu_le"]),
        "nature": NATURES.get(data.get("nature"), ""),
        "motifs": data.get("motifs") or "",
        "documents": [{"nom": d["nom"], "taille": taille(int(d["taille"]))}
                      for d in data.get("documents") or []],
        "decision": DECISIONS.get(data.get("decision"), "la décision"),
        "commission": libelle,
        "delai_silence": silence,
        "date_limite_commission": limite,
        # Silence means rejection once the last day is over (midnight, Paris).
        "rejet_le": moment_echeance(limite).date() if limite else None,
    })
