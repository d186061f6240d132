"""Who does a human task and what its properties ask for.

A task goes to the inbox of the role of its lane: the lane's `role` property in the diagram,
else the fixed lane names of LANE_ROLES. Its `spiffworkflow:property` entries name its form
(`formJsonSchemaFilename`) and its screen (see app/engine/screens.py).
"""
from __future__ import annotations

import unicodedata

FORM_PROPERTY = "formJsonSchemaFilename"

# Lane names (accents and case ignored) → the role whose inbox gets the lane's user tasks.
LANE_ROLES = {
    "assure": "assure",
    "service invalidite": "agent",
    "service medical": "medecin_conseil",
    "commission de recours amiable": "agent",
    "commission medicale de recours amiable": "medecin_conseil",
    "superviseur": "superviseur",
    "analyste": "analyste",
}


def lane_role(lane: str | None) -> str | None:
    if not lane:
        return None
    plain = unicodedata.normalize("NFKD", lane).encode("ascii", "ignore").decode().lower()
    return LANE_ROLES.get(" ".join(plain.split()))


def role_of_task(task_spec) -> str | None:
    """The role whose inbox gets this human task: the `role` property of its lane in the
    diagram (attached to the process spec as `lane_roles` at parse time), else the fixed
    lane names of LANE_ROLES; None when the lane gives no role."""
    lane = getattr(task_spec, "lane", None)
    if not lane:
        return None
    roles = getattr(getattr(task_spec, "_wf_spec", None), "lane_roles", None) or {}
    return roles.get(lane) or lane_role(lane)


def form_of(task_spec) -> str | None:
    return task_property(task_spec, FORM_PROPERTY)


def task_property(task_spec, name: str) -> str | None:
    """A `spiffworkflow:property` of a task: what the diagram says a screen needs."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return properties.get(name)
