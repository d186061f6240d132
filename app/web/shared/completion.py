"""The one completion path of a user task, for the pages and the JSON API alike.

Both doors go through `complete()`, in this order:

1. due timers of the instance fire first, then the task must be open and the person's
   (role, caisse, claim: `Runtime.ready_to_complete`) — a deadline wins over a late click;
2. the submission is read: an HTML form through `parse_submission`, a JSON body as is; in
   both, a field marked `readOnly` keeps the value the server already holds (a forged
   identity, dossier number, caisse or document id is ignored, app/forms/readonly.py);
3. validation by the task's JSON Schema (French messages per field), unknown keys dropped:
   only the clean data is stored;
4. the business checks of the task's screen (a back-office panel: dates of a convocation, of
   an exam, a date of effect, a verification without career data…) and the data the screen
   adds on submission (`extras`, e.g. the computed conditions of the verification);
5. `Runtime.complete_task` (one transaction; it validates again and fires due timers again).

The screens' checks live with their audience's package (app/web/agent/panneaux.py); that
package registers them here (`register_checks`), so that the API, which imports no audience
package, applies the very same checks.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

from app.engine.clock import clock
from app.engine.deploy import load_version_sources
from app.engine.errors import FormInvalid
from app.forms import has_readonly, keep_readonly, parse_submission, validate
from app.models import Dossier, HumanTask

from . import tasks as shared_tasks
from .services import db, services


class Checks(Protocol):
    """What a screen adds to the form's own validation (agent/panneaux.py `Panel`)."""

    check: Callable[[dict], dict]
    extras: Callable[[dict], dict]


# (wants(task_spec) -> bool, build(task_spec, dossier, data, session) -> Checks)
_SOURCES: list[tuple[Callable[[Any], Any], Callable[..., Checks]]] = []


def register_checks(wants: Callable[[Any], Any], build: Callable[..., Checks]) -> None:
    """An audience package declares the checks of its screens (once, at import)."""
    if all(existing is not build for _w, existing in _SOURCES):
        _SOURCES.append((wants, build))


@dataclass
class Submission:
    """What became of a submission: `values` to show back in the form, `errors` per field
    (empty: the task is completed)."""

    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        return not self.errors


def task_spec_of(session, row: HumanTask):
    """The user task's spec in the instance's own deployed version (no workflow loaded)."""
    spec, subprocess_specs, _forms = services().runtime.specs.get(
        row.instance.process_version, lambda vid: load_version_sources(session, vid))
    for process in (spec, *subprocess_specs.values()):
        found = process.task_specs.get(row.element_id)
        if found is not None:
            return found
    return None


def complete(task_row_id: int, user, *, formdata=None, data: Any = None,
             version: int | None = None) -> Submission:
    """Complete a task from an HTML form (`formdata`) or a JSON object (`data`).

    Raises what the runtime raises (NotFound, Forbidden, Conflict, DeadlinePassed…); the
    form's and the screen's errors come back in the Submission (the API answers them 422).
    """
    runtime, session = services().runtime, db()
    row = runtime.ready_to_complete(session, task_row_id, user)
    schema = runtime.form_schema(session, row.instance.process_version, row.form) \
        if row.form else None
    task_spec, server = task_spec_of(session, row), {}
    if task_spec is None:  # not found by its id in the version's specs: read the workflow
        task_spec, server = shared_tasks.task_spec_and_data(session, runtime, row)
    source = next((build for wants, build in _SOURCES if wants(task_spec)), None)
    if not server and (source is not None or (schema is not None and has_readonly(schema))):
        task_spec, server = shared_tasks.task_spec_and_data(session, runtime, row)
    variable = getattr(task_spec, "variable", None)
    known = server.get(variable) if variable and isinstance(server.get(variable), dict) \
        else server
    if schema is None:
        raw, clean, errors = {}, {}, {}  # a task without a form stores nothing it is sent
    else:
        raw = parse_submission(schema, formdata, previous=known) if formdata is not None \
            else keep_readonly(schema, data if data is not None else {}, known)
        clean, errors = validate(schema, raw, clock.today())
    checks = None
    if source is not None:
        dossier = session.scalar(select(Dossier).where(Dossier.instance_id == row.instance_id))
        checks = source(task_spec, dossier, server, session)
    if not errors and checks is not None:
        errors = checks.check(clean)
    if errors:
        return Submission(raw if isinstance(raw, dict) else {}, errors)
    extras = checks.extras(clean) if checks is not None else {}
    try:
        runtime.complete_task(row.id, user, {**clean, **extras}, version)
    except FormInvalid as invalid:
        return Submission(raw, invalid.errors)
    return Submission(raw, {})
