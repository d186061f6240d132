"""Demo is a mode, not the default of the code (issue 12, point 4): without INVALIDITE_DEMO=1
the demo accounts are refused (login and sessions), the login page does not list them, the
clock runs on real time and cannot be moved, and the log says which mode the app runs in."""
from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from app.config import load_config
from app.engine.clock import OFFSET_KEY, ClockNotMovable, clock
from app.models import AppSetting, AuditLog, User

from .conftest import html, login


def make_app(database_url, tmp_path, demo: bool, **extra):
    from app.web import create_app

    return create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": tmp_path / "uploads",
                       "INSTANCE_DIR": tmp_path, "SECRET_KEY": "tests", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "DEMO_MODE": demo, "RUN_TIMERS": False,
                       **extra})


@pytest.fixture
def production(database_url, tmp_path, session_factory, users):
    app = make_app(database_url, tmp_path, demo=False)
    yield app
    app.extensions["invalidite"].engine.dispose()


def test_demo_mode_is_off_unless_invalidite_demo_is_1(monkeypatch):
    monkeypatch.delenv("INVALIDITE_DEMO", raising=False)
    assert load_config({"SECRET_KEY": "x"})["DEMO_MODE"] is False
    monkeypatch.setenv("INVALIDITE_DEMO", "0")
    assert load_config({"SECRET_KEY": "x"})["DEMO_MODE"] is False
    monkeypatch.setenv("INVALIDITE_DEMO", "1")
    assert load_config({"SECRET_KEY": "x"})["DEMO_MODE"] is True


def test_demo_account_login_refused_outside_demo_mode(production, session_factory):
    client = production.test_client()
    response = login(client, "superviseur")
    assert response.status_code == 403
    assert "Les comptes de démonstration ne sont acceptés qu&#39;en mode démonstration" in html(
        response)
    assert client.get("/supervision/").status_code in (302, 401)  # not signed in
    with session_factory() as session:
        assert session.scalars(select(AuditLog).where(AuditLog.action == "login")).all() == []


def test_a_real_account_still_logs_in_outside_demo_mode(production, session_factory):
    with session_factory() as session, session.begin():
        session.add(User(email="n.roy@cramif.fr", role="superviseur", prenom="Nina", nom="Roy",
                         password_hash=generate_password_hash("un mot de passe sûr",
                                                              method="pbkdf2:sha256:1000")))
    client = production.test_client()
    response = client.post("/connexion", data={"email": "n.roy@cramif.fr",
                                               "password": "un mot de passe sûr"})
    assert response.status_code == 302
    assert client.get("/supervision/").status_code == 200


def test_demo_account_session_refused_once_demo_mode_is_off(app, users):
    client = app.test_client()
    assert login(client, "superviseur").status_code == 302
    assert client.get("/supervision/").status_code == 200
    app.config["DEMO_MODE"] = False
    refused = client.get("/supervision/")
    assert refused.status_code == 403
    assert "mode démonstration" in html(refused)
    app.config["DEMO_MODE"] = True
    assert client.get("/supervision/").status_code in (302, 401)  # the session was ended


def test_login_page_lists_demo_accounts_only_in_demo_mode(production, app):
    hors_demo = html(production.test_client().get("/connexion"))
    assert "Comptes de démonstration" not in hors_demo and "@demo.fr" not in hors_demo
    en_demo = html(app.test_client().get("/connexion"))
    assert "Comptes de démonstration" in en_demo and "superviseur@demo.fr" in en_demo


def test_clock_is_real_time_and_cannot_be_moved_outside_demo_mode(database_url, tmp_path,
                                                                   session_factory):
    with session_factory() as session, session.begin():  # left behind by an earlier demo
        session.merge(AppSetting(key=OFFSET_KEY, value=str(timedelta(days=60).total_seconds())))
    app = make_app(database_url, tmp_path, demo=False)
    try:
        assert clock.offset == timedelta(0)
        with pytest.raises(ClockNotMovable, match="mode démonstration"):
            clock.advance(timedelta(days=1))
        assert clock.offset == timedelta(0)
    finally:
        app.extensions["invalidite"].engine.dispose()


def test_clock_page_absent_outside_demo_mode_even_for_a_superviseur(app, users):
    client = app.test_client()
    login(client, "superviseur")
    assert client.get("/supervision/horloge").status_code == 200
    app.config["DEMO_MODE"] = False
    # (the session check is what refuses a demo account here; the page itself is demo-only)
    assert client.get("/supervision/horloge").status_code in (403, 404)


def test_clock_page_refused_to_a_real_superviseur_outside_demo_mode(production,
                                                                    session_factory):
    with session_factory() as session, session.begin():
        session.add(User(email="n.roy@cramif.fr", role="superviseur", prenom="Nina", nom="Roy",
                         password_hash=generate_password_hash("sûr", method="pbkdf2:sha256:1")))
    client = production.test_client()
    client.post("/connexion", data={"email": "n.roy@cramif.fr", "password": "sûr"})
    assert client.get("/supervision/horloge").status_code == 404
    assert client.post("/supervision/horloge", data={"avance": "2m"}).status_code == 404
    assert "Horloge de démonstration" not in html(client.get("/supervision/"))
    assert clock.offset == timedelta(0)


def test_the_log_says_which_mode_the_app_runs_in(database_url, tmp_path, session_factory,
                                                caplog):
    caplog.set_level(logging.INFO, logger="app")
    make_app(database_url, tmp_path, demo=False).extensions["invalidite"].engine.dispose()
    assert "Mode démonstration désactivé : comptes de démonstration refusés" in caplog.text
    caplog.clear()
    make_app(database_url, tmp_path, demo=True).extensions["invalidite"].engine.dispose()
    assert "Mode démonstration (INVALIDITE_DEMO=1)" in caplog.text


def test_seed_demo_and_clock_commands_refused_outside_demo_mode(database_url, tmp_path,
                                                               session_factory):
    app = make_app(database_url, tmp_path, demo=False)
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            seeded = runner.invoke(args=["seed-demo"])
            moved = runner.invoke(args=["clock", "--advance-days", "3"])
    finally:
        app.extensions["invalidite"].engine.dispose()
    assert seeded.exit_code == 1
    assert "Comptes de démonstration refusés : réservé au mode démonstration" in seeded.output
    with session_factory() as session:
        assert session.scalars(select(User)).all() == []
    assert moved.exit_code == 1 and "Horloge non réglable" in moved.output
    assert clock.offset == timedelta(0)


def test_seed_demo_command_works_in_demo_mode(app, session_factory):
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with session_factory() as session:
        assert session.scalar(select(User).where(User.email == "superviseur@demo.fr"))


def test_timers_are_not_embedded_in_a_web_process_outside_demo_mode(database_url, tmp_path,
                                                                    session_factory):
    app = make_app(database_url, tmp_path, demo=False, RUN_TIMERS=True)
    try:
        assert app.extensions["invalidite"].timer_worker is None
    finally:
        app.extensions["invalidite"].engine.dispose()
