"""Summarise mutmut's run over app/domain: kill rate and survivors (after `mutmut run`)."""
from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"
TARGET = 0.90  # issue 14: at least 90 % of mutmut's own mutants on app/domain


def main() -> int:
    listing = subprocess.run([str(MUTMUT), "results", "--all", "true"], cwd=ROOT, check=False,
                             capture_output=True, text=True).stdout
    statuses = Counter()
    survivors = []
    for line in listing.splitlines():
        name, _, status = line.strip().rpartition(": ")
        if not name:
            continue
        statuses[status] += 1
        if status != "killed":
            survivors.append(f"{status:10} {name}")
    judged = statuses["killed"] + statuses["survived"]
    others = {k: v for k, v in statuses.items() if k not in ("killed", "survived")}
    rate = statuses["killed"] / judged if judged else 0.0
    print(f"\nmutmut sur app/domain : {statuses['killed']} tués sur {judged} "
          f"({100 * rate:.1f} %), objectif {100 * TARGET:.0f} % ; autres : "
          f"{others}")
    for line in survivors:
        print("  " + line)
    return 0 if rate >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
