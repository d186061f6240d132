"""Letter-writing steps: ms per step with the PDF made inside the step (before) and with the
letter recorded as data, its PDF made after commit (after), beside the same step without
any letter hook and the bare SpiffWorkflow step, on the same process in the same run.

Steps measured (processes/instruction_invalidite.bpmn, through `Runtime.complete_task` with
the app's after-step hooks): « convoquer » (convocation), « valider l'attribution »
(notification d'attribution), and the tacit refusal timer firing (rejet implicite). Each
dossier is driven to the step, then only the step itself is timed. Modes are interleaved
dossier by dossier so that drift of the machine hits them alike. Rows « (lettre) » give the
time of the letter hooks alone inside those steps (the goal: ≤ 10 ms). Then the outbox is
drained and the ms per rendered PDF printed (the work moved off the hot path).

Modes: « avant » renders every letter inside its step (as before the outbox), « apres » is
the app's hooks (letter as data), « sans » has no letter hook at all.

Usage: .venv/bin/python bench/courriers.py [--dossiers 5] [--pg URL|none]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "bench"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from sqlalchemy import select

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/inv_h3"
STEPS = ("convocation", "convocation (lettre)", "attribution", "attribution (lettre)",
         "rejet_implicite", "rejet_implicite (lettre)")  # « (lettre) »: the letter hooks only


def setup(url: str):
    from fresh import fresh_database
    from werkzeug.security import generate_password_hash

    from app.db import read_session_factory
    from app.engine.clock import clock
    from app.models import User
    from app.seed import seed_demo_accounts
    from tests.conftest import deploy_folder

    engine, factory = fresh_database(url)
    clock.bind(read_session_factory(url, engine))
    with factory() as session, session.begin():
        seed_demo_accounts(session, password_hash=generate_password_hash(
            "demo", method="pbkdf2:sha256:1000"))
    deploy_folder(factory, ROOT / "processes", ROOT / "forms")
    with factory() as session:
        users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
    return engine, factory, users


def runtime_for(factory, uploads: Path, mode: str):
    """The runtime as the app builds it; `mode`: 'avant' (PDF in the step), 'apres' (the
    app's hooks: letter as data), 'sans' (no letter hook: the engine + dossier hooks)."""
    from app.documents.delivery import LetterDelivery, load_builders
    from app.documents.storage import DocumentStore
    from app.engine.clock import clock
    from app.engine.dossier_hooks import apply_dossier_effects
    from app.engine.runtime import Runtime
    from tests.conftest import validate_form

    runtime = Runtime(factory, form_validator=validate_form)
    load_builders()
    store = DocumentStore(uploads)
    letter_hooks = []
    if mode != "sans":
        letter_hooks.append(LetterDelivery(store, clock.today, clock.now))
    if mode == "avant":
        letter_hooks.append(_render_in_step(store))
    runtime.after_step_hooks += [apply_dossier_effects] + [_timed_hook(h) for h in letter_hooks]
    return runtime


HOOK_SECONDS: list[float] = []  # time spent in the letter hooks by the step under way


def _timed_hook(hook):
    def timed(context) -> None:
        started = time.perf_counter()
        hook(context)
        HOOK_SECONDS.append(time.perf_counter() - started)

    return timed


def _render_in_step(store):
    """The former behaviour: every letter of the step rendered to PDF inside its
    transaction (only once the outbox exists; before it, LetterDelivery did it itself)."""
    try:
        from app.documents.outbox import rendre_en_attente
    except ImportError:
        return lambda context: None

    def hook(context) -> None:
        rendre_en_attente(context.session, store, context.instance.id)

    return hook


def one_dossier(runtime, factory, users) -> dict[str, float]:
    """Seconds of each letter-writing step of one dossier."""
    from tests import test_instruction_outils as outils

    timings = {}
    iid = outils.dossier_recu(runtime, users)
    outils.verifier(runtime, factory, iid, users["agent.cramif"])
    timings["convocation"] = _timed(outils.convoquer, runtime, factory, iid, users["medecin"])
    timings["convocation (lettre)"] = sum(HOOK_SECONDS)
    outils.examiner(runtime, factory, iid, users["medecin"], categorie=2)
    timings["attribution"] = _timed(outils.valider_attribution, runtime, factory, iid,
                                    users["agent.cramif"])
    timings["attribution (lettre)"] = sum(HOOK_SECONDS)
    timings["rejet_implicite"] = _tacit_refusal(runtime, factory, users)
    timings["rejet_implicite (lettre)"] = sum(HOOK_SECONDS)
    return timings


def _tacit_refusal(runtime, factory, users) -> float:
    from app.engine.clock import clock
    from app.engine.timers import fire_due_timers
    from tests import test_instruction_outils as outils

    iid = outils.dossier_recu(runtime, users)
    outils.verifier(runtime, factory, iid, users["agent.cramif"])
    outils.move_clock_to(outils.deadline_moment(factory, iid))
    HOOK_SECONDS.clear()
    started = time.perf_counter()
    fired = fire_due_timers(runtime)
    elapsed = time.perf_counter() - started
    assert fired == 1, fired
    clock.set_offset(timedelta(0))
    return elapsed


def _timed(step, *args) -> float:
    HOOK_SECONDS.clear()
    started = time.perf_counter()
    step(*args)
    return time.perf_counter() - started


def bare_step_ms(count: int = 200) -> float:
    """The bare SpiffWorkflow step of bench/engine.py (petit_processus, JSON round-trip)."""
    from engine import bare_lifecycles

    bare_lifecycles(20)  # warm-up
    return bare_lifecycles(count) * 1000 / (3 * count)


def drain_ms(runtime_factory, store_root: Path) -> tuple[int, float]:
    try:
        from app.documents.outbox import drain
        from app.documents.storage import DocumentStore
    except ImportError:
        return 0, 0.0
    started = time.perf_counter()
    done = 0
    while (count := drain(runtime_factory, DocumentStore(store_root), limit=50)):
        done += count
    return done, (time.perf_counter() - started) * 1000 / max(done, 1)


def run(url: str, dossiers: int, modes: tuple[str, ...]) -> None:
    engine, factory, users = setup(url)
    uploads = Path(tempfile.mkdtemp(prefix="bench-courriers-"))
    runtimes = {mode: runtime_for(factory, uploads, mode) for mode in modes}
    samples = {mode: {step: [] for step in STEPS} for mode in modes}
    one_dossier(runtimes[modes[0]], factory, users)  # warm-up: imports, caches, fonts
    for _ in range(dossiers):
        for mode in modes:
            for step, seconds in one_dossier(runtimes[mode], factory, users).items():
                samples[mode][step].append(seconds * 1000)
    bare = bare_step_ms()
    print(f"\n{url.split('://')[0]} — {dossiers} dossiers per mode, medians (ms)")
    print(f"  bare SpiffWorkflow step (same process): {bare:.2f} ms")
    header = f"  {'step':<26}" + "".join(f"{m:>10}" for m in modes)
    print(header + "".join(f"{m + '/bare':>13}" for m in modes))
    for step in STEPS:
        medians = [statistics.median(samples[m][step]) for m in modes]
        print(f"  {step:<26}" + "".join(f"{v:10.1f}" for v in medians)
              + "".join(f"{v / bare:12.1f}×" for v in medians))
    if "avant" in modes and "apres" in modes:
        for step in STEPS[::2]:
            avant = statistics.median(samples["avant"][step])
            apres = statistics.median(samples["apres"][step])
            print(f"  {step}: avant/après = {avant / apres:.1f}×")
    done, per_pdf = drain_ms(factory, uploads)
    if done:
        print(f"  outbox drained after the steps: {done} PDF, {per_pdf:.0f} ms per PDF "
              "(off the hot path)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=5)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL, or « none »")
    parser.add_argument("--modes", default="avant,apres,sans")
    args = parser.parse_args()
    modes = tuple(args.modes.split(","))
    with tempfile.TemporaryDirectory() as folder:
        run(f"sqlite:///{folder}/bench.db", args.dossiers, modes)
    if args.pg != "none":
        run(args.pg, args.dossiers, modes)


if __name__ == "__main__":
    main()
