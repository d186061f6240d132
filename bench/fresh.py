"""A fresh, migrated benchmark database (PostgreSQL is dropped and created again), seeded
with the demo accounts and a deployed folder of processes; a free port for a served app."""
from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import text


def fresh_database(url: str):
    """Migrate an empty database at `url`; return (engine, session factory)."""
    from app.cli import upgrade_database
    from app.db import make_engine, make_session_factory

    if url.startswith("postgresql"):
        base, name = url.rsplit("/", 1)
        admin = make_engine(base + "/postgres")
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    upgrade_database(url)
    engine = make_engine(url)
    return engine, make_session_factory(engine)


def seeded_database(url: str, processes: Path, forms: Path):
    """`fresh_database` with the demo accounts (password « demo », a cheap hash: the benches
    measure steps, not logins) and `processes` + `forms` deployed."""
    from werkzeug.security import generate_password_hash

    from app.engine.deploy import deploy, read_folders
    from app.seed import seed_demo_accounts

    engine, factory = fresh_database(url)
    with factory() as session, session.begin():
        seed_demo_accounts(session, password_hash=generate_password_hash(
            "demo", method="pbkdf2:sha256:1000"))
        deploy(session, read_folders(processes, forms))
    return engine, factory


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
