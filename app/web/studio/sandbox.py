"""Studio: test runs of a draft — start, walk the user tasks with the real forms, move the
run's own clock, send it a message, throw it away (see app/engine/sandbox.py)."""
from __future__ import annotations

import json
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.engine.errors import Conflict, FormInvalid, IncidentRaised, NotFound
from app.engine.sandbox import discard_test_run, sandbox_run_view, start_test_run
from app.engine.specs import DeployRefused
from app.forms import read_submission, render_form
from app.models import AuditLog, HumanTask, Incident, User

from ..shared.diagram import (
    ACTION_LABELS,
    STATUS_LABELS,
    current_data,
    diagram_xml,
    element_states,
    timer_badges,
    waiting_messages,
    waiting_timers,
)
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .files import BadFile, current_sources, errors_json, with_draft

CLOCK_STEPS = {"1h": timedelta(hours=1), "1j": timedelta(days=1), "7j": timedelta(days=7),
               "15j": timedelta(days=15), "1m": timedelta(days=31), "2m": timedelta(days=62)}


@bp.post("/essais", endpoint="start_test_run")
@roles("analyste")
def start_test_run_view():
    """Start a sandbox instance of the draft: the saved file, or the editor's content."""
    filename = request.form.get("fichier", "")
    process_key = request.form.get("processus", "")
    content = request.form.get("contenu", "")
    try:
        data = json.loads(request.form.get("donnees") or "{}")
    except (ValueError, RecursionError):  # broken, or nested deeper than Python recurses
        data = None
    if not isinstance(data, dict):
        flash("Les données de départ doivent être un objet JSON, par exemple "
              "{\"categorie\": 2}.", "error")
        return redirect(url_for("studio.index"), 303)
    try:
        sources = current_sources()
        if content.strip():
            sources = with_draft(sources, {filename: content})
        if not process_key:
            process_key = _first_process(sources, filename)
        instance_id = start_test_run(services().runtime, sources, process_key, current_user,
                                     source_file=filename, data=data)
    except DeployRefused as refused:
        flash("Essai impossible, le brouillon ne passe pas les vérifications : "
              + " ; ".join(e["texte"] for e in errors_json(refused.errors)), "error")
        return redirect(request.referrer or url_for("studio.index"), 303)
    except (BadFile, NotFound) as err:
        flash(str(err), "error")
        return redirect(url_for("studio.index"), 303)
    except IncidentRaised as err:
        flash("L'essai a démarré mais une étape a échoué : voyez l'incident.", "error")
        instance_id = _instance_of_incident(err.incident_id)
    return redirect(url_for("studio.test_run", instance_id=instance_id), 303)


def _first_process(sources, filename: str) -> str:
    from .routes import _top_ids

    kind, text = sources.all_files().get(filename, ("", ""))
    ids = _top_ids(kind, text) if kind == "bpmn" else []
    if not ids:
        raise BadFile("Choisissez un fichier BPMN qui contient un processus.")
    return ids[0]


def _instance_of_incident(incident_id: int) -> int:
    return db().get(Incident, incident_id).instance_id


def _run_or_404(instance_id: int):
    try:
        return sandbox_run_view(db(), instance_id)
    except NotFound:
        abort(404)


@bp.get("/essais/<int:instance_id>")
@roles("analyste")
def test_run(instance_id: int):
    view = _run_or_404(instance_id)
    runtime = services().runtime
    workflow = runtime.workflow_of(db(), view.instance)
    offset = timedelta(seconds=view.run.clock_offset_seconds)
    filename, xml = diagram_xml(runtime, db(), view.instance.process_version)
    tasks = db().scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                 HumanTask.status == "open")
                         .order_by(HumanTask.id)).all()
    history = db().execute(select(AuditLog, User).outerjoin(User, User.id == AuditLog.user_id)
                           .where(AuditLog.instance_id == instance_id)
                           .order_by(AuditLog.at, AuditLog.id)).all()
    incidents = db().scalars(select(Incident).where(Incident.instance_id == instance_id,
                                                    Incident.resolved_at.is_(None))).all()
    return render_template(
        "studio/test_run.html", view=view, tasks=tasks, history=history, incidents=incidents,
        timers=waiting_timers(workflow, offset), messages=waiting_messages(workflow),
        variables=dict(sorted(current_data(workflow).items())),
        letters=[row for row, _user in history if row.action == "lettre_simulee"],
        diagram={"xml": xml, "states": element_states(workflow),
                 "incidents": [i.element_id for i in incidents if i.element_id],
                 "timers": timer_badges(waiting_timers(workflow, offset))},
        filename=filename, clock_steps=CLOCK_STEPS, action_labels=ACTION_LABELS,
        labels=STATUS_LABELS, offset_days=_days(view.run.clock_offset_seconds))


def _days(seconds: float) -> str:
    """« 2 », « 2,04 »: days the run's clock was moved, as people write it."""
    text = f"{seconds / 86400:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


@bp.route("/essais/<int:instance_id>/taches/<int:task_id>", methods=["GET", "POST"])
@roles("analyste")
def test_run_task(instance_id: int, task_id: int):
    view = _run_or_404(instance_id)
    row = db().get(HumanTask, task_id)
    if row is None or row.instance_id != instance_id:
        abort(404)
    if row.status != "open":
        flash("Cette tâche a déjà été traitée.", "info")
        return redirect(url_for("studio.test_run", instance_id=instance_id), 303)
    runtime = services().runtime
    schema = runtime.form_schema(db(), view.instance.process_version, row.form) \
        if row.form else None
    schema = schema or {"type": "object", "properties": {}}
    values, errors = {}, {}
    if request.method == "POST":
        values, clean, errors = read_submission(schema, request.form, view.now.date())
        if clean is not None:
            try:
                runtime.complete_task(row.id, current_user, clean)
            except FormInvalid as invalid:
                errors = invalid.errors
            except IncidentRaised:
                flash("Une étape a échoué après cette tâche : voyez l'incident.", "error")
                return redirect(url_for("studio.test_run", instance_id=instance_id), 303)
            else:
                flash(f"Tâche « {row.title} » terminée.", "success")
                return redirect(url_for("studio.test_run", instance_id=instance_id), 303)
    form_html = render_form(schema, values, errors, action_url=url_for(
        "studio.test_run_task", instance_id=instance_id, task_id=task_id),
        submit_label="Valider", csrf_token=generate_csrf())
    return render_template("studio/test_run_task.html", view=view, row=row, schema=schema,
                           form_html=form_html, errors=errors), (422 if errors else 200)


@bp.post("/essais/<int:instance_id>/horloge")
@roles("analyste")
def test_run_clock(instance_id: int):
    _run_or_404(instance_id)
    step = request.form.get("avance", "")
    if step in CLOCK_STEPS:
        delta = CLOCK_STEPS[step]
    else:
        try:
            delta = timedelta(days=float(request.form.get("jours") or 0),
                              hours=float(request.form.get("heures") or 0))
        except (ValueError, OverflowError):  # « abc », « nan », « 1e400 », « -9999…9 »
            delta = timedelta(0)
    if delta <= timedelta(0) or delta > timedelta(days=3660):
        flash("Indiquez une avance positive (en jours et/ou en heures).", "error")
        return redirect(url_for("studio.test_run", instance_id=instance_id), 303)
    try:
        fired = services().runtime.shift_timers(instance_id, delta, current_user)
    except IncidentRaised:
        flash("Un minuteur a déclenché une étape qui a échoué : voyez l'incident.", "error")
    except Conflict as err:
        flash(err.message, "error")
    else:
        flash("Horloge de l'essai avancée." + (
            f" Minuteur(s) déclenché(s) : {', '.join(fired)}." if fired else ""), "success")
    return redirect(url_for("studio.test_run", instance_id=instance_id), 303)


@bp.post("/essais/<int:instance_id>/message")
@roles("analyste")
def test_run_message(instance_id: int):
    view = _run_or_404(instance_id)
    name = request.form.get("message", "").strip()
    try:
        payload = json.loads(request.form.get("contenu") or "{}")
    except (ValueError, RecursionError):  # broken, or nested deeper than Python recurses
        payload = None
    if not isinstance(payload, dict):
        flash("Le contenu du message doit être un objet JSON, par exemple {\"piece\": \"ok\"}.",
              "error")
        return redirect(url_for("studio.test_run", instance_id=instance_id), 303)
    try:
        services().runtime.send_message(view.instance.business_key, name, payload,
                                        user_id=current_user.id)
    except Conflict as err:
        flash(err.message, "error")
    except IncidentRaised:
        flash("Le message a déclenché une étape qui a échoué : voyez l'incident.", "error")
    else:
        flash(f"Message « {name} » envoyé.", "success")
    return redirect(url_for("studio.test_run", instance_id=instance_id), 303)


@bp.post("/essais/<int:instance_id>/supprimer")
@roles("analyste")
def test_run_discard(instance_id: int):
    try:
        discard_test_run(services().session_factory, instance_id, current_user)
    except NotFound:
        abort(404)
    flash("Essai supprimé.", "success")
    return redirect(url_for("studio.index"), 303)
