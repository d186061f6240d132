"""Deliver letters asked for by BPMN scripts: the letter recorded as data, Document + Message
rows written, all in the step's transaction; the PDF is made after commit (outbox.py).

The letter's words are stored once, as its template and values (`Courrier`): its message
keeps no HTML copy (`corps_html` empty) and the messagerie renders it on read
(`corps_des_messages`), as the PDF is. Messages written before keep their stored body.

Each letter model has a builder registered with `@builder("modele")` that turns the dossier,
the script's data and the effect's parameters into a `Lettre`. Builders live in
`courriers_*.py` modules, one per part of the process.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import caisse_competente, coordonnees_recours
from app.models import Courrier, Document, Dossier, Message, User
from app.models.dossier import dossier_de_l_instance
from app.models.records import journaliser

from . import outbox
from .rendu import Lettre


@dataclass
class LetterInput:
    session: Session
    dossier: Dossier
    assure: User
    data: dict  # the script's variables when it called notifier()
    params: dict  # notifier()'s keyword arguments
    today: date


LETTER_BUILDERS: dict[str, Callable[[LetterInput], Lettre]] = {}


def builder(modele: str):
    def register(function):
        LETTER_BUILDERS[modele] = function
        return function

    return register


def assure_ctx(letter: LetterInput) -> dict:
    """Keys every letter template takes (see `letters.py`)."""
    user = letter.assure
    return {
        "numero_dossier": letter.dossier.numero,
        "assure": {"nom": user.nom, "prenom": user.prenom,
                   "adresse": [user.adresse, f"{user.code_postal} {user.ville}".strip()]},
        "caisse": letter.dossier.caisse_code or "",
        "date_courrier": letter.today,
    }


def recours_ctx(caisse: str) -> dict:
    """Where to contest (CRA of the CRAMIF or of the CPAM), for the letter templates."""
    cra = coordonnees_recours(caisse)["cra"]
    address = ", ".join(cra["lignes_adresse"][1:]) or None  # line 0 is the intitulé
    return {"organisme": cra["intitule"], "adresse": address}


def caisse_of(user: User) -> str:
    return caisse_competente(user.code_postal[:3] if user.code_postal.startswith("97")
                             else user.code_postal[:2])


class LetterDelivery:
    """After-step hook (see `Runtime.after_step_hooks`)."""

    def __init__(self, store, today: Callable[[], date], now):
        # `store` stays for the callers: the PDF is stored after commit (outbox.py).
        self.store, self.today, self.now = store, today, now

    def __call__(self, context) -> None:
        for effect in context.effects:
            if effect.kind != "lettre":
                continue
            modele = effect.params["modele"]
            if context.instance.sandbox:  # a studio test run: record, never send
                self._audit(context.session, context.instance.id, "lettre_simulee", modele)
                continue
            self.send(context.session, context.instance.id, modele, effect.data, effect.params)

    def send(self, session: Session, instance_id: int, modele: str, data: dict,
             params: dict) -> Message:
        # One statement (none in a timer batch): the assuré with the dossier, not the
        # instance (the step has it).
        dossier = dossier_de_l_instance(session, instance_id)
        if dossier is None:
            raise ValueError(f"pas de dossier pour l'instance {instance_id}")
        build = LETTER_BUILDERS.get(modele)
        if build is None:
            raise ValueError(f"modèle de courrier inconnu : {modele}")
        lettre = build(LetterInput(session, dossier, dossier.assure, data, params, self.today()))
        return self.deliver(session, dossier, modele, lettre)

    def deliver(self, session: Session, dossier: Dossier, modele: str,
                lettre: Lettre) -> Message:
        """The letter as data and its messagerie message, whose text is read from the letter
        (no copy stored); the `Document` the message points at gets its file after commit
        (no stored name until then, see outbox.py)."""
        now = self.now()
        document = Document(owner_id=dossier.assure_id, instance_id=dossier.instance_id,
                            kind=modele, original_name=f"{modele}_{dossier.numero}.pdf",
                            stored_name=None, sha256="", size=0, created_at=now)
        session.add(document)  # no flush: the rows below point at it by object
        outbox.enregistrer(session, document, lettre, now)
        message = Message(recipient_id=dossier.assure_id, instance_id=dossier.instance_id,
                          objet=lettre.objet, corps_html="",
                          document=document, created_at=now)
        session.add(message)
        self._audit(session, dossier.instance_id, "lettre_envoyee", modele)
        return message

    def _audit(self, session, instance_id, action, modele) -> None:
        journaliser(session, action, at=self.now(), instance_id=instance_id,
                    details={"modele": modele})


def post_notice(session: Session, dossier: Dossier, objet: str, texte: str,
                now) -> Message:
    """A plain message of the caisse to the assuré about their dossier (no PDF): shown in
    the messagerie among the dossier's letters."""
    message = Message(recipient_id=dossier.assure_id, instance_id=dossier.instance_id,
                      objet=objet[:255], corps_html=f"<p>{escape(texte)}</p>",
                      created_at=now)
    session.add(message)
    journaliser(session, "message_envoye", at=now, instance_id=dossier.instance_id,
                details={"objet": objet[:255]})
    return message


def corps_des_messages(session: Session, messages) -> dict[int, Markup]:
    """The HTML body of each message, by id: a letter's rendered from its `Courrier` row (one
    query for all), any other message's (notices, letters sent before) as it was stored —
    safe HTML, escaped when built."""
    corps = {m.id: Markup(m.corps_html or "") for m in messages}
    lettres = {m.document_id: m.id for m in messages if not m.corps_html and m.document_id}
    if lettres:
        for document_id, modele, valeurs in session.execute(
                select(Courrier.document_id, Courrier.modele, Courrier.valeurs)
                .where(Courrier.document_id.in_(lettres))):
            corps[lettres[document_id]] = outbox.corps_du_courrier(modele, valeurs)
    return corps


def load_builders() -> None:
    """Import every `courriers_*` module so their builders register."""
    import importlib
    import pkgutil

    from app import documents

    for module in pkgutil.iter_modules(documents.__path__):
        if module.name.startswith("courriers_"):
            importlib.import_module(f"app.documents.{module.name}")
