"""Inbox queries: index lookups on `human_task`, never a scan of workflow JSON."""
from __future__ import annotations

from sqlalchemy import Select, or_, select

from app.models import HumanTask, ProcessInstance, User


def visible_tasks(user: User) -> Select:
    """Open tasks this user may see: their own (assuré) or their role + caisse (staff)."""
    query = select(HumanTask).join(ProcessInstance).where(
        HumanTask.status == "open", ProcessInstance.sandbox.is_(False))
    if user.role == "assure":
        query = query.where(HumanTask.role == "assure", HumanTask.assignee_id == user.id)
    else:
        query = query.where(HumanTask.role == user.role,
                            or_(HumanTask.caisse_code.is_(None),
                                HumanTask.caisse_code == user.caisse_code))
    return query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
