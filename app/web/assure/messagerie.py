"""The assuré's messagerie: letters of the process and conversations with the caisse.

« Écrire un message » opens a conversation with the Service Invalidité or the Service médical
of the assuré's caisse (about one of their dossiers or not); they reply in it, and may answer a
letter, which then starts a conversation. Every lookup is filtered on the logged-in assuré
(404 otherwise); every write is one short transaction with its audit row.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.documents.delivery import corps_des_messages
from app.documents.pieces_jointes import ACCEPT, FORMATS
from app.documents.uploads import TAILLE_MAX
from app.engine.clock import clock
from app.models import AuditLog, Conversation, Dossier, Message, User

from ..shared import messagerie as msg
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .outils import caisse_pour, ensure_caisse

STATUTS_ASSURE = {"nouveau": "Envoyé", "attribue": "Envoyé", "repondu": "Réponse reçue",
                  "clos": "Clos"}
SERVICE_HINTS = {
    "invalidite": "Votre demande, son instruction, les pièces, la décision, le paiement.",
    "medical": "Une question médicale ou votre convocation : seuls les médecins-conseils "
               "lisent ces messages (secret médical).",
}


def _upload_hint() -> dict:
    return {"accept": ACCEPT, "formats": FORMATS, "taille_max": TAILLE_MAX // (1024 * 1024),
            "max_pieces": msg.MAX_PIECES, "texte_max": msg.TEXTE_MAX}


# ----- the list ----------------------------------------------------------------------------
@bp.get("/messagerie")
@roles("assure")
def messagerie():
    """Conversations and the letters nobody answered, newest activity first."""
    conversations = list(db().scalars(select(Conversation).where(
        Conversation.assure_id == current_user.id).options(
        selectinload(Conversation.dossier))))
    non_lus = msg.unread_by_conversation(current_user.id, [c.id for c in conversations])
    lettres = list(db().scalars(select(Message).where(
        Message.recipient_id == current_user.id, Message.conversation_id.is_(None))))
    numeros = dict(db().execute(select(Dossier.instance_id, Dossier.numero).where(
        Dossier.assure_id == current_user.id)).all())
    entrees = [_entree_conversation(c, non_lus.get(c.id, 0)) for c in conversations]
    entrees += [_entree_lettre(m, numeros) for m in lettres]
    entrees.sort(key=lambda e: (e["date"], e["tri"]), reverse=True)
    return render_template("assure/messagerie.html", entrees=entrees)


def _entree_conversation(conversation: Conversation, non_lus: int) -> dict:
    return {"objet": conversation.objet, "date": conversation.last_activity_at,
            "tri": conversation.id, "non_lus": non_lus,
            "url": url_for(".conversation", conversation_id=conversation.id),
            "service": msg.SERVICES[conversation.service],
            "dossier": conversation.dossier.numero if conversation.dossier else None,
            "statut": STATUTS_ASSURE.get(conversation.statut, ""), "courrier": False}


def _entree_lettre(lettre: Message, numeros: dict) -> dict:
    return {"objet": lettre.objet, "date": lettre.created_at, "tri": lettre.id,
            "non_lus": 0 if lettre.read_at else 1,
            "url": url_for(".message", message_id=lettre.id), "service": None,
            "dossier": numeros.get(lettre.instance_id), "statut": "", "courrier": True}


# ----- a letter ----------------------------------------------------------------------------
def _my_letter(message_id: int) -> Message:
    lettre = db().get(Message, message_id)
    if lettre is None or lettre.recipient_id != current_user.id:
        abort(404)
    return lettre


@bp.get("/messagerie/<int:message_id>")
@roles("assure")
def message(message_id: int):
    lettre = _my_letter(message_id)
    if lettre.read_at is None:
        with services().session_factory() as session, session.begin():
            row = session.get(Message, lettre.id)
            row.read_at = clock.now()
            session.add(AuditLog(at=clock.now(), user_id=current_user.id, action="message_lu",
                                 instance_id=row.instance_id, details={"message_id": row.id}))
        db().refresh(lettre)
    if lettre.conversation_id:  # answered: the letter is the start of that conversation
        return redirect(url_for(".conversation", conversation_id=lettre.conversation_id))
    return _letter_page(lettre, {}, msg.Pieces(), "", 200)


def _letter_page(lettre: Message, errors: dict, pieces: msg.Pieces, texte: str, status: int):
    dossier = db().scalar(select(Dossier).where(Dossier.instance_id == lettre.instance_id)) \
        if lettre.instance_id else None
    # Rendered from the letter's values, every variable escaped (app.documents.rendu).
    corps = corps_des_messages(db(), [lettre])[lettre.id]
    return render_template("assure/message.html", msg=lettre, corps=corps,
                           dossier=dossier, errors=errors, pieces=pieces, texte=texte,
                           services=msg.SERVICES, hints=SERVICE_HINTS,
                           service=request.form.get("service", "invalidite"),
                           **_upload_hint()), status


@bp.post("/messagerie/<int:message_id>/repondre")
@roles("assure")
def message_repondre(message_id: int):
    """Answering a letter starts a conversation that begins with it."""
    lettre = _my_letter(message_id)
    if lettre.conversation_id:
        return conversation_repondre(lettre.conversation_id)
    texte, pieces, errors = _read_message()
    service = request.form.get("service", "invalidite")
    if service not in msg.SERVICES:
        errors["service"] = "Choisissez le service à qui vous écrivez."
    if errors:
        return _letter_page(lettre, errors, pieces, texte, 422)
    dossier = db().scalar(select(Dossier).where(Dossier.instance_id == lettre.instance_id)) \
        if lettre.instance_id else None
    ident = _create(service, dossier, lettre.objet[:255], texte, pieces, lettre_id=lettre.id)
    if ident is None:
        return _letter_page(lettre, {"service": _SANS_CAISSE}, pieces, texte, 422)
    flash("Votre réponse est envoyée.", "success")
    return redirect(url_for(".conversation", conversation_id=ident))


# ----- a new message -------------------------------------------------------------------------
_SANS_CAISSE = ("Votre caisse n'est pas connue : indiquez votre adresse dans « Mes "
                "informations », puis écrivez votre message.")


@bp.route("/messagerie/nouveau", methods=["GET", "POST"])
@roles("assure")
def message_nouveau():
    dossiers = list(db().scalars(select(Dossier).where(Dossier.assure_id == current_user.id)
                                 .order_by(Dossier.id.desc())))
    values = {"service": request.args.get("service", "invalidite"),
              "dossier": request.args.get("dossier", ""),
              "objet": " ".join(request.args.get("objet", "").split())[:msg.OBJET_MAX],
              "texte": ""}
    errors: dict[str, str] = {}
    pieces = msg.Pieces()
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("service", "dossier", "objet")}
        values["objet"] = " ".join(values["objet"].split())
        values["texte"], pieces, errors = _read_message()
        errors.update(_errors_nouveau(values, dossiers))
        if not errors:
            dossier = next((d for d in dossiers if d.numero == values["dossier"]), None)
            ident = _create(values["service"], dossier, values["objet"], values["texte"], pieces)
            if ident is not None:
                flash("Votre message est envoyé. Vous recevrez la réponse dans votre "
                      "messagerie.", "success")
                return redirect(url_for(".conversation", conversation_id=ident))
            errors["service"] = _SANS_CAISSE
    return render_template("assure/messagerie_ecrire.html", values=values, errors=errors,
                           pieces=pieces, dossiers=dossiers, services=msg.SERVICES,
                           hints=SERVICE_HINTS, objet_max=msg.OBJET_MAX,
                           **_upload_hint()), (422 if errors else 200)


def _errors_nouveau(values: dict, dossiers: list[Dossier]) -> dict[str, str]:
    errors = {}
    if values["service"] not in msg.SERVICES:
        errors["service"] = "Choisissez le service à qui vous écrivez."
    if values["dossier"] and values["dossier"] not in {d.numero for d in dossiers}:
        errors["dossier"] = "Choisissez un de vos dossiers, ou « Aucun dossier en particulier »."
    if not values["objet"]:
        errors["objet"] = "Indiquez l'objet de votre message."
    elif len(values["objet"]) > msg.OBJET_MAX:
        errors["objet"] = f"L'objet dépasse {msg.OBJET_MAX} caractères."
    return errors


def _read_message() -> tuple[str, msg.Pieces, dict[str, str]]:
    """The text and the attachments of the form, with their errors (a refused file is named;
    the accepted ones are stored and kept for the next submission)."""
    texte = msg.clean_text(request.form.get("texte"))
    pieces = msg.pieces_from_request()
    errors = {}
    if problem := msg.texte_errors(texte):
        errors["texte"] = problem
    if pieces.errors:
        errors["pieces"] = " ".join(pieces.errors)
    return texte, pieces, errors


def _caisse_of(dossier: Dossier | None) -> str | None:
    if dossier is not None and dossier.caisse_code:
        return dossier.caisse_code
    if current_user.caisse_code:
        return current_user.caisse_code
    try:
        return caisse_pour(current_user.code_postal)
    except ValueError:
        return None


def _create(service: str, dossier: Dossier | None, objet: str, texte: str,
            pieces: msg.Pieces, lettre_id: int | None = None) -> int | None:
    """A new conversation and its first message (None when the caisse is unknown)."""
    caisse = _caisse_of(dossier)
    if caisse is None:
        return None
    now = clock.now()
    with services().session_factory() as session, session.begin():
        ensure_caisse(session, caisse)
        conversation = Conversation(
            caisse_code=caisse, assure_id=current_user.id, service=service, objet=objet,
            dossier_id=dossier.id if dossier else None, statut="nouveau",
            created_at=now, last_activity_at=now)
        session.add(conversation)
        session.flush()
        if lettre_id is not None:
            session.get(Message, lettre_id).conversation_id = conversation.id
        msg.audit_conversation(session, "conversation_ouverte", conversation,
                               dossier=dossier.numero if dossier else None, lettre=lettre_id)
        msg.post_message(session, conversation, _me(session), texte, pieces.documents)
        return conversation.id


def _me(session) -> User:
    return session.get(User, current_user.id)


# ----- a conversation ------------------------------------------------------------------------
@bp.get("/messagerie/conversations/<int:conversation_id>")
@roles("assure")
def conversation(conversation_id: int):
    found = msg.conversation_for_assure(conversation_id)
    msg.mark_read_by_assure(found.id)
    return _conversation_page(found, {}, msg.Pieces(), "", 200)


def _conversation_page(conversation: Conversation, errors: dict, pieces: msg.Pieces,
                       texte: str, status: int):
    db().expire_all()
    messages = msg.messages_of(conversation)
    return render_template(
        "assure/messagerie_conversation.html", conversation=conversation, messages=messages,
        pieces_jointes=msg.attachments_of(messages), service=msg.SERVICES[conversation.service],
        auteurs=msg.authors(conversation, messages, for_staff=False),
        corps=corps_des_messages(db(), messages),
        piece_url=lambda ident: url_for(".conversation_piece", document_id=ident,
                                           conversation_id=conversation.id),
        lettre_url=lambda ident: url_for(".document", document_id=ident),
        errors=errors, pieces=pieces, texte=texte, **_upload_hint()), status


@bp.post("/messagerie/conversations/<int:conversation_id>/repondre")
@roles("assure")
def conversation_repondre(conversation_id: int):
    found = msg.conversation_for_assure(conversation_id)
    texte, pieces, errors = _read_message()
    if errors:
        return _conversation_page(found, errors, pieces, texte, 422)
    with services().session_factory() as session, session.begin():
        conversation = session.get(Conversation, found.id)
        msg.post_message(session, conversation, _me(session), texte, pieces.documents)
    flash("Votre message est envoyé.", "success")
    return redirect(url_for(".conversation", conversation_id=found.id, _anchor="dernier"))


@bp.get("/messagerie/conversations/<int:conversation_id>/pieces/<int:document_id>")
@roles("assure")
def conversation_piece(conversation_id: int, document_id: int):
    found = msg.conversation_for_assure(conversation_id)
    return msg.send_attachment(found, msg.attachment_of(found, document_id))

