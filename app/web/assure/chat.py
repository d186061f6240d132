"""ameliBot: a conversation is an instance of processes/triage_amelibot.bpmn.

The diagram asks the questions (its user tasks and their forms) and writes the transcript
(`echanges`, kept in the instance for the superviseur); this page only shows the bubbles and
turns the open task's form into quick-reply buttons or a text box. Every answer is a plain
POST and the page is rendered again, so the chat works without JavaScript.

ameliBot is the compulsory way into the online request (téléservice: « L'assuré doit
obligatoirement passer par ameliBot »): a conversation that ends on the request's link opens
the request's pages for this login session (`ORIENTATION` in the Flask session, tied to the
account); see `oriented_to_request`.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.engine.errors import Conflict
from app.engine.parcours import entry_key, version_ids
from app.forms.schema_walk import fields, html_value, options
from app.models import HumanTask, ProcessInstance

from ..shared import completion
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .outils import TRIAGE, draft_of, instance_data, my_instance

# Where the links written by the diagram (`"lien"` of a bot message) lead.
LIENS = {
    "demande": "assure.demande_info",
    "formulaire_papier": "assure.formulaire_papier",
}
ISSUE_DEMANDE = "demande"  # the `issue` the diagram writes when it offers the online request
ORIENTATION = "amelibot_demande"  # session key: the account ameliBot led to the request


def oriented_to_request() -> bool:
    """ameliBot led this account to the online request during this login session."""
    return session.get(ORIENTATION) == current_user.id


def detour_to_amelibot():
    """ameliBot is compulsory to start the online request: without a draft to resume, the
    request's pages open only once a conversation led there in this session; otherwise the
    assuré is sent to ameliBot (a redirect; None when the way is open)."""
    if draft_of(current_user.id) is not None or oriented_to_request():
        return None
    flash("Pour demander une pension d'invalidité en ligne, commencez par ameliBot : il "
          "vérifie avec vous que la demande en ligne correspond à votre situation.", "info")
    return redirect(url_for(".amelibot"), 303)


def forget_orientation() -> None:
    """One orientation opens one request: once it is started, the next needs ameliBot."""
    session.pop(ORIENTATION, None)


def _remember_orientation(instance: ProcessInstance) -> None:
    db().refresh(instance)
    if instance.status == "completed" and instance_data(instance).get("issue") == ISSUE_DEMANDE:
        session[ORIENTATION] = current_user.id


def _running_conversation() -> ProcessInstance | None:
    return db().scalar(select(ProcessInstance).where(
        ProcessInstance.owner_id == current_user.id, ProcessInstance.process_version_id.in_(version_ids(TRIAGE)),
        ProcessInstance.status == "running", ProcessInstance.sandbox.is_(False))
        .order_by(ProcessInstance.id.desc()).limit(1))


@bp.get("/amelibot")
@roles("assure")
def amelibot():
    running = _running_conversation()
    if running is not None:
        return redirect(url_for(".amelibot_conversation", instance_id=running.id))
    return render_template("assure/amelibot.html", instance=None, echanges=[], question=None,
                           errors={}, csrf=generate_csrf(), liens=LIENS)


@bp.post("/amelibot/nouvelle")
@roles("assure")
def amelibot_nouvelle():
    """Start a conversation; one left half-way is closed first (one at a time)."""
    runtime = services().runtime
    for old in db().scalars(select(ProcessInstance).where(
            ProcessInstance.owner_id == current_user.id, ProcessInstance.process_version_id.in_(version_ids(TRIAGE)),
            ProcessInstance.status == "running", ProcessInstance.sandbox.is_(False))):
        try:
            runtime.set_status(old.id, "terminated", current_user,
                               "Conversation recommencée par l'assuré")
        except Conflict:
            pass  # ended meanwhile
    instance_id = runtime.start(entry_key(db(), TRIAGE), user_id=current_user.id, owner_id=current_user.id)
    return redirect(url_for(".amelibot_conversation", instance_id=instance_id), 303)


@bp.route("/amelibot/<int:instance_id>", methods=["GET", "POST"])
@roles("assure")
def amelibot_conversation(instance_id: int):
    instance = my_instance(instance_id, TRIAGE)
    row = db().scalar(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == "open",
        HumanTask.assignee_id == current_user.id).order_by(HumanTask.id.desc()).limit(1))
    errors: dict[str, str] = {}
    status = 200
    schema = _schema(row) if row else None
    if request.method == "POST":
        if row is None or parse_id(request.form.get("tache")) != row.id:
            return redirect(url_for(".amelibot_conversation", instance_id=instance.id), 303)
        try:  # the one completion door of pages and API (app/web/shared/completion.py)
            errors = completion.complete(row.id, current_user, formdata=request.form,
                                         version=parse_id(request.form.get("version"))).errors
        except Conflict:
            pass  # already answered (double click): show the conversation as it is
        if not errors:
            _remember_orientation(instance)
            return redirect(url_for(".amelibot_conversation", instance_id=instance.id,
                                    _anchor="derniere-reponse"), 303)
        status = 422
    data = instance_data(instance, row)
    question = _question(schema, row) if row else None
    return render_template("assure/amelibot.html", instance=instance,
                           echanges=data.get("echanges") or [], question=question,
                           issue=data.get("issue") or "", errors=errors,
                           csrf=generate_csrf(), liens=LIENS), status


def _schema(row: HumanTask) -> dict:
    return services().runtime.form_schema(db(), row.instance.process_version, row.form) or {}


def _question(schema: dict, row: HumanTask) -> dict:
    """The open task as a chat widget: quick replies for a choice, else a text box."""
    field = fields(schema, schema)[0]
    widget = {"task_id": row.id, "version": row.instance.lock_version, "name": field.name,
              "id": field.id, "label": field.label}
    if field.kind in ("radios", "select", "ouinon", "checkbox"):
        widget["kind"] = "choix"
        widget["options"] = [(html_value(v), label) for v, label, _h in
                             options(schema, field.schema)]
    else:
        widget["kind"] = "texte"
        widget["maxlength"] = field.schema.get("maxLength")
    return widget
