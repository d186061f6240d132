"""Server-side sessions: the signed cookie carries a random token; its row decides.

A copied cookie stops working once its row is revoked (logout, password change, new login
in the same browser) or once it is past its idle (`SESSION_IDLE_MINUTES`) or absolute
(`SESSION_MAX_HOURS`) lifetime, both measured by the app clock — except in demo mode, where
the clock is moved by weeks to show the process and sessions follow real time instead (so
moving the clock logs nobody out). Writes go through their own
transaction, like every write of the web layer; a page read costs one indexed lookup, and
`last_seen_at` is written at most once a minute per session.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, session
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from app.engine.clock import clock
from app.models import AuditLog, SessionUtilisateur, User

from ..shared.services import db, services

TOKEN_KEY = "session_token"  # in Flask's signed cookie
TOUCH_EVERY = timedelta(minutes=1)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_now() -> datetime:
    """The time sessions are measured by (see the module's docstring)."""
    if current_app.config.get("DEMO_MODE"):
        return clock.now() - clock.offset
    return clock.now()


def still_valid(row: SessionUtilisateur, now: datetime, config) -> bool:
    if row.revoked_at is not None:
        return False
    if now - row.last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return False
    return now - row.created_at <= timedelta(hours=config["SESSION_MAX_HOURS"])


def current_user_from_session(user_id: str) -> User | None:
    """Flask-Login's user loader: the user of a live server-side session, or nobody."""
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str) or not token or not user_id.isdigit():
        return None
    row = db().scalar(select(SessionUtilisateur)
                      .where(SessionUtilisateur.token_hash == _hash(token)))
    if row is None or str(row.user_id) != user_id or not row.user.active:
        return None
    now = session_now()
    if not still_valid(row, now, current_app.config):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        with services().session_factory() as write, write.begin():
            write.execute(update(SessionUtilisateur).where(SessionUtilisateur.id == row.id)
                          .values(last_seen_at=now))
    return row.user


def open_session(write: Session, user_id: int) -> None:
    """A new row for this browser (the previous one, if any, is revoked); the rows no
    longer good for anyone are purged on the way (a login is rare enough to pay for it)."""
    now = session_now()
    _revoke_browser(write, now)
    purge_dead(write, now, current_app.config)
    token = secrets.token_urlsafe(32)
    write.add(SessionUtilisateur(token_hash=_hash(token), user_id=user_id, created_at=now,
                                 last_seen_at=now))
    session[TOKEN_KEY] = token


def close_session(user_id: int) -> None:
    """Logout: this browser's row is revoked, with the audit line, in one transaction."""
    with services().session_factory() as write, write.begin():
        _revoke_browser(write, session_now())
        write.add(AuditLog(at=clock.now(), user_id=user_id, action="logout", details={}))
    session.pop(TOKEN_KEY, None)


def revoke_all(write: Session, user_id: int) -> int:
    """Every live session of the user (after a password change); returns how many."""
    result = write.execute(update(SessionUtilisateur)
                           .where(SessionUtilisateur.user_id == user_id,
                                  SessionUtilisateur.revoked_at.is_(None))
                           .values(revoked_at=session_now()))
    return result.rowcount


def _revoke_browser(write: Session, now: datetime) -> None:
    token = session.get(TOKEN_KEY)
    if isinstance(token, str) and token:
        write.execute(update(SessionUtilisateur)
                      .where(SessionUtilisateur.token_hash == _hash(token),
                             SessionUtilisateur.revoked_at.is_(None))
                      .values(revoked_at=now))


def purge_dead(write: Session, now: datetime, config) -> int:
    """Delete the rows that can never open a session again: idle too long, past the absolute
    lifetime (the rule of `still_valid`), or revoked longer ago than the idle lifetime (the
    recent logouts stay readable a while). Returns how many."""
    idle = now - timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    result = write.execute(delete(SessionUtilisateur).where(or_(
        SessionUtilisateur.revoked_at < idle, SessionUtilisateur.last_seen_at < idle,
        SessionUtilisateur.created_at < now - timedelta(hours=config["SESSION_MAX_HOURS"]))))
    return result.rowcount
