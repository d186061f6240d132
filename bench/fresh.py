"""A fresh, migrated benchmark database (PostgreSQL is dropped and created again)."""
from __future__ import annotations

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
