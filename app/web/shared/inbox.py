"""Inbox queries: index lookups on `human_task`, never a scan of workflow JSON."""
from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from app.models import HumanTask, ProcessInstance, User

# What an inbox row shows of its instance: never the workflow state (it can be large).
INSTANCE_COLUMNS = (ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status,
                    ProcessInstance.lock_version, ProcessInstance.caisse_code,
                    ProcessInstance.current_step, ProcessInstance.process_key,
                    ProcessInstance.sandbox)


def visible_tasks(user: User) -> Select:
    """Open tasks this user may see: their own (assuré) or their role + caisse (staff).

    Staff tasks always carry their instance's caisse, so the filter is an equality the
    `ix_task_inbox (status, role, caisse_code, due_at)` index answers in order.
    """
    query = (select(HumanTask).join(HumanTask.instance)
             .options(contains_eager(HumanTask.instance).load_only(*INSTANCE_COLUMNS))
             .where(HumanTask.status == "open", ProcessInstance.sandbox.is_(False)))
    if user.role == "assure":
        query = query.where(HumanTask.role == "assure", HumanTask.assignee_id == user.id)
    else:
        query = query.where(HumanTask.role == user.role,
                            HumanTask.caisse_code == user.caisse_code)
    return query.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)
