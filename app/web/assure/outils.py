"""Shared helpers of the assuré's pages: ownership checks, instance data, identity, caisse.

Every lookup by number or id is filtered on the logged-in assuré, so another person's
dossier, task, message or document is simply « introuvable » (404): nothing tells an
assuré that a number exists if it is not theirs.
"""
from __future__ import annotations

import copy
from uuid import UUID

from flask import abort
from flask_login import current_user
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select

from app.domain import caisse_competente, departement_du_code_postal
from app.engine import screens
from app.engine.clock import clock
from app.engine.parcours import DEMANDE, TRIAGE  # noqa: F401 - journey names, not process ids
from app.engine.specs import task_property
from app.forms.schema_walk import kind_of, properties_in_order
from app.models import Caisse, Document, Dossier, HumanTask, Message, ProcessInstance, User

from ..shared.services import db, services

GROUPE_DEMANDE = "demande"  # the `etape_groupe` of the request's screens in its diagram


# ----- ownership ----------------------------------------------------------------------------
def my_dossier(numero: str) -> Dossier:
    dossier = db().scalar(select(Dossier).where(Dossier.numero == numero,
                                                Dossier.assure_id == current_user.id))
    if dossier is None:
        abort(404)
    return dossier


def my_task(task_id: int) -> HumanTask:
    row = db().get(HumanTask, task_id)
    if row is None or row.role != "assure" or row.assignee_id != current_user.id:
        abort(404)
    return row


def my_document(document_id: int) -> Document:
    document = db().get(Document, document_id)
    if document is None or document.owner_id != current_user.id:
        abort(404)
    return document


def my_instance(instance_id: int, parcours: str) -> ProcessInstance:
    instance = db().get(ProcessInstance, instance_id)
    if instance is None or instance.owner_id != current_user.id or \
            instance.process_version.parcours != parcours or instance.sandbox:
        abort(404)
    return instance


def draft_of(user_id: int) -> Dossier | None:
    """The assuré's online request still being filled (at most one)."""
    return db().scalar(select(Dossier).where(Dossier.assure_id == user_id,
                                             Dossier.statut == "brouillon")
                       .order_by(Dossier.id.desc()).limit(1))


def open_tasks(instance_id: int, user_id: int) -> list[HumanTask]:
    return list(db().scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == "open",
        HumanTask.role == "assure", HumanTask.assignee_id == user_id).order_by(HumanTask.id)))


def unread_count(user_id: int) -> int:
    """What the caisse sent (letters, answers in a conversation) and the assuré has not read."""
    return db().scalar(select(func.count(Message.id)).where(
        Message.recipient_id == user_id, Message.read_at.is_(None))) or 0


# ----- workflow data ------------------------------------------------------------------------
def instance_data(instance: ProcessInstance, row: HumanTask | None = None) -> dict:
    """The data an instance holds now: its open task's, else the workflow's (read only)."""
    workflow = services().runtime.workflow_of(db(), instance)
    if row is not None:
        task = _task(workflow, row)
        if task is not None:
            return dict(task.data)
    if workflow.is_completed() and workflow.data:  # pruned: only on its last task
        return dict(workflow.data)
    last = workflow.last_task
    return dict(last.data) if last is not None else {}


def task_values(instance: ProcessInstance, row: HumanTask, schema: dict) -> dict:
    """The answers already stored for this task's form (to show them back when the person
    returns to the step): under the task's spiff `variableName` when it has one (the whole
    form is stored there and replaced on each submission), else the form's own keys."""
    task = _task(services().runtime.workflow_of(db(), instance), row)
    if task is None:
        return {}
    variable = getattr(task.task_spec, "variable", None)
    if variable:
        value = task.data.get(variable)
        return dict(value) if isinstance(value, dict) else {}
    return {k: task.data[k] for k in (schema.get("properties") or {}) if k in task.data}


def _task(workflow, row: HumanTask):
    try:
        return workflow.get_task_from_id(UUID(row.spiff_task_id))
    except (TaskNotFoundException, ValueError):
        return None


def task_data_of(instance: ProcessInstance, spec_name: str) -> dict | None:
    """Data of the last completed task with this BPMN id (e.g. the submission script)."""
    workflow = services().runtime.workflow_of(db(), instance)
    found = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
             if t.task_spec.name == spec_name]
    return dict(found[-1].data) if found else None


# ----- screens (what the diagram of the instance's version says) ----------------------------
def ecrans_of(instance: ProcessInstance) -> screens.Ecrans:
    return ecrans_of_version(instance.process_version)


def ecrans_of_version(version) -> screens.Ecrans:
    """The screens of a process version, parsed once per bundle with the runtime's specs."""
    return screens.of_version(db(), version, services().runtime.specs)


def parcours_demande(instance: ProcessInstance) -> screens.Parcours:
    """The request's stepper, as the version this instance runs on defines it."""
    return ecrans_of(instance).groupe(GROUPE_DEMANDE)


def ecran_kind(row: HumanTask) -> str | None:
    """The page kind (`ecran` property) of this task in the version its instance runs on, a
    task of a called process or of a sub-process included (read from the task's own spec)."""
    task = _task(services().runtime.workflow_of(db(), row.instance), row)
    value = task_property(task.task_spec, "ecran") if task is not None else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def ecran_of_task(row: HumanTask) -> screens.Ecran | None:
    return ecrans_of(row.instance).ecran(row.element_id)


def is_demande_step(row: HumanTask) -> bool:
    """A screen of the online request (it has its page, not the generic task page)."""
    if row.instance.process_version.parcours != DEMANDE:
        return False
    ecran = ecran_of_task(row)
    return ecran is not None and ecran.groupe == GROUPE_DEMANDE


def is_conversation(row: HumanTask) -> bool:
    """A question of ameliBot (shown in the chat, not as a task)."""
    ecran = ecran_of_task(row)
    return ecran is not None and ecran.ecran == screens.CONVERSATION


def submitted_data(dossier: Dossier) -> dict | None:
    """The request as sent: the data of its last step once completed (None before)."""
    etapes = parcours_demande(dossier.instance).etapes
    if not etapes:
        return None
    return task_data_of(dossier.instance, etapes[-1].element_id)


# ----- identity and caisse ------------------------------------------------------------------
def identite(user: User) -> dict:
    """What the account says about the person (read only in the request)."""
    return {
        "civilite": user.civilite or "",  # « M. », « Mme », as the téléservice writes it
        "nom": user.nom, "prenom": user.prenom,
        "date_naissance": user.date_naissance.isoformat() if user.date_naissance else None,
        "adresse": user.adresse, "code_postal": user.code_postal, "ville": user.ville,
        "email": user.email, "telephone": user.telephone or "",
    }


def masked_email(email: str) -> str:
    """« ma****@demo.fr », as the téléservice shows it."""
    local, _, domain = (email or "").partition("@")
    return f"{local[:2]}****@{domain}" if domain else email


def departement(code_postal: str) -> str:
    return departement_du_code_postal(code_postal)


def caisse_pour(code_postal: str) -> str:
    return caisse_competente(departement(code_postal))


def ensure_caisse(session, code: str) -> None:
    """The caisse row a dossier points to (the demo seeds only three)."""
    if session.get(Caisse, code) is None:
        session.add(Caisse(code=code, libelle=code, adresse=""))
        session.flush()


def now():
    return clock.now()


def schema_defaults(root: dict, obj: dict) -> dict:
    """Initial answers from the schema's `default`s (« Non » preselected for Oui/Non)."""
    out: dict = {}
    for key, prop in properties_in_order(root, obj):
        if "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
        elif kind_of(root, prop) == "object":
            sub = schema_defaults(root, prop)
            if sub:
                out[key] = sub
    return out


def deep_merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (over or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
