"""Move running instances to a newer version of their process, in batch.

SpiffWorkflow's state names each task's spec by BPMN id. Moving an instance re-attaches its
tasks to the new version's specs (SpiffWorkflow's own spec alignment, by id first, then by
position in the flow), re-predicts what follows each active or waiting task, keeps each
task's id, data and timer due time, switches `process_version_id`, and writes an audit row.

The pre-check does exactly that in memory and says why an instance cannot move:
- its status (incident to resolve first, ended, studio test run);
- an element it is at (active or waiting) was removed, or changed nature;
- an element it already went through was removed (its history would no longer load);
- a sub-process it runs is gone, or the moved state does not load back.

Each instance moves in its own transaction (a long batch never holds every row locked, and
one instance changed in the meantime does not undo the others); the batch itself gets one
audit row listing what moved and what did not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.models import AuditLog, HumanTask, ProcessInstance, ProcessVersion

from .clock import clock
from .errors import Conflict, NotFound
from .persistence import save_workflow
from .sandbox import version_sources
from .serializer import SERIALIZER, dump_state, load_state
from .specs import form_of, lane_role

MOVABLE_STATUSES = ("running", "suspended")
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
PASSED = TaskState.COMPLETED | TaskState.ERROR | TaskState.CANCELLED


@dataclass
class MigrationCheck:
    instance_id: int
    business_key: str | None
    from_version: int
    current_step: str
    status: str
    reasons: list[str] = field(default_factory=list)

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass
class MigrationReport:
    target_version: int
    moved: list[int] = field(default_factory=list)
    refused: dict[int, list[str]] = field(default_factory=dict)


def check_instances(runtime, session, instance_ids: list[int],
                    target: ProcessVersion) -> list[MigrationCheck]:
    """Which of these instances can move to `target`, and why the others cannot."""
    checks = []
    for instance_id in instance_ids:
        instance = session.get(ProcessInstance, instance_id)
        if instance is None:
            continue
        check = MigrationCheck(instance.id, instance.business_key,
                               instance.process_version.version, instance.current_step,
                               instance.status)
        check.reasons = plan(runtime, session, instance, target)[1]
        checks.append(check)
    return checks


def plan(runtime, session, instance: ProcessInstance, target: ProcessVersion):
    """(migrated workflow or None, reasons it cannot move). Changes nothing in the database."""
    reasons = _status_reasons(instance, target)
    if reasons:
        return None, reasons
    workflow = runtime.workflow_of(session, instance)
    spec, subprocess_specs, _forms = runtime.specs.get(
        target, lambda vid: version_sources(session, vid))
    top_diff, sub_diffs = diff_workflow(SERIALIZER.registry, workflow, spec, subprocess_specs)
    for sub_id, sub_diff in sub_diffs.items():
        if sub_diff is None:
            name = workflow.subprocesses[sub_id].spec.name
            reasons.append(f"le sous-processus « {name} » en cours n'existe plus")
    for diff in [top_diff, *[d for d in sub_diffs.values() if d is not None]]:
        reasons += _task_reasons(diff, target)
    if reasons:
        return None, reasons
    saved = {task.id: (dict(task.data), dict(task.internal_data))
             for task in workflow.get_tasks(state=ACTIVE)}
    migrate_workflow(top_diff, workflow, spec)
    for sub_id, sub in workflow.subprocesses.items():
        migrate_workflow(sub_diffs[sub_id], sub, subprocess_specs[sub.spec.name])
    workflow.subprocess_specs = subprocess_specs
    for task_id, (data, internal) in saved.items():
        task = workflow.get_task_from_id(task_id)
        if task is not None:  # same task, same id: keep its data and its timer's due time
            task.data, task.internal_data = data, internal
    try:
        load_state(dump_state(workflow), spec, subprocess_specs)
    except Exception as err:  # noqa: BLE001 - any failure here means "cannot move"
        return None, [(f"l'état déplacé ne se relit pas dans la version {target.version} : "
                      f"{type(err).__name__} {err}")]
    lost = _lost_active_tasks(saved, workflow)
    if lost:
        return None, [f"l'étape en cours « {name} » ne serait plus en attente" for name in lost]
    return workflow, []


def _status_reasons(instance: ProcessInstance, target: ProcessVersion) -> list[str]:
    if instance.sandbox or target.sandbox:
        return ["essai du studio : il ne se migre pas"]
    if instance.process_key != target.process_key:
        return [f"l'instance exécute « {instance.process_key} », pas « {target.process_key} »"]
    if instance.status == "incident":
        return ["un incident est en cours : relancez-le ou arrêtez l'instance d'abord"]
    if instance.status not in MOVABLE_STATUSES:
        return [f"l'instance est terminée (« {instance.status} »)"]
    if instance.process_version_id == target.id:
        return [f"déjà en version {target.version}"]
    if instance.process_version.version > target.version:
        return [(f"la version {target.version} est plus ancienne que la sienne "
                f"({instance.process_version.version})")]
    return []


def _task_reasons(diff, target: ProcessVersion) -> list[str]:
    reasons = []
    for task in diff.removed:
        spec = task.task_spec
        label = f"« {spec.bpmn_name or spec.bpmn_id or spec.name} » ({spec.bpmn_id or spec.name})"
        if task.has_state(ACTIVE):
            reasons.append(f"l'étape en cours {label} n'existe plus dans la version "
                           f"{target.version}")
        elif task.has_state(PASSED) and spec.bpmn_id:
            reasons.append(f"l'étape déjà franchie {label} a été supprimée de la version "
                           f"{target.version} : l'historique ne se relirait plus")
    for task in diff.changed:
        if task.has_state(ACTIVE) and type(task.task_spec) is not type(
                diff.alignment[task]):
            reasons.append(f"l'étape en cours « {task.task_spec.bpmn_name or task.task_spec.name}"
                           f" » a changé de nature dans la version {target.version}")
    return list(dict.fromkeys(reasons))


def _lost_active_tasks(saved: dict, workflow) -> list[str]:
    """Active user tasks and waiting events must still be there, with the same id."""
    lost = []
    for task_id in saved:
        task = workflow.get_task_from_id(task_id)
        if task is None:
            continue  # internal bookkeeping tasks may be rebuilt
        if not task.has_state(ACTIVE | TaskState.FUTURE) and task.task_spec.bpmn_id:
            lost.append(task.task_spec.bpmn_name or task.task_spec.bpmn_id)
    return lost


def migrate_instances(runtime, instance_ids: list[int], target_version_id: int,
                      user) -> MigrationReport:
    """Move every instance that can move; report why the others did not."""
    with runtime.session_factory() as session:
        target = session.get(ProcessVersion, target_version_id)
        if target is None or target.sandbox:
            raise NotFound("Version cible introuvable.")
        report = MigrationReport(target.version)
    for instance_id in instance_ids:
        try:
            reasons = _migrate_one(runtime, instance_id, target_version_id, user)
        except (StaleDataError, Conflict):
            reasons = ["l'instance a changé pendant la migration : vérifiez à nouveau"]
        if reasons:
            report.refused[instance_id] = reasons
        else:
            report.moved.append(instance_id)
    with runtime.session_factory() as session, session.begin():
        session.add(AuditLog(at=clock.now(), user_id=user.id, action="migration_lot",
                             details={"processus": target.process_key,
                                      "version_cible": target.version,
                                      "migrees": report.moved,
                                      "refusees": {str(k): v for k, v in
                                                   report.refused.items()}}))
    return report


def _migrate_one(runtime, instance_id: int, target_version_id: int, user) -> list[str]:
    with runtime.session_factory() as session, session.begin():
        instance = session.get(ProcessInstance, instance_id)
        target = session.get(ProcessVersion, target_version_id)
        if instance is None:
            return ["instance introuvable"]
        before = instance.process_version.version
        workflow, reasons = plan(runtime, session, instance, target)
        if reasons:
            return reasons
        instance.process_version_id = target.id
        instance.process_version = target
        save_workflow(session, instance, workflow, user.id)
        _refresh_open_tasks(session, instance, workflow)
        session.add(AuditLog(at=clock.now(), user_id=user.id, action="instance_migree",
                             instance_id=instance.id,
                             details={"de": before, "vers": target.version}))
    return []


def _refresh_open_tasks(session, instance: ProcessInstance, workflow) -> None:
    """Open human tasks keep their row (claims kept); name, form and lane follow the version."""
    for row in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status == "open")):
        task = workflow.get_task_from_id(UUID(row.spiff_task_id))
        if task is None:
            continue
        spec = task.task_spec
        role = lane_role(spec.lane) or "agent"
        row.element_id, row.title = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id
        row.lane, row.form = spec.lane or "", form_of(spec)
        if role != row.role:
            row.role, row.claimed_by_id = role, None
            row.caisse_code = None if role == "assure" else instance.caisse_code
            row.assignee_id = instance.owner_id if role == "assure" else None
