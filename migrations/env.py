"""Alembic environment: the URL comes from the caller or from DATABASE_URL / the default."""
from alembic import context

from app.config import load_config
from app.db import make_engine
from app.models import Base

config = context.config


def database_url() -> str:
    return config.attributes.get("database_url") or load_config({"SECRET_KEY": "-"})[
        "DATABASE_URL"]


def run_migrations_online() -> None:
    engine = make_engine(database_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
