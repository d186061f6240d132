"""Messagerie threads: one conversation between an assuré and a service of their caisse.

A conversation holds the messages (`records.Message`) written by the assuré, by the staff of
the service, and the letters the process sent (a letter starts a conversation when the assuré
answers it). Attachments are ordinary `Document` rows linked through `PieceJointe`.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .dossier import Dossier
from .user import User

SERVICES = ("invalidite", "medical")  # Service Invalidité, Service médical (secret médical)
STATUTS_CONVERSATION = ("nouveau", "attribue", "repondu", "clos")
AUTEURS = ("assure", "staff", "system")  # who wrote a message (system = a letter)


class Conversation(Base):
    __tablename__ = "conversation"
    __table_args__ = (
        # The shared inbox: one caisse and service, by status, newest activity first.
        Index("ix_conversation_inbox", "caisse_code", "service", "statut", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caisse_code: Mapped[str] = mapped_column(ForeignKey("caisse.code"))
    assure_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossier.id"), index=True)
    service: Mapped[str] = mapped_column(String(20))
    objet: Mapped[str] = mapped_column(String(255))
    statut: Mapped[str] = mapped_column(String(20), default="nouveau")
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # A message of the assuré that nobody of the service has opened yet.
    unread_by_staff: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    last_activity_at: Mapped[datetime]

    assure: Mapped[User] = relationship(foreign_keys=[assure_id])
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    dossier: Mapped[Dossier | None] = relationship()


class PieceJointe(Base):
    """A document attached to a message of a conversation."""

    __tablename__ = "piece_jointe"

    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True,
                                             unique=True)
