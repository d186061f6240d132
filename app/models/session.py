"""Server-side login sessions: the cookie only carries a random token, this row says whether
it is still good.

Only the token's SHA-256 is stored, so a copy of this table opens no session. A row is
revoked on logout, on a password change (all of the user's rows) and on a new login in the
same browser; a row is also refused past its idle or absolute lifetime (checked by the web
layer against the app clock and its settings).
"""
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base
from .user import User


class SessionUtilisateur(Base):
    __tablename__ = "session_utilisateur"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")
