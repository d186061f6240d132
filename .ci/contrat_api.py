"""schemathesis against the running app (issue 12, point 5): the API as it is served.

    .venv/bin/python .ci/contrat_api.py                 # a fresh SQLite file in a temp folder
    DATABASE_URL=postgresql://…/invalidite_contrat .venv/bin/python .ci/contrat_api.py

What it does, as `make run` would start the demo: a fresh database (a new SQLite file; the
PostgreSQL database of DATABASE_URL is dropped and created again — give it a database of its
own), `flask init-db`, `deploy`, `seed-demo` with INVALIDITE_DEMO=1, then gunicorn with
gunicorn.conf.py (2 workers) on a free port. Once `/sante/pret` answers 200, it signs in as
demo users (session cookie, and the CSRF token of a page for the POSTs), gives the assuré an
open task (an ameliBot conversation), and runs schemathesis on every operation of
/api/openapi.json, schema-valid and schema-invalid requests, with all of its default checks.
Prints each failure, stops gunicorn, exits 1 on any failure (or if the app never got ready).

Bounded and derandomized (MAX_EXAMPLES per operation, mode and person): the same calls on
every run, so a failure found in CI is found again on a laptop.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
MAX_EXAMPLES = int(os.environ.get("CONTRAT_EXEMPLES", "40"))
WHO = ("agent.cramif", "marie.durand")  # a back-office person and an assuré
READY_SECONDS = 120
# 422 is a valid answer to a schema-valid body: the contract describes `donnees` as an
# object, each task's own form (and its screen's checks) decides what it must hold.
CONFIG = {"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(env: dict, workdir: Path) -> str:
    """The database URL to use, empty: a new SQLite file, or the PostgreSQL one recreated."""
    url = env.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{workdir / 'contrat.db'}"
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql") or not parsed.database:
        sys.exit(f"DATABASE_URL non pris en charge ici : {parsed.drivername}")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = parsed.database.replace('"', '""')
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url


def flask(env: dict, *args: str) -> None:
    subprocess.run([str(BIN / "flask"), "--app", "app.web:create_app", *args], cwd=ROOT,
                   env=env, check=True)


def wait_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn s'est arrêté (code {server.returncode}) avant d'être prêt.")
        try:
            if requests.get(f"{base}/sante/pret", timeout=10).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or a worker still booting
        time.sleep(0.3)  # a polling loop of a script, not a test
    sys.exit(f"{base}/sante/pret n'a pas répondu 200 en {READY_SECONDS} s.")


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def signed_in(base: str, who: str) -> requests.Session:
    """A browser-like session of `who`, with the X-CSRFToken header set for the POSTs."""
    http = requests.Session()
    token = csrf_of(http.get(f"{base}/connexion").text)
    login = http.post(f"{base}/connexion", allow_redirects=False, data={
        "email": f"{who}@demo.fr", "password": "demo", "csrf_token": token})
    if login.status_code != 302:
        sys.exit(f"Connexion de {who} refusée ({login.status_code}).")
    http.headers["X-CSRFToken"] = csrf_of(http.get(f"{base}/").text)
    return http


def open_tasks(http: requests.Session, base: str, who: str) -> list[int]:
    """Ids of open tasks of `who`; an assuré gets one first (an ameliBot conversation)."""
    if who == "marie.durand":
        started = http.post(f"{base}/assure/amelibot/nouvelle", allow_redirects=False,
                            data={"csrf_token": http.headers["X-CSRFToken"]})
        if started.status_code != 303:
            sys.exit(f"Conversation ameliBot non démarrée ({started.status_code}).")
    return [task["id"] for task in http.get(f"{base}/api/taches").json()]


def run_schemathesis(base: str, who: str) -> tuple[int, list[str]]:
    """(calls made, failures as text) for every operation, signed in as `who`."""
    http = signed_in(base, who)
    real = open_tasks(http, base, who) or [0]
    cookies, headers = dict(http.cookies), {"X-CSRFToken": http.headers["X-CSRFToken"]}
    raw = http.get(f"{base}/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(raw, config=SchemathesisConfig.from_dict(CONFIG))

    @schema.auth()
    class Session:  # what a signed-in API client sends; schemathesis also tries without it
        def get(self, case, context):
            return cookies, headers

        def set(self, case, data, context):
            case.cookies = {**(case.cookies or {}), **data[0]}
            if case.method.upper() == "POST":
                case.headers = {**(case.headers or {}), **data[1]}

    calls, failures = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            made, failure = fuzz(operation, mode, real, base)
            calls += made
            if failure is not None:
                failures.append(f"{who} · {operation.label} · {mode.value}\n{failure}")
            print(f"  {who:14} {operation.label:42} {mode.value:8} {made:4} appels",
                  flush=True)
    return calls, failures


def fuzz(operation, mode, real: list[int], base: str) -> tuple[int, str | None]:
    """(calls made, the failure as text or None) for one operation in one mode."""
    seen: list[int] = []

    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def call(case, data):
        # Half the time, a real task of this person rather than a random id.
        if "task_id" in (case.path_parameters or {}) and data.draw(st.booleans()):
            case.path_parameters["task_id"] = data.draw(st.sampled_from(real))
        seen.append(1)
        case.call_and_validate(base_url=base, session=requests.Session())

    try:
        call()
    except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 — reported, counted
        return len(seen), "".join(traceback.format_exception_only(failure))
    return len(seen), None


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="contrat-") as folder:
        workdir = Path(folder)
        env = {**os.environ, "INVALIDITE_DEMO": "1", "INVALIDITE_INSTANCE": str(workdir),
               "INVALIDITE_TIMERS": "0", "INVALIDITE_WORKERS": "2"}
        env["DATABASE_URL"] = fresh_database(env, workdir)
        base_kind = "PostgreSQL" if env["DATABASE_URL"].startswith("postgresql") else "SQLite"
        print(f"== schemathesis contre l'application servie ({base_kind}) ==", flush=True)
        for command in (("init-db",), ("deploy",), ("seed-demo",)):
            flask(env, *command)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = open(workdir / "gunicorn.log", "w")  # noqa: SIM115 — closed below
        server = subprocess.Popen([str(BIN / "gunicorn"), "-c", "gunicorn.conf.py"], cwd=ROOT,
                                  env={**env, "INVALIDITE_BIND": f"127.0.0.1:{port}"},
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_ready(base, server)
            calls, failures = 0, []
            for who in WHO:
                made, found = run_schemathesis(base, who)
                calls, failures = calls + made, failures + found
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=60)
            log.close()
        errors = [line for line in (workdir / "gunicorn.log").read_text().splitlines()
                  if "Traceback" in line or "[ERROR]" in line]
        for failure in failures:
            print("\nÉCHEC :", failure)
        for line in errors:
            print("journal :", line)
        print(f"\n{calls} appels, {len(failures)} échec(s), {len(errors)} erreur(s) au journal "
              f"de gunicorn ({base_kind}).")
        return 1 if failures or errors else 0


if __name__ == "__main__":
    sys.exit(main())
