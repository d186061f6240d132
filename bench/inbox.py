"""Inbox benchmark: the agent inbox query with a million `human_task` rows.

Fills `human_task` with N rows spread over 20 caisses, 3 roles and mostly closed tasks (as in
production: open tasks are few), then times `visible_tasks(agent)` (first page of 50) many
times and prints p50 / p95 and the query plan's use of the inbox index.

Usage: .venv/bin/python bench/inbox.py [--rows 1000000] [--pg URL|none]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fresh import fresh_database
from sqlalchemy import select, text

FILL = """
INSERT INTO human_task (instance_id, spiff_task_id, element_id, title, lane, role, caisse_code,
                        form, status, due_at, created_at)
SELECT 1, 'x', 'verification_administrative', 'Vérification administrative',
       'Service Invalidité',
       CASE WHEN n % 3 = 0 THEN 'agent' WHEN n % 3 = 1 THEN 'medecin_conseil' ELSE 'assure' END,
       CASE WHEN n % 20 = 0 THEN 'CRAMIF' ELSE 'CPAM ' || (n % 20) END,
       NULL,
       CASE WHEN n % 50 = 0 THEN 'open' ELSE 'completed' END,
       {due}, {now}
FROM {series}
"""


def fill(engine, rows: int) -> None:
    postgres = engine.dialect.name == "postgresql"
    series = (f"generate_series(1, {rows}) AS n" if postgres else
              f"(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s "
              f"WHERE n < {rows}) SELECT n FROM s)")
    due = ("now() + (n % 90) * interval '1 day'" if postgres
           else "datetime('now', '+' || (n % 90) || ' days')")
    now = "now()" if postgres else "datetime('now')"
    with engine.begin() as connection:
        connection.execute(text(FILL.format(series=series, due=due, now=now)))
        if postgres:
            connection.execute(text("ANALYZE human_task"))
        else:
            connection.execute(text("ANALYZE"))


def measure(url: str, rows: int, repeats: int = 300) -> None:
    from app.models import Caisse, ProcessInstance, User
    from app.seed import seed_demo_accounts
    from app.web.shared.inbox import visible_tasks

    engine, factory = fresh_database(url)
    with factory() as session, session.begin():
        seed_demo_accounts(session, password_hash="x")
        for n in range(1, 20):
            if session.get(Caisse, f"CPAM {n}") is None:
                session.add(Caisse(code=f"CPAM {n}", libelle=f"CPAM {n}"))
    with engine.begin() as connection:  # one instance all rows point to
        connection.execute(text(
            "INSERT INTO process_version (process_key, name, version, bundle_sha256, files, "
            "deployed_at, deployed_by) VALUES ('p', 'p', 1, 'x', '{}', "
            + ("now()" if engine.dialect.name == "postgresql" else "datetime('now')")
            + ", 'bench')"))
    with factory() as session, session.begin():
        from app.engine.clock import clock

        now = clock.now()
        session.add(ProcessInstance(process_version_id=1, process_key="p", state={},
                                    created_at=now, updated_at=now))
    started = time.perf_counter()
    fill(engine, rows)
    print(f"{engine.dialect.name:<10} filled {rows} rows in {time.perf_counter() - started:.1f} s")
    with factory() as session:
        agent = session.scalar(select(User).where(User.email == "agent.cramif@demo.fr"))
        query = visible_tasks(agent).limit(50)
        timings = []
        for _ in range(repeats):
            begin = time.perf_counter()
            found = session.scalars(query).all()
            timings.append((time.perf_counter() - begin) * 1000)
            session.expunge_all()
        compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
        plan = session.execute(text(("EXPLAIN " if engine.dialect.name == "postgresql" else
                                     "EXPLAIN QUERY PLAN ") + str(compiled))).all()
    timings.sort()
    print(f"{engine.dialect.name:<10} inbox first page ({len(found)} rows): "
          f"p50 {statistics.median(timings):.2f} ms, p95 {timings[int(len(timings) * 0.95)]:.2f} ms")
    print("  plan: " + " | ".join(str(row[-1]) for row in plan)[:400])
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/invalidite_bench")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{tmp}/inbox.db", args.rows)
    if args.pg != "none":
        measure(args.pg, args.rows)


if __name__ == "__main__":
    main()
