"""Supervision: one instance — where it stands on its diagram, timers, history, variables
(medical ones for médecins-conseils only), incidents — and the superviseur's actions:
retry an incident, suspend, resume, terminate with a reason, reassign a task."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.documents.delivery import post_notice
from app.engine.clock import clock
from app.engine.errors import FormInvalid, IncidentRaised, RuntimeServiceError
from app.engine.sandbox import version_sources
from app.models import AuditLog, Dossier, HumanTask, Incident, ProcessInstance, User

from ..shared.diagram import (
    ACTION_LABELS,
    STATUS_LABELS,
    current_data,
    diagram_xml,
    element_states,
    medical_keys,
    timer_badges,
    visible_variables,
    waiting_messages,
    waiting_timers,
)
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp

OPERATOR_LABELS = {**ACTION_LABELS, "incident_retry_failed": "relance en échec",
                   "jeton_deplace": "jeton déplacé", "minuteur_declenche":
                   "minuteur déclenché par un superviseur", "minuteur_redate": "minuteur redaté",
                   "variable_modifiee": "variable modifiée", "action_lot": "action groupée",
                   "message_envoye": "message envoyé à l'assuré"}
ARRET_TEXTE = ("Le traitement de votre dossier n° {numero} a été arrêté par la caisse. Aucune "
               "suite ne lui sera donnée. Si vous pensez qu'il s'agit d'une erreur, ou pour "
               "déposer une nouvelle demande, contactez votre caisse par la messagerie ou au "
               "3646.")


def _instance_or_404(instance_id: int) -> ProcessInstance:
    instance = db().get(ProcessInstance, instance_id)
    if instance is None or instance.sandbox:
        abort(404)
    if current_user.role == "medecin_conseil" and instance.caisse_code != current_user.caisse_code:
        abort(403)
    return instance


@bp.get("/instances/<int:instance_id>")
@roles("superviseur", "medecin_conseil")
def instance(instance_id: int):
    """Read-only for a médecin-conseil of the dossier's caisse (who sees medical variables);
    the actions are the superviseur's."""
    row = _instance_or_404(instance_id)
    runtime = services().runtime
    session = db()
    workflow = runtime.workflow_of(session, row)
    specs = runtime.specs.get(row.process_version, lambda vid: version_sources(session, vid))
    incidents = session.scalars(select(Incident).where(Incident.instance_id == instance_id)
                                .order_by(Incident.created_at.desc())).all()
    open_incidents = [i for i in incidents if i.resolved_at is None]
    timers = waiting_timers(workflow)
    filename, xml = diagram_xml(runtime, session, row.process_version)
    variables, hidden = visible_variables(current_data(workflow), current_user.role,
                                          medical_keys(specs))
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                    HumanTask.status == "open")
                            .order_by(HumanTask.id)).all()
    return render_template(
        "supervision/instance.html", instance=row, filename=filename,
        dossier=session.scalar(select(Dossier).where(Dossier.instance_id == instance_id)),
        diagram={"xml": xml, "states": element_states(workflow),
                 "incidents": [i.element_id for i in open_incidents if i.element_id],
                 "timers": timer_badges(timers)},
        timers=timers, messages=waiting_messages(workflow), tasks=tasks,
        candidates={t.id: _candidates(t) for t in tasks}, incidents=incidents,
        variables=variables, hidden=hidden, history=_history(instance_id),
        labels=STATUS_LABELS, action_labels=OPERATOR_LABELS,
        can_act=current_user.role == "superviseur", **token_choices(workflow),
        retries=_failed_retries(instance_id))


def token_choices(workflow) -> dict:
    """What the « move the token » form offers: the active tasks to cancel, and the elements
    present in the instance's tree (already passed or predicted) to start before."""
    active = {t.task_spec.bpmn_id: t.task_spec.bpmn_name or t.task_spec.bpmn_id
              for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
              if t.task_spec.bpmn_id and t.id not in workflow.subprocesses}
    targets = {t.task_spec.bpmn_id: t.task_spec.bpmn_name or t.task_spec.bpmn_id
               for t in workflow.get_tasks() if t.task_spec.bpmn_id}
    return {"active_elements": sorted(active.items(), key=lambda p: p[1]),
            "target_elements": sorted(targets.items(), key=lambda p: p[1])}


def _failed_retries(instance_id: int) -> dict[int, int]:
    """Failed « Relancer » per incident (the incident stays one, the log keeps each try)."""
    counts: dict[int, int] = {}
    for details in db().scalars(select(AuditLog.details).where(
            AuditLog.instance_id == instance_id, AuditLog.action == "incident_retry_failed")):
        key = (details or {}).get("incident_id")
        if isinstance(key, int):
            counts[key] = counts.get(key, 0) + 1
    return counts


def _history(instance_id: int):
    return db().execute(select(AuditLog, User).outerjoin(User, User.id == AuditLog.user_id)
                        .where(AuditLog.instance_id == instance_id)
                        .order_by(AuditLog.at, AuditLog.id)).all()


def _candidates(task: HumanTask) -> list[User]:
    """Who may take this task: its role, and its caisse for staff tasks."""
    query = select(User).where(User.role == task.role, User.active.is_(True))
    if task.role == "assure":
        query = query.where(User.id == task.assignee_id)
    elif task.caisse_code:
        query = query.where(User.caisse_code == task.caisse_code)
    return list(db().scalars(query.order_by(User.nom, User.prenom)))


def _back(instance_id: int):
    return redirect(url_for("supervision.instance", instance_id=instance_id), 303)


def _run(instance_id: int, action, success: str):
    _instance_or_404(instance_id)
    try:
        action()
    except FormInvalid as invalid:
        flash(" ".join(invalid.errors.values()), "error")
    except IncidentRaised as err:
        flash(f"L'étape a de nouveau échoué (incident n° {err.incident_id}).", "error")
    except RuntimeServiceError as err:
        flash(err.message, "error")
    else:
        flash(success, "success")
    return _back(instance_id)


@bp.post("/instances/<int:instance_id>/suspendre")
@roles("superviseur")
def suspend(instance_id: int):
    return _set_status(instance_id, "suspended",
                       "Instance suspendue : plus aucune étape ne s'exécute jusqu'à sa reprise.")


@bp.post("/instances/<int:instance_id>/reprendre")
@roles("superviseur")
def resume(instance_id: int):
    return _set_status(instance_id, "running", "Instance reprise.")


@bp.post("/instances/<int:instance_id>/arreter")
@roles("superviseur")
def terminate(instance_id: int):
    return _set_status(instance_id, "terminated",
                       "Instance arrêtée : l'assuré en est informé par sa messagerie.")


def _set_status(instance_id: int, status: str, success: str):
    return _run(instance_id, lambda: services().runtime.set_status(
        instance_id, status, current_user, request.form.get("motif", ""),
        on_terminated=_tell_the_assure), success)


def _tell_the_assure(session, instance) -> None:
    """The assuré learns that their dossier was stopped (same transaction as the stop)."""
    dossier = session.scalar(select(Dossier).where(Dossier.instance_id == instance.id))
    if dossier is not None:
        post_notice(session, dossier, f"Votre dossier n° {dossier.numero} a été arrêté",
                    ARRET_TEXTE.format(numero=dossier.numero), clock.now())


@bp.post("/instances/<int:instance_id>/incidents/<int:incident_id>/relancer")
@roles("superviseur")
def retry(instance_id: int, incident_id: int):
    incident = db().get(Incident, incident_id)
    if incident is None or incident.instance_id != instance_id:
        abort(404)
    text = request.form.get("corrections", "").strip()
    try:
        corrections = json.loads(text) if text else None
    except (ValueError, RecursionError):  # broken, or nested deeper than Python recurses
        corrections = []
    if corrections is not None and not isinstance(corrections, dict):
        flash("Les corrections doivent être un objet JSON, par exemple {\"diviseur\": 2}.",
              "error")
        return _back(instance_id)
    return _run(instance_id, lambda: services().runtime.retry_incident(
        incident_id, current_user, corrections), "Incident relancé : l'étape est passée.")


@bp.post("/instances/<int:instance_id>/taches/<int:task_id>/reattribuer")
@roles("superviseur")
def reassign(instance_id: int, task_id: int):
    task = db().get(HumanTask, task_id)
    if task is None or task.instance_id != instance_id:
        abort(404)
    assignee = parse_id(request.form.get("personne", ""))
    if assignee is None:
        flash("Choisissez la personne à qui confier la tâche.", "error")
        return _back(instance_id)
    return _run(instance_id, lambda: services().runtime.assign(
        task_id, assignee, current_user), "Tâche réattribuée.")
