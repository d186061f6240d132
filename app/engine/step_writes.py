"""The writes every step makes, kept as plain rows and sent at its end (issue 13: ≤ 4 round
trips for a completion on PostgreSQL).

Every step changes the same rows: its instance (state, next timer, step label, under the
optimistic `lock_version`), the human tasks it closes and opens, and its audit lines. While
the step runs they wait here (`StepWrites`); `write_step` sends them at the end, one statement each,
after whatever the ORM still holds (rows the hooks added: letters, a dossier, new tasks).

On PostgreSQL the step reads outside any transaction: one SELECT is one consistent snapshot,
and the version check catches a concurrent change, as on SQLite. `BEGIN` goes out just before
the step's first write (`_begin_before_write`), so a step that only writes these rows sends
BEGIN, its writes and COMMIT in one psycopg pipeline: ONE round trip. The client cannot
read the instance UPDATE's row count before that COMMIT, so the server checks it: the UPDATE
runs inside a statement that calls `version_attendue` (migration 0013), which aborts the
transaction (SQLSTATE 40001) unless exactly one row was written; nothing of the step is then
committed, and the step raises StaleDataError as with the ORM's own check.

On SQLite the same rows are written by executemany and the row count is checked in process.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import bindparam, event, func, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.models import HumanTask, ProcessInstance
from app.models.records import ecrire_journal

from .persistence import pending_changes, write_states

_BEGIN_AT_FIRST_WRITE = "invalidite_begin_at_first_write"  # an execution option


@dataclass
class StepWrites:
    """What a step will write at its end (see the module's docstring)."""

    instance: ProcessInstance | None = None
    row: dict | None = None  # the instance's new columns, `persistence.record_state_unflushed`
    closed: list[dict] = field(default_factory=list)  # human tasks closed: id + new columns
    opened: list[dict] = field(default_factory=list)  # human tasks opened: every column
    begun: bool = False  # PostgreSQL: BEGIN sent (or queued in the pipeline)


def defer_writes(session) -> StepWrites:
    """Called first in a step's session (before any statement). On PostgreSQL (psycopg) its
    connection reads in autocommit and begins its transaction at the first write."""
    writes = StepWrites()
    bind = session.get_bind()
    if _pipelined(bind):
        if not event.contains(bind, "before_cursor_execute", _begin_before_write):
            event.listen(bind, "before_cursor_execute", _begin_before_write)
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT",
                                              _BEGIN_AT_FIRST_WRITE: writes})
    return writes


def _pipelined(bind) -> bool:
    return bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg"


def _begin_before_write(conn, cursor, statement, parameters, context, executemany) -> None:
    """`before_cursor_execute`: BEGIN before the first statement that is not a plain read
    (a write, a lock, a savepoint); queued with it when a pipeline is open."""
    writes = conn.get_execution_options().get(_BEGIN_AT_FIRST_WRITE)
    if writes is None or writes.begun:
        return
    if statement.startswith("SELECT") and "FOR UPDATE" not in statement \
            and "FOR SHARE" not in statement:
        return
    writes.begun = True
    cursor.connection.execute("BEGIN")


def write_step(session, writes: StepWrites) -> None:
    """The step's rows, then the COMMIT (PostgreSQL) or nothing (SQLite: the caller's
    transaction commits). A concurrent change of the instance raises StaleDataError."""
    _fold_late_changes(session, writes)
    session.flush()  # rows the hooks added; the ORM reads their ids
    bind = session.get_bind()
    if not _pipelined(bind):
        _write_rows(session, writes, guarded=False)
        return
    from psycopg.errors import SerializationFailure

    driver = session.connection().connection.driver_connection
    try:
        with driver.pipeline():  # leaving it sends everything queued, then waits once
            _write_rows(session, writes, guarded=True)
            if writes.begun:
                driver.execute("COMMIT")
    except (SerializationFailure, OperationalError) as err:
        # Raised when the pipeline is read: at its end, or by a later statement of it
        # (SQLAlchemy wraps it then).
        failure = getattr(err, "orig", err)
        if not isinstance(failure, SerializationFailure):
            raise
        raise StaleDataError(str(failure).splitlines()[0]) from err


def _fold_late_changes(session, writes: StepWrites) -> None:
    """A change made to the instance after its row was taken (by a hook) joins the row, so
    the ORM never writes the instance a second time under a version it already moved."""
    if writes.row is None:
        return
    for name, value in pending_changes(writes.instance).items():
        writes.row[name] = value
        set_committed_value(writes.instance, name, value)


def _write_rows(session, writes: StepWrites, guarded: bool) -> None:
    connection = session.connection()
    if writes.row is not None:
        if guarded:
            columns = tuple(sorted(set(writes.row) - {"b_id", "b_version"}))
            connection.execute(_guarded_update(columns), _prefixed(writes.row))
        else:
            write_states(session, [writes.row])
    by_columns: dict[tuple, list] = {}  # rows with the same columns: one executemany
    for row in writes.closed:
        by_columns.setdefault(tuple(sorted(set(row) - {"b_id"})), []).append(row)
    for columns, rows in by_columns.items():
        connection.execute(_close_tasks(columns), [_prefixed(row) for row in rows])
    if writes.opened:  # `inline()`: no id read back (none is needed before the commit)
        connection.execute(HumanTask.__table__.insert().inline(), writes.opened)
    ecrire_journal(session, returning=not guarded)
    writes.row, writes.closed, writes.opened = None, [], []


@cache
def _guarded_update(keys: tuple[str, ...]):
    """UPDATE of the instance under its version, inside a SELECT that fails the transaction
    unless it wrote exactly one row (built once per set of columns)."""
    table = ProcessInstance.__table__
    written = (update(table)
               .where(table.c.id == bindparam("b_id"),
                      table.c.lock_version == bindparam("b_version"))
               .values(_set_from_params(table, keys)
                       | {"lock_version": table.c.lock_version + 1})
               .returning(table.c.id).cte("ecrite"))
    return select(func.version_attendue(func.count(), bindparam("b_id"))).select_from(written)


@cache
def _close_tasks(columns: tuple[str, ...]):
    table = HumanTask.__table__
    return update(table).where(table.c.id == bindparam("b_id")).values(
        _set_from_params(table, columns))


def _set_from_params(table, columns: tuple[str, ...]) -> dict:
    """SET column = :v_column for each column, typed as the column (JSON, dates)."""
    return {key: bindparam(f"v_{key}", type_=table.c[key].type) for key in columns}


def _prefixed(row: dict) -> dict:
    # A SET value's parameter may not bear its column's name (SQLAlchemy reserves it).
    return {key if key.startswith("b_") else f"v_{key}": value for key, value in row.items()}
