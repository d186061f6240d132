"""Targeted mutation run: break one rule at a time in a private copy and check the suite notices.

Each mutant of `mutation/mutants.toml` names the rule it breaks, the exact text it replaces in
one file and the test files that specify that rule. The copy is made once (tracked files only),
each mutant is applied, its tests run (`pytest -x`), and the file restored. A mutant is killed
when its tests fail; it survives when they pass. Mutants marked `postgres = true` need a
PostgreSQL database (DATABASE_URL, or --postgres); without one they are reported as not run.

    python mutation/run.py                   # every mutant
    python mutation/run.py --only csrf_off   # one or more ids
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutation" / "mutants.toml"


@dataclass(frozen=True)
class Mutant:
    id: str
    regle: str
    fichier: str
    cherche: str
    remplace: str
    tests: tuple[str, ...]
    postgres: bool = False


def load(path: Path = MUTANTS) -> list[Mutant]:
    with path.open("rb") as handle:
        raw = tomllib.load(handle)["mutant"]
    return [Mutant(m["id"], m["regle"], m["fichier"], m["cherche"], m["remplace"],
                   tuple(m["tests"]), m.get("postgres", False)) for m in raw]


def check_applicable(mutant: Mutant, root: Path = ROOT) -> str | None:
    """Why the mutant cannot be applied (its text must occur exactly once), or None."""
    path = root / mutant.fichier
    if not path.exists():
        return f"{mutant.fichier} n'existe pas"
    found = path.read_text().count(mutant.cherche)
    if found != 1:
        return f"le texte cherché apparaît {found} fois dans {mutant.fichier}"
    return None


def private_copy() -> Path:
    """A copy of the tracked files, with the project's venv and npm packages linked in."""
    target = Path(tempfile.mkdtemp(prefix="mutation-"))
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    for linked in (".venv", "node_modules"):
        if (ROOT / linked).exists():
            (target / linked).symlink_to(ROOT / linked)
    return target


def pytest_in(copy: Path, tests, database_url: str = "") -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
                           *tests], check=False, cwd=copy, env=env, capture_output=True,
                          text=True,
                          timeout=1800)


def baseline_passes(copy: Path, tests: list[str]) -> bool:
    """The tests must pass on the unmutated copy, or a « kill » would mean nothing."""
    result = pytest_in(copy, tests)
    if result.returncode != 0:
        print(result.stdout[-3000:])
    return result.returncode == 0


def run_one(mutant: Mutant, copy: Path, postgres_url: str) -> tuple[str, float]:
    """'tué', 'survivant' or 'non lancé' (with the reason in the second field's place)."""
    if mutant.postgres and not postgres_url.startswith("postgresql"):
        return "non lancé", 0.0
    path = copy / mutant.fichier
    original = path.read_text()
    path.write_text(original.replace(mutant.cherche, mutant.remplace, 1))
    started = time.monotonic()
    try:
        result = pytest_in(copy, mutant.tests, postgres_url if mutant.postgres else "")
        # 1: a test failed. 2-5: interrupted, collection error, usage error, nothing
        # collected — the mutant is not judged, the list or the copy needs a look.
        outcome = {0: "survivant", 1: "tué"}.get(result.returncode, "erreur")
        if outcome == "erreur":
            print(result.stdout[-2000:], result.stderr[-2000:])
    except subprocess.TimeoutExpired:
        outcome = "tué"  # a test that never ends is a failing test
    finally:
        path.write_text(original)
    return outcome, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="ids of the mutants to run")
    parser.add_argument("--postgres", default=os.environ.get("DATABASE_URL", ""),
                        help="PostgreSQL URL for the mutants that need one")
    args = parser.parse_args(argv)
    mutants = [m for m in load() if not args.only or m.id in args.only]
    broken = [(m.id, why) for m in mutants if (why := check_applicable(m))]
    if broken:
        for ident, why in broken:
            print(f"mutant {ident} inapplicable : {why}")
        return 2
    copy = private_copy()
    results = []
    try:
        baseline = sorted({t for m in mutants for t in m.tests})
        if not baseline_passes(copy, baseline):
            print("Les tests ne passent pas sans mutant : rien n'est jugé.")
            return 2
        for mutant in mutants:
            outcome, seconds = run_one(mutant, copy, args.postgres)
            results.append((mutant, outcome))
            print(f"{outcome:10} {seconds:6.1f} s  {mutant.id}: {mutant.regle}", flush=True)
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    return report(results)


def report(results: list[tuple[Mutant, str]]) -> int:
    ran = [(m, o) for m, o in results if o in ("tué", "survivant")]
    killed = sum(1 for _, o in ran if o == "tué")
    print(f"\nMutants ciblés : {killed} tués sur {len(ran)} lancés"
          f" ({100 * killed / max(len(ran), 1):.0f} %)")
    for mutant, outcome in results:
        if outcome != "tué":
            print(f"  {outcome} : {mutant.id} — {mutant.regle} ({mutant.fichier})")
    return 0 if killed == len(ran) and len(ran) == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
