"""Shared fixtures: a migrated database per test (SQLite file copy or truncated PostgreSQL),
the runtime, demo users, a Flask client, and the app clock reset after each test."""
from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from werkzeug.security import generate_password_hash

from app.cli import upgrade_database
from app.db import make_engine, make_session_factory, read_session_factory
from app.engine.clock import clock
from app.engine.deploy import deploy, read_folders
from app.engine.runtime import Runtime
from app.engine.specs import spec_cache
from app.models import Base, User
from app.seed import seed_demo_accounts

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
ARTIFACTS = ROOT / "test-artifacts"
POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith("postgresql")

needs_postgres = pytest.mark.skipif(not ON_POSTGRES, reason="needs PostgreSQL (DATABASE_URL)")


@pytest.fixture(scope="session")
def migrated(tmp_path_factory) -> str:
    """Run the Alembic migrations once: into PostgreSQL, or into a template SQLite file."""
    if ON_POSTGRES:
        engine = make_engine(POSTGRES_URL)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        upgrade_database(POSTGRES_URL)
        return POSTGRES_URL
    template = tmp_path_factory.mktemp("db") / "template.db"
    upgrade_database(f"sqlite:///{template}")
    return str(template)


@pytest.fixture(scope="session")
def demo_hash() -> str:
    return generate_password_hash("demo", method="pbkdf2:sha256:1000")


@pytest.fixture
def database_url(migrated, tmp_path) -> str:
    if ON_POSTGRES:
        engine = make_engine(migrated)
        tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated
    copy = tmp_path / "test.db"
    shutil.copy(migrated, copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine, database_url):
    factory = make_session_factory(engine)
    clock.bind(read_session_factory(database_url, engine))
    yield factory
    clock.unbind()


@pytest.fixture(autouse=True)
def _fresh_caches():
    spec_cache.clear()
    yield
    clock.unbind()


@pytest.fixture
def users(session_factory, demo_hash) -> dict[str, User]:
    with session_factory() as session, session.begin():
        seed_demo_accounts(session, password_hash=demo_hash)
    with session_factory() as session:
        return {u.email.split("@")[0]: u for u in session.scalars(select(User))}


def validate_form(schema, data, today):
    from app.forms import validate_data

    return validate_data(schema, data, today)


@pytest.fixture
def runtime(session_factory) -> Runtime:
    return Runtime(session_factory, form_validator=validate_form)


def deploy_folder(session_factory, processes: Path, forms: Path, by: str = "test"):
    with session_factory() as session, session.begin():
        return deploy(session, read_folders(processes, forms), by)


@pytest.fixture
def folders(tmp_path):
    """Private copies of the fixture processes and forms that a test may edit."""
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(FIXTURES / "processes", processes)
    shutil.copytree(FIXTURES / "forms", forms)
    return processes, forms


@pytest.fixture
def deployed_fixtures(session_factory):
    return deploy_folder(session_factory, FIXTURES / "processes", FIXTURES / "forms")


@pytest.fixture
def app(database_url, tmp_path, session_factory):
    from app.web import create_app

    flask_app = create_app({
        "DATABASE_URL": database_url, "UPLOAD_DIR": tmp_path / "uploads",
        "INSTANCE_DIR": tmp_path, "SECRET_KEY": "tests", "TESTING": True,
        "WTF_CSRF_ENABLED": False, "DEMO_MODE": True, "RUN_TIMERS": False,
    })
    yield flask_app
    flask_app.extensions["invalidite"].engine.dispose()


@pytest.fixture
def web(app, users, session_factory):
    """The app's own runtime (with its hooks), the project's processes deployed."""
    deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")
    return app.extensions["invalidite"].runtime


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, who: str, password: str = "demo"):
    """Log a demo account in (who = the part of its e-mail before @)."""
    return client.post("/connexion", data={"email": f"{who}@demo.fr", "password": password})


def advance_clock(**kwargs) -> None:
    clock.advance(timedelta(**kwargs))


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


pytest_plugins = ["tests.browser"]
