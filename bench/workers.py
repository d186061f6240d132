"""Several processes: lifecycles/s over HTTP on PostgreSQL with 1, 2 and 4 gunicorn workers.

The app is served exactly as `make run` and production serve it (`gunicorn -c
gunicorn.conf.py`, sync workers, access log, worker recycling), on PostgreSQL. Clients are
separate processes, each a keep-alive HTTP connection signed in as an agent with its CSRF
token: 1 client in sequence, then 4 clients at once. One lifecycle of the small process
(tests/fixtures/processes/petit_processus.bpmn: start → user task → script → gateway → user
task with a timer boundary → end) = POST /api/processus/petit_processus/instances, then
POST /api/taches/<id>/completer on each task it answers with, until none is left (3 HTTP
requests, 3 transactions).

Beside each figure, the bare engine on the same work in the same run: SpiffWorkflow in
memory, one JSON round-trip per step (as DESIGN.md §5 describes its baseline), in 1 process
or split over 4 processes like the clients; and the ratio project/bare. Medians of `--rounds`
interleaved rounds (the machine is noisy).

Usage: .venv/bin/python bench/workers.py [--pg URL] [--lifecycles 120] [--rounds 3]
                                         [--workers 1 2 4]
The database at URL is dropped and created again (bench/fresh.py).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fresh import free_port, seeded_database

FIXTURES = ROOT / "tests/fixtures"
PROCESS = FIXTURES / "processes/petit_processus.bpmn"
KEY = "petit_processus"
AGENT = "agent.cramif@demo.fr"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/invalidite_workers"


# --- the bare engine, same work --------------------------------------------------------------
def _bare_setup():
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(PROCESS))
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    return parser.get_spec(KEY), serializer


def _bare_run(spec, serializer, count: int) -> None:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    for _ in range(count):
        workflow = BpmnWorkflow(spec)
        workflow.do_engine_steps()
        workflow = serializer.deserialize_json(serializer.serialize_json(workflow))
        while not workflow.is_completed():
            task = workflow.get_tasks(state=TaskState.READY, manual=True)[0]
            task.data.update({"montant": 60})
            task.run()
            workflow.do_engine_steps()
            workflow = serializer.deserialize_json(serializer.serialize_json(workflow))


def bare_client(count: int, barrier, results) -> None:
    spec, serializer = _bare_setup()
    _bare_run(spec, serializer, 3)  # warm
    barrier.wait()
    _bare_run(spec, serializer, count)
    results.put(time.perf_counter())


# --- an HTTP client process -------------------------------------------------------------------
class Client:
    """A keep-alive connection with the session cookie and the CSRF token, like a browser."""

    def __init__(self, port: int):
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie, self.token = "", ""

    def request(self, method: str, path: str, body: str | None = None,
                headers: dict | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body=body,
                                headers={"Cookie": self.cookie, **(headers or {})})
        response = self.connection.getresponse()
        payload = response.read()
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, payload

    def login(self, email: str) -> None:
        _status, page = self.request("GET", "/connexion")
        self.token = re.search(rb'name="csrf_token" value="([^"]+)"', page).group(1).decode()
        status, _ = self.request("POST", "/connexion",
                                 f"csrf_token={self.token}&email={email}&password=demo",
                                 {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 302, f"connexion refusée ({status})"

    def post(self, path: str, data: dict | None = None) -> dict:
        status, body = self.request("POST", path, json.dumps(data or {}),
                                    {"Content-Type": "application/json",
                                     "X-CSRFToken": self.token})
        assert status in (200, 201), (path, status, body[:300])
        return json.loads(body)

    def lifecycle(self) -> int:
        """Start an instance and complete its tasks; return the number of requests."""
        tasks = self.post(f"/api/processus/{KEY}/instances")["taches"]
        requests = 1
        while tasks:
            tasks = self.post(f"/api/taches/{tasks[0]}/completer",
                              {"donnees": {"montant": 60}})["taches"]
            requests += 1
        return requests


def http_client(port: int, count: int, barrier, results) -> None:
    client = Client(port)
    client.login(AGENT)
    client.lifecycle()  # warm this connection and a worker
    barrier.wait()
    requests = sum(client.lifecycle() for _ in range(count))
    results.put((time.perf_counter(), requests))


def run_clients(target, args_for, clients: int) -> tuple[float, list]:
    """Start `clients` processes, release them together, return (wall seconds, results)."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(clients + 1), context.Queue()
    processes = [context.Process(target=target, args=(*args_for(i), barrier, results))
                 for i in range(clients)]
    for process in processes:
        process.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    ends = [o[0] if isinstance(o, tuple) else o for o in outcomes]
    return max(ends) - started, outcomes


# --- the served app ---------------------------------------------------------------------------
def setup_database(url: str) -> None:

    engine, _factory = seeded_database(url, FIXTURES / "processes", FIXTURES / "forms")
    engine.dispose()


def serve(url: str, workers: int, tmp: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn as `make run` starts it (demo mode: the bench signs in with a demo account)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "INVALIDITE_WORKERS": str(workers),
           "INVALIDITE_BIND": f"127.0.0.1:{port}", "INVALIDITE_DEMO": "1",
           "INVALIDITE_TIMERS": "0", "INVALIDITE_INSTANCE": str(tmp), "SECRET_KEY": "bench"}
    log = open(tmp / f"gunicorn-{workers}.log", "wb")  # noqa: SIM115 - closed with the server
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/sante")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn ne répond pas (voir {tmp}/gunicorn-{workers}.log)")


def stop(server: subprocess.Popen) -> None:
    server.terminate()  # TERM: gunicorn lets the requests under way finish
    server.wait(timeout=60)


# --- the figures ------------------------------------------------------------------------------
def measure(port: int, lifecycles: int, clients: int) -> float:
    share = lifecycles // clients
    seconds, _ = run_clients(http_client, lambda _i: (port, share), clients)
    return share * clients / seconds


def measure_bare(lifecycles: int, clients: int) -> float:
    share = lifecycles // clients
    seconds, _ = run_clients(bare_client, lambda _i: (share,), clients)
    return share * clients / seconds


def line(label: str, figures: list[float], bare: list[float]) -> str:
    project, engine = statistics.median(figures), statistics.median(bare)
    return (f"{label:<28} {project:7.1f} lifecycles/s   bare engine {engine:7.1f}   "
            f"ratio project/bare {project / engine:6.3f}   "
            f"(rounds: {', '.join(f'{f:.1f}' for f in figures)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL (dropped, recreated)")
    parser.add_argument("--lifecycles", type=int, default=120, help="per round and mode")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    if not args.pg.startswith("postgresql"):
        raise SystemExit("--pg doit être une adresse postgresql://…")
    setup_database(args.pg)
    print(f"{os.cpu_count()} cores; medians of {args.rounds} interleaved rounds, "
          f"{args.lifecycles} lifecycles per round (3 HTTP requests each), PostgreSQL")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            server, port = serve(args.pg, workers, Path(tmp))
            try:
                measure(port, 4 * 5, 4)  # every worker warm (parsed spec, compiled scripts)
                figures = {"seq": [], "conc": [], "bare_seq": [], "bare_conc": []}
                for _round in range(args.rounds):
                    figures["seq"].append(measure(port, args.lifecycles, 1))
                    figures["bare_seq"].append(measure_bare(args.lifecycles, 1))
                    figures["conc"].append(measure(port, args.lifecycles, 4))
                    figures["bare_conc"].append(measure_bare(args.lifecycles, 4))
            finally:
                stop(server)
            name = f"{workers} worker{'s' if workers > 1 else ''}"
            print(line(f"{name}, 1 client", figures["seq"], figures["bare_seq"]))
            print(line(f"{name}, 4 clients", figures["conc"], figures["bare_conc"]),
                  flush=True)


if __name__ == "__main__":
    main()
