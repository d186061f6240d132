"""The assuré contests a refusal (or a rejet implicite) online, within the contest delay.

`contester` is the page of the « Contester la décision » task, the assuré task whose diagram
gives it the page kind `ecran=contestation` (medical dispute → CMRA, administrative → CRA).
`contestation` is the entry point from the dossier page: it leads to the task while it is
open, and otherwise says why a contest is no longer possible (delay expired on such date,
recours already under way, nothing to contest, dossier closed by the caisse).

The assuré may attach documents to the contestation (PDF, JPEG or PNG, the messagerie's
checks): « Joindre ces fichiers » stores the acceptable ones at once, a refused file is named
with its reason and never drops the others, « Retirer » removes one; the text typed so far is
kept, and files still chosen when « Envoyer ma contestation » is clicked are joined first.
The documents go with the claim (`documents_contestation`) to the commission; those of a
medical contestation are under the secret médical (CMRA's médecins only).

Once sent, an accusé de réception (listing the documents) goes to the messagerie and the dossier page shows the
commission, its deadline and the day from which its silence means rejection, as the recours
process recorded them (`reclamation`); after a dossier closed by the caisse (supervision
« Terminer ») the page says so (`arret`) instead of a deadline or an expired delay.
"""
from __future__ import annotations

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.documents import accuses
from app.documents.depot import garder_document
from app.documents.formats import date_longue
from app.documents.letters import COMMISSIONS
from app.documents.pieces_jointes import ACCEPT, FORMATS, verifier_piece_jointe
from app.documents.uploads import TAILLE_MAX
from app.domain import coordonnees_recours, echeance, moment_echeance
from app.engine import screens
from app.engine.clock import PARIS, clock
from app.engine.errors import Conflict, DeadlinePassed, NotFound
from app.engine.lifecycle import statut_avant_arret
from app.forms import parse_submission, render_form, validate
from app.models import AuditLog, Document, Dossier, HumanTask
from app.models.user import MEDICAL_DOCUMENT_KINDS

from ..shared import completion
from ..shared.fichiers import trier_fichiers
from ..shared.security import roles
from ..shared.services import db, services
from ..shared.tasks import task_data
from . import pages as assure_pages
from .blueprint import recours_bp as bp
from .outils import ecran_kind
from .pieces import dossier_of, my_task, poster_accuse

ECRAN = screens.CONTESTATION  # the `ecran` property of the task in the diagram
CONTESTABLES = ("refus", "rejet_implicite")
ENVOYEE = "contestation_envoyee"  # audit action of « Envoyer ma contestation »
KIND = "piece_contestation"  # a document attached to a contestation
KIND_MEDICAL = MEDICAL_DOCUMENT_KINDS[0]  # … to a medical one, once sent (secret médical)
MAX_DOCUMENTS = 10
JOINDRE, RETIRER = "joindre", "retirer:"  # the page's own `_action` buttons


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
    values, errors, refuses = {}, {}, []
    if request.method == "POST":
        action = request.form.get("_action", "")
        values = parse_submission(schema, request.form)
        if action.startswith(RETIRER):
            _retirer(row, action.removeprefix(RETIRER))
        elif _fichiers_choisis():
            # Files still chosen when sending are joined first: never lost silently.
            refuses = _joindre(row)
            errors = {"document": " ".join(refuses)} if refuses else {}
        elif action == JOINDRE:
            errors = {"document": f"Choisissez un fichier {FORMATS} à joindre."}
        envoyer = action != JOINDRE and not action.startswith(RETIRER)
        if envoyer:
            _clean, invalid = validate(schema, values, clock.today())
            if not (errors or invalid):
                sent = _envoyer(row, dossier)
                if not isinstance(sent, dict):
                    return sent
                invalid = sent
            errors = {**invalid, **errors}
    form = render_form(schema, values, errors, action_url=url_for(".contester", task_id=row.id),
                       submit_label="Envoyer ma contestation", csrf_token=generate_csrf())
    return render_template(
        "assure_suivi/contester.html", dossier=dossier,
        form=_avec_pieces(form, row, refuses, errors.get("document")),
        errors=errors, decision=data.get("issue_instruction"),
        motifs=data.get("motifs_refus") or [], date_limite=data.get("date_limite_contestation"),
        recours=coordonnees_recours(dossier.caisse_code),
        back=url_for("assure.dossier", numero=dossier.numero)), (422 if errors else 200)


def _envoyer(row: HumanTask, dossier: Dossier):
    """« Envoyer ma contestation » through the one completion door (as the API): a redirect
    once sent (or impossible), else the form's errors."""
    try:
        sent = completion.complete(row.id, current_user, formdata=request.form)
    except DeadlinePassed:
        flash("Le délai pour contester cette décision a expiré : votre contestation "
              "n'a pas pu être enregistrée.", "error")
        return redirect(url_for(".contestation", numero=dossier.numero))
    except Conflict as err:
        flash(err.message, "info")
        return redirect(url_for(".contestation", numero=dossier.numero))
    if not sent.done:
        return sent.errors
    for message, category in sent.notes:
        flash(message, category)
    return redirect(url_for("assure.dossier", numero=dossier.numero))


def _ecran(ctx: completion.Context) -> completion.Screen:
    """The contest screen, for its page and the API alike: the documents joined are those
    this person added to this contestation (sent with the claim); once sent, those of a
    medical one fall under the secret médical, and the receipt is posted."""
    if ctx.dossier is None:
        raise NotFound("Dossier introuvable pour cette tâche.")
    documents = pieces_jointes(ctx.row, ctx.user.id, ctx.session)
    dossier_id, contestee, user_id = ctx.dossier.id, ctx.dossier.statut, ctx.user.id

    def after(clean: dict) -> list[tuple[str, str]]:
        if clean.get("nature_contestation") == "medicale" and documents:
            _classer_medical(documents)
        return _accuser(dossier_id, contestee, clean, documents, user_id)

    return completion.Screen(extras=lambda clean: {"documents_contestation": [
        {"document_id": d.id, "nom": d.original_name} for d in documents]}, after=after)


# ----- documents attached to the contestation -------------------------------------------
def pieces_jointes(row: HumanTask, owner_id: int | None = None,
                   session=None) -> list[Document]:
    """Documents joined to this contestation (since its task opened), not yet sent;
    `session`: the step's, when its checks run inside it (one connection per request)."""
    return list((session or db()).scalars(select(Document).where(
        Document.instance_id == row.instance_id,
        Document.owner_id == (owner_id if owner_id is not None else current_user.id),
        Document.kind == KIND, Document.created_at >= row.created_at).order_by(Document.id)))


def _fichiers_choisis() -> list:
    return [f for f in request.files.getlist("document") if f and f.filename]


def _joindre(row: HumanTask) -> list[str]:
    """Store every acceptable file chosen: a refused one is named with its reason (one
    French sentence each) and never drops the others."""
    files = _fichiers_choisis()
    checked, refuses = trier_fichiers(
        files, verifier_piece_jointe, defaut="document.pdf",
        places=MAX_DOCUMENTS - len(pieces_jointes(row)),
        hors_limite=lambda nom: f"« {nom} » n'a pas été joint : vous pouvez joindre au plus "
                                f"{MAX_DOCUMENTS} documents.")
    if checked:
        _stocker(row, checked)
        flash("Joint à votre contestation : " + ", ".join(n for n, _c, _t in checked) + ".",
              "success")
    return refuses


def _stocker(row: HumanTask, checked: list) -> None:
    with services().session_factory() as session, session.begin():
        for nom, content, content_type in checked:
            garder_document(session, services().store, nom=nom, content=content,
                    content_type=content_type, kind=KIND, owner_id=current_user.id,
                    instance_id=row.instance_id, user_id=current_user.id,
                    action="document_depose", element_id=row.element_id)


def _retirer(row: HumanTask, ident: str) -> None:
    target = next((d for d in pieces_jointes(row) if str(d.id) == ident), None)
    if target is None:
        abort(404)
    with services().session_factory() as session, session.begin():
        session.delete(session.get(Document, target.id))
        session.add(AuditLog(at=clock.now(), user_id=current_user.id,
                             action="document_retire", instance_id=row.instance_id,
                             element_id=row.element_id, details={"document_id": target.id}))
    services().store.delete(target.stored_name)
    flash(f"Document retiré : {target.original_name}.", "info")


def _classer_medical(documents: list[Document]) -> None:
    """The documents of a medical contestation fall under the secret médical."""
    with services().session_factory() as session, session.begin():
        for document in documents:
            session.get(Document, document.id).kind = KIND_MEDICAL


def _avec_pieces(form: Markup, row: HumanTask, refuses: list[str], erreur: str | None) -> Markup:
    """The contest form with its attachments: multipart, the files block before the
    buttons, and Enter still sending the contestation (first submit button of the form)."""
    bloc = render_template("assure_suivi/_pieces_contestation.html", refuses=refuses,
                           erreur=erreur,
                           documents=pieces_jointes(row), max_documents=MAX_DOCUMENTS,
                           accept=ACCEPT, taille_max=TAILLE_MAX // (1024 * 1024))
    html = str(form)
    defaut = ('<button type="submit" name="_action" value="submit" class="fr-sr-only" '
              'tabindex="-1" aria-hidden="true">Envoyer ma contestation</button>')
    html = html.replace("<form method=\"post\"", "<form method=\"post\" "
                        "enctype=\"multipart/form-data\"", 1)
    start = html.index(">", html.index("<form")) + 1
    html = html[:start] + defaut + html[start:]
    buttons = html.rindex('<ul class="fr-btns-group')
    return Markup(html[:buttons] + bloc + html[buttons:])


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


def _accuser(dossier_id: int, contestee: str, clean: dict, documents: list[Document],
             user_id: int) -> list[tuple[str, str]]:
    """After « Envoyer ma contestation »: post its receipt; → what the page says (where the
    claim went, the receipt)."""
    db().expire_all()
    updated = db().get(Dossier, dossier_id)
    claim = reclamation(updated) if updated.statut == "recours" else None
    if claim is not None:
        said = (f"Votre réclamation a été transmise à la {claim['libelle']}, qui doit se "
                f"prononcer au plus tard le {date_longue(claim['limite'])}. Vous recevrez sa "
                "décision dans votre messagerie.")
    else:
        said = ("Votre contestation a été enregistrée. La réponse de la commission vous est "
                "envoyée dans votre messagerie.")
    data = {"nature": clean.get("nature_contestation"),
            "motifs": clean.get("motifs_contestation"), "decision": contestee,
            "documents": [{"nom": d.original_name, "taille": d.size} for d in documents]}
    if claim is not None:
        data.update(commission=claim["commission"],
                    date_limite_commission=claim["limite"].isoformat())
    return [(said, "success")] + poster_accuse(
        updated, accuses.CONTESTATION, data, ENVOYEE,
        {"commission": claim["commission"] if claim else None,
         "documents": [d.id for d in documents]}, user_id)


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
    statut = statut_avant_arret(db(), instance.id) or dossier.statut
    limite = date_limite_contestation(dossier) if statut in CONTESTABLES else None
    return {"le": instance.ended_at, "statut": statut,
            "decision": statut in (*CONTESTABLES, "accord"),
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


completion.register_screen(completion.screen_kind(ECRAN), _ecran)
assure_pages.TASK_PAGES[ECRAN] = "assure_recours.contester"
assure_pages.DOSSIER_ACTIONS.append(dossier_actions)
assure_pages.DOSSIER_CONTEXT.append(suivi_recours)
