"""Hooks letting back-office features add pages to the assuré's space without editing it.

- `TASK_PAGES[ecran] = "blueprint.endpoint"`: an assuré user task whose diagram gives it this
  page kind (its `ecran` property, e.g. `pieces`, `contestation`: see app/engine/screens.py)
  is handled by that page (called with `task_id=`), instead of the generic form page. No
  BPMN element id here: the analyst may rename the task.
- `DOSSIER_ACTIONS`: functions `(dossier) -> list[(label, url)]` adding buttons to the
  dossier page (e.g. « Contester la décision »).
- `DOSSIER_CONTEXT`: functions `(dossier) -> dict` adding what their part of the dossier
  page needs (the documents sent, the claim before the commission…) to its template.
"""
from __future__ import annotations

from collections.abc import Callable

TASK_PAGES: dict[str, str] = {}
DOSSIER_ACTIONS: list[Callable] = []
DOSSIER_CONTEXT: list[Callable] = []


def dossier_actions(dossier) -> list[tuple[str, str]]:
    return [action for build in DOSSIER_ACTIONS for action in build(dossier)]


def dossier_context(dossier) -> dict:
    context: dict = {}
    for build in DOSSIER_CONTEXT:
        context.update(build(dossier))
    return context
