"""Who does a human task and what its properties ask for.

A task goes to the inbox of the role of its lane: the lane's `role` property in the diagram,
else the fixed lane names of LANE_ROLES. Its `spiffworkflow:property` entries name its form
(`formJsonSchemaFilename`) and its screen (see app/engine/screens.py).

Appeals are ruled apart from the deciders: a task with the property `decision` (« true »)
takes the decision on the request, a task with the property `recours` (« true ») rules on its
appeal; nobody who completed a decision task of an instance may act on its appeal tasks
(`a_pris_la_decision`, checked by the runtime's `may_act` and the inbox queries).
"""
from __future__ import annotations

import unicodedata

from sqlalchemy import and_, exists, select

from app.models import HumanTask

FORM_PROPERTY = "formJsonSchemaFilename"

# Lane names (accents and case ignored) → the role whose inbox gets the lane's user tasks.
LANE_ROLES = {
    "assure": "assure",
    "service invalidite": "agent",
    "service medical": "medecin_conseil",
    "commission de recours amiable": "cra",
    "commission medicale de recours amiable": "cmra",
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


def is_flagged(task_spec, name: str) -> bool:
    """A yes/no property of a task (`decision`, `recours`): « true », « oui » or « 1 »."""
    return (task_property(task_spec, name) or "").strip().lower() in {"true", "oui", "1"}


# Built once: an alias rebuilds its columns each time it is made (every inbox query).
_DECISION = HumanTask.__table__.alias("decision_prise")


def decided_by(user_id, instance_id):
    """SQL condition: this person completed a decision task of this instance."""
    decision = _DECISION
    return exists().where(and_(decision.c.instance_id == instance_id,
                               decision.c.decision.is_(True),
                               decision.c.status == "completed",
                               decision.c.completed_by_id == user_id))


def a_pris_la_decision(session, user_id: int, row: HumanTask) -> bool:
    """True when `row` rules on an appeal and this person took the decision appealed
    (completed one of the instance's decision tasks, in any round of the instruction)."""
    if not row.recours or session is None:
        return False
    return bool(session.scalar(select(decided_by(user_id, row.instance_id))))
