"""Hooks letting back-office features add pages to the assuré's space without editing it.

- `TASK_PAGES[element_id] = "blueprint.endpoint"`: an assuré user task with this BPMN id is
  handled by that page (called with `task_id=`), instead of the generic form page.
- `DOSSIER_ACTIONS`: functions `(dossier) -> list[(label, url)]` adding buttons to the
  dossier page (e.g. « Contester la décision »).
"""
from __future__ import annotations

from collections.abc import Callable

TASK_PAGES: dict[str, str] = {}
DOSSIER_ACTIONS: list[Callable] = []


def dossier_actions(dossier) -> list[tuple[str, str]]:
    return [action for build in DOSSIER_ACTIONS for action in build(dossier)]
