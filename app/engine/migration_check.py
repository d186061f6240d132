"""The migration pre-check: whether an instance can move to a newer version, and why not.

It moves the instance in memory exactly as the migration would (app/engine/migration.py) and
says why it cannot move:
- its status (incident to resolve first, ended, studio test run);
- an element it is at (active or waiting) was removed, or changed nature;
- an element it already went through was removed (its history would no longer load);
- a sub-process it runs is gone, or the moved state does not load back;
- what matters for its next steps changes: the active human task would change role or lane
  (who sees it — the secret médical), or form (file or fields), or a variable that the
  following steps read would no longer be there (read by a script, condition or decision of
  the new version, not in the instance's data, produced by no step that still lies ahead).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from app.models import ProcessInstance, ProcessVersion

from .invariants import MARKER, role_label
from .migration_variables import NewVersion, environment_names, missing_variables
from .sandbox import version_sources
from .serializer import SERIALIZER, dump_state, load_state
from .specs import DeployRefused, form_of, role_of_task

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
    try:
        spec, subprocess_specs, new_forms = runtime.specs.get(
            target, lambda vid: version_sources(session, vid))
    except DeployRefused as refused:  # deployed before a check that it now fails
        return None, [f"la version {target.version} ne passe plus les contrôles de "
                      f"déploiement : {error.reason}" for error in refused.errors]
    top_diff, sub_diffs = diff_workflow(SERIALIZER.registry, workflow, spec, subprocess_specs)
    for sub_id, sub_diff in sub_diffs.items():
        if sub_diff is None:
            name = workflow.subprocesses[sub_id].spec.name
            reasons.append(f"le sous-processus « {name} » en cours n'existe plus")
    for diff in [top_diff, *[d for d in sub_diffs.values() if d is not None]]:
        reasons += _task_reasons(diff, target)
    if reasons:
        return None, reasons
    _old_spec, _old_subs, old_forms = runtime.specs.get(
        instance.process_version, lambda vid: version_sources(session, vid))
    reasons = _next_steps_reasons(
        runtime, workflow, top_diff, sub_diffs,
        NewVersion(spec, subprocess_specs, old_forms, new_forms), target)
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


def _next_steps_reasons(runtime, workflow, top_diff, sub_diffs, new: NewVersion,
                        target: ProcessVersion) -> list[str]:
    """What the next steps of each active task need, compared between the two versions."""
    reasons: list[str] = []
    flows = [(workflow, top_diff, new.spec)]
    for sub_id, sub in workflow.subprocesses.items():
        if sub_diffs.get(sub_id) is not None:
            flows.append((sub, sub_diffs[sub_id], new.subprocess_specs.get(sub.spec.name)))
    known = environment_names(runtime)
    for _flow, diff, _new_spec in flows:
        for task, new_spec in diff.alignment.items():
            old_spec = task.task_spec
            if new_spec is None or not task.has_state(ACTIVE) or not old_spec.bpmn_id:
                continue
            label = f"« {old_spec.bpmn_name or old_spec.bpmn_id} » ({old_spec.bpmn_id})"
            if _is_human(old_spec) or _is_human(new_spec):
                reasons += _human_task_reasons(label, old_spec, new_spec, new, target)
            missing = missing_variables(workflow, task, new_spec, new, known)
            if missing:
                names = ", ".join(f"« {n} »" for n in missing)
                reasons.append(f"après l'étape en cours {label}, la version {target.version} "
                               f"lit {names}, que ce dossier n'a pas et qu'aucune étape "
                               "suivante ne fournit")
    return list(dict.fromkeys(reasons))


def _is_human(task_spec) -> bool:
    return form_of(task_spec) is not None or isinstance(task_spec, (UserTaskMixin,
                                                                    ManualTaskMixin))


def _human_task_reasons(label, old_spec, new_spec, new: NewVersion, target) -> list[str]:
    reasons = []
    old_role, new_role = role_of_task(old_spec), role_of_task(new_spec)
    if old_role != new_role:
        reasons.append(
            f"l'étape en cours {label} changerait de rôle dans la version {target.version} : "
            f"{role_label(old_role)} (couloir « {old_spec.lane or 'aucun'} ») → "
            f"{role_label(new_role)} (couloir « {new_spec.lane or 'aucun'} ») ; "
            "la personne qui la voit et la traite changerait")
    elif (old_spec.lane or "") != (new_spec.lane or ""):
        reasons.append(f"l'étape en cours {label} changerait de couloir dans la version "
                       f"{target.version} : « {old_spec.lane or 'aucun'} » → "
                       f"« {new_spec.lane or 'aucun'} »")
    old_form, new_form = form_of(old_spec), form_of(new_spec)
    if old_form != new_form:
        reasons.append(f"l'étape en cours {label} changerait de formulaire dans la version "
                       f"{target.version} : « {old_form or 'aucun'} » → "
                       f"« {new_form or 'aucun'} »")
    elif old_form and _form_shape(new.old_forms.get(old_form)) != _form_shape(
            new.new_forms.get(new_form)):
        reasons.append(f"le formulaire « {old_form} » de l'étape en cours {label} change "
                       f"dans la version {target.version} (champs, obligations ou secret "
                       "médical)")
    return reasons


def _form_shape(schema) -> str:
    """What a form asks and protects: fields (by path), required lists, medical markers."""
    if not isinstance(schema, dict):
        return json.dumps(schema)
    shape: dict[str, object] = {"": [schema.get("required"), schema.get(MARKER)]}

    def walk(node: dict, prefix: str) -> None:
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict):
                path = f"{prefix}{name}"
                shape[path] = [sub.get("type"), sub.get("required"), sub.get(MARKER)]
                walk(sub, f"{path}.")
                if isinstance(sub.get("items"), dict):
                    walk(sub["items"], f"{path}[].")

    walk(schema, "")
    return json.dumps(shape, sort_keys=True, default=str)


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
