"""The objects a request needs (database session, runtime, document store), per app."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session, sessionmaker

from app.engine.clock import clock
from app.engine.runtime import Runtime
from app.models import AuditLog


@dataclass
class Services:
    engine: object
    session_factory: sessionmaker  # write transactions (runtime, CLI)
    read_factory: sessionmaker  # page reads
    runtime: Runtime
    store: object = None
    timer_worker: object = None


def services() -> Services:
    return current_app.extensions["invalidite"]


def db() -> Session:
    """The request's read session (writes go through the runtime, one transaction each)."""
    if "db" not in g:
        g.db = services().read_factory()
    return g.db


def release_reads() -> None:
    """Hand the read session's connection back before a step: the step takes that same
    connection from the (LIFO) pool, so a request holds one connection, not two at once."""
    session = g.get("db")
    if session is not None:
        session.commit()  # nothing to write: ends the read (objects stay loaded)


def close_db(_exc=None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def audit(action: str, details: dict, instance_id: int | None = None) -> None:
    """An audit-log line by the signed-in user (its own transaction: the request's read
    session never writes; on PostgreSQL it reads in autocommit, app/db.py)."""
    with services().session_factory() as session, session.begin():
        session.add(AuditLog(at=clock.now(), user_id=current_user.id, action=action,
                             instance_id=instance_id, element_id="", details=details))
