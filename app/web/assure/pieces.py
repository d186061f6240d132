"""The assuré answers a request for missing documents (« complément dossier »). The task
« Fournir les pièces demandées » is listed on the dossier page; it leads here.

Works without JavaScript: « Ajouter » stores the chosen PDF files at once (they are then part
of the dossier; a refused file among several is listed with its reason, the others are kept),
« Retirer » removes one not yet sent, « Envoyer mes documents » completes the « Fournir les
pièces demandées » task with every document added for this request. The decision deadline is
moved back by the time taken to answer, and the page says so; an accusé de réception goes to
the messagerie (app/documents/accuses.py) and the documents sent are listed on the dossier
page.

The sending goes through the one completion door (app/web/shared/completion.py), like the
API's: the documents sent are always those this person added for this request (an id posted
is never taken), and the receipt is posted whichever door was used (`_ecran`).
"""
from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.documents import accuses
from app.documents.courriers_instruction import PIECES
from app.documents.depot import garder_document
from app.documents.formats import date_longue, echeance_fr, taille
from app.documents.uploads import TAILLE_MAX, UploadRefuse, verifier_avis_imposition
from app.engine import screens
from app.engine.clock import PARIS, clock
from app.engine.errors import Conflict, DeadlinePassed, NotFound
from app.engine.next_steps import en_cours
from app.models import AuditLog, Document, Dossier, HumanTask

from ..shared import completion
from ..shared.fichiers import trier_fichiers
from ..shared.security import roles
from ..shared.services import db, release_reads, services
from ..shared.tasks import task_data
from . import pages as assure_pages
from .blueprint import pieces_bp as bp
from .outils import ecran_kind

ECRAN = screens.PIECES  # the `ecran` property of the task in the diagram
KIND = "piece_justificative"
ENVOYEES = "pieces_envoyees"  # audit action of « Envoyer mes documents » (the ids sent)
MAX_DOCUMENTS = 10
ACCUSE_ECHOUE = ("L'accusé de réception n'a pas pu être déposé dans votre messagerie : votre "
                 "envoi est pourtant bien enregistré.")
AIDE_PDF = ("Enregistrez ou numérisez votre document au format PDF (toutes les pages), puis "
            "déposez-le à nouveau.")


@bp.app_template_filter("taille_fichier")
def taille_fichier(octets: int) -> str:
    return taille(octets)


def my_task(task_id: int, ecran: str) -> HumanTask:
    """An assuré task of this person whose diagram shows it on this kind of page (`ecran`
    property); 404 otherwise, so nobody can probe other dossiers."""
    row = db().get(HumanTask, task_id)
    if (row is None or row.role != "assure" or row.assignee_id != current_user.id
            or ecran_kind(row) != ecran):
        abort(404)
    return row


def dossier_of(row: HumanTask) -> Dossier:
    dossier = db().scalar(select(Dossier).where(Dossier.instance_id == row.instance_id))
    if dossier is None:
        abort(404)
    return dossier


def refus_message(nom: str, err: UploadRefuse) -> str:
    """The upload checks speak of the avis d'imposition; here any document is expected."""
    messages = {
        "image": f"« {nom} » est une image, pas un PDF. {AIDE_PDF}",
        "bureautique": f"« {nom} » est un document bureautique ou une archive, pas un PDF. "
                       f"{AIDE_PDF}",
        "pas_pdf": f"« {nom} » n'est pas un PDF. {AIDE_PDF}",
    }
    texte = err.message.replace("votre avis d'imposition", "votre document")
    return messages.get(err.code, f"« {nom} » : {texte}")


def staged(row: HumanTask, owner_id: int | None = None, session=None) -> list[Document]:
    """Documents added for this request (since the task opened), not yet sent; `session`:
    the step's, when its checks run inside it (one connection per request)."""
    return list((session or db()).scalars(select(Document).where(
        Document.instance_id == row.instance_id,
        Document.owner_id == (owner_id if owner_id is not None else current_user.id),
        Document.kind == KIND, Document.created_at >= row.created_at)
        .order_by(Document.id)))


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@roles("assure")
def deposer(task_id: int):
    row = my_task(task_id, ECRAN)
    dossier = dossier_of(row)
    back = url_for("assure.dossier", numero=dossier.numero)
    if row.status != "open":
        flash("Cette demande de pièces est close (documents déjà envoyés ou délai dépassé).",
              "info")
        return redirect(back)
    errors: dict[str, str] = {}
    refuses: list[str] = []
    message = ""
    if request.method == "POST":
        action = request.form.get("action", "")
        message = request.form.get("message_assure", "").strip()[:2000]
        if action == "ajouter":
            errors, refuses = _ajouter(row)
            if not errors:
                return redirect(url_for(".deposer", task_id=row.id))
        elif action.startswith("retirer:"):
            _retirer(row, action.partition(":")[2])
            return redirect(url_for(".deposer", task_id=row.id))
        elif action == "envoyer":
            if not staged(row):
                errors["document"] = "Ajoutez au moins un document avant d'envoyer."
            else:
                errors = _envoyer(row, back)
                if not isinstance(errors, dict):
                    return errors  # sent, or closed meanwhile: back to the dossier
    data = task_data(db(), services().runtime, row)
    return render_template(
        "assure_suivi/pieces.html", row=row, dossier=dossier, errors=errors, message=message,
        refuses=refuses,
        pieces=[PIECES.get(p, p) for p in data.get("pieces_demandees") or []],
        precision=data.get("precision_pieces"), date_limite_reponse=data.get(
            "date_limite_reponse"), documents=staged(row), max_documents=MAX_DOCUMENTS,
        taille_max=TAILLE_MAX // (1024 * 1024), back=back,
        report=(clock.today() - _jour(data.get("date_demande_pieces"))).days,
    ), (422 if errors else 200)


def _delai_decision(avant: date | None, dossier: Dossier) -> str:
    """Say the decision deadline moved only when it did (an answer on the day of the request
    extends it by nothing)."""
    apres = dossier.date_limite_decision
    if apres is None:
        return ""
    if avant is not None and apres != avant:
        return (f"La date limite de décision est reportée du {date_longue(avant)} au "
                f"{date_longue(apres)} : la décision est attendue {echeance_fr(apres)}.")
    return f"La décision reste attendue {echeance_fr(apres)}."


def _jour(value: str | None) -> date:
    return date.fromisoformat(value) if value else clock.today()


def _ajouter(row: HumanTask) -> tuple[dict[str, str], list[str]]:
    """Store every acceptable file chosen at once: a refused one (not a PDF, too large, over
    the limit…) is reported with its reason and never drops the others.
    → (the field's error, one French sentence per refused file)."""
    files = [f for f in request.files.getlist("document") if f and f.filename]
    if not files:
        return {"document": "Choisissez un fichier PDF à ajouter."}, []
    checked, refuses = trier_fichiers(
        files, verifier_avis_imposition, defaut="document.pdf",
        places=MAX_DOCUMENTS - len(staged(row)), refus=refus_message,
        hors_limite=lambda nom: f"« {nom} » n'a pas été ajouté : vous pouvez envoyer au plus "
                                f"{MAX_DOCUMENTS} documents.")
    if checked:
        _stocker(row, checked)
        noms = ", ".join(nom for nom, _c, _i in checked)
        flash(f"Document{'s' if len(checked) > 1 else ''} ajouté{'s' if len(checked) > 1 else ''}"
              f" : {noms}. Ajoutez les autres pièces, puis cliquez sur « Envoyer mes "
              "documents ».", "success")
    if not refuses:
        return {}, []
    return {"document": " ".join(refuses)}, refuses


def _stocker(row: HumanTask, checked: list) -> None:
    with services().session_factory() as session, session.begin():
        for nom, content, _info in checked:
            garder_document(session, services().store, nom=nom, content=content,
                    content_type="application/pdf", kind=KIND, owner_id=current_user.id,
                    instance_id=row.instance_id, user_id=current_user.id,
                    action="document_depose", element_id=row.element_id)


def _retirer(row: HumanTask, ident: str) -> None:
    if not (ident.isascii() and ident.isdigit()):
        abort(400)
    target = next((d for d in staged(row) if d.id == int(ident)), None)
    if target is None:
        abort(404)
    with services().session_factory() as session, session.begin():
        doc = session.get(Document, target.id)
        session.delete(doc)
        session.add(AuditLog(at=clock.now(), user_id=current_user.id,
                             action="document_retire", instance_id=row.instance_id,
                             element_id=row.element_id, details={"document_id": target.id}))
    services().store.delete(target.stored_name)
    flash(f"Document retiré : {target.original_name}.", "info")


def _envoyer(row: HumanTask, back: str):
    """« Envoyer mes documents » through the one completion door: a redirect once sent (or
    closed meanwhile), else the errors to show beside the file field."""
    try:
        sent = completion.complete(row.id, current_user, formdata=request.form)
    except DeadlinePassed:
        flash("Le délai de réponse est dépassé : votre caisse étudie votre demande avec "
              "les éléments dont elle dispose.", "error")
        return redirect(back)
    except Conflict as err:
        flash(err.message, "info")
        return redirect(back)
    if not sent.done:
        return {"document": " ".join(sent.errors.values())}
    for message, category in sent.notes:
        flash(message, category)
    return redirect(back)


def _ecran(ctx: completion.Context) -> completion.Screen:
    """The « pièces » screen, for its page and the API alike: the documents sent are those
    this person added for this request; once sent, the receipt and what the page says."""
    if ctx.dossier is None:
        raise NotFound("Dossier introuvable pour cette tâche.")
    documents = staged(ctx.row, ctx.user.id, ctx.session)
    dossier_id, avant, user_id = ctx.dossier.id, ctx.dossier.date_limite_decision, ctx.user.id

    def after(clean: dict) -> list[tuple[str, str]]:
        db().expire_all()
        updated = db().get(Dossier, dossier_id)
        transmis = ("Vos documents ont été transmis à votre caisse. "
                    + _delai_decision(avant, updated))
        notes = [(transmis, "success")]
        return notes + poster_accuse(updated, accuses.PIECES, {
            "documents": [{"nom": d.original_name, "taille": d.size} for d in documents],
            "message": bool(clean.get("message_assure")), "etapes": _etapes(updated)},
            ENVOYEES, {"documents": [d.id for d in documents]}, user_id)

    return completion.Screen(imposed={"documents_deposes": [
        {"document_id": d.id, "nom": d.original_name} for d in documents]}, after=after)


def _etapes(dossier: Dossier) -> list[dict]:
    """What the dossier is waiting for now (the diagram's names and lanes, no data)."""
    workflow = services().runtime.workflow_of(db(), dossier.instance)
    return [{"libelle": e.libelle, "acteur": e.acteur}
            for e in en_cours(db(), workflow, dossier.instance)]


def poster_accuse(dossier: Dossier, modele: str, data: dict, action: str,
                  details: dict, user_id: int) -> list[tuple[str, str]]:
    """The accusé de réception of what the assuré just sent, in its own transaction with the
    audit row of the sending (`action`). What was sent is already recorded: a failure here
    is logged and said, never turned into an error page. → what the page says about it."""
    now = clock.now()
    release_reads()  # its own transaction takes the connection the page's reads held
    try:
        with services().session_factory() as session, session.begin():
            message = accuses.envoyer(
                session, services().store, dossier.instance_id, modele,
                {**data, "recu_le": now.astimezone(PARIS).isoformat()},
                today=clock.today, now=clock.now)
            session.flush()
            session.add(AuditLog(at=now, user_id=user_id, action=action,
                                 instance_id=dossier.instance_id,
                                 details={**details, "message_id": message.id}))
    except Exception:  # the sending itself is committed: only the receipt failed
        current_app.logger.exception("accusé de réception non envoyé (%s)", dossier.numero)
        return [(ACCUSE_ECHOUE, "warning")]
    return [("Un accusé de réception a été déposé dans votre messagerie.", "info")]


def documents_envoyes(dossier: Dossier) -> dict:
    """The documents the assuré sent in answer to requests for documents, with when they
    were sent (a file added but never sent is not listed: the caisse did not receive it)."""
    rows = db().scalars(select(AuditLog).where(
        AuditLog.instance_id == dossier.instance_id, AuditLog.action == ENVOYEES)
        .order_by(AuditLog.at, AuditLog.id)).all()
    envoye_le = {ident: row.at for row in rows for ident in row.details.get("documents", [])}
    if not envoye_le:
        return {"pieces_envoyees": []}
    documents = db().scalars(select(Document).where(
        Document.id.in_(envoye_le), Document.owner_id == dossier.assure_id)
        .order_by(Document.id)).all()
    return {"pieces_envoyees": [(d, envoye_le[d.id]) for d in documents]}


completion.register_screen(completion.screen_kind(ECRAN), _ecran)
assure_pages.TASK_PAGES[ECRAN] = "assure_pieces.deposer"
assure_pages.DOSSIER_CONTEXT.append(documents_envoyes)
