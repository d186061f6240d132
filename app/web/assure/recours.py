"""The assuré contests a refusal (or a rejet implicite) online, within the contest delay.

`contester` is the page of the « Contester la décision » task, the assuré task whose diagram
gives it the page kind `ecran=contestation` (medical dispute → CMRA, administrative → CRA).
`contestation` is the entry point from the dossier page: it leads to the task while it is
open, and otherwise says why a contest is no longer possible (delay expired on such date,
recours already under way, nothing to contest).
"""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.domain import coordonnees_recours, echeance
from app.engine import screens
from app.engine.clock import PARIS, clock
from app.engine.errors import Conflict
from app.forms import parse_submission, render_form, validate
from app.models import Dossier, HumanTask

from ..shared.security import roles
from ..shared.services import db, services
from ..shared.tasks import task_data
from . import pages as assure_pages
from .blueprint import recours_bp as bp
from .outils import ecran_kind
from .pieces import _due_timers_first, dossier_of, my_task

ECRAN = screens.CONTESTATION  # the `ecran` property of the task in the diagram
CONTESTABLES = ("refus", "rejet_implicite")


def _open_task(dossier: Dossier) -> HumanTask | None:
    """The open contest task of this dossier (the one its diagram shows as `contestation`)."""
    rows = db().scalars(select(HumanTask).where(
        HumanTask.instance_id == dossier.instance_id, HumanTask.status == "open",
        HumanTask.assignee_id == current_user.id).order_by(HumanTask.id))
    return next((row for row in rows if ecran_kind(row) == ECRAN), None)


def date_limite_contestation(dossier: Dossier) -> date | None:
    """Last day to contest: the contest delay from the day the decision was notified."""
    if dossier.decision_at is None:
        return None
    return echeance("contestation", dossier.decision_at.astimezone(PARIS).date())


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@roles("assure")
def contester(task_id: int):
    row = my_task(task_id, ECRAN)
    dossier = dossier_of(row)
    if row.status != "open":
        return redirect(url_for(".contestation", numero=dossier.numero))
    runtime = services().runtime
    schema = runtime.form_schema(db(), row.instance.process_version, row.form)
    data = task_data(db(), runtime, row)
    values, errors = {}, {}
    if request.method == "POST":
        raw = parse_submission(schema, request.form)
        clean, errors = validate(schema, raw, clock.today())
        if not errors:
            if not _due_timers_first(row):
                flash("Le délai pour contester cette décision a expiré : votre contestation "
                      "n'a pas pu être enregistrée.", "error")
                return redirect(url_for(".contestation", numero=dossier.numero))
            try:
                runtime.complete_task(row.id, current_user, clean)
            except Conflict as err:
                flash(err.message, "info")
                return redirect(url_for(".contestation", numero=dossier.numero))
            commission = ("commission médicale de recours amiable (CMRA)"
                          if clean["nature_contestation"] == "medicale"
                          else "commission de recours amiable (CRA)")
            flash(f"Votre réclamation a été transmise à la {commission}. Vous recevrez sa "
                  "décision dans votre messagerie.", "success")
            return redirect(url_for("assure.dossier", numero=dossier.numero))
        values = raw
    form = render_form(schema, values, errors, action_url=url_for(".contester", task_id=row.id),
                       submit_label="Envoyer ma contestation", csrf_token=generate_csrf())
    return render_template(
        "assure_suivi/contester.html", dossier=dossier, form=form, errors=errors,
        decision=data.get("issue_instruction"), motifs=data.get("motifs_refus") or [],
        date_limite=data.get("date_limite_contestation"),
        recours=coordonnees_recours(dossier.caisse_code),
        back=url_for("assure.dossier", numero=dossier.numero)), (422 if errors else 200)


@bp.get("/dossier/<numero>")
@roles("assure")
def contestation(numero: str):
    dossier = db().scalar(select(Dossier).where(Dossier.numero == numero))
    if dossier is None or dossier.assure_id != current_user.id:
        abort(404)
    row = _open_task(dossier)
    if row is not None:
        return redirect(url_for(".contester", task_id=row.id))
    limite = date_limite_contestation(dossier)
    if dossier.statut in CONTESTABLES and limite is not None:
        raison = "expire"
    elif dossier.statut == "recours":
        raison = "en_cours"
    else:
        raison = "rien"
    return render_template("assure_suivi/contestation_impossible.html", dossier=dossier,
                           raison=raison, limite=limite,
                           back=url_for("assure.dossier", numero=dossier.numero))


def dossier_actions(dossier: Dossier) -> list[tuple[str, str]]:
    """« Contester la décision » once the contest task is gone (its page says why); while
    it is open, the dossier page lists the task itself."""
    if dossier.statut in CONTESTABLES and _open_task(dossier) is None:
        return [("Contester la décision",
                 url_for("assure_recours.contestation", numero=dossier.numero))]
    return []


assure_pages.TASK_PAGES[ECRAN] = "assure_recours.contester"
assure_pages.DOSSIER_ACTIONS.append(dossier_actions)
