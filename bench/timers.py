"""Timers in bulk: N due tacit refusals among M not-yet-due instances, fired by W workers.

Builds the case with SQL on PostgreSQL: one real dossier of processes/ (deployed with the
app's `deploy`, started with `ouvrir_instruction` as a paper S4150 is) waits on its tacit
refusal timer; its instance, dossier and open task rows are copied (INSERT … SELECT
generate_series) into DUE instances due in the last day and WAITING instances due in 30+ days
(never loaded: same state), interleaved by id. VACUUM ANALYZE, the app clock moved past the
deadline, then W worker PROCESSES run the real `fire_due_timers` loop (what `flask run-timers`
ticks) until the queue is empty. Prints the rate every 10 s, the total, the exactly-once check
(timer_fired audit rows, letters per instance) and the bare engine on the same work
(SpiffWorkflow alone, in memory: deserialize, refresh_timers, engine steps, serialize), with
the ratio.

Usage: .venv/bin/python bench/timers.py [--due 100000] [--waiting 1000000] [--workers 2]
       [--pg postgresql://postgres@127.0.0.1:5432/inv_bench] [--keep]
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fresh import fresh_database
from sqlalchemy import text

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/inv_bench"
DEMANDE = {"coordonnees": {"nationalite": "francaise"},
           "situation": {"activites": ["salariee"]}, "informations": {"aucune": True}}
AVIS = {"document_id": None, "sha256": "0" * 64, "nom": "avis.pdf", "pages": 2}


def make_app(url: str, upload_dir: Path):
    """The app as `flask run-timers` builds it (its runtime, with letters and dossier
    hooks), in demo mode so the clock moved by the bench is shared through the database."""
    from app.web import create_app

    return create_app({"DATABASE_URL": url, "UPLOAD_DIR": upload_dir,
                       "INSTANCE_DIR": upload_dir.parent, "SECRET_KEY": "bench",
                       "DEMO_MODE": True, "RUN_TIMERS": False})


# --- the case ------------------------------------------------------------------------------
def template_dossier(url: str, upload_dir: Path) -> int:
    """One real dossier waiting on its tacit refusal timer; → its instance id."""
    from sqlalchemy import select

    from app.engine.clock import clock
    from app.engine.deploy import deploy, read_folders
    from app.models import User
    from app.seed import seed_demo_accounts
    from app.web.agent.dossiers import ouvrir_instruction

    app = make_app(url, upload_dir)
    services = app.extensions["invalidite"]
    with services.session_factory() as session, session.begin():
        seed_demo_accounts(session, password_hash="bench")
        deploy(session, read_folders(ROOT / "processes", ROOT / "forms"), "bench")
    with services.session_factory() as session:
        assure = session.scalar(select(User).where(User.email == "marie.durand@demo.fr"))
    instance_id, _numero = ouvrir_instruction(
        services.runtime, assure, assure.caisse_code, date_reception=clock.today(),
        demande=DEMANDE, canal="papier", avis_imposition=AVIS)
    services.engine.dispose()
    return instance_id


def copies(connection, table: str, overrides: dict[str, str], source: str) -> int:
    """INSERT INTO table (every column but id) SELECT the template's, some overridden."""
    columns = [c for c in connection.execute(text(
        "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
        "ORDER BY ordinal_position"), {"t": table}).scalars() if c != "id"]
    values = ", ".join(overrides.get(c, f"tpl.{c}") for c in columns)
    return connection.execute(text(
        f"INSERT INTO {table} ({', '.join(columns)}) SELECT {values} {source}")).rowcount


def build_case(engine, template: int, due: int, waiting: int) -> datetime:
    """Copy the template into due + waiting instances; → the template's deadline."""
    total, every = due + waiting, max(1, round((due + waiting) / due))
    with engine.begin() as connection:
        deadline = connection.scalar(text(
            "SELECT next_timer_at FROM process_instance WHERE id = :i"), {"i": template})
        # Due ones (every k-th id) in the day before the deadline, the others 30+ days after.
        copies(connection, "process_instance", {
            "business_key": "'BENCH-' || g",
            "next_timer_at": f"CASE WHEN g % {every} = 0 AND g / {every} <= {due} "
                             f"THEN tpl.next_timer_at - (g % 86400) * interval '1 second' "
                             f"ELSE tpl.next_timer_at + interval '30 days' "
                             f"+ g * interval '1 second' END"},
            f"FROM process_instance tpl, generate_series(1, {total}) g "
            f"WHERE tpl.id = {template}")
        copies(connection, "dossier", {"numero": "pi.business_key", "instance_id": "pi.id"},
               f"FROM dossier tpl, process_instance pi WHERE tpl.instance_id = {template} "
               f"AND pi.business_key LIKE 'BENCH-%'")
        copies(connection, "human_task", {"instance_id": "pi.id"},
               f"FROM human_task tpl, process_instance pi WHERE tpl.instance_id = {template} "
               f"AND tpl.status = 'open' AND pi.business_key LIKE 'BENCH-%'")
        # The template itself is not part of the run.
        connection.execute(text("UPDATE process_instance SET next_timer_at = NULL, "
                                "status = 'suspended' WHERE id = :i"), {"i": template})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return deadline


def due_ids(engine, now: datetime) -> int:
    with engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM process_instance WHERE status = 'running' "
            "AND next_timer_at <= :now"), {"now": now})


# --- the workers ---------------------------------------------------------------------------
def worker(url: str, upload_dir: str, ready, go, before: str | None, hooks: bool) -> None:
    """A separate OS process running timer passes until none is due, as `flask run-timers`
    ticks (without the poll delay). `before`: a file holding an older timers module."""
    from app.engine.timers import fire_due_timers

    if before:
        import importlib.util

        spec = importlib.util.spec_from_file_location("timers_before", before)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        fire_due_timers = module.fire_due_timers

    app = make_app(url, Path(upload_dir))
    runtime = app.extensions["invalidite"].runtime
    if not hooks:  # the timer machinery alone: no letter, no dossier sync
        runtime.after_step_hooks.clear()
    ready.set()
    go.wait()
    while fire_due_timers(runtime):
        pass
    app.extensions["invalidite"].engine.dispose()


def run_workers(url: str, count: int, upload_dir: Path, engine,
                before: str | None = None, hooks: bool = True) -> tuple[float, list[float]]:
    context = multiprocessing.get_context("spawn")
    go = context.Event()
    readies = [context.Event() for _ in range(count)]
    processes = [context.Process(target=worker, args=(url, str(upload_dir), r, go, before, hooks))
                 for r in readies]
    for process in processes:
        process.start()
    for ready in readies:
        ready.wait(300)
    rates, last, started = [], fired_count(engine), time.perf_counter()
    go.set()
    tick = started
    while any(p.is_alive() for p in processes):
        for process in processes:
            process.join(timeout=max(0.0, tick + 10 - time.perf_counter()))
        now = time.perf_counter()
        if now - tick >= 9.99:
            current = fired_count(engine)
            rates.append((current - last) / (now - tick))
            print(f"  {now - started:6.0f} s  {current:7d} tirés  {rates[-1]:7.0f} /s",
                  flush=True)
            last, tick = current, now
    elapsed = time.perf_counter() - started
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]
    return elapsed, rates


def fired_count(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(text(
            "SELECT count(*) FROM audit_log WHERE action = 'timer_fired'"))


def exactly_once(engine, due: int, now: datetime) -> dict:
    with engine.connect() as connection:
        def one(sql):
            return connection.scalar(text(sql))
        letters = ("SELECT count(*) FROM (SELECT instance_id FROM {t} WHERE {w} "
                   "GROUP BY instance_id HAVING count(*) <> 1) x")
        found = {
            "instances tirées": one("SELECT count(DISTINCT instance_id) FROM audit_log "
                                    "WHERE action = 'timer_fired'"),
            "tirées plus d'une fois": one(
                "SELECT count(*) FROM (SELECT instance_id FROM audit_log WHERE action = "
                "'timer_fired' GROUP BY instance_id HAVING count(*) > 1) x"),
            "dossiers en rejet implicite": one(
                "SELECT count(*) FROM dossier WHERE statut = 'rejet_implicite'"),
            "messages « Rejet implicite »": one(
                "SELECT count(*) FROM message WHERE objet LIKE 'Rejet implicite%'"),
            "instances sans exactement 1 message": one(letters.format(
                t="message", w="objet LIKE 'Rejet implicite%'")),
            "incidents": one("SELECT count(*) FROM incident"),
            "encore échues": connection.scalar(text(
                "SELECT count(*) FROM process_instance WHERE status = 'running' "
                "AND next_timer_at <= :now"), {"now": now}),
        }
        if one("SELECT to_regclass('courrier') IS NOT NULL"):
            found["courriers (outbox)"] = one(
                "SELECT count(*) FROM courrier WHERE modele = 'notification_rejet_implicite'")
    found["attendu"] = due
    return found


# --- bare SpiffWorkflow --------------------------------------------------------------------
def bare_engine(engine, template: int, count: int) -> float:
    """Seconds per instance for SpiffWorkflow alone on the same state and spec: JSON text →
    workflow, refresh_timers, engine steps (the script runs with the same helpers, without
    RestrictedPython), workflow → JSON text."""
    from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
    from sqlalchemy.orm import undefer

    from app.db import make_session_factory
    from app.engine import effects as fx
    from app.engine.deploy import load_version_sources
    from app.engine.scripting import clock_helpers, domain_helpers
    from app.engine.serializer import SERIALIZER
    from app.engine.specs import spec_cache
    from app.models import ProcessInstance

    with make_session_factory(engine)() as session:
        instance = session.get(ProcessInstance, template,
                               options=(undefer(ProcessInstance.state),))
        spec, subspecs = spec_cache.get(instance.process_version,
                                        lambda vid: load_version_sources(session, vid))[:2]
        state = instance.state
    raw = getattr(state, "encoded", None) or json.dumps(state).encode()
    script_engine = PythonScriptEngine(environment=TaskDataEnvironment(
        {**domain_helpers(), **clock_helpers(), **fx.SCRIPT_HELPERS}))
    encoder = SERIALIZER._encoder_cls
    phases = dict.fromkeys(("lecture", "moteur", "écriture"), 0.0)
    started = time.perf_counter()
    for _ in range(count):
        with fx.collecting():
            begin = time.perf_counter()
            workflow = SERIALIZER.registry.restore(json.loads(raw), spec=spec,
                                                   subprocess_specs=subspecs)
            workflow.script_engine = script_engine
            read = time.perf_counter()
            workflow.refresh_timers()
            workflow.do_engine_steps()
            stepped = time.perf_counter()
            registry = SERIALIZER.registry
            registry._encoder_mode = True
            dumped = json.dumps(registry.convert(workflow), cls=encoder)
            registry._encoder_mode = False
            phases["lecture"] += read - begin
            phases["moteur"] += stepped - read
            phases["écriture"] += time.perf_counter() - stepped
    assert "constater_rejet_implicite" in dumped
    print("  moteur nu, par instance : " + ", ".join(
        f"{name} {seconds * 1000 / count:.2f} ms" for name, seconds in phases.items()))
    return (time.perf_counter() - started) / count


# --- main ----------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--waiting", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--bare", type=int, default=2000, help="instances for the bare figure")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--sans-hooks", action="store_true",
                        help="no after-step hook (letters, dossier): the timer machinery alone")
    parser.add_argument("--before", help="an older app/engine/timers.py (absolute imports) to "
                        "measure instead, with the whole-table index it used")
    args = parser.parse_args()

    from app.engine.clock import clock

    upload_dir = Path(tempfile.mkdtemp(prefix="bench-timers-")) / "uploads"
    engine, _factory = fresh_database(args.pg)
    began = time.perf_counter()
    template = template_dossier(args.pg, upload_dir)
    deadline = build_case(engine, template, args.due, args.waiting)
    if args.before:
        with engine.begin() as connection:
            connection.execute(text("DROP INDEX IF EXISTS ix_instance_due_queue"))
            connection.execute(text("CREATE INDEX ix_instance_timer_due "
                                    "ON process_instance (status, next_timer_at)"))
    print(f"Cas : {args.due} minuteurs échus (rejet implicite) parmi "
          f"{args.due + args.waiting + 1} instances, construit en "
          f"{time.perf_counter() - began:.0f} s ; {args.workers} workers (processus).")
    from app.db import read_session_factory

    clock.bind(read_session_factory(args.pg, engine))
    clock.set_offset(deadline + timedelta(days=1) - datetime.now(UTC))
    assert due_ids(engine, clock.now()) == args.due
    elapsed, rates = run_workers(args.pg, args.workers, upload_dir, engine, args.before,
                                 not args.sans_hooks)
    checks = exactly_once(engine, args.due, clock.now())
    bare = bare_engine(engine, template, args.bare)
    bare_total = bare * args.due / args.workers
    print(f"Projet : {args.due} minuteurs en {elapsed:.1f} s ({args.due / elapsed:.0f} /s) ; "
          f"débit par tranche de 10 s : premier {rates[0]:.0f} /s, dernier plein "
          f"{(rates[-2] if len(rates) > 1 else rates[-1]):.0f} /s" if rates else "")
    for name, value in checks.items():
        print(f"  {name} : {value}")
    print(f"SpiffWorkflow seul (même état, en mémoire) : {bare * 1000:.2f} ms par instance, "
          f"soit {bare_total:.1f} s pour {args.due} sur {args.workers} cœurs")
    print(f"Ratio projet / moteur nu : {elapsed / bare_total:.1f}×")
    print(f"Moteur nu pour 100 000 sur {args.workers} cœurs : {bare * 100_000 / args.workers:.0f} s "
          f"(objectif du ticket : 60 s, base de données et courriers compris)")
    engine.dispose()
    if not args.keep:
        fresh_drop(args.pg)


def fresh_drop(url: str) -> None:
    from app.db import make_engine

    base, name = url.rsplit("/", 1)
    admin = make_engine(base + "/postgres")
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


if __name__ == "__main__":
    main()
