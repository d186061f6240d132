"""Pruning the stored state of an ended instance (« élagage »): what no reader needs any
more is dropped once, when the instance ends; a running instance is stored as it is.

Why only ended instances: SpiffWorkflow 3.2 already stores each task's data as a *delta*
against its parent (so the data a completed task shares with its successor is never
written twice), and a running instance needs the rest — `reset_from_task_id` (the
superviseur moving a token back) copies the data of the target's parent, an incident retry
replays on the tree, a migration checks it. Once the instance has ended, none of these can
run again, and what its readers need is known:

- the timeline (app/engine/history.py) matches the audit rows to the completed tasks of the
  tree that have a diagram element (user tasks, events, named steps), dated by their last
  change, with the phase given by their sub-process's call activity: those tasks stay;
- supervision marks every element of the diagram the tree went through (« done »:
  app/web/shared/diagram.py); the elements it lists to move a token to are only offered
  while the instance runs: every completed task with a BPMN id stays;
- pages read the workflow's data (`workflow.data`), the data of the last completed task
  (the top workflow's last task) and the data of completed user tasks (the request as
  sent, the médecin's exams): those tasks keep their data.

Dropped: the engine's own tasks without a diagram element (Start, End, the joins and splits
SpiffWorkflow adds around boundary events and at the end of a process), the tasks that
never ran (cancelled: a boundary timer or message that did not fire), the data of every
other task (it inherits its parent's: an empty delta), the data of a sub-process's
workflow level (never read; the top level's, the same as its last task's, is stored once and
given back on load: `workflow.data` reads as the engine left it) and the tasks' internal data (timer values,
event payloads: nothing waits any more). The tree is relinked around the dropped tasks, so
it stays a tree SpiffWorkflow loads.

What is left is then stored in a compact form of its own (see `compacter` below) and
expanded back to SpiffWorkflow's form when loaded (`etendre`, app/engine/persistence.py):
every reader still gets a workflow, the same one, and none of them had to change.
"""
from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from contextlib import contextmanager
from uuid import UUID, uuid5

import orjson
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.models.base import Encoded

from .serializer import dump_state, load_state

logger = logging.getLogger(__name__)
_active = [True]  # the benchmark measures a dossier without pruning (bench/dossier.py)


@contextmanager
def desactive():
    """Within this block states are stored unpruned (for a before/after measure)."""
    _active[0] = False
    try:
        yield
    finally:
        _active[0] = True


def elaguer(workflow: BpmnWorkflow, state):
    """The state to store for `workflow`: `state` (its dump) as it is while the instance
    runs; once it has ended, the same state pruned, in its compact form (from a fresh copy:
    the caller's workflow is left untouched, the after-step hooks still read it)."""
    if not _active[0] or not workflow.is_completed():
        return state
    try:
        fresh = load_state(state, workflow.spec, workflow.subprocess_specs)
        elaguer_workflow(fresh)
        return Encoded(orjson.dumps(compacter(orjson.loads(dump_state(fresh).encoded),
                                              _referenced(fresh))))
    except Exception:  # a saving, never a reason for the last step to fail
        logger.exception("élagage impossible : état conservé tel quel")
        return state


def elaguer_workflow(top: BpmnWorkflow) -> BpmnWorkflow:
    """Prune an ended workflow in place (see the module's docstring); returns it. A running
    one is refused: its active tasks and their parents' data are still needed."""
    if not top.is_completed():
        raise ValueError("seul un processus terminé peut être élagué")
    latest = _latest_completed(top)
    calls = set(top.subprocesses)  # call activities and sub-processes: their tasks stay
    for workflow in [top, *top.subprocesses.values()]:
        keep_data = _data_readers(workflow, latest, workflow is top)
        kept = {t.id for t in workflow.tasks.values() if _needed(workflow, t, calls, keep_data)}
        _relink(workflow, kept)
        _inherit_data(workflow, keep_data)
        if workflow.last_task is not None and workflow.last_task.id not in kept:
            workflow.last_task = None  # a sub-process's End: nobody reads it
        if workflow is not top:
            workflow.data = {}
    return top


def _latest_completed(top: BpmnWorkflow):
    done = top.get_tasks(state=TaskState.COMPLETED)
    return max(done, key=lambda t: t.last_state_change).id if done else None


def _data_readers(workflow, latest, top: bool) -> set:
    """Tasks whose own data pages read: completed user tasks, the last completed task of
    the instance, the top workflow's last task (a sub-process's handed its data on)."""
    ids = {t.id for t in workflow.tasks.values()
           if getattr(t.task_spec, "manual", False) and t.has_state(TaskState.COMPLETED)}
    ids.add(latest)
    if top and workflow.last_task is not None:
        ids.add(workflow.last_task.id)
    return ids


def _needed(workflow, task, calls, keep_data) -> bool:
    return (task is workflow.task_tree or task.id in calls or task.id in keep_data
            or (bool(getattr(task.task_spec, "bpmn_id", None))
                and task.has_state(TaskState.COMPLETED)))


def _relink(workflow, kept: set) -> None:
    """Drop the tasks not kept; each kept task hangs from its nearest kept ancestor."""
    order = list(_depth_first(workflow.task_tree))
    parents = {}
    for task in order:
        if task.id not in kept:
            continue
        parent = task.parent
        while parent is not None and parent.id not in kept:
            parent = parent.parent
        parents[task.id] = parent.id if parent is not None else None
    for task in order:
        if task.id not in kept:
            del workflow.tasks[task.id]
    for task in workflow.tasks.values():
        task._children = []
    for task in order:  # tree order: children keep their order
        if task.id in kept:
            task._parent = parents[task.id]
            if task._parent is not None:
                workflow.tasks[task._parent]._children.append(task.id)


def _depth_first(root):
    stack = [root]
    while stack:
        task = stack.pop()
        yield task
        stack.extend(reversed(task.children))


def _inherit_data(workflow, keep_data: set) -> None:
    """Every task but the readers' takes its (new) parent's data: stored as an empty delta.
    The tree is walked from the root, so a parent is settled before its children."""
    for task in list(_depth_first(workflow.task_tree)):
        task.internal_data = {}
        if task.id in keep_data:
            continue
        task.data = dict(task.parent.data) if task.parent is not None else {}


# ----- the compact form an ended instance is stored in ---------------------------------------
# SpiffWorkflow writes each task as a record of ten fields (its id, its parent's, its
# children's, its state, `triggered`, `internal_data`, `data` and `delta`…), most of them
# the same for every task of an ended instance. Stored compact instead, and expanded back to
# SpiffWorkflow's own form when loaded (`etendre`, called by app/engine/persistence.py), so
# every reader gets the very workflow it got before:
# - the tasks of every (sub-)workflow, depth first, as [task spec, last change] with the
#   fields that differ from an ended instance's defaults (state completed, not triggered,
#   no internal data, parent = the task just before);
# - a task id only where something refers to it (a human_task row, a sub-process, the top
#   workflow's root); the others are derived from the root's id and their position, so a
#   load gives the same ids each time;
# - the data once: the tasks whose data differ from their parent's (the readers'), in the
#   order they were reached, each as a delta against the one before — a sub-process no
#   longer starts with a second copy of the data its call activity handed it.
FORMAT = "elague"  # key (and version) that marks a compact state
_DEFAULTS = {"state": int(TaskState.COMPLETED), "triggered": False, "internal_data": {}}
_SHORT = {"state": "e", "triggered": "g", "internal_data": "n"}
_FLOW_DEFAULTS = {"data": {}, "correlations": {}, "success": True, "completed": True}
_REBUILT = ("tasks", "root", "last_task", "subprocesses")  # written from the tasks
_NONE = object()


def _referenced(top: BpmnWorkflow) -> set[str]:
    """Ids something outside the tree refers to: user tasks (human_task rows), call
    activities and sub-processes (their sub-workflow's key)."""
    ids = {str(key) for key in top.subprocesses}
    for flow in (top, *top.subprocesses.values()):
        ids |= {str(t.id) for t in flow.tasks.values() if getattr(t.task_spec, "manual", False)}
    return ids


def _short_id(value: str) -> str:
    return base64.urlsafe_b64encode(UUID(value).bytes).decode().rstrip("=")


def _long_id(value: str) -> str:
    return str(UUID(bytes=base64.urlsafe_b64decode(value + "==")))


def _derived_id(root: str, position: int) -> str:
    return str(uuid5(UUID(root), str(position)))


def compacter(dct: dict, keep_ids: set[str]) -> dict:
    """The compact form of a serialized ended workflow (SpiffWorkflow's dict)."""
    flows = [(None, dct), *dct["subprocesses"].items()]
    racine = dct["root"]
    entries, positions, full, flux = [], {}, {}, []
    for key, flow in flows:
        tasks, start = flow["tasks"], len(entries)
        for tid in _dict_depth_first(tasks, flow["root"]):
            task, parent = tasks[tid], tasks[tid]["parent"]
            full[tid] = _full_data(task, full.get(parent))
            extras = {_SHORT[f]: task[f] for f in _DEFAULTS if task[f] != _DEFAULTS[f]}
            if parent is not None and positions[parent] != len(entries) - 1:
                extras["p"] = positions[parent]
            if tid in keep_ids or tid == racine:
                extras["i"] = _short_id(tid)
            positions[tid] = len(entries)
            entries.append([task["task_spec"], task["last_state_change"], extras] if extras
                           else [task["task_spec"], task["last_state_change"]])
        defaults = _flow_defaults(key)
        last = flow.get("last_task")
        if key is None and last and flow["data"] == full.get(last):
            defaults["data"] = flow["data"]  # its last task's: stored once, given back
        rest = {k: v for k, v in flow.items()
                if k not in _REBUILT and v != defaults.get(k, _NONE)}
        flux.append({"cle": key, "n": len(entries) - start,
                     "fin": positions.get(last) if last else None, "champs": rest})
    return {FORMAT: 1, "racine": racine, "taches": entries, "flux": flux,
            "donnees": _data_chain(flows, full, positions, entries)}


def _flow_defaults(key: str | None) -> dict:
    """A (sub-)workflow's fields as an ended instance has them, left out when stored."""
    if key is None:
        return {**_FLOW_DEFAULTS, "bpmn_events": []}
    return {**_FLOW_DEFAULTS, "parent_task_id": key}


def _dict_depth_first(tasks: dict, root: str):
    stack = [root]
    while stack:
        tid = stack.pop()
        yield tid
        stack.extend(reversed(tasks[tid]["children"]))


def _full_data(task: dict, parent_data: dict | None) -> dict:
    if parent_data is None:
        return dict(task["data"])
    delta = task.get("delta") or {}
    data = {**parent_data, **(delta.get("updates") or {})}
    for key in delta.get("deletions") or ():
        data.pop(key, None)
    return data


def _data_chain(flows, full, positions, entries) -> list:
    """[position, updates, deletions] of each task whose data differ from its parent's,
    in the order they were reached: each against the one before."""
    readers = []
    for _key, flow in flows:
        for tid, task in flow["tasks"].items():
            parent = task["parent"]
            if full[tid] != (full[parent] if parent is not None else {}):
                readers.append(positions[tid])
    readers.sort(key=lambda pos: (entries[pos][1], pos))
    by_position = {positions[tid]: data for tid, data in full.items()}
    chain, previous = [], {}
    for pos in readers:
        data = by_position[pos]
        chain.append([pos, *_delta(previous, data)])
        previous = data
    return chain


def _delta(before: dict, after: dict) -> tuple[dict, list]:
    updates = {k: v for k, v in after.items() if k not in before or before[k] != v}
    return updates, [k for k in before if k not in after]


def etendre(state):
    """SpiffWorkflow's own form of a stored state (a compact one expanded, any other as
    it is): what the serializer loads."""
    if not isinstance(state, Mapping) or FORMAT not in state:
        return state
    entries, racine = state["taches"], state["racine"]
    ids = [_long_id(e[2]["i"]) if len(e) > 2 and "i" in e[2] else _derived_id(racine, pos)
           for pos, e in enumerate(entries)]
    own = _own_data(state["donnees"])
    flows, start = [], 0
    for flow in state["flux"]:
        tasks, data = {}, {}
        for pos in range(start, start + flow["n"]):
            extras = entries[pos][2] if len(entries[pos]) > 2 else {}
            parent = None if pos == start else extras.get("p", pos - 1)
            data[pos] = own.get(pos, data[parent] if parent is not None else {})
            tasks[ids[pos]] = _task_record(entries[pos], extras, ids, pos, parent, data)
            if parent is not None:
                tasks[ids[parent]]["children"].append(ids[pos])
        fin = flow["fin"]
        defaults = _flow_defaults(flow["cle"])
        if flow["cle"] is None and "data" not in flow["champs"] and fin is not None:
            defaults["data"] = dict(data[fin])  # left out by `compacter`: its last task's
        flows.append((flow["cle"], {**defaults, **flow["champs"], "tasks": tasks,
                                    "root": ids[start],
                                    "last_task": ids[fin] if fin is not None else None}))
        start += flow["n"]
    top = flows[0][1]
    top["subprocesses"] = dict(flows[1:])
    return top


def _own_data(chain: list) -> dict[int, dict]:
    own, data = {}, {}
    for pos, updates, deletions in chain:
        data = {k: v for k, v in {**data, **updates}.items() if k not in deletions}
        own[pos] = data
    return own


def _task_record(entry, extras, ids, pos, parent, data) -> dict:
    record = {"id": ids[pos], "parent": ids[parent] if parent is not None else None,
              "children": [], "last_state_change": entry[1], "task_spec": entry[0],
              "typename": "Task", **{f: extras.get(_SHORT[f], d) for f, d in _DEFAULTS.items()}}
    if parent is None:
        record.update(data=data[pos], delta={})
    else:
        updates, deletions = _delta(data[parent], data[pos])
        record.update(data={}, delta={"updates": updates, "deletions": deletions})
    return record
