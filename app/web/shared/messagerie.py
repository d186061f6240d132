"""The two-way messagerie, shared by the assuré's pages and the staff's inbox.

A conversation links one assuré to one service of one caisse: the Service Invalidité (its
agents) or the Service médical (its médecins-conseils only: medical secret). What each side
may see is decided here, once; each write is one short transaction with its audit row.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import abort, request
from flask_login import current_user
from sqlalchemy import false, func, select, update

from app.documents.depot import garder_document
from app.documents.pieces_jointes import verifier_piece_jointe
from app.engine.clock import clock
from app.models import AuditLog, Conversation, Document, Message, PieceJointe, User

from . import telechargement
from .fichiers import trier_fichiers
from .params import parse_id
from .services import db, services

SERVICES = {"invalidite": "Service Invalidité", "medical": "Service médical"}
SERVICE_OF_ROLE = {"agent": "invalidite", "medecin_conseil": "medical"}
STATUTS = {"nouveau": "Nouveau", "attribue": "Attribué", "repondu": "Répondu", "clos": "Clos"}
KIND = "piece_jointe_message"  # Document.kind of an attachment
MAX_PIECES = 5
OBJET_MAX = 150
TEXTE_MAX = 5000


# ----- who sees what ------------------------------------------------------------------------
def staff_conversations(user: User):
    """The shared inbox of a staff member: their caisse, their role's service, nothing else
    (an agent never sees a Service médical thread, not even in a count)."""
    service = SERVICE_OF_ROLE.get(user.role)
    if service is None or not user.caisse_code:
        return select(Conversation).where(false())
    return select(Conversation).where(Conversation.caisse_code == user.caisse_code,
                                      Conversation.service == service)


def staff_unread_count(user: User) -> int:
    """Conversations of the inbox with a message of the assuré nobody has opened yet."""
    query = staff_conversations(user).where(Conversation.unread_by_staff.is_(True))
    return db().scalar(query.with_only_columns(func.count(Conversation.id))) or 0


def conversation_for_staff(conversation_id: int) -> Conversation:
    """404 for a thread of another caisse or service: its existence is not told."""
    found = db().scalar(staff_conversations(current_user).where(
        Conversation.id == conversation_id))
    if found is None:
        abort(404)
    return found


def conversation_for_assure(conversation_id: int) -> Conversation:
    found = db().get(Conversation, conversation_id)
    if found is None or found.assure_id != current_user.id:
        abort(404)
    return found


def messages_of(conversation: Conversation) -> list[Message]:
    return list(db().scalars(select(Message).where(Message.conversation_id == conversation.id)
                             .order_by(Message.created_at, Message.id)))


def attachments_of(messages: list[Message]) -> dict[int, list[Document]]:
    """Attachments by message id (one query)."""
    ids = [m.id for m in messages]
    found: dict[int, list[Document]] = {}
    if ids:
        for link, document in db().execute(
                select(PieceJointe, Document).join(Document).where(
                    PieceJointe.message_id.in_(ids)).order_by(Document.id)):
            found.setdefault(link.message_id, []).append(document)
    return found


def attachment_of(conversation: Conversation, document_id: int) -> Document:
    """A document attached to a message of this conversation, else 404."""
    document = db().scalar(select(Document).join(PieceJointe).join(
        Message, Message.id == PieceJointe.message_id).where(
        Document.id == document_id, Message.conversation_id == conversation.id))
    if document is None:
        abort(404)
    return document


# ----- attachments from a form --------------------------------------------------------------
@dataclass
class Pieces:
    """Attachments of a message being written: those already stored (kept across a refused
    submission, so one bad file never drops the good ones) and what went wrong."""

    documents: list[Document] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def pieces_from_request() -> Pieces:
    pieces = Pieces(documents=_kept_documents())
    files = [f for f in request.files.getlist("pieces") if f and f.filename]
    if len(pieces.documents) + len(files) > MAX_PIECES:
        pieces.errors.append(f"Vous pouvez joindre au plus {MAX_PIECES} fichiers à un message.")
        return pieces
    checked, refuses = trier_fichiers(files, verifier_piece_jointe, defaut="piece_jointe")
    pieces.errors += refuses
    if checked:
        pieces.documents += _store(checked)
    return pieces


def _kept_documents() -> list[Document]:
    """Attachments stored by an earlier, refused submission of this person, not yet sent."""
    ids = {i for i in (parse_id(v) for v in request.form.getlist("piece_gardee")) if i}
    if not ids:
        return []
    sent = select(PieceJointe.document_id).where(PieceJointe.document_id.in_(ids))
    return list(db().scalars(select(Document).where(
        Document.id.in_(ids), Document.owner_id == current_user.id, Document.kind == KIND,
        Document.id.not_in(sent)).order_by(Document.id)))[:MAX_PIECES]


def _store(checked: list[tuple[str, bytes, str]]) -> list[Document]:
    stored = []
    with services().session_factory() as session, session.begin():
        for nom, content, content_type in checked:
            stored.append(garder_document(session, services().store, nom=nom, content=content,
                                  content_type=content_type, kind=KIND,
                                  owner_id=current_user.id, instance_id=None,
                                  user_id=current_user.id, action="piece_jointe_deposee").id)
    return list(db().scalars(select(Document).where(Document.id.in_(stored))))


def texte_errors(texte: str) -> str | None:
    if not texte:
        return "Écrivez votre message."
    if len(texte) > TEXTE_MAX:
        return f"Votre message dépasse {TEXTE_MAX} caractères ({len(texte)} saisis)."
    return None


def clean_text(value: str | None) -> str:
    """The text typed, with Windows line ends folded (the page shows line breaks)."""
    return (value or "").replace("\r\n", "\n").strip()


# ----- writes (one transaction each, with the audit row) ------------------------------------
def post_message(session, conversation: Conversation, author: User, texte: str,
                 documents: list[Document]) -> Message:
    """Add a message to the conversation and move its status: the assuré's message waits for
    the service (nouveau, or attribué when someone holds it); the staff's answer is unread
    for the assuré and marks the thread answered and the assuré's messages read."""
    now = clock.now()
    by_assure = author.id == conversation.assure_id
    message = Message(
        conversation_id=conversation.id, objet=conversation.objet, texte=texte,
        author_kind="assure" if by_assure else "staff", author_id=author.id,
        recipient_id=None if by_assure else conversation.assure_id, created_at=now)
    session.add(message)
    session.flush()
    for document in documents:
        session.add(PieceJointe(message_id=message.id, document_id=document.id))
    if by_assure:
        conversation.statut = "attribue" if conversation.assigned_to_id else "nouveau"
        conversation.unread_by_staff = True
    else:
        mark_read_by_staff(session, conversation, now)
        conversation.statut = "repondu"
        conversation.assigned_to_id = conversation.assigned_to_id or author.id
    conversation.last_activity_at = now
    audit_conversation(session, "message_envoye" if by_assure else "reponse_envoyee",
                       conversation, message_id=message.id,
                       pieces=[d.id for d in documents])
    return message


def mark_read_by_staff(session, conversation: Conversation, now) -> None:
    session.execute(update(Message).where(
        Message.conversation_id == conversation.id, Message.author_kind == "assure",
        Message.read_at.is_(None)).values(read_at=now))
    conversation.unread_by_staff = False


def mark_read_by_assure(conversation_id: int) -> int:
    """Mark what the caisse sent in this thread as read; the number of messages marked."""
    now = clock.now()
    with services().session_factory() as session, session.begin():
        done = session.execute(update(Message).where(
            Message.conversation_id == conversation_id,
            Message.recipient_id == current_user.id, Message.read_at.is_(None))
            .values(read_at=now)).rowcount
        if done:
            conversation = session.get(Conversation, conversation_id)
            audit_conversation(session, "message_lu", conversation, nombre=done)
    return done


def audit_conversation(session, action: str, conversation: Conversation, **details) -> None:
    """One audit row; never the text (it may be medical), only ids and the service."""
    session.add(AuditLog(at=clock.now(), user_id=current_user.id, action=action,
                         details={"conversation_id": conversation.id,
                                  "service": conversation.service, **details}))


def send_attachment(conversation: Conversation, document: Document):
    """The file as a download (never shown inline), after its audit row."""
    with services().session_factory() as session, session.begin():
        audit_conversation(session, "piece_jointe_telechargee", conversation,
                           document_id=document.id)
    data = services().store.read(document.stored_name, document.sha256)
    return telechargement.document(data, document.content_type, document.original_name,
                                   "piece_jointe")


def unread_by_conversation(user_id: int, ids: list[int]) -> dict[int, int]:
    """For the assuré: unread messages of the caisse, by conversation."""
    if not ids:
        return {}
    return dict(db().execute(select(Message.conversation_id, func.count(Message.id)).where(
        Message.conversation_id.in_(ids), Message.recipient_id == user_id,
        Message.read_at.is_(None)).group_by(Message.conversation_id)).all())


def authors(conversation: Conversation, messages: list[Message], for_staff: bool) -> dict:
    """Who wrote each message, as the reader should see it (message id → label). The assuré
    sees the service, not the staff member's name."""
    service = f"{SERVICES[conversation.service]} — {conversation.caisse_code}"
    if not for_staff:
        labels = {"assure": "Vous", "staff": service, "system": "Courrier de votre caisse"}
        return {m.id: labels.get(m.author_kind, service) for m in messages}
    ids = {m.author_id for m in messages if m.author_id}
    names = {u.id: u.nom_complet for u in db().scalars(
        select(User).where(User.id.in_(ids)))} if ids else {}
    return {m.id: f"{names.get(m.author_id, '')} (assuré)" if m.author_kind == "assure"
            else names.get(m.author_id, service) if m.author_kind == "staff"
            else "Courrier envoyé par le processus" for m in messages}
