"""How the app is served, by `make run` and in production alike: `gunicorn -c gunicorn.conf.py`.

Several worker processes, each request bounded in time, graceful restarts (`kill -HUP` reloads
the workers one by one, `kill -TERM` lets requests under way finish), no version banner.

Environment:
- `INVALIDITE_BIND` (default 127.0.0.1:5000), `INVALIDITE_WORKERS` (default: one per core,
  at least 2). Sync workers: one request each at a time, so each holds 2 or 3 database
  connections at most; bench/workers.py measures lifecycles/s with 1, 2 and 4 of them.
- `INVALIDITE_TIMERS=1`: this launcher also starts the timer worker as its own process
  (`flask run-timers`) and stops it on exit — what `make run` does for the demo. In production
  leave it off and run `flask run-timers` as its own service (as many as you like, anywhere).
- `INVALIDITE_DEMO=1` turns the demo mode on (app/web/shared/mode_demo.py); off by default.
- `RATELIMIT_STORAGE_URI` (default memory://, one count per process): where the login limits
  count. With several workers or machines share it, e.g. redis://127.0.0.1:6379 (the `redis`
  package is installed); on memory:// with more than one worker, a warning is logged at start.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent

wsgi_app = "app.web:create_app()"
chdir = str(ROOT)
bind = [os.environ.get("INVALIDITE_BIND", "127.0.0.1:5000")]
workers = int(os.environ.get("INVALIDITE_WORKERS", max(2, os.cpu_count() or 1)))
worker_class = "sync"  # one request per process at a time, killed past `timeout`
timeout = 30  # a request (or a stuck worker) past 30 s: the worker is killed and replaced
graceful_timeout = 30  # on TERM/HUP: requests under way get this long to finish
keepalive = 2
max_requests = 2000  # recycle each worker now and then (memory), staggered by the jitter
max_requests_jitter = 200
limit_request_line = 4094
limit_request_fields = 100
accesslog = "-"
errorlog = "-"
loglevel = "info"
proc_name = "invalidite"
control_socket_disable = True  # no shared control socket in $HOME: several servers may run
# The workers' heartbeat files in memory when there is a tmpfs: on a busy disk a heartbeat
# write that stalls makes the master kill a healthy worker (gunicorn's own advice).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# The `Server` header: gunicorn sends its name without a version (never Werkzeug's banner
# with the Python version); tests/test_production.py checks it on a served response.


def _app_logging() -> None:
    """The app's own log lines (the mode it runs in, refused demo accounts) beside gunicorn's."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(process)d] [%(levelname)s] "
                                           "%(name)s: %(message)s", "[%Y-%m-%d %H:%M:%S %z]"))
    logger = logging.getLogger("app")
    if not logger.handlers:
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


TIMERS_PROCESS = os.environ.get("INVALIDITE_TIMERS") == "1"
_timers: subprocess.Popen | None = None


def timers_command() -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app.web:create_app", "run-timers"]


def on_starting(server) -> None:
    _app_logging()  # in the master, before the workers are forked: they inherit it
    from app.web.auth.throttle import memory_storage_warning

    warning = memory_storage_warning(os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
                                     server.cfg.workers)
    if warning:
        server.log.warning(warning)


def when_ready(server) -> None:
    global _timers
    if not TIMERS_PROCESS or (_timers is not None and _timers.poll() is None):
        return
    # Its own process, never a thread of a web worker: the web workers come and go.
    _timers = subprocess.Popen(timers_command(), cwd=ROOT,
                               env={**os.environ, "INVALIDITE_TIMERS": "0"})
    server.log.info("Minuteurs BPMN : processus %s lancé (flask run-timers).", _timers.pid)


def post_fork(server, worker) -> None:
    os.environ["INVALIDITE_TIMERS"] = "0"  # a web worker never embeds the timers


def on_exit(server) -> None:
    if _timers is not None and _timers.poll() is None:
        _timers.terminate()
        try:
            _timers.wait(timeout=graceful_timeout)
        except subprocess.TimeoutExpired:
            _timers.kill()
        server.log.info("Minuteurs BPMN : processus %s arrêté.", _timers.pid)
