"""The one completion path of a user task, for the pages and the JSON API alike.

Both doors go through `complete()`, in this order:

1. due timers of the instance fire first, then the task must be open and the person's
   (role, caisse, claim: `Runtime.complete_task` reading the task) — a deadline wins over a
   late click;
2. the submission is read: an HTML form through `parse_submission`, a JSON body as is; in
   both, a field marked `readOnly` keeps the value the server already holds (a forged
   identity, dossier number, caisse or document id is ignored, app/forms/readonly.py);
3. validation by the task's JSON Schema (French messages per field), unknown keys dropped:
   only the clean data is stored;
4. the business checks of the task's screen (a back-office panel: dates of a convocation, of
   an exam, a date of effect, a verification without career data…) and the data the screen
   adds on submission (`extras`, e.g. the computed conditions of the verification). A screen
   may also impose values before validation (`imposed`: what only the server knows, e.g. the
   documents this person added for the request, the account's identity), whatever was sent;
5. the task completed with the clean data.

Steps 1 to 5 are one `Runtime.complete_task` (one transaction): 2 to 4 run inside it
(`prepare`), on the task row it has read and the live workflow task, so nothing is read
twice (neither the task row nor, for a screen showing server data, the workflow); a refusal
(FormInvalid) rolls it back with nothing written.
6. what the screen records once the task is completed (`after`: an accusé de réception,
   documents classed under the secret médical…), whichever door was used; it returns the
   French messages the page shows (the API ignores them).

The screens' checks live with their audience's package (app/web/agent/panneaux.py,
app/web/assure/…); each package registers them here (`register_checks`, `register_screen`),
so that the API, which imports no audience package, applies the very same checks.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select

from app.engine import screens
from app.engine.clock import clock
from app.engine.errors import FormInvalid
from app.forms import has_readonly, keep_readonly, parse_submission, validate
from app.models import Dossier, HumanTask

from .services import release_reads, services


class Checks(Protocol):
    """What a screen adds to the form's own validation (agent/panneaux.py `Panel`). Optional
    attributes: `imposed` (dict, set before validation) and `after` (clean data -> list of
    (French message, category)), see the module's docstring."""

    check: Callable[[dict], dict]
    extras: Callable[[dict], dict]


@dataclass
class Context:
    """What a screen's checks may read: the task row, who completes it, the task's spec, its
    dossier (None for a conversation), the data the workflow holds for it, the session."""

    row: HumanTask
    user: Any
    task_spec: Any
    dossier: Dossier | None
    server: dict
    session: Any


# build -> (wants(task_spec) -> bool, build_from_context(Context) -> Checks)
_SOURCES: dict[Callable[..., Checks], tuple[Callable[[Any], Any],
                                             Callable[[Context], Checks]]] = {}


@dataclass
class Screen:
    """The checks of a screen that is not a back-office panel (an assuré's page): by default
    nothing imposed, no check, no extra, nothing after."""

    imposed: dict = field(default_factory=dict)
    check: Callable[[dict], dict] = lambda clean: {}
    extras: Callable[[dict], dict] = lambda clean: {}
    after: Callable[[dict], list[tuple[str, str]]] | None = None


def screen_kind(kind: str) -> Callable[[Any], bool]:
    """`wants` of the tasks whose diagram shows them on this kind of page (`ecran`)."""
    def wants(task_spec) -> bool:
        ecran = screens.ecran_of(task_spec) if task_spec is not None else None
        return ecran is not None and ecran.ecran == kind
    return wants


def register_screen(wants: Callable[[Any], Any], build: Callable[[Context], Checks]) -> None:
    """An audience package declares the checks of its screens (once, at import)."""
    _SOURCES.setdefault(build, (wants, build))


def register_checks(wants: Callable[[Any], Any], build: Callable[..., Checks]) -> None:
    """The same, for a builder taking (task_spec, dossier, data, session)."""
    _SOURCES.setdefault(build, (wants, lambda c: build(c.task_spec, c.dossier, c.server,
                                                         c.session)))


@dataclass
class Submission:
    """What became of a submission: `values` to show back in the form, `errors` per field
    (empty: the task is completed)."""

    values: dict = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)  # the screen's `after`
    instance_id: int | None = None  # the task's instance, once the step has read it

    @property
    def done(self) -> bool:
        return not self.errors


def complete(task_row_id: int, user, *, formdata=None, data: Any = None,
             version: int | None = None) -> Submission:
    """Complete a task from an HTML form (`formdata`) or a JSON object (`data`).

    Raises what the runtime raises (NotFound, Forbidden, Conflict, DeadlinePassed…); the
    form's and the screen's errors come back in the Submission (the API answers them 422).
    """
    runtime = services().runtime
    sent = Submission()
    then: list = []  # the screen's `after` and the data stored, once completed

    def prepare(session, row: HumanTask, task) -> dict:
        """Steps 2 to 4, inside the step: the data to store, or FormInvalid."""
        sent.instance_id = row.instance_id
        schema = runtime.form_schema(session, row.instance.process_version, row.form) \
            if row.form else None
        task_spec = task.task_spec
        source = next((build for wants, build in _SOURCES.values() if wants(task_spec)), None)
        server = dict(task.data) if source is not None or (
            schema is not None and has_readonly(schema)) else {}
        variable = getattr(task_spec, "variable", None)
        known = server.get(variable) if variable and isinstance(server.get(variable), dict) \
            else server
        if schema is None:
            raw, clean, errors = {}, {}, {}  # a task without a form stores nothing it is sent
        else:
            raw = parse_submission(schema, formdata, previous=known) if formdata is not None \
                else keep_readonly(schema, data if data is not None else {}, known)
        checks = None
        if source is not None:
            dossier = session.scalar(select(Dossier).where(
                Dossier.instance_id == row.instance_id))
            checks = source(Context(row, user, task_spec, dossier, server, session))
        if schema is not None:
            imposed = getattr(checks, "imposed", None)
            if imposed and isinstance(raw, dict):
                raw = {**raw, **imposed}
            clean, errors = validate(schema, raw, clock.today())
        sent.values = raw if isinstance(raw, dict) else {}  # shown back if refused
        if not errors and checks is not None:
            errors = checks.check(clean)
        if errors:
            raise FormInvalid(errors)
        stored = {**clean, **(checks.extras(clean) if checks is not None else {})}
        then[:] = [getattr(checks, "after", None), stored]
        return stored

    release_reads()  # the step reads what it needs on its own connection
    try:
        runtime.complete_task(task_row_id, user, {}, version, prepare=prepare)
    except FormInvalid as invalid:
        return Submission(sent.values, invalid.errors)
    after, stored = then
    return Submission(sent.values, {}, after(stored) if after is not None else [],
                      sent.instance_id)
