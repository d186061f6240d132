"""Internal notes on a dossier: what the back office writes for itself.

Never shown to the assuré (no page, letter or export of theirs reads this table). A note
marked `medicale` is written and read by médecins-conseils only (secret médical): the web
layer filters on it for every other role.
"""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .user import User


class NoteInterne(Base):
    __tablename__ = "note_interne"
    # A dossier's notes, newest first: one index range.
    __table_args__ = (Index("ix_note_interne_dossier", "dossier_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossier.id"))
    auteur_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    texte: Mapped[str] = mapped_column(Text)
    medicale: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]

    auteur: Mapped[User] = relationship(lazy="joined")
