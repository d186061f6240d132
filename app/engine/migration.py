"""Move running instances to a newer version of their process, in batch.

SpiffWorkflow's state names each task's spec by BPMN id. Moving an instance re-attaches its
tasks to the new version's specs (SpiffWorkflow's own spec alignment, by id first, then by
position in the flow), re-predicts what follows each active or waiting task, keeps each
task's id, data and timer due time, switches `process_version_id`, and writes an audit row.

The pre-check (app/engine/migration_check.py) does exactly that in memory and says why an
instance cannot move; only instances it accepts move.

Each instance moves in its own transaction (a long batch never holds every row locked, and
one instance changed in the meantime does not undo the others); the batch itself gets one
audit row listing what moved and what did not.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.models import AuditLog, HumanTask, ProcessInstance, ProcessVersion

from .clock import clock
from .errors import Conflict, NotFound
from .invariants import RoleUnresolved, role_for_task
from .migration_check import MigrationCheck, check_instances, plan
from .persistence import save_workflow
from .specs import form_of

# What other modules import from here (the pre-check included).
__all__ = ["MigrationCheck", "MigrationReport", "check_instances", "migrate_instances"]


@dataclass
class MigrationReport:
    target_version: int
    moved: list[int] = field(default_factory=list)
    refused: dict[int, list[str]] = field(default_factory=dict)


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
        except RoleUnresolved as err:  # rolled back: never handed to a default role
            reasons = [str(err)]
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
        role = role_for_task(spec)  # never a default role (plan() refused role changes)
        row.element_id, row.title = spec.bpmn_id, spec.bpmn_name or spec.bpmn_id
        row.lane, row.form = spec.lane or "", form_of(spec)
        if role != row.role:
            row.role, row.claimed_by_id = role, None
            row.caisse_code = None if role == "assure" else instance.caisse_code
            row.assignee_id = instance.owner_id if role == "assure" else None
