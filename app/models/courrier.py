"""A letter of the process as data, and the outbox row that gets its PDF made after commit.

The step that writes a letter records here what it says — the template (`modele`), the
template's version, the values filled in (canonical JSON) and their SHA-256 — together with
the `Document` row the messagerie already points at, whose file is still missing
(`stored_name` empty). A worker (`flask run-timers`) or the first download renders the PDF,
stores it and fills the document in; until then the row stays `pending`, so a process dying
between the commit and the rendering loses nothing. A failed rendering is counted
(`attempts`, `last_error`) and tried again from `retry_at`.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

PENDING, DONE = "pending", "done"


class Courrier(Base):
    __tablename__ = "courrier"
    __table_args__ = (Index("ix_courrier_a_rendre", "status", "retry_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), unique=True)
    # Set by object in a step, so the letter's rows go out in one flush (no flush per letter).
    document: Mapped["Document"] = relationship(lazy="raise_on_sql")  # noqa: F821
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"),
                                                    index=True)
    modele: Mapped[str] = mapped_column(String(60))
    version_modele: Mapped[str] = mapped_column(String(64))
    valeurs: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    empreinte: Mapped[str] = mapped_column(String(64))  # SHA-256 of modele, version, valeurs
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    rendered_at: Mapped[datetime | None]
