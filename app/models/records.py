"""Messagerie, stored documents, audit trail and app-wide settings."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Document(Base):
    """An uploaded or generated file, stored outside the web root under a random name."""

    __tablename__ = "document"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))  # avis_imposition, accuse_reception, ...
    original_name: Mapped[str] = mapped_column(String(255))
    # Empty while a letter waits for its PDF (models/courrier.py): the row exists from the
    # step on, so the messagerie and the dossier list it before the file is made.
    stored_name: Mapped[str | None] = mapped_column(String(100), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    content_type: Mapped[str] = mapped_column(String(100), default="application/pdf")
    created_at: Mapped[datetime]


class Message(Base):
    """One message of the messagerie: a letter of the process (HTML body, PDF Document), or
    a text written by the assuré or by the staff inside a conversation (models/messagerie.py).

    `recipient_id` is the assuré for what the caisse sends (letters, answers: the unread count
    of the assuré) and empty for what the assuré writes; `read_at` is when the other side
    first read it. Only letters carry `instance_id`: written messages reach a dossier through
    their conversation, so that no medical message ever shows among a dossier's letters.
    """

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_inbox", "recipient_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    objet: Mapped[str] = mapped_column(String(255))
    # Notices (escaped when built); empty for a letter, whose text is rendered from its
    # `Courrier` on read (documents/delivery.py `corps_des_messages`); older letters keep theirs.
    corps_html: Mapped[str] = mapped_column(Text, default="")
    texte: Mapped[str] = mapped_column(Text, default="")  # written messages (plain text)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    # Set by object in a step, so the letter's rows go out in one flush (no flush per letter).
    document: Mapped["Document | None"] = relationship(lazy="raise_on_sql")
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id"),
                                                        index=True)
    author_kind: Mapped[str] = mapped_column(String(10), default="system")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_instance_at", "instance_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(60), index=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"))
    element_id: Mapped[str] = mapped_column(String(100), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    def __init__(self, **values):
        # Every column given, even when empty: rows with the same keys go out in one
        # multi-row INSERT at flush (a timer batch writes hundreds), not one per key set.
        values.setdefault("user_id", None)
        values.setdefault("instance_id", None)
        values.setdefault("element_id", "")
        values.setdefault("details", {})
        super().__init__(**values)


class AppSetting(Base):
    """Small shared values every process must agree on (the demo clock offset)."""

    __tablename__ = "app_setting"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# Audit lines waiting in `session.info` to go out in one statement (a step's, a timer
# batch's): no ORM unit of work for them.
PENDING_AUDIT = "audit_lines_pending"
FEW_AUDIT_LINES = 8  # up to this many on PostgreSQL: one INSERT … RETURNING (see below)


def journaliser(session, action: str, *, at: datetime, instance_id: int | None = None,
                user_id: int | None = None, element_id: str = "",
                details: dict | None = None) -> None:
    """One audit line in the caller's transaction: pending when a step or a batch collects
    its lines (`ecrire_journal`), else an ORM row."""
    row = {"at": at, "user_id": user_id, "action": action, "instance_id": instance_id,
           "element_id": element_id or "", "details": details or {}}
    pending = session.info.get(PENDING_AUDIT)
    if pending is None:
        session.add(AuditLog(**row))
    else:
        pending.append(row)


def ecrire_journal(session, returning: bool = True) -> None:
    """The pending audit lines in one statement; later lines of the transaction are ORM rows.
    Never a multi-row `insert().values(rows)`: SQLAlchemy compiles it again on every call
    (0.37 ms for one row on PostgreSQL). A step's few lines on PostgreSQL: RETURNING makes
    SQLAlchemy send one cached multi-row INSERT (insertmanyvalues); a plain executemany
    would be a psycopg pipeline, dearer for a few rows but not for a timer batch's hundreds.
    SQLite, in process: executemany. `returning=False`: inside a psycopg pipeline (a step's
    last writes, app/engine/step_writes.py), where no result is read before the COMMIT."""
    rows = session.info.pop(PENDING_AUDIT, None)
    if not rows:
        return
    table = AuditLog.__table__
    few = returning and len(rows) <= FEW_AUDIT_LINES and \
        session.get_bind().dialect.name == "postgresql"
    # `inline()`: no implicit RETURNING of the id when there is one line (a pipeline reads
    # nothing back before its COMMIT).
    session.execute(table.insert().returning(table.c.id) if few else table.insert().inline(),
                    rows)

