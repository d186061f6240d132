"""Which variables the next steps of an instance read, for the migration pre-check.

A step ahead reads the names its scripts, conditions, timer expressions and decision inputs
use, and writes those its scripts assign, its form's fields, its decision's outputs and its
event's result. A name read ahead that the instance's data does not hold, that no step ahead
writes and that no helper or builtin provides would be missing after the move.
"""
from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from .specs import form_of, task_expressions


@dataclass
class NewVersion:
    """The version an instance would move to (its specs), with the forms of both versions."""

    spec: object
    subprocess_specs: dict
    old_forms: dict
    new_forms: dict


def environment_names(runtime) -> set[str]:
    """What every script can use without task data: the script engine's helpers, builtins."""
    environment = getattr(getattr(runtime, "script_engine", None), "environment", None)
    names = set(getattr(environment, "globals", {}) or {})
    names |= set((getattr(environment, "globals", {}) or {}).get("__builtins__", {}) or {})
    return names | set(dir(builtins))


def missing_variables(workflow, task, new_spec, new: NewVersion, known: set[str]) -> list[str]:
    """Names the new version's next steps read that this instance would not have."""
    data = set(task.data)
    old_specs = {task.workflow.spec.name: task.workflow.spec,
                 **(getattr(workflow, "subprocess_specs", None) or {})}
    new_specs = {new.spec.name: new.spec, **new.subprocess_specs}
    old_reads, old_writes = _ahead(task.task_spec, old_specs, new.old_forms, workflow, task)
    new_reads, new_writes = _ahead(new_spec, new_specs, new.new_forms, workflow, task)
    # Names the old version read ahead without anyone producing them come from elsewhere
    # (helpers, the process's start data): not a loss.
    external = old_reads - old_writes - data
    return sorted(new_reads - new_writes - data - external - known)


def _ahead(start_spec, specs: dict, forms: dict, workflow, task) -> tuple[set, set]:
    """(names read, names written) by every step reachable from `start_spec`, continuing in
    the enclosing processes when it lies in a sub-process."""
    reads: set[str] = set()
    writes: set[str] = set()
    seen: set[int] = set()
    pending = [(start_spec, True)]
    # After a sub-process ends, its parent goes on: follow the parent task's outputs too.
    sub = task.workflow
    while sub is not workflow and getattr(sub, "parent_task_id", None) is not None:
        parent = workflow.get_task_from_id(sub.parent_task_id)
        if parent is None:
            break
        owner = specs.get(parent.workflow.spec.name)
        found = owner.task_specs.get(parent.task_spec.name) if owner is not None else None
        if found is not None:  # its outputs only: what ran inside is behind
            pending.append((found, False))
        sub = parent.workflow
    while pending:
        spec, enter = pending.pop()
        if not enter:
            pending.extend((output, True) for output in spec.outputs)
            continue
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        _step_names(spec, forms, reads, writes)
        pending.extend((output, True) for output in spec.outputs)
        called = getattr(spec, "spec", None)
        if isinstance(called, str) and called in specs:
            pending.append((specs[called].start, True))
    return reads, writes


def _step_names(spec, forms: dict, reads: set, writes: set) -> None:
    for _label, source, mode in task_expressions(spec):
        _source_names(source, mode, reads, writes)
    schema = forms.get(form_of(spec)) if form_of(spec) else None
    if isinstance(schema, dict):
        writes.update(schema.get("properties") or {})
    engine = getattr(spec, "dmnEngine", None)
    table = getattr(engine, "decision_table", None)
    for column in getattr(table, "inputs", []) or []:
        if getattr(column, "expression", None):
            _source_names(column.expression, "eval", reads, writes)
    for column in getattr(table, "outputs", []) or []:
        if getattr(column, "name", None):
            writes.add(column.name)
    definition = getattr(spec, "event_definition", None)
    for attr in ("result_var", "name"):
        value = getattr(definition, attr, None)
        if isinstance(value, str) and value:
            writes.add(value)


def _source_names(source: str, mode: str, reads: set, writes: set) -> None:
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError:
        return
    called = {id(node.func) for node in ast.walk(tree) if isinstance(node, ast.Call)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load) and id(node) not in called:
                reads.add(node.id)
            elif isinstance(node.ctx, (ast.Store, ast.Del)):
                writes.add(node.id)
        elif isinstance(node, ast.arg):
            writes.add(node.arg)
        elif isinstance(node, (ast.ExceptHandler,)) and node.name:
            writes.add(node.name)

