"""Served like a public service (issue 12, point 1): `make run` starts gunicorn with
gunicorn.conf.py — several worker processes, timeouts, graceful restarts, no Werkzeug banner —
and the timer worker as its own process; health and readiness say whether the database answers,
whether its migrations are at the code's head, and when the timer worker last passed."""
from __future__ import annotations

import http.client
import json
import os
import queue
import re
import runpy
import signal
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from app.engine.clock import clock
from app.engine.timers import TimerWorker
from app.web.sante import code_heads

from .conftest import ON_POSTGRES, advance_clock

ROOT = Path(__file__).resolve().parent.parent
SAFETY = 180  # seconds: only so that a broken launcher fails the test instead of hanging it


def test_gunicorn_config_has_several_workers_timeouts_and_graceful_restarts(monkeypatch):
    from gunicorn.config import Config

    monkeypatch.delenv("INVALIDITE_WORKERS", raising=False)
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    config = Config()
    for name, value in settings.items():
        if name in config.settings:
            config.set(name, value)  # gunicorn's own validation of every value
    assert config.wsgi_app == "app.web:create_app()"
    assert config.workers >= 2
    assert 0 < config.timeout <= 60 and 0 < config.graceful_timeout <= 60
    assert config.max_requests > 0 and config.max_requests_jitter > 0
    assert config.worker_class_str == "sync"
    assert config.control_socket_disable


class MakeRun:
    """`make run` itself (its install, migrate, deploy and seed steps skipped: the test's
    database is ready), served on a socket this test opened — no port to guess and no waiting:
    a request sits in the socket's backlog until a worker takes it."""

    def __init__(self, env: dict):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        fd = self.listener.fileno()
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", "install", "FLASK=:", "run"], cwd=ROOT,
            pass_fds=(fd,), env={**env, "INVALIDITE_BIND": f"fd://{fd}"},
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
            start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stderr:
            self.lines.put(line)
        self.lines.put("")

    def wait_log(self, pattern: str) -> re.Match:
        while True:
            line = self.lines.get(timeout=SAFETY)
            self.seen.append(line)
            match = re.search(pattern, line)
            if match or not line:
                assert match, "".join(self.seen)
                return match

    def get(self, path: str) -> tuple[http.client.HTTPResponse, str]:
        connection = http.client.HTTPConnection("127.0.0.1", timeout=SAFETY)
        connection.sock = socket.create_connection(self.listener.getsockname(), SAFETY)
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode()
        connection.close()
        return response, body

    def stop(self, master: int | None):
        if master is not None and self.process.poll() is None:
            os.kill(master, signal.SIGTERM)  # gunicorn's graceful stop, as an operator does
            self.process.wait(timeout=SAFETY)
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.listener.close()


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_make_run_serves_with_gunicorn_workers_and_a_separate_timer_process(database_url,
                                                                            tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("INVALIDITE")}
    env.update({"DATABASE_URL": database_url, "INVALIDITE_INSTANCE": str(tmp_path),
                "UPLOAD_DIR": str(tmp_path / "uploads")})
    served = MakeRun(env)
    master = None
    try:
        master = int(served.wait_log(r"\[(\d+)\] \[INFO\] Starting gunicorn").group(1))
        timers = int(served.wait_log(r"Minuteurs BPMN : processus (\d+) lancé").group(1))
        workers = [int(served.wait_log(r"Booting worker with pid: (\d+)").group(1))
                   for _ in range(2)]
        assert b"run-timers" in Path(f"/proc/{timers}/cmdline").read_bytes().split(b"\0")
        assert {parent_of(pid) for pid in [timers, *workers]} == {master}
        page, body = served.get("/connexion")
        assert page.status == 200
        assert page.getheader("Server") == "gunicorn"  # no Werkzeug, no Python, no version
        assert "Comptes de démonstration" in body  # `make run` is the demo
        ready, body = served.get("/sante/pret")
        assert ready.status == 200 and json.loads(body)["pret"] is True
    finally:
        served.stop(master)
    still_running = Path(f"/proc/{timers}").exists()
    if still_running:
        os.kill(timers, signal.SIGKILL)
    assert not still_running  # the timer process stopped with the server
    assert served.process.returncode == 0, "".join(served.seen)


def test_probe_says_the_process_is_alive(client):
    response = client.get("/sante")
    assert (response.status_code, response.json) == (200, {"statut": "vivant"})


def test_ready_when_the_database_answers_and_migrations_are_at_head(client):
    response = client.get("/sante/pret")
    assert response.status_code == 200
    assert response.json["pret"] is True and response.json["raisons"] == []
    assert response.json["base"] == "joignable"
    assert response.json["migrations"]["a_jour"] is True
    assert set(response.json["migrations"]["base"]) == code_heads()


def unreachable_database_url(tmp_path) -> str:
    if ON_POSTGRES:
        return "postgresql://postgres@127.0.0.1:1/personne"
    return f"sqlite:///{tmp_path / 'dossier-absent' / 'base.db'}"


def test_database_down_is_not_ready_with_a_french_reason_in_json(tmp_path):
    from app.web import create_app

    app = create_app({"DATABASE_URL": unreachable_database_url(tmp_path),
                      "UPLOAD_DIR": tmp_path / "uploads", "INSTANCE_DIR": tmp_path,
                      "SECRET_KEY": "tests", "TESTING": True, "DEMO_MODE": False})
    client = app.test_client()
    response = client.get("/sante/pret")
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json["pret"] is False
    assert response.json["base"] == "injoignable"
    assert response.json["raisons"] == [
        "Base de données injoignable : aucune requête ne peut aboutir."]
    assert client.get("/sante").status_code == 200  # alive, only not ready
    assert client.get("/sante/minuteurs").status_code == 503


def test_migrations_behind_the_code_is_not_ready(app, client):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    head = min(code_heads())
    previous = ScriptDirectory.from_config(config).get_revision(head).down_revision
    engine = app.extensions["invalidite"].engine
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": previous})
    try:
        response = client.get("/sante/pret")
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head})
    assert response.status_code == 503
    assert response.json["migrations"]["a_jour"] is False
    assert response.json["migrations"]["base"] == [previous]
    assert response.json["raisons"][0].startswith("Migrations de la base pas à jour")
    assert "flask init-db" in response.json["raisons"][0]


def test_timer_worker_pass_is_recorded_and_reported_then_goes_stale(app, client):
    before = client.get("/sante/minuteurs")
    assert before.status_code == 503
    assert before.json["derniere_passe"] is None and "Aucun passage" in before.json["raisons"][0]

    TimerWorker(app.extensions["invalidite"].runtime).tick()  # one pass, as run-timers does
    passed_at = clock.now()
    alive = client.get("/sante/minuteurs")
    assert alive.status_code == 200 and alive.json["vivant"] is True
    assert alive.json["derniere_passe"][:16] == passed_at.isoformat()[:16]
    assert client.get("/sante/pret").json["minuteurs"]["vivant"] is True

    advance_clock(seconds=app.config["TIMERS_STALE_SECONDS"] + 1)
    stale = client.get("/sante/minuteurs")
    assert stale.status_code == 503 and stale.json["vivant"] is False
    assert "semble arrêté" in stale.json["raisons"][0]
    ready = client.get("/sante/pret")  # the web process stays ready: the timers have their probe
    assert ready.status_code == 200 and ready.json["minuteurs"]["vivant"] is False


def test_a_failed_timer_pass_is_no_sign_of_life(app, client, monkeypatch):
    from app.engine import timers

    def broken(*_args, **_kwargs):
        raise RuntimeError("base perdue")

    monkeypatch.setattr(timers, "fire_due_timers", broken)
    TimerWorker(app.extensions["invalidite"].runtime).tick()
    assert client.get("/sante/minuteurs").json["derniere_passe"] is None


@pytest.mark.parametrize("path", ["/sante", "/sante/pret", "/sante/minuteurs"])
def test_probes_need_no_login(client, path):
    assert client.get(path).status_code in (200, 503)
