"""Database engine and sessions for SQLite (embedded default) and PostgreSQL (scale-out)."""
from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker


def make_engine(url: str, reader: bool = False) -> Engine:
    """`reader=True` (SQLite): plain deferred transactions, for small reads that must not
    wait behind — or deadlock with — a write transaction of the same thread (the clock)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        if not reader:
            event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets readers work while the timer worker writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection) -> None:
    connection.connection.driver_connection.isolation_level = None  # we issue BEGIN ourselves
    # BEGIN IMMEDIATE takes the write lock up front: two writers queue instead of one
    # failing half-way with "database is locked" after reading stale data.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker:
    return sessionmaker(engine, expire_on_commit=False)


def read_session_factory(url: str, engine: Engine) -> sessionmaker:
    """Sessions for page reads and the clock (see `make_engine(reader=True)`): on SQLite they
    never hold the write lock, so a page may read, then call the runtime, which writes."""
    if url.startswith("sqlite"):
        return make_session_factory(make_engine(url, reader=True))
    return make_session_factory(engine)
