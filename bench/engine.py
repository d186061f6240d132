"""Engine benchmark: one step of a small process, bare SpiffWorkflow vs. the project.

Process (tests/fixtures/processes/petit_processus.bpmn): start → user task → script →
gateway → user task with a timer boundary → end. The step measured is the completion of the
first user task (« Saisir un montant »): bare SpiffWorkflow deserializes, completes, runs the
engine and serializes in memory; the runtime does it through `Runtime.complete_task` (one
transaction) on SQLite and on PostgreSQL; over HTTP, a SEPARATE CLIENT PROCESS (keep-alive,
logged in, CSRF) posts to `POST /api/taches/<id>/completer` of the app served by gunicorn
(gunicorn.conf.py, 1 worker), as users feel it. Also, over HTTP: whole lifecycles (start by
the API + 2 completions) per second, and the server's floor (a public route, no database).

Rounds are interleaved (bare, then each database in turn, every round) and the figures are
medians of the rounds; the ratios are to the bare step of the same process and run.

Usage: .venv/bin/python bench/engine.py [--lifecycles 200] [--rounds 5] [--pg URL|none]
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fresh import free_port, seeded_database
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

FIXTURES = ROOT / "tests/fixtures"
PROCESS = FIXTURES / "processes/petit_processus.bpmn"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/invalidite_bench"
AGENT = "agent.cramif@demo.fr"


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

    engine, factory = seeded_database(url, FIXTURES / "processes", FIXTURES / "forms")
    clock.bind(read_session_factory(url, engine))
    return engine, factory


def service_lifecycles(factory, count: int, runtime=None) -> float:
    """Seconds for `count` lifecycles through the runtime (start + 2 completions)."""
    from app.engine.runtime import Runtime
    from app.forms import validate_data

    runtime = runtime or Runtime(factory, form_validator=validate_data)
    agent = _agent(factory)
    started = time.perf_counter()
    for _ in range(count):
        instance_id = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
        for data in ({"montant": 60}, {}):
            runtime.complete_task(_open_task(factory, instance_id), agent, data)
    return time.perf_counter() - started


def _open_task(factory, instance_id: int) -> int:
    from app.models import HumanTask

    with factory() as session:
        return session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open"))


def _agent(factory):
    from app.models import User

    with factory() as session:
        return session.scalar(select(User).where(User.email == AGENT))


def waiting_tasks(factory, runtime, count: int) -> list[int]:
    """`count` new instances waiting at « Saisir un montant »: their open task ids."""
    from app.models import HumanTask

    agent = _agent(factory)
    ids = [runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
           for _ in range(count)]
    with factory() as session:
        return list(session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id.in_(ids), HumanTask.status == "open")))


def runtime_step_seconds(factory, runtime, count: int) -> float:
    """The same step as the bare one, through `Runtime.complete_task` (one transaction)."""
    tasks, agent = waiting_tasks(factory, runtime, count), _agent(factory)
    started = time.perf_counter()
    for task_id in tasks:
        runtime.complete_task(task_id, agent, {"montant": 60})
    return (time.perf_counter() - started) / len(tasks)


# --- over HTTP, from a separate client process ----------------------------------------------
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
        status, body = self.request("POST", path, json.dumps(data),
                                    {"Content-Type": "application/json",
                                     "X-CSRFToken": self.token})
        assert status in (200, 201), (status, body)
        return json.loads(body)


def client_process(port: int, task_ids: list[int], lifecycles: int, answer) -> None:
    """In its own process: log in, complete `task_ids`, run `lifecycles` whole lifecycles,
    hit the floor route; send back the three durations (seconds)."""
    client = Browserless(port)
    client.login(AGENT)
    started = time.perf_counter()
    for task_id in task_ids:
        client.post_json(f"/api/taches/{task_id}/completer", {"donnees": {"montant": 60}})
    completions = time.perf_counter() - started
    started, whole = time.perf_counter(), None
    if client.request("POST", "/api/processus/petit_processus/instances", "{}", {
            "Content-Type": "application/json", "X-CSRFToken": client.token})[0] == 201:
        for _ in range(lifecycles):  # (an older app cannot start an instance by the API)
            tasks = client.post_json("/api/processus/petit_processus/instances", {})["taches"]
            for data in ({"montant": 60}, {}):
                tasks = client.post_json(f"/api/taches/{tasks[0]}/completer",
                                         {"donnees": data}).get("taches")
        whole = time.perf_counter() - started
    started = time.perf_counter()
    for _ in task_ids:  # the server's own floor: a public route that touches no database
        client.request("GET", "/sante")
    answer.send((completions, whole, time.perf_counter() - started))


def over_http(port: int, task_ids: list[int], lifecycles: int) -> tuple[float, float, float]:
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    client = context.Process(target=client_process, args=(port, task_ids, lifecycles, send))
    client.start()
    result = receive.recv()
    client.join()
    return result


class Gunicorn:
    """The app as `make run` serves it (gunicorn.conf.py), with one worker."""

    def __init__(self, url: str, tmp: Path, name: str):
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "INVALIDITE_BIND": f"127.0.0.1:{self.port}",
               "INVALIDITE_WORKERS": "1", "INVALIDITE_DEMO": "1", "INVALIDITE_TIMERS": "0",
               "INVALIDITE_INSTANCE": str(tmp / name), "UPLOAD_DIR": str(tmp / name / "up"),
               # one login per client process: far below any real limit, but many of them
               "INVALIDITE_LIMITE_COMPTE": "100000 per minute",
               "INVALIDITE_LIMITE_ADRESSE": "100000 per minute"}
        self.process = subprocess.Popen(
            # no recycling mid-run (it would measure a cold worker); the rest as configured
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
             "--max-requests", "0"], cwd=ROOT,
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                connection.request("GET", "/sante")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn ne démarre pas")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


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


# --- storage and report ----------------------------------------------------------------------
def closed_instance_bytes(factory) -> int:
    from app.models import ProcessInstance

    with factory() as session:
        row = session.scalars(select(ProcessInstance).where(
            ProcessInstance.status == "completed",
            ProcessInstance.process_key == "petit_processus").limit(1)).first()
        # as stored now: compact UTF-8 JSON (app/models/base.py)
        return len(json.dumps(row.state, separators=(",", ":"), ensure_ascii=False).encode())


class Backend:
    """One database: migrated and seeded, its runtime, and the app served by gunicorn."""

    def __init__(self, name: str, url: str, tmp: Path):
        from app.engine.runtime import Runtime
        from app.forms import validate_data

        self.name = name
        self.engine, self.factory = setup_database(url)
        self.runtime = Runtime(self.factory, form_validator=validate_data)
        service_lifecycles(self.factory, 5, self.runtime)  # warm caches (specs, scripts)
        self.server = Gunicorn(url, tmp, name)
        over_http(self.server.port, waiting_tasks(self.factory, self.runtime, 5), 2)

    def round(self, count: int, figures) -> None:
        figures[self.name, "runtime"].append(runtime_step_seconds(self.factory, self.runtime,
                                                                  count) * 1000)
        tasks = waiting_tasks(self.factory, self.runtime, count)
        completions, whole, floor = over_http(self.server.port, tasks, count)
        figures[self.name, "http"].append(completions * 1000 / len(tasks))
        figures[self.name, "lifecycles"].append(count / whole if whole else float("nan"))
        figures[self.name, "floor"].append(floor * 1000 / len(tasks))

    def close(self) -> None:
        self.server.stop()
        self.engine.dispose()


def report(backends, figures, bare_step_ms: float, bare_rate: float) -> None:
    med = {key: statistics.median(values) for key, values in figures.items()}
    print(f"{'bare':<10} SpiffWorkflow step  {bare_step_ms:6.2f} ms   "
          f"(deserialize, complete, run the engine, serialize)  {bare_rate:6.1f} lifecycles/s")
    for backend in backends:
        name = backend.name
        print(f"{name:<10} runtime step        {med[name, 'runtime']:6.2f} ms   "
              f"ratio runtime/bare {med[name, 'runtime'] / bare_step_ms:5.2f}")
        print(f"{name:<10} HTTP completion     {med[name, 'http']:6.2f} ms   "
              f"ratio HTTP/bare    {med[name, 'http'] / bare_step_ms:5.2f}   (gunicorn 1 "
              f"worker, client process; floor {med[name, 'floor']:.2f} ms/request)")
        print(f"{name:<10} HTTP lifecycles     {med[name, 'lifecycles']:6.1f} /s   "
              f"(start + 2 completions over the API, sequential; bare {bare_rate:.1f}/s)")
        print(f"{name:<10} storage             {closed_instance_bytes(backend.factory)} bytes "
              "per closed instance")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lifecycles", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL, or 'none'")
    args = parser.parse_args()
    count = args.lifecycles
    bare_lifecycles(10)
    figures: dict = defaultdict(list)
    with tempfile.TemporaryDirectory() as tmp:
        backends = [Backend("SQLite", f"sqlite:///{tmp}/bench.db", Path(tmp))]
        try:
            if args.pg != "none":
                backends.append(Backend("PostgreSQL", args.pg, Path(tmp)))
            for _round in range(args.rounds):  # interleaved: a noisy machine hits all alike
                figures["bare"].append(bare_step_seconds(count) * 1000)
                figures["bare lifecycles"].append(count / bare_lifecycles(count))
                for backend in backends:
                    backend.round(count, figures)
            print(f"median of {args.rounds} interleaved rounds, {count} steps and {count} "
                  "lifecycles per round and figure")
            report(backends, figures, statistics.median(figures["bare"]),
                   statistics.median(figures["bare lifecycles"]))
        finally:
            for backend in backends:
                backend.close()


if __name__ == "__main__":
    main()
