"""What one step costs the database (issue 13, point 1): statements counted, never timed.

A completion through the runtime reads the task, its instance and the workflow state in one
statement and writes each table it changes once; the state column is never read unless a
step (or a page that shows the workflow) asks for it. Over HTTP, the page and the JSON API
add the signed-in person's session (with the user, in one statement) and the checks of the
task, and nothing reads the state twice.
"""
from __future__ import annotations

import io
import itertools
import re
import tempfile
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

from app.engine import clock as clock_module
from app.engine.clock import clock
from app.models import AuditLog, HumanTask, ProcessInstance

from .conftest import login
from .test_instruction_outils import dossier_recu, task
from .test_runtime import open_task


class Statements(list):
    """The SQL statements sent while the block ran, on every engine of the process."""

    checkouts = 0
    out = 0  # connections checked out now
    most_at_once = 0
    connections: set  # the DBAPI connections used (by identity)

    def reading_state(self) -> list[str]:
        # The state column, selected (not the UPDATE/INSERT that writes it).
        return [s for s in self if s.startswith("SELECT") and re.search(
            r"process_instance(_\d)?\.state AS TEXT", s)]

    def shapes(self) -> list[str]:
        """What each statement does: its verb and table(s), e.g. « human_task LEFT OUTER »."""
        flat = [" ".join(s.split()) for s in self]
        return [s.split(" FROM ")[1][:30] if s.startswith("SELECT") else " ".join(s.split()[:3])
                for s in flat]

    def kinds(self) -> list[str]:
        return [" ".join(s.split()[:3]) for s in self]

    def round_trips(self) -> int:
        """PostgreSQL: the times the client waited for the server, read off libpq's trace of
        every connection used (BEGIN and COMMIT included, which no SQLAlchemy listener sees):
        each run of messages sent (F) that the server then answers (B)."""
        directions = [line.split("\t")[1] for line in self.trace if line.count("\t") > 1]
        return sum(1 for sent, answer in itertools.pairwise(directions)
                   if (sent, answer) == ("F", "B"))


@contextmanager
def counted():
    seen = Statements()
    seen.connections, seen.trace = set(), []
    traced: dict[int, tuple] = {}  # PostgreSQL connections: libpq traces them into a file

    def before(_conn, _cursor, statement, _params, _context, _many):
        # The clock reads its shared offset at most twice a second (app/engine/clock.py),
        # whatever the traffic; a new SQLite connection sets its pragmas once.
        # SQLite's `BEGIN IMMEDIATE` is the transaction itself, as the driver's implicit BEGIN
        # on PostgreSQL (which no listener sees): neither is counted.
        if "app_setting" not in statement and not statement.startswith(("PRAGMA", "BEGIN")):
            seen.append(statement.strip())

    def checkout(dbapi_connection, *_args):
        seen.checkouts += 1
        seen.out += 1
        seen.most_at_once = max(seen.most_at_once, seen.out)
        seen.connections.add(id(dbapi_connection))
        pgconn = getattr(dbapi_connection, "pgconn", None)
        if pgconn is not None and id(dbapi_connection) not in traced:
            sink = tempfile.TemporaryFile()  # noqa: SIM115 - closed once read, below
            pgconn.trace(sink.fileno())
            traced[id(dbapi_connection)] = (pgconn, sink)

    def checkin(*_args):
        seen.out -= 1

    # The demo clock re-reads its shared offset twice a second, on a connection of its own:
    # read it now, then not during the count (its checkouts would depend on timing).
    clock.now()
    reload_seconds, clock_module.RELOAD_SECONDS = clock_module.RELOAD_SECONDS, float("inf")
    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Pool, "checkout", checkout)
    event.listen(Pool, "checkin", checkin)
    try:
        yield seen
    finally:
        clock_module.RELOAD_SECONDS = reload_seconds
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Pool, "checkout", checkout)
        event.remove(Pool, "checkin", checkin)
        for pgconn, sink in traced.values():
            pgconn.untrace()
            sink.seek(0)
            seen.trace += sink.read().decode(errors="replace").splitlines()
            sink.close()


@pytest.fixture
def petit(runtime, deployed_fixtures, users):
    instance_id = runtime.start("petit_processus", user_id=users["agent.cramif"].id,
                                caisse_code="CRAMIF")
    return instance_id


def test_a_runtime_completion_is_one_read_and_one_write_per_table(runtime, session_factory,
                                                                   petit, users):
    agent = users["agent.cramif"]
    row = open_task(session_factory, petit)
    with counted() as first:
        runtime.complete_task(row.id, agent, {"montant": 60})  # opens « Valider le montant »
    row = open_task(session_factory, petit)
    with counted() as last:
        runtime.complete_task(row.id, agent, {})  # ends the process
    # 1. SELECT the task joined to its instance (state included) and process version; the
    #    open rows to close are the task just read (no second SELECT, persistence.py);
    # 2. UPDATE the instance (state, next timer, step label; lock version checked: on
    #    PostgreSQL by the server, inside `WITH ecrite AS (UPDATE …) SELECT version_attendue`);
    # 3. UPDATE the task completed;
    # 4. INSERT the step's audit lines, all in one (task held on submit, task completed).
    # A step that opens a next task INSERTs it before its audit lines.
    pipelined = "postgresql" in str(session_factory.kw["bind"].url)
    steps = ["human_task LEFT OUTER JOIN pro",
             "WITH ecrite AS" if pipelined else "UPDATE process_instance SET",
             "UPDATE human_task SET", "INSERT INTO audit_log"]
    assert last.shapes() == steps, last.shapes()
    assert first.shapes() == [*steps[:3], "INSERT INTO human_task", steps[3]], first.shapes()
    assert len(first.reading_state()) == len(last.reading_state()) == 1
    if pipelined:  # the read; then BEGIN, the writes and COMMIT in one pipeline
        assert last.round_trips() == first.round_trips() == 2, "\n".join(first.trace)
    with session_factory() as session:
        assert session.get(ProcessInstance, petit).status == "completed"
        assert session.get(HumanTask, row.id).status == "completed"
        assert [a.action for a in session.scalars(select(AuditLog).where(
            AuditLog.instance_id == petit).order_by(AuditLog.id))] == [
            "instance_started", "task_claimed", "task_completed", "task_claimed",
            "task_completed"]


def test_the_task_rows_never_bring_the_state_along(session_factory, petit):
    with counted() as statements, session_factory() as session:
        rows = session.scalars(select(HumanTask)).all()
        assert rows[0].instance.status == "running"  # joined, without the state
    assert len(statements) == 1 and not statements.reading_state()
    with counted() as statements, session_factory() as session:
        assert session.get(ProcessInstance, petit).state["data"] is not None
    assert len(statements.reading_state()) == 1  # read when asked, in its own statement


def test_a_completion_through_the_api_reads_the_state_once(client, petit, session_factory):
    login(client, "agent.cramif")
    row = open_task(session_factory, petit)
    client.post(f"/api/taches/{row.id}/completer", json={"donnees": {"montant": 60}})
    row = open_task(session_factory, petit)
    with counted() as statements:
        response = client.post(f"/api/taches/{row.id}/completer", json={"donnees": {}})
    assert response.status_code == 200, response.get_json()
    # The session with its user (1), the task with its instance, no state (1), the
    # runtime's four (see above), the next tasks the answer lists (1): no second look for
    # due timers, no second read of the state.
    assert len(statements.reading_state()) == 1, statements
    # The task is read once, by the step itself (the door's checks run inside it): the
    # session with its user, the step's four, the next tasks.
    pipelined = web_url(client).startswith("postgresql")
    assert statements.shapes() == [
        "session_utilisateur LEFT OUTER", "human_task LEFT OUTER JOIN pro",
        "WITH ecrite AS" if pipelined else "UPDATE process_instance SET",
        "UPDATE human_task SET", "INSERT INTO audit_log",
        "human_task JOIN process_instan"], statements.shapes()
    if pipelined:
        # Issue 13: ≤ 4 round trips. 1. the session with its user; 2. the step's read
        # (outside any transaction); 3. BEGIN, the three writes and COMMIT, one pipeline;
        # 4. the next tasks of the answer.
        assert statements.round_trips() == 4, "\n".join(statements.trace)
    # One connection at a time: the reads hand theirs back before the step, which takes
    # it again from the pool (on PostgreSQL the very same connection: the user is read on
    # the step's own connection; SQLite reads through its own engine, app/db.py).
    assert statements.checkouts <= 3 and statements.most_at_once == 1
    if web_url(client).startswith("postgresql"):
        assert len(statements.connections) == 1


def web_url(client) -> str:
    return client.application.config["DATABASE_URL"]


def test_page_reads_on_postgresql_open_no_transaction(client, petit, session_factory):
    """Reads in autocommit on PostgreSQL: no BEGIN … ROLLBACK round trips around a page's
    reads (each statement has its own snapshot under READ COMMITTED anyway)."""
    if not web_url(client).startswith("postgresql"):
        pytest.skip("PostgreSQL only: SQLite's reads are deferred transactions")
    from app.web.shared.services import db

    with client.application.test_request_context():
        session = db()
        session.scalar(select(HumanTask.id).limit(1))
        assert session.connection().connection.driver_connection.autocommit is True


def test_a_completion_through_the_page_reads_the_state_once(
        client, web, users, session_factory):
    instance_id = dossier_recu(web, users)
    verification = task(session_factory, instance_id, "verification_administrative")
    login(client, "agent.cramif")
    page = client.get(f"/agent/taches/{verification.id}").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    with counted() as statements:
        response = client.post(f"/agent/taches/{verification.id}", data={
            "avis_conditions": "confirme", "pieces_completes": "true", "version": version})
    assert response.status_code == 302
    # The step reads the state; the screen's checks run inside it, on the live task; the
    # page reads its panel's data only to show a refused submission again.
    assert len(statements.reading_state()) == 1, statements
    # On top of the step's own: the page's (its task, its dossier), the screen's checks
    # (the dossier, the assuré and their caisse data) and the dossier hook's.
    assert len(statements) <= 15, "\n".join(statements.shapes())


def test_a_script_is_compiled_and_checked_once_for_all_the_runs_of_its_version(
        runtime, session_factory, petit, users):
    from app.engine import scripting

    agent = users["agent.cramif"]
    runtime.complete_task(open_task(session_factory, petit).id, agent, {"montant": 60})
    compiled, checked = scripting._compile.cache_info(), scripting._check_source.cache_info()
    again = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, again).id, agent, {"montant": 60})
    # The same script and gateway conditions ran again: no compilation, no new check.
    assert scripting._compile.cache_info().misses == compiled.misses
    assert scripting._check_source.cache_info().misses == checked.misses
    assert scripting._check_source.cache_info().hits > checked.hits


def test_a_start_through_the_api_inserts_the_instance_once_with_its_state(
        client, deployed_fixtures, users, session_factory):
    login(client, "agent.cramif")
    client.post("/api/processus/petit_processus/instances", json={})
    with counted() as statements:
        response = client.post("/api/processus/petit_processus/instances", json={})
    assert response.status_code == 201, response.get_json()
    # The session with its user, the version to start (the step does not read it again),
    # the newest deployed file (the called processes' cache); then the step: the instance
    # INSERTed once with its state after its first engine steps (no UPDATE right after),
    # the task opened, the audit lines in one INSERT at the end (the start and the API's own
    # line); the next tasks of the answer.
    assert statements.shapes() == [
        "session_utilisateur LEFT OUTER", "process_version WHERE process_", "deployed_file",
        "INSERT INTO process_instance", "INSERT INTO human_task", "INSERT INTO audit_log",
        "human_task JOIN process_instan"], statements.shapes()
    with session_factory() as session:
        instance_id = response.get_json()["instance"]
        assert [a.action for a in session.scalars(select(AuditLog).where(
            AuditLog.instance_id == instance_id).order_by(AuditLog.id))] == [
            "instance_started", "instance_demarree_api"]


def test_a_screen_s_checks_read_on_the_step_s_connection(client, web, users, session_factory,
                                                         monkeypatch):
    """The assuré's « pièces » screen reads the documents staged for the request inside the
    step, on the step's session: while the step runs, the request holds one connection."""
    from app.engine.runtime import Runtime

    from .test_instruction_espace_assure import pdf, pieces_demandees

    _iid, row = pieces_demandees(web, users, session_factory)
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    client.post(url, data={"action": "ajouter", "document": (io.BytesIO(pdf()), "cni.pdf")},
                content_type="multipart/form-data")
    step = Runtime.complete_task
    during: list[int] = []

    def watched(self, *args, **kwargs):
        with counted() as statements:
            try:
                return step(self, *args, **kwargs)
            finally:
                during.append(statements.most_at_once)

    monkeypatch.setattr(Runtime, "complete_task", watched)
    response = client.post(url, data={"action": "envoyer"})
    assert response.status_code in (302, 303), response.status_code
    assert during == [1]


def test_a_completion_compiles_no_statement_again(runtime, session_factory, petit, users):
    """From the second completion on, every statement of the step comes out of
    SQLAlchemy's compiled cache: none is compiled again per call (a multi-row
    `insert().values(rows)` of the audit lines was, 0.4 ms each time)."""
    from sqlalchemy.engine.interfaces import CacheStats

    agent = users["agent.cramif"]
    runtime.complete_task(open_task(session_factory, petit).id, agent, {"montant": 60})
    again = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    task_id = open_task(session_factory, again).id
    compiled_again = []

    def after(_conn, _cursor, statement, _params, context, _many):
        if context.cache_hit is not CacheStats.CACHE_HIT and "app_setting" not in statement \
                and not statement.startswith(("PRAGMA", "BEGIN")):
            compiled_again.append(" ".join(statement.split()[:4]))

    event.listen(Engine, "after_cursor_execute", after)
    try:
        runtime.complete_task(task_id, agent, {"montant": 60})
    finally:
        event.remove(Engine, "after_cursor_execute", after)
    assert compiled_again == []


def test_a_form_s_validator_is_built_once_per_schema(monkeypatch):
    """A deployed form's schema is the same object at every submission: its jsonschema
    validator is built once, not at every submission."""
    import importlib
    from datetime import date

    validate_module = importlib.import_module("app.forms.validate")  # the module, not
    # the function app.forms re-exports under the same name
    built = []
    real = validate_module.Draft202012Validator
    monkeypatch.setattr(validate_module, "Draft202012Validator",
                        lambda schema: built.append(schema) or real(schema))
    monkeypatch.setattr(validate_module, "_VALIDATORS", {})
    schema = {"type": "object", "properties": {"montant": {"type": "integer"}}}
    for montant in (60, "soixante", 70):
        validate_module.validate(schema, {"montant": montant}, date(2026, 12, 6))
    assert built == [schema]
    other = {**schema}  # an equal schema, another object (another version): its own
    validate_module.validate(other, {"montant": 1}, date(2026, 12, 6))
    assert len(built) == 2


def test_sending_documents_holds_one_connection_at_a_time(client, web, users,
                                                          session_factory):
    """The whole « envoyer » request of the « pièces » screen, the accusé de réception
    written after the step included: never two connections at once."""
    from .test_instruction_espace_assure import pdf, pieces_demandees

    _iid, row = pieces_demandees(web, users, session_factory)
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    client.post(url, data={"action": "ajouter", "document": (io.BytesIO(pdf()), "cni.pdf")},
                content_type="multipart/form-data")
    with counted() as statements:
        response = client.post(url, data={"action": "envoyer"})
    assert response.status_code in (302, 303), response.status_code
    assert any(s.startswith("INSERT INTO message") for s in statements)  # the accusé
    assert statements.most_at_once == 1
