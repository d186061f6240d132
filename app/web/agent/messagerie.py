"""The shared inbox « Messages » of a service of a caisse.

Agents see the conversations of their caisse with the Service Invalidité; médecins-conseils
those with the Service médical (secret médical), and nobody else does: another caisse's thread,
or a medical thread for an agent, is « introuvable » (404), its attachments too. A thread is
taken or assigned to a colleague, answered (text and attachments), closed; the assuré's reply
reopens it. Every action writes its audit row.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app.documents.delivery import corps_des_messages
from app.documents.pieces_jointes import ACCEPT, FORMATS
from app.documents.uploads import TAILLE_MAX
from app.engine.clock import clock
from app.models import Conversation, Dossier, User

from ..shared import messagerie as msg
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp

STAFF = ("agent", "medecin_conseil")
VUES = {  # filter → (label, condition on Conversation)
    "a_traiter": ("À traiter", lambda me: Conversation.statut.in_(("nouveau", "attribue"))),
    "non_lus": ("Non lus", lambda me: Conversation.unread_by_staff.is_(True)),
    "a_moi": ("À moi", lambda me: (Conversation.assigned_to_id == me.id)
              & (Conversation.statut != "clos")),
    "non_attribues": ("Non attribués", lambda me: Conversation.assigned_to_id.is_(None)
                      & (Conversation.statut != "clos")),
    "repondus": ("Répondus", lambda me: Conversation.statut == "repondu"),
    "clos": ("Clos", lambda me: Conversation.statut == "clos"),
    "tous": ("Tous", lambda me: Conversation.id.is_not(None)),
}


# The cards show the assuré, the dossier and the assignee: one query each, not one per card.
LIST_LOADS = (selectinload(Conversation.assure), selectinload(Conversation.dossier),
              selectinload(Conversation.assigned_to))


@bp.app_context_processor
def staff_messages_context():
    """`messages_caisse_non_lus` for the header of agents and médecins-conseils."""
    if current_user.is_authenticated and current_user.role in STAFF:
        return {"messages_caisse_non_lus": msg.staff_unread_count(current_user)}
    return {}


@bp.get("/messagerie")
@roles(*STAFF)
def messagerie():
    vue = request.args.get("vue", "")
    vue = vue if vue in VUES else "a_traiter"
    numero = " ".join(request.args.get("numero", "").split())[:40]
    base = msg.staff_conversations(current_user)
    query = base.where(VUES[vue][1](current_user))
    if numero:
        query = query.join(Dossier, Dossier.id == Conversation.dossier_id).where(
            Dossier.numero.ilike(f"%{numero}%"))
    conversations = db().scalars(query.options(*LIST_LOADS).order_by(
        Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(200)).all()
    counts = {key: db().scalar(base.where(cond(current_user)).with_only_columns(
        func.count(Conversation.id))) for key, (_label, cond) in VUES.items()}
    return render_template(
        "agent/messagerie.html", conversations=conversations, vue=vue, numero=numero,
        vues={k: label for k, (label, _c) in VUES.items()}, counts=counts,
        service=msg.SERVICES[msg.SERVICE_OF_ROLE[current_user.role]], statuts=msg.STATUTS)


def _colleagues() -> list[User]:
    """Who a thread may be assigned to: the active staff of the same caisse and role."""
    return list(db().scalars(select(User).where(
        User.role == current_user.role, User.caisse_code == current_user.caisse_code,
        User.active.is_(True)).order_by(User.nom, User.prenom)))


@bp.get("/messagerie/<int:conversation_id>")
@roles(*STAFF)
def conversation(conversation_id: int):
    found = msg.conversation_for_staff(conversation_id)
    with services().session_factory() as session, session.begin():
        row = session.get(Conversation, found.id)
        if row.unread_by_staff:
            msg.mark_read_by_staff(session, row, clock.now())
        msg.audit_conversation(session, "conversation_consultee", row)
    return _page(found, {}, msg.Pieces(), "", 200)


def _page(found: Conversation, errors: dict, pieces: msg.Pieces, texte: str, status: int):
    db().expire_all()
    messages = msg.messages_of(found)
    return render_template(
        "agent/messagerie_conversation.html", conversation=found, messages=messages,
        pieces_jointes=msg.attachments_of(messages), service=msg.SERVICES[found.service],
        statuts=msg.STATUTS, collegues=_colleagues(), errors=errors, pieces=pieces,
        auteurs=msg.authors(found, messages, for_staff=True),
        piece_url=lambda ident: url_for(".conversation_piece", document_id=ident,
                                        conversation_id=found.id),
        lettre_url=lambda ident: url_for(".document", document_id=ident),
        texte=texte, texte_max=msg.TEXTE_MAX, corps=corps_des_messages(db(), messages),
        accept=ACCEPT, formats=FORMATS,
        taille_max=TAILLE_MAX // (1024 * 1024), max_pieces=msg.MAX_PIECES), status


@bp.post("/messagerie/<int:conversation_id>/repondre")
@roles(*STAFF)
def conversation_repondre(conversation_id: int):
    found = msg.conversation_for_staff(conversation_id)
    texte = msg.clean_text(request.form.get("texte"))
    pieces = msg.pieces_from_request()
    errors = {}
    if problem := msg.texte_errors(texte):
        errors["texte"] = problem.replace("votre message", "la réponse").replace(
            "Votre message", "La réponse")
    if pieces.errors:
        errors["pieces"] = " ".join(pieces.errors)
    if errors:
        return _page(found, errors, pieces, texte, 422)
    with services().session_factory() as session, session.begin():
        msg.post_message(session, session.get(Conversation, found.id),
                         session.get(User, current_user.id), texte, pieces.documents)
    flash("Votre réponse est envoyée : l'assuré la trouve dans sa messagerie.", "success")
    return redirect(url_for(".conversation", conversation_id=found.id))


@bp.post("/messagerie/<int:conversation_id>/prendre")
@roles(*STAFF)
def conversation_prendre(conversation_id: int):
    found = msg.conversation_for_staff(conversation_id)
    _assign(found, current_user.id)
    flash("Ce message vous est attribué.", "success")
    return redirect(url_for(".conversation", conversation_id=found.id))


@bp.post("/messagerie/<int:conversation_id>/attribuer")
@roles(*STAFF)
def conversation_attribuer(conversation_id: int):
    found = msg.conversation_for_staff(conversation_id)
    ident = parse_id(request.form.get("assignee_id"))
    person = next((u for u in _colleagues() if u.id == ident), None)
    if person is None:
        flash("Choisissez une personne de votre service.", "error")
    else:
        _assign(found, person.id)
        flash(f"Message attribué à {person.nom_complet}.", "success")
    return redirect(url_for(".conversation", conversation_id=found.id))


def _assign(found: Conversation, person_id: int) -> None:
    with services().session_factory() as session, session.begin():
        row = session.get(Conversation, found.id)
        row.assigned_to_id = person_id
        if row.statut == "nouveau":
            row.statut = "attribue"
        msg.audit_conversation(session, "conversation_attribuee", row, a=person_id)


@bp.post("/messagerie/<int:conversation_id>/clore")
@roles(*STAFF)
def conversation_clore(conversation_id: int):
    found = msg.conversation_for_staff(conversation_id)
    with services().session_factory() as session, session.begin():
        row = session.get(Conversation, found.id)
        row.statut = "clos"
        msg.audit_conversation(session, "conversation_close", row)
    flash("La conversation est close. Un nouveau message de l'assuré la rouvrira.", "success")
    return redirect(url_for(".messagerie"))


@bp.get("/messagerie/<int:conversation_id>/pieces/<int:document_id>")
@roles(*STAFF)
def conversation_piece(conversation_id: int, document_id: int):
    found = msg.conversation_for_staff(conversation_id)
    return msg.send_attachment(found, msg.attachment_of(found, document_id))
