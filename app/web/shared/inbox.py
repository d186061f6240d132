"""Inbox queries: index lookups on `human_task`, never a scan of workflow JSON."""
from __future__ import annotations

import re
from functools import cache

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import aliased, contains_eager

from app.engine.human_tasks import decided_by
from app.models import DonneesCaisse, Dossier, HumanTask, ProcessInstance, User

# What an inbox row shows of its instance: never the workflow state (it can be large).
INSTANCE_COLUMNS = (ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.status,
                    ProcessInstance.lock_version, ProcessInstance.caisse_code,
                    ProcessInstance.current_step, ProcessInstance.process_key,
                    ProcessInstance.sandbox)
# The assuré of a task's dossier (a second `app_user` beside the staff member's own).
Assure = aliased(User, name="assure")


def visible_tasks(user: User) -> Select:
    """Open tasks this user may see: their own (assuré) or their role + caisse (staff).

    Staff tasks always carry their instance's caisse, so the filter is an equality the
    `ix_task_inbox (status, role, caisse_code, due_at)` index answers in order.
    """
    return _visible(user.role == "assure", user.role, user.id, user.caisse_code)


def _visible(assure: bool, role, user_id, caisse) -> Select:
    query = (select(HumanTask).join(HumanTask.instance)
             .options(contains_eager(HumanTask.instance).load_only(*INSTANCE_COLUMNS))
             .where(HumanTask.status == "open", ProcessInstance.sandbox.is_(False)))
    if assure:
        query = query.where(HumanTask.role == "assure", HumanTask.assignee_id == user_id)
    else:
        query = query.where(HumanTask.role == role, HumanTask.caisse_code == caisse,
                            # an appeal never reaches the person who took its decision
                            or_(HumanTask.recours.is_(False),
                                ~decided_by(user_id, HumanTask.instance_id)))
    return query.order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.id)


def open_task_ids(session, user: User, instance_id: int) -> list[int]:
    """Ids of the instance's open tasks that `user` may see (`visible_tasks`, ids only).
    Asked after every API step: its statement is built once (building it and its cache key
    cost 0.5 ms, three times what running it does), its values passed as parameters."""
    if user.role == "assure":
        params = {"user_id": user.id, "instance_id": instance_id}
    elif user.caisse_code is None:  # `= NULL` is never true: the built query says IS NULL
        return list(session.scalars(visible_tasks(user).where(
            HumanTask.instance_id == instance_id).with_only_columns(HumanTask.id)))
    else:
        params = {"role": user.role, "caisse": user.caisse_code, "user_id": user.id,
                  "instance_id": instance_id}
    return list(session.scalars(_open_task_ids_statement(user.role == "assure"), params))


@cache
def _open_task_ids_statement(assure: bool) -> Select:
    return (_visible(assure, bindparam("role"), bindparam("user_id"), bindparam("caisse"))
            .where(HumanTask.instance_id == bindparam("instance_id"))
            .with_only_columns(HumanTask.id))


# A NIR typed with or without its spaces: digits only (Corse: 2A / 2B), at least 5 of them.
NIR_SAISI = re.compile(r"[0-9]{1,2}[0-9AaBb ]{4,20}")


def with_dossier(query: Select) -> Select:
    """The task's dossier and its assuré, for searching and sorting (one row each: the
    dossier is unique per instance, the caisse data unique per assuré)."""
    return (query.join(Dossier, Dossier.instance_id == HumanTask.instance_id)
            .join(Assure, Assure.id == Dossier.assure_id)
            .outerjoin(DonneesCaisse, DonneesCaisse.assure_id == Dossier.assure_id))


def search(query: Select, text: str) -> Select:
    """Tasks whose dossier matches every word typed: a dossier number (or part of it), the
    assuré's name or first name, or their NIR (spaces ignored). `query` has `with_dossier`."""
    text = text.strip()
    if NIR_SAISI.fullmatch(text) and sum(c.isdigit() for c in text) >= 5:
        nir = text.replace(" ", "").upper()
        return query.where(or_(DonneesCaisse.nir.contains(nir, autoescape=True),
                               Dossier.numero.icontains(nir, autoescape=True)))
    for word in text.split()[:5]:
        query = query.where(or_(Dossier.numero.icontains(word, autoescape=True),
                                Assure.nom.icontains(word, autoescape=True),
                                Assure.prenom.icontains(word, autoescape=True)))
    return query
