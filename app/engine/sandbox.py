"""Studio test runs: start a draft as a sandbox instance, move its own clock, throw it away.

A draft under test is a `process_version` row with `sandbox=True` and a negative version
number (« essai 1 », « essai 2 »…), whose files live in `sandbox_file` — never in
`deployed_file`, which stays the history of real deployments, and never the "latest" version
(`deploy.latest_version` skips sandbox rows), so no real dossier can start on a draft.

Sandbox instances are ordinary instances with `sandbox=True`: the runtime runs them with the
real scripts and forms, inboxes and supervision lists skip them, and letters are only
recorded (`lettre_simulee`), never delivered.

Each run has its own clock: « test time = app time + the run's offset ». Moving it forward by
Δ subtracts Δ from the due time of every timer the run is waiting on (stored in app time),
then fires those now due. Timers started later are stored in app time too, so their due time
in test time is always « stored + offset ». Dates that scripts compute themselves (for
instance a deadline from `date.today()`) stay in app time: a test run moves its timers, not
the whole world.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, func, select, update

from app.models import (
    AuditLog,
    Document,
    Dossier,
    HumanTask,
    Incident,
    Message,
    ProcessInstance,
    ProcessVersion,
    SandboxFile,
    SandboxRun,
)

from .clock import clock
from .deploy import load_version_sources
from .errors import Conflict, NotFound
from .specs import Sources, parse_sources


def version_sources(session, version_id: int) -> tuple[str, Sources]:
    """The files of a process version: deployed ones, or a draft's sandbox files."""
    version = session.get(ProcessVersion, version_id)
    if not version.sandbox:
        return load_version_sources(session, version_id)
    sources = Sources()
    buckets = {"bpmn": sources.bpmn, "dmn": sources.dmn, "form": sources.forms}
    for row in session.scalars(select(SandboxFile).where(
            SandboxFile.process_version_id == version_id)):
        buckets[row.kind][row.filename] = row.content
    return version.process_key, sources


def draft_version(session, sources: Sources, process_key: str, created_by: str) -> ProcessVersion:
    """The sandbox version of `process_key` built from `sources` (checked like a deployment:
    raises DeployRefused). The same draft content reuses the same row."""
    parsed = parse_sources(sources)
    if process_key not in parsed:
        raise NotFound(f"Le processus « {process_key} » n'est dans aucun fichier.")
    bundle = parsed[process_key]
    existing = session.scalars(select(ProcessVersion).where(
        ProcessVersion.process_key == process_key, ProcessVersion.sandbox.is_(True),
        ProcessVersion.bundle_sha256 == bundle.bundle_sha256)).first()
    if existing is not None:
        return existing
    lowest = session.scalar(select(func.min(ProcessVersion.version)).where(
        ProcessVersion.process_key == process_key, ProcessVersion.sandbox.is_(True)))
    version = ProcessVersion(process_key=process_key, name=bundle.name,
                             version=min(lowest or 0, 0) - 1, bundle_sha256=bundle.bundle_sha256,
                             files=bundle.files, deployed_at=clock.now(), deployed_by=created_by,
                             sandbox=True)
    session.add(version)
    session.flush()
    files = sources.all_files()
    for filename in bundle.files:
        kind, text = files[filename]
        session.add(SandboxFile(process_version_id=version.id, filename=filename, kind=kind,
                                content=text))
    return version


def start_test_run(runtime, sources: Sources, process_key: str, user, source_file: str = "",
                   data: dict | None = None) -> int:
    """Start a sandbox instance of the draft; the tester owns it (so gets the assuré's tasks
    too) and may act on every task of it (see `Runtime._task_row`)."""
    with runtime.session_factory() as session, session.begin():
        version_id = draft_version(session, sources, process_key, user.email).id

    def register(session, instance):
        session.add(SandboxRun(instance_id=instance.id, source_file=source_file,
                               clock_offset_seconds=0.0, created_by_id=user.id,
                               created_at=clock.now()))

    # A business key of its own so the tester can send it messages (never a dossier number).
    return runtime.start(process_key, user_id=user.id, owner_id=user.id, caisse_code=None,
                         business_key=f"ESSAI-{secrets.token_hex(6)}", data=data, sandbox=True, version_id=version_id,
                         on_created=register)


def shift_waiting_timers(workflow, delta: timedelta) -> list[str]:
    """Bring every waiting timer of `workflow` `delta` closer; return their element ids."""
    moved = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = task._get_internal_data("event_value")
        if isinstance(value, dict) and value.get("next"):  # cycle timers
            value["next"] = _earlier(value["next"], delta)
        elif isinstance(value, str) and value:
            task._set_internal_data(event_value=_earlier(value, delta))
        else:
            continue
        moved.append(task.task_spec.bpmn_id)
    return moved


def _earlier(value: str, delta: timedelta) -> str:
    return (TimerEventDefinition.get_datetime(value) - delta).isoformat()


@dataclass
class SandboxRunView:
    instance: ProcessInstance
    run: SandboxRun
    now: datetime  # the run's own clock


def sandbox_run_view(session, instance_id: int) -> SandboxRunView:
    instance = session.get(ProcessInstance, instance_id)
    run = session.get(SandboxRun, instance_id)
    if instance is None or not instance.sandbox or run is None:
        raise NotFound("Essai introuvable.")
    return SandboxRunView(instance, run, clock.now() + timedelta(seconds=run.clock_offset_seconds))


def discard_test_run(session_factory, instance_id: int, user) -> None:
    """Delete a sandbox instance and what it produced, in one transaction. Its audit rows are
    kept (detached from the deleted instance) with one more row saying it was thrown away."""
    with session_factory() as session, session.begin():
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or not instance.sandbox:
            raise NotFound("Essai introuvable.")
        if session.scalar(select(func.count()).select_from(Dossier).where(
                Dossier.instance_id == instance_id)):
            raise Conflict("Cette instance porte un dossier : elle ne peut pas être supprimée.")
        version_id = instance.process_version_id
        session.execute(update(AuditLog).where(AuditLog.instance_id == instance_id)
                        .values(instance_id=None))
        for model in (HumanTask, Incident, Message, Document):
            session.execute(delete(model).where(model.instance_id == instance_id))
        session.execute(delete(SandboxRun).where(SandboxRun.instance_id == instance_id))
        session.delete(instance)
        session.flush()
        _drop_unused_draft(session, version_id)
        session.add(AuditLog(at=clock.now(), user_id=user.id, action="essai_supprime",
                             details={"instance": instance_id}))


def _drop_unused_draft(session, version_id: int) -> None:
    version = session.get(ProcessVersion, version_id)
    used = session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.process_version_id == version_id))
    if version is not None and version.sandbox and not used:
        session.execute(delete(SandboxFile).where(SandboxFile.process_version_id == version_id))
        session.delete(version)
