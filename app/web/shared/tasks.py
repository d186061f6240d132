"""Reading what the workflow holds for a user task (read-only), for the pages of the assuré
and of the back office."""
from __future__ import annotations

from uuid import UUID

from app.engine.deploy import load_version_sources
from app.engine.persistence import load_workflow
from app.models import HumanTask


def workflow_of(session, runtime, instance):
    """The instance's workflow, loaded read-only (for displaying what a step knows)."""
    specs = runtime.specs.get(instance.process_version,
                              lambda vid: load_version_sources(session, vid))
    return load_workflow(instance, specs, runtime.script_engine)


def task_data(session, runtime, row: HumanTask) -> dict:
    """The data the workflow holds for this user task."""
    return task_spec_and_data(session, runtime, row)[1]


def task_spec_and_data(session, runtime, row: HumanTask) -> tuple[object | None, dict]:
    """The task's spec in the instance's own deployed version (what its screen needs is
    read from there, see agent/panneaux.panel_for) and the data the workflow holds for it."""
    task = workflow_of(session, runtime, row.instance).get_task_from_id(UUID(row.spiff_task_id))
    return (task.task_spec, dict(task.data)) if task is not None else (None, {})
