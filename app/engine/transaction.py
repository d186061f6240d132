"""The transactions of the runtime: one `with` block, one session, one transaction.

On SQLite a step's session defers its transaction to its first write (see `deferred_sessions`),
so no lock is held while the engine runs scripts; the optimistic `lock_version` catches a
concurrent change.
"""
from __future__ import annotations

import weakref

from sqlalchemy.orm import Session, sessionmaker

_DEFERRED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def deferred_sessions(session_factory: sessionmaker) -> sessionmaker:
    """On SQLite, sessions whose transaction starts at the first write (reads outside any
    transaction, like page reads), so nothing is locked while the engine runs scripts; the
    main engine's `BEGIN IMMEDIATE` would hold the write lock from the first read."""
    bind = session_factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite" or \
            bind.url.database in (None, "", ":memory:"):
        return session_factory
    found = _DEFERRED.get(bind)
    if found is None:
        from sqlalchemy import event

        from app.db import read_session_factory

        found = read_session_factory(bind.url.render_as_string(hide_password=False), bind)
        reader = found.kw["bind"]
        event.listen(bind, "engine_disposed", lambda _connection: reader.dispose())
        _DEFERRED[bind] = found
    return found


class Transaction:
    """`with` block = one session + one transaction, committed on success.

    Inside an outer session (the timer worker holding row locks) it is a savepoint instead,
    so the worker's own lock never blocks the step it is running.
    """

    def __init__(self, factory, outer: Session | None = None):
        self.factory, self.outer = factory, outer

    def __enter__(self) -> Session:
        if self.outer is not None:
            self.nested = self.outer.begin_nested()
            return self.outer
        self.session = self.factory()
        self.session.begin()
        return self.session

    def __exit__(self, exc_type, exc, tb) -> None:
        if self.outer is not None:
            # Only the savepoint is undone: the outer transaction (and its row locks) stays
            # usable for the other instances of the batch.
            if exc_type is None:
                try:
                    self.nested.commit()
                except BaseException:
                    if self.nested.is_active:
                        self.nested.rollback()
                    raise
            elif self.nested.is_active:
                self.nested.rollback()
            return
        try:
            if exc_type is None:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()
