"""Dossier benchmark: the real online request (assuré) and its instruction (agent,
médecin-conseil) up to the notified decision, on SQLite and on PostgreSQL.

Each dossier is driven through the app's own pages (Flask's WSGI test client: the real
routes, forms, runtime and database, without sockets). Prints, per database:
- ms per step (median over every form submission that completes a task),
- bytes stored per closed dossier: every column of every row tied to its instance or
  dossier, across tables (uploaded/generated file contents aside), with the process state
  before pruning (as the engine leaves it) and after (as stored),
and beside them the bare SpiffWorkflow engine on the same processes: the same user tasks
completed in memory with the same data, one JSON round-trip per step (its default
serializer), and the ratio.

Usage: .venv/bin/python bench/dossier.py [--dossiers 5] [--pg URL|none]
"""
from __future__ import annotations

import argparse
import html
import io
import json
import re
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import LargeBinary, String, cast, select

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/invalidite_bench_dossier"  # dropped!


# ----- measuring a dossier's rows -------------------------------------------------------------
def dossier_bytes(session, instance_id: int) -> dict[str, int]:
    """Bytes of every column (as text, UTF-8) of every row tied to `instance_id` — its
    instance row, the rows pointing at it or at its dossier, and the rows pointing at
    those (a conversation's messages…) — per table. Binary columns (file contents) aside."""
    from app.models import Base

    found: dict[str, set] = {"process_instance": {instance_id}}
    changed = True
    while changed:
        changed = False
        for table in Base.metadata.sorted_tables:
            ids = _tied_ids(session, table, found)
            if ids - found.get(table.name, set()):
                found.setdefault(table.name, set()).update(ids)
                changed = True
    return {table.name: _rows_bytes(session, table, found[table.name])
            for table in Base.metadata.sorted_tables if found.get(table.name)}


def _tied_ids(session, table, found) -> set:
    """Primary keys of `table`'s rows whose foreign key points at a row already found."""
    pk = next(iter(table.primary_key.columns))  # the first (a link table has two)
    ids: set = set()
    for fk in table.foreign_keys:
        target = fk.column.table.name
        if target not in found or target in ("app_user", "caisse") or target == table.name:
            continue
        ids.update(session.scalars(select(pk).where(fk.parent.in_(found[target]))))
    return ids


def _rows_bytes(session, table, ids) -> int:
    pk = next(iter(table.primary_key.columns))
    columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
    total = 0
    for row in session.execute(select(*[cast(c, String) for c in columns])
                               .where(pk.in_(ids))):
        total += sum(len(str(v).encode()) for v in row if v is not None)
    return total


# ----- driving a dossier through the pages ----------------------------------------------------
class Driver:
    """One browser-like client walking the request and the instruction, timing each step."""

    def __init__(self, app):
        self.app, self.client = app, app.test_client()
        self.steps: list[float] = []

    def login(self, who: str) -> None:
        self.client.post("/deconnexion")
        response = self.client.post("/connexion", data={"email": f"{who}@demo.fr",
                                                        "password": "demo"})
        assert response.status_code in (302, 303), response.status_code

    def post(self, url: str, **kwargs):
        started = time.perf_counter()
        response = self.client.post(url, **kwargs)
        self.steps.append(time.perf_counter() - started)
        assert response.status_code in (302, 303), (url, response.status_code,
                                                    _text(response)[-2000:])
        return response

    def request_step(self, numero: str, data: dict, **kwargs):
        from tests.assure_aide import form_action  # the step form, found as the tests find it

        page = self.client.get(f"/assure/demande/{numero}")
        return self.post(form_action(page), data=data, **kwargs)

    def task_page(self, factory, numero: str, element: str) -> tuple[int, str]:
        task_id = open_task(factory, numero, element)
        return task_id, _text(self.client.get(f"/agent/taches/{task_id}"))


def drive_dossier(app, factory, who: str = "marie.durand") -> tuple[str, list[float]]:
    """A request submitted online, instructed to the notification d'attribution; returns
    (dossier number, seconds of each step)."""
    driver = Driver(app)
    numero = request(driver, who)
    verification(driver, factory, numero)
    examen(driver, factory, numero)
    attribution(driver, factory, numero)
    driver.client.post("/deconnexion")
    return numero, driver.steps


def request(driver: Driver, who: str = "marie.durand") -> str:
    """The assuré comes from ameliBot, fills the request and sends it: its number."""
    from app.web.assure.chat import ORIENTATION

    driver.login(who)
    with driver.client.session_transaction() as flask_session:
        flask_session[ORIENTATION] = int(flask_session["_user_id"])  # as ameliBot leaves it
    response = driver.post("/assure/demande/demarrer")
    numero = response.headers["Location"].rsplit("/", 1)[-1]
    for data in REQUEST:
        driver.request_step(numero, data)
    driver.request_step(numero, {"avis_imposition": (io.BytesIO(_pdf()), "avis.pdf")},
                        content_type="multipart/form-data")
    return numero


def verification(driver: Driver, factory, numero: str) -> None:
    driver.login("agent.cramif")
    task_id, _page = driver.task_page(factory, numero, "verification_administrative")
    driver.post(f"/agent/taches/{task_id}", data={"avis_conditions": "confirme",
                                                  "pieces_completes": "true"})


def examen(driver: Driver, factory, numero: str) -> None:
    """The médecin-conseil convokes, the clock moves to the day, the exam is recorded."""
    from app.engine.clock import clock

    driver.login("medecin")
    task_id, page = driver.task_page(factory, numero, "convoquer_assure")
    jour = re.search(r'name="convocation_date" value="([^"]+)"', page).group(1)
    driver.post(f"/agent/taches/{task_id}", data={
        "convocation_date": jour, "convocation_heure": "09:30", "convocation_lieu": "Paris",
        "convocation_adresse": "17-19 avenue de Flandre"})
    clock.advance(datetime.strptime(jour, "%d/%m/%Y").date() - clock.today())
    task_id, page = driver.task_page(factory, numero, "examiner_assure")
    today = re.search(r'name="date_examen" value="([^"]+)"', page).group(1)
    driver.post(f"/agent/taches/{task_id}", data={
        "date_examen": today, "capacite_reduite": "true", "categorie": "1",
        "tierce_personne": "false", "date_constat": today})


def attribution(driver: Driver, factory, numero: str) -> None:
    driver.login("agent.cramif")
    task_id, page = driver.task_page(factory, numero, "valider_attribution")
    effet = re.search(r'name="date_effet" value="([^"]+)"', page).group(1)
    driver.post(f"/agent/taches/{task_id}", data={"date_effet": effet,
                                                  "calcul_verifie": "true"})


REQUEST = (
    {"nationalite": "francaise"},
    {"activites": "salariee", "salariee.plusieurs_employeurs": "false",
     "salariee.employeur_nom": "Société Lelièvre",
     "salariee.employeur_adresse": "126 rue Fernand Braudel, 75013 Paris",
     "salariee.periode.du": "01/01/2001", "salariee.periode.au": "31/12/2024"},
    {"propositions": "aucune"},
    {"choix_recapitulatif": "valider"},
)


def open_task(factory, numero: str, element: str) -> int:
    from app.models import Dossier, HumanTask

    with factory() as session:
        instance_id = session.scalar(select(Dossier.instance_id).where(
            Dossier.numero == numero))
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open",
            HumanTask.element_id == element))
    assert task_id is not None, (numero, element)
    return task_id


def instance_of(factory, numero: str) -> int:
    from app.models import Dossier

    with factory() as session:
        return session.scalar(select(Dossier.instance_id).where(Dossier.numero == numero))


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _pdf() -> bytes:
    from pypdf import PdfWriter

    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    return buffer.getvalue()


# ----- the bare engine on the same processes -------------------------------------------------
def completed_user_tasks(workflow) -> list[tuple[str, dict]]:
    """(element, form data) of each user task the dossier completed, in order: what the
    bare engine replays."""
    from SpiffWorkflow.util.task import TaskState

    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
            if getattr(t.task_spec, "manual", False)]
    done.sort(key=lambda t: t.last_state_change)
    return [(t.task_spec.bpmn_id, dict(t.data)) for t in done]


def bare_replay(specs, script_engine, steps) -> tuple[float, int, int]:
    """Median seconds per step and final JSON bytes (with and without the diagrams) of the
    bare engine replaying `steps`: each deserializes, completes the user task with its
    data, runs the engine, serializes (SpiffWorkflow's default serializer, as it ships)."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

    from app.engine.effects import collecting

    registry = BpmnWorkflowSerializer.configure(SPIFF_CONFIG)
    # The domain helpers' values, converted as the app does (app/engine/serializer.py).
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]))
    serializer = BpmnWorkflowSerializer(registry)
    with collecting():  # scripts ask for letters: collected, never delivered here
        return _replay(serializer, specs, script_engine, steps)


def _replay(serializer, specs, script_engine, steps) -> tuple[float, int, int]:
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(specs[0], specs[1], script_engine=script_engine)
    workflow.do_engine_steps()
    state = serializer.serialize_json(workflow)
    times = []
    for element, data in steps:
        started = time.perf_counter()
        workflow = serializer.deserialize_json(state)
        workflow.script_engine = script_engine
        ready = [t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                 if t.task_spec.bpmn_id == element]
        if not ready:
            break  # a step the bare engine cannot reach without the app (messages, hooks)
        ready[0].data.update(data)
        ready[0].run()
        workflow.do_engine_steps()
        state = serializer.serialize_json(workflow)
        times.append(time.perf_counter() - started)
    assert len(times) == len(steps), f"bare engine stopped after {len(times)} steps"
    return statistics.median(times), len(state.encode()), _without_specs(state)


def _without_specs(state: str) -> int:
    """Bytes of the bare engine's final state without the diagrams it embeds (tasks and
    data only, compact JSON): what the project's own state is comparable to."""
    dct = json.loads(state)
    for part in (dct, *dct.get("subprocesses", {}).values()):
        part.pop("spec", None), part.pop("subprocess_specs", None)
    return len(json.dumps(dct, separators=(",", ":")).encode())


# ----- one database ---------------------------------------------------------------------------
def make_app(url: str, tmp: Path):

    from app.web import create_app
    from bench.fresh import seeded_database

    engine, _factory = seeded_database(url, ROOT / "processes", ROOT / "forms")
    engine.dispose()
    return create_app({"DATABASE_URL": url, "UPLOAD_DIR": tmp / "uploads",
                       "INSTANCE_DIR": tmp, "SECRET_KEY": "bench", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "DEMO_MODE": True, "RUN_TIMERS": False})


def run_backend(name: str, url: str, dossiers: int, tmp: Path, bare) -> None:
    from app.engine import elagage
    from app.models import ProcessInstance

    app = make_app(url, tmp)
    services = app.extensions["invalidite"]
    factory = services.session_factory
    steps, sizes = [], []
    reader = services.read_factory  # never holds SQLite's write lock
    with elagage.desactive():
        raw_numero, _ = drive_dossier(app, factory)  # warm-up, the figure without pruning
    with reader() as session:
        raw = dossier_bytes(session, instance_of(factory, raw_numero))
    for _ in range(dossiers):
        numero, seconds = drive_dossier(app, factory)
        steps += seconds
        with reader() as session:
            sizes.append(dossier_bytes(session, instance_of(factory, numero)))
    after = sizes[-1]
    instance_id = instance_of(factory, numero)
    with reader() as session:
        instance = session.get(ProcessInstance, instance_id)
        workflow = services.runtime.workflow_of(session, instance)
        specs = services.runtime._specs(session, instance.process_version)
    bare_step, bare_bytes = bare(specs, services.runtime.script_engine, workflow, raw)
    pruning = _pruning_seconds(services, reader, instance_of(factory, raw_numero))
    ms = statistics.median(steps) * 1000
    print(f"{name:<10} step   {ms:7.2f} ms median over {len(steps)} steps "
          f"(pages: POST to redirect)   bare {bare_step * 1000:6.2f} ms   "
          f"ratio {ms / (bare_step * 1000):5.2f}")
    with_specs, no_specs = bare_bytes
    state = after.get("process_instance", 0)
    print(f"{name:<10} stored {sum(raw.values()):7d} bytes without pruning, "
          f"{sum(after.values()):7d} with pruning (all rows, files aside)")
    print(f"{name:<10} instance row {raw.get('process_instance', 0):7d} bytes without pruning, "
          f"{state:7d} with   bare engine {with_specs} bytes as it ships (diagrams "
          f"included), {no_specs} without diagrams   ratio {state / no_specs:5.2f}")
    print(f"{name:<10} pruning once, at the closing step: {pruning * 1000:.2f} ms "
          f"(load + prune + dump of the ended workflow)")
    for table in sorted(set(raw) | set(after)):
        print(f"{'':<10}   {table:<20} {raw.get(table, 0):7d} -> {after.get(table, 0):7d}")
    services.engine.dispose()


def _pruning_seconds(services, reader, instance_id: int) -> float:
    """Median time of the pruning the closing step adds, on a dossier stored unpruned."""
    from app.engine.elagage import elaguer
    from app.engine.serializer import dump_state
    from app.models import ProcessInstance

    with reader() as session:
        workflow = services.runtime.workflow_of(session, session.get(ProcessInstance,
                                                                     instance_id))
    times = []
    for _ in range(5):
        state = dump_state(workflow)
        started = time.perf_counter()
        elaguer(workflow, state)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    import logging

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=5)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL, or 'none'")
    args = parser.parse_args()
    bare_figures: dict = {}

    def bare(specs, script_engine, workflow, _raw):
        if not bare_figures:  # the same processes on both databases: measured once
            replay = completed_user_tasks(workflow)
            runs = [bare_replay(specs, script_engine, replay) for _ in range(3)]
            bare_figures["step"] = statistics.median(r[0] for r in runs)
            bare_figures["bytes"] = runs[0][1:]
        return bare_figures["step"], bare_figures["bytes"]

    print(f"{args.dossiers} online dossiers each, request + instruction to the decision")
    with tempfile.TemporaryDirectory() as tmp:
        run_backend("SQLite", f"sqlite:///{tmp}/bench.db", args.dossiers, Path(tmp), bare)
        if args.pg != "none":
            run_backend("PostgreSQL", args.pg, args.dossiers, Path(tmp) / "pg", bare)


if __name__ == "__main__":
    main()
