"""The assuré contests a refusal (or a rejet implicite) online, within the contest delay.

`contester` is the page of the « Contester la décision » task, the assuré task whose diagram
gives it the page kind `ecran=contestation` (medical dispute → CMRA, administrative → CRA).
`contestation` is the entry point from the dossier page: it leads to the task while it is
open, and otherwise says why a contest is no longer possible (delay expired on such date,
recours already under way, nothing to contest, dossier closed by the caisse).

Once sent, an accusé de réception goes to the messagerie and the dossier page shows the
commission, its deadline and the day from which its silence means rejection, as the recours
process recorded them (`reclamation`); after a dossier closed by the caisse (supervision
« Terminer ») the page says so (`arret`) instead of a deadline or an expired delay.
"""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.documents import accuses
from app.documents.formats import date_longue
from app.documents.letters import COMMISSIONS
from app.domain import coordonnees_recours, echeance, moment_echeance
from app.engine import screens
from app.engine.clock import PARIS, clock
from app.engine.errors import Conflict
from app.forms import parse_submission, render_form, validate
from app.models import AuditLog, Dossier, HumanTask

from ..shared.security import roles
from ..shared.services import db, services
from ..shared.tasks import task_data
from . import pages as assure_pages
from .blueprint import recours_bp as bp
from .outils import ecran_kind
from .pieces import _due_timers_first, dossier_of, my_task, poster_accuse

ECRAN = screens.CONTESTATION  # the `ecran` property of the task in the diagram
CONTESTABLES = ("refus", "rejet_implicite")
ENVOYEE = "contestation_envoyee"  # audit action of « Envoyer ma contestation »


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
            contestee = dossier.statut
            try:
                runtime.complete_task(row.id, current_user, clean)
            except Conflict as err:
                flash(err.message, "info")
                return redirect(url_for(".contestation", numero=dossier.numero))
            _accuser(dossier, contestee, clean)
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
    suivi = suivi_recours(dossier)
    if suivi["arret"] is not None:
        raison = "arrete"  # closed by the caisse: no delay expired, say what happened
    elif dossier.statut in CONTESTABLES and limite is not None and limite < clock.today():
        raison = "expire"
    elif dossier.statut == "recours":
        raison = "en_cours"
    else:
        raison = "rien"
    return render_template("assure_suivi/contestation_impossible.html", dossier=dossier,
                           raison=raison, limite=limite, **suivi,
                           back=url_for("assure.dossier", numero=dossier.numero))


def _accuser(dossier: Dossier, contestee: str, clean: dict) -> None:
    """After « Envoyer ma contestation »: say where the claim went, and post its receipt."""
    db().expire_all()
    updated = db().get(Dossier, dossier.id)
    claim = reclamation(updated) if updated.statut == "recours" else None
    if claim is not None:
        flash(f"Votre réclamation a été transmise à la {claim['libelle']}, qui doit se "
              f"prononcer au plus tard le {date_longue(claim['limite'])}. Vous recevrez sa "
              "décision dans votre messagerie.", "success")
    else:
        flash("Votre contestation a été enregistrée. La réponse de la commission vous est "
              "envoyée dans votre messagerie.", "success")
    data = {"nature": clean.get("nature_contestation"),
            "motifs": clean.get("motifs_contestation"), "decision": contestee}
    if claim is not None:
        data.update(commission=claim["commission"],
                    date_limite_commission=claim["limite"].isoformat())
    poster_accuse(updated, accuses.CONTESTATION, data, ENVOYEE,
                  {"commission": claim["commission"] if claim else None})


def reclamation(dossier: Dossier) -> dict | None:
    """The claim before the commission, as the recours process recorded it in the waiting
    task's data: the commission (CRA or CMRA), the day it was received, the commission's
    last day and the day from which its silence means rejection. None when no commission
    holds a claim of this dossier now."""
    if dossier.instance.status != "running":
        return None
    workflow = services().runtime.workflow_of(db(), dossier.instance)
    for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING):
        data = task.data
        sigle, limite = data.get("recours_commission"), data.get("date_limite_commission")
        if sigle in COMMISSIONS and isinstance(limite, str):
            limite = date.fromisoformat(limite)
            recue = data.get("date_reclamation")
            return {"commission": sigle, "libelle": COMMISSIONS[sigle][0],
                    "silence": COMMISSIONS[sigle][1], "limite": limite,
                    "recue_le": date.fromisoformat(recue) if isinstance(recue, str) else None,
                    # silence means rejection once the last day is over (midnight, Paris)
                    "rejet_le": moment_echeance(limite).date()}
    return None


def arret(dossier: Dossier) -> dict | None:
    """A dossier closed by the caisse (supervision « Terminer »): when, whether a decision
    had been made, and until when that decision may still be contested by letter."""
    instance = dossier.instance
    if instance.status != "terminated":
        return None
    limite = date_limite_contestation(dossier) if dossier.statut in CONTESTABLES else None
    return {"le": instance.ended_at, "statut": dossier.statut,
            "decision": dossier.statut in (*CONTESTABLES, "accord"),
            "limite": limite if limite is not None and limite >= clock.today() else None,
            "recours": coordonnees_recours(dossier.caisse_code)}


def suivi_recours(dossier: Dossier) -> dict:
    """What the dossier page says about contesting (see the module's docstring)."""
    return {"arret": arret(dossier),
            "reclamation": reclamation(dossier) if dossier.statut == "recours" else None}


def _contestation_envoyee(dossier: Dossier) -> bool:
    """A contestation was sent since the decision (even one received too late)."""
    if dossier.decision_at is None:
        return False
    return db().scalar(select(AuditLog.id).where(
        AuditLog.instance_id == dossier.instance_id, AuditLog.action == ENVOYEE,
        AuditLog.at >= dossier.decision_at).limit(1)) is not None


def dossier_actions(dossier: Dossier) -> list[tuple[str, str]]:
    """« Contester la décision » once the contest task is gone (its page says why); while
    it is open, the dossier page lists the task itself. Never once a contestation was
    sent, nor for a dossier closed by the caisse (the page says what happened)."""
    if dossier.statut in CONTESTABLES and dossier.instance.status != "terminated" \
            and _open_task(dossier) is None and not _contestation_envoyee(dossier):
        return [("Contester la décision",
                 url_for("assure_recours.contestation", numero=dossier.numero))]
    return []


assure_pages.TASK_PAGES[ECRAN] = "assure_recours.contester"
assure_pages.DOSSIER_ACTIONS.append(dossier_actions)
assure_pages.DOSSIER_CONTEXT.append(suivi_recours)
