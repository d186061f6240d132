"""Engine benchmark: the same small process, bare SpiffWorkflow vs. the runtime service.

Process (tests/fixtures/processes/petit_processus.bpmn): start → user task → script →
gateway → user task with a timer boundary → end. One lifecycle = start + 2 completions
(3 steps). Bare SpiffWorkflow does it in memory with three JSON round-trips (as DESIGN.md §5
describes its baseline); the service does it through `Runtime` (one transaction per step) on
SQLite and on PostgreSQL, and over real HTTP (werkzeug server, keep-alive, CSRF, JSON API).
Prints medians of several rounds and the ratios service/bare. Also: timer latency with the
APScheduler worker, and the stored size of a closed instance.

Usage: .venv/bin/python bench/engine.py [--lifecycles 200] [--rounds 5] [--pg URL|none]
"""
from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fresh import fresh_database
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

FIXTURES = ROOT / "tests/fixtures"
PROCESS = FIXTURES / "processes/petit_processus.bpmn"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/invalidite_bench"


# --- bare SpiffWorkflow --------------------------------------------------------------------
def bare_lifecycles(count: int) -> float:
    """Seconds for `count` lifecycles in memory, three serialize/deserialize round-trips each."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(PROCESS))
    spec = parser.get_spec("petit_processus")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    started = time.perf_counter()
    for _ in range(count):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
        for data in ({"montant": 60}, {}):
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
        assert workflow.is_completed()
    return time.perf_counter() - started


# --- the runtime service -------------------------------------------------------------------
def setup_database(url: str):
    from app.db import read_session_factory
    from app.engine.clock import clock
    from app.engine.deploy import deploy, read_folders
    from app.seed import seed_demo_accounts

    engine, factory = fresh_database(url)
    clock.bind(read_session_factory(url, engine))
    with factory() as session, session.begin():
        seed_demo_accounts(session, password_hash=_hash())
        deploy(session, read_folders(FIXTURES / "processes", FIXTURES / "forms"))
    return engine, factory


def _hash() -> str:
    from werkzeug.security import generate_password_hash

    return generate_password_hash("demo", method="pbkdf2:sha256:1000")


def service_lifecycles(factory, count: int) -> float:
    from app.engine.runtime import Runtime
    from app.forms import validate_data
    from app.models import HumanTask, User

    runtime = Runtime(factory, form_validator=validate_data)
    with factory() as session:
        agent = session.scalar(select(User).where(User.email == "agent.cramif@demo.fr"))

    def open_task(instance_id):
        with factory() as session:
            return session.scalar(select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open"))

    started = time.perf_counter()
    for _ in range(count):
        instance_id = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
        runtime.complete_task(open_task(instance_id), agent, {"montant": 60})
        runtime.complete_task(open_task(instance_id), agent, {})
    return time.perf_counter() - started


def concurrent_lifecycles(factory, count: int, workers: int) -> float:
    """Seconds for `count` lifecycles split over `workers` threads (each its own sessions):
    the database waits overlap, as with several gunicorn workers."""
    from concurrent.futures import ThreadPoolExecutor

    share = count // workers
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _n: service_lifecycles(factory, share), range(workers)))
    return time.perf_counter() - started


# --- over HTTP -------------------------------------------------------------------------------
class Browserless:
    """A keep-alive HTTP client with a cookie and the CSRF token, like a logged-in browser."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port)
        self.cookie, self.token = "", ""

    def request(self, method, path, body=None, headers=None):
        headers = {"Cookie": self.cookie, **(headers or {})}
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, payload

    def login(self, email: str):
        _status, page = self.request("GET", "/connexion")
        self.token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        form = f"csrf_token={self.token}&email={email}&password=demo"
        status, _ = self.request("POST", "/connexion", form,
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, status

    def post_json(self, path, data):
        return self.request("POST", path, json.dumps(data),
                            {"Content-Type": "application/json", "X-CSRFToken": self.token})


def http_completions(url: str, count: int, tmp: Path) -> tuple[float, int]:
    """Seconds for `count` task completions through POST /api/taches/<id>/completer."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from app.web import create_app

    app = create_app({"DATABASE_URL": url, "UPLOAD_DIR": tmp / "up", "INSTANCE_DIR": tmp,
                      "SECRET_KEY": "bench", "RUN_TIMERS": False,
                      "DEMO_MODE": True})  # it logs in with a demo account
    services = app.extensions["invalidite"]
    # HTTP/1.1 keep-alive, as a browser uses it (werkzeug defaults to one connection per request).
    WSGIRequestHandler.protocol_version = "HTTP/1.1"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    client = Browserless(server.server_port)
    client.login("agent.cramif@demo.fr")
    from app.models import HumanTask, User

    with services.session_factory() as session:
        agent = session.scalar(select(User).where(User.email == "agent.cramif@demo.fr"))
    ids = [services.runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
           for _ in range(count)]
    with services.session_factory() as session:
        tasks = session.scalars(select(HumanTask.id).where(HumanTask.instance_id.in_(ids),
                                                           HumanTask.status == "open")).all()
    started = time.perf_counter()
    for task_id in tasks:
        status, body = client.post_json(f"/api/taches/{task_id}/completer",
                                        {"donnees": {"montant": 60}})
        assert status == 200, (status, body)
    elapsed = time.perf_counter() - started
    started = time.perf_counter()
    for _ in tasks:  # the server's own floor: a public route that does nothing
        client.request("GET", "/vendor/rien/x")
    floor = time.perf_counter() - started
    server.shutdown()
    services.engine.dispose()
    return elapsed, len(tasks), floor


def bare_step_seconds(count: int) -> float:
    """Bare cost of the same step: deserialize, complete « Saisir », run engine, serialize."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(PROCESS))
    spec = parser.get_spec("petit_processus")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    workflow = BpmnWorkflow(spec)
    workflow.do_engine_steps()
    state = serializer.serialize_json(workflow)
    started = time.perf_counter()
    for _ in range(count):
        workflow = serializer.deserialize_json(state)
        task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
        task.data.update({"montant": 60})
        task.run()
        workflow.do_engine_steps()
        serializer.serialize_json(workflow)
    return (time.perf_counter() - started) / count


# --- timers and storage ----------------------------------------------------------------------
def timer_latency(factory, instances: int = 20) -> list[float]:
    """Seconds between each timer's due time and its firing, with the APScheduler worker."""
    from app.engine.deploy import deploy, read_folders
    from app.engine.runtime import Runtime
    from app.engine.timers import TimerWorker
    from app.models import AuditLog, ProcessInstance

    with factory() as session, session.begin():
        deploy(session, read_folders(ROOT / "bench/processes", FIXTURES / "forms"))
    runtime = Runtime(factory)
    worker = TimerWorker(runtime)
    worker.start()
    due = {}
    for _ in range(instances):
        instance_id = runtime.start("latence_minuteur", user_id=None)
        with factory() as session:
            due[instance_id] = session.get(ProcessInstance, instance_id).next_timer_at
        time.sleep(0.13)  # spread due times over the polling period
    deadline = time.time() + 30
    while time.time() < deadline:
        with factory() as session:
            fired = dict(session.execute(select(AuditLog.instance_id, AuditLog.at).where(
                AuditLog.action == "timer_fired", AuditLog.instance_id.in_(list(due)))).all())
        if len(fired) == len(due):
            break
        time.sleep(0.2)
    worker.stop()
    return [(fired[i] - due[i]).total_seconds() for i in due if i in fired]


def closed_instance_bytes(factory) -> int:
    from app.models import ProcessInstance

    with factory() as session:
        row = session.scalars(select(ProcessInstance).where(
            ProcessInstance.status == "completed",
            ProcessInstance.process_key == "petit_processus").limit(1)).first()
        return len(json.dumps(row.state))


def median_of(rounds: int, run) -> float:
    return statistics.median(run() for _ in range(rounds))


def report_backend(name: str, url: str, lifecycles: int, rounds: int, bare_ms: float,
                   bare_step_ms: float, tmp: Path) -> None:
    engine, factory = setup_database(url)
    service_lifecycles(factory, 5)  # warm caches (parsed spec, compiled scripts)
    seconds = median_of(rounds, lambda: service_lifecycles(factory, lifecycles))
    ms_step = seconds * 1000 / (lifecycles * 3)
    print(f"{name:<10} service     {ms_step:7.2f} ms/step  {lifecycles / seconds:7.1f} "
          f"lifecycles/s  ratio service/bare {ms_step / bare_ms:5.2f}")
    for workers in (2, 4):
        parallel = median_of(rounds, lambda w=workers: concurrent_lifecycles(
            factory, lifecycles, w))
        print(f"{name:<10} {workers} workers   {lifecycles / parallel:7.1f} lifecycles/s "
              f"(threads, one transaction per step each)")
    http_seconds, completions, floor = http_completions(url, lifecycles, tmp)
    http_ms = http_seconds * 1000 / completions
    print(f"{name:<10} HTTP        {http_ms:7.2f} ms/completion          "
          f"ratio HTTP/bare step {http_ms / bare_step_ms:5.2f}  "
          f"(werkzeug dev server floor {floor * 1000 / completions:.2f} ms/request)")
    latencies = timer_latency(factory)
    print(f"{name:<10} timers      median {statistics.median(latencies):.2f} s, "
          f"max {max(latencies):.2f} s after due ({len(latencies)} timers, poll 0.5 s)")
    print(f"{name:<10} storage     {closed_instance_bytes(factory)} bytes per closed instance")
    engine.dispose()


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL, or 'none'")
    args = parser.parse_args()
    bare_lifecycles(10)
    bare = median_of(args.rounds, lambda: bare_lifecycles(args.lifecycles))
    bare_ms = bare * 1000 / (args.lifecycles * 3)
    bare_step_ms = median_of(args.rounds, lambda: bare_step_seconds(args.lifecycles)) * 1000
    print(f"median of {args.rounds} rounds, {args.lifecycles} lifecycles of 3 steps each")
    print(f"{'bare':<10} SpiffWorkflow {bare_ms:5.2f} ms/step  {args.lifecycles / bare:7.1f} "
          f"lifecycles/s  (3 JSON round-trips per lifecycle)")
    print(f"{'bare':<10} one step     {bare_step_ms:5.2f} ms (deserialize, complete, serialize)")
    with tempfile.TemporaryDirectory() as tmp:
        report_backend("SQLite", f"sqlite:///{tmp}/bench.db", args.lifecycles, args.rounds,
                       bare_ms, bare_step_ms, Path(tmp))
        if args.pg != "none":
            report_backend("PostgreSQL", args.pg, args.lifecycles, args.rounds, bare_ms,
                           bare_step_ms, Path(tmp))


if __name__ == "__main__":
    main()
