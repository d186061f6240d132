"""Database engine and sessions for SQLite (embedded default) and PostgreSQL (scale-out)."""
from __future__ import annotations

from time import monotonic

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
    # LIFO: a request hands its connection back before the step (app/web/shared/completion.py)
    # and the step takes the same one again, so one request uses one connection.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True,
                           pool_use_lifo=True)
    _ping_only_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 0.5


def _ping_only_idle(engine: Engine) -> None:
    """Pre-ping a pooled connection only if it sat idle: one handed back less than half a
    second ago was alive then (HikariCP's bypass window). Under traffic, a request's two
    checkouts (its reads, then the runtime's step) then cost no extra round trip each."""
    returned: dict[int, float] = {}
    ping = engine.dialect.do_ping

    def do_ping(dbapi_connection) -> bool:
        if monotonic() - returned.get(id(dbapi_connection), 0.0) < PING_AFTER_IDLE_SECONDS:
            return True
        return ping(dbapi_connection)

    engine.dialect.do_ping = do_ping
    event.listen(engine, "checkin", lambda dbapi_connection, _record: returned.__setitem__(
        id(dbapi_connection), monotonic()))
    event.listen(engine, "close", lambda dbapi_connection, _record: returned.pop(
        id(dbapi_connection), None))


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
    never hold the write lock, so a page may read, then call the runtime, which writes.

    On PostgreSQL they read in autocommit: under READ COMMITTED each statement sees its own
    snapshot anyway, so an explicit transaction only added a BEGIN and a ROLLBACK round trip
    to every request. Pages write through `session_factory` (one transaction each)."""
    if url.startswith("sqlite"):
        return make_session_factory(make_engine(url, reader=True))
    return make_session_factory(engine.execution_options(isolation_level="AUTOCOMMIT"))
