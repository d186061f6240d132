"""Task page of the back office (dossier summary, documents, history, the step's panel and
its form), the staff view of a dossier, and document download.

Secret médical: the médecin-conseil's constatations and notes are shown to médecins-conseils
only (`medical_details` is never computed for another role); agents see the category and
the outcome (`avis_medical`), which is all the process hands them.
"""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.engine.errors import DeadlinePassed, NotFound
from app.forms import render_form
from app.models import AuditLog, Caisse, Document, Dossier, HumanTask, Message, User
from app.models.user import MEDICAL_DOCUMENT_KINDS, MEDICAL_ROLES

from ..shared import completion, telechargement
from ..shared import tasks as shared_tasks
from ..shared.security import roles
from ..shared.services import audit, db, services
from . import panneaux
from .blueprint import bp
from .dossiers import documents_du_dossier, dossier_de_tache, dossier_par_numero
from .routes import IDENTIFIANT, STAFF_ROLES, claimed_or_free, staff_may_see, task_or_403

MEDICAL_FIELDS = (("date_examen", "Date de l'examen"), ("capacite_reduite",
                  "Capacité réduite d'au moins deux tiers"), ("categorie", "Catégorie"),
                  ("tierce_personne", "Besoin d'une tierce personne"),
                  ("date_constat", "Date du constat médical"),
                  ("constatations", "Constatations de l'examen"),
                  ("notes_medicales", "Notes médicales"))


def _panel_checks(task_spec, dossier: Dossier | None, data: dict, session) -> panneaux.Panel:
    """The panel's checks and extras, for the one completion path (pages and API)."""
    if dossier is None:
        raise NotFound("Dossier introuvable pour cette tâche.")
    return panneaux.panel_for(task_spec, dossier, data, session)


completion.register_checks(panneaux.panel_kind, _panel_checks)


def workflow_of(session, instance):
    return shared_tasks.workflow_of(session, services().runtime, instance)


def task_data(session, row: HumanTask) -> dict:
    return shared_tasks.task_data(session, services().runtime, row)


def last_data(session, dossier: Dossier) -> dict:
    """The most recent data of the dossier's process (for a dossier with no open task)."""
    workflow = workflow_of(session, dossier.instance)
    tasks = [t for t in workflow.get_tasks(state=TaskState.COMPLETED | TaskState.READY
                                           | TaskState.WAITING)]
    if not tasks:
        return {}
    return dict(max(tasks, key=lambda t: t.last_state_change).data)


def may_read(document: Document) -> bool:
    """Secret médical: the documents of a medical contestation, for medical roles only."""
    return document.kind not in MEDICAL_DOCUMENT_KINDS or current_user.role in MEDICAL_ROLES


def medical_details(session, dossier: Dossier) -> list[dict]:
    """Every exam recorded for this dossier: médecins-conseils only."""
    if current_user.role not in MEDICAL_ROLES:
        return []
    workflow = workflow_of(session, dossier.instance)
    exams = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)
             if panneaux.panel_kind(t.task_spec) == panneaux.PANNEAU_EXAMEN]
    out = []
    for exam in sorted(exams, key=lambda t: t.last_state_change):
        out.append([(label, exam.data.get(key)) for key, label in MEDICAL_FIELDS
                    if exam.data.get(key) not in (None, "")])
    return out


def history(session, dossier: Dossier) -> list[dict]:
    """Audit trail of the dossier in French, oldest first (no medical content)."""
    rows = session.scalars(select(AuditLog).where(AuditLog.instance_id == dossier.instance_id)
                           .order_by(AuditLog.at, AuditLog.id)).all()
    names = {u.id: u.nom_complet for u in session.scalars(select(User).where(
        User.id.in_({r.user_id for r in rows if r.user_id})))} if rows else {}
    noms = panneaux.noms_elements(session, dossier) if rows else {}
    labels = [(r, panneaux.libelle_audit(r, noms)) for r in rows]
    return [{"at": r.at, "qui": names.get(r.user_id, "Système" if r.user_id is None else ""),
             "quoi": label} for r, label in labels if label]


def dossier_context(session, dossier: Dossier, data: dict) -> dict:
    caisse = session.get(Caisse, dossier.caisse_code) if dossier.caisse_code else None
    return {
        "dossier": dossier,
        "assure": dossier.assure,
        "caisse": caisse,
        "statut": panneaux.STATUTS.get(dossier.statut, dossier.statut),
        "documents": [d for d in documents_du_dossier(session, dossier,
                                                      data.get("avis_imposition"))
                      if may_read(d)],
        "demande": panneaux.demande_sections(session, dossier, data),
        "avis_medical": data.get("avis_medical"),
        "calcul": data.get("calcul"),
        "historique": history(session, dossier),
        "courriers": session.scalars(select(Message).where(
            Message.instance_id == dossier.instance_id).order_by(Message.id)).all(),
        "examens": medical_details(session, dossier),
    }


@bp.route("/taches/<int:task_id>", methods=["GET", "POST"])
@roles("agent", "medecin_conseil", "cra", "cmra")
def tache(task_id: int):
    row = task_or_403(task_id)
    session = db()
    dossier = dossier_de_tache(session, row)
    if dossier is None:
        abort(404)
    if row.status != "open":
        flash("Cette tâche a déjà été traitée.", "info")
        return redirect(url_for("agent.dossier", numero=dossier.numero))
    runtime = services().runtime
    schema = runtime.form_schema(session, row.instance.process_version, row.form) \
        if row.form else None
    values, errors = None, {}
    if request.method == "POST" and schema is not None:
        if not claimed_or_free(row):
            abort(403)
        version = request.form.get("version", "")
        try:  # the one completion path of pages and API (app/web/shared/completion.py)
            sent = completion.complete(row.id, current_user, formdata=request.form,
                                       version=int(version) if IDENTIFIANT.fullmatch(version)
                                       else None)
        except DeadlinePassed as late:
            flash(late.message, "error")
            return redirect(url_for("agent.dossier", numero=dossier.numero))
        if sent.done:
            flash(f"« {row.title} » : c'est fait pour le dossier {dossier.numero}.", "success")
            return redirect(url_for("agent.inbox"))
        values, errors = sent.values, sent.errors
    # The page (a GET, or a refused submission shown again): the task's data and its panel;
    # a submission that goes through never reads them (the step has its own).
    task_spec, data = shared_tasks.task_spec_and_data(session, runtime, row)
    panel = panneaux.panel_for(task_spec, dossier, data, session)
    if values is None:
        values = panel.initial
    form_html = Markup("")
    if schema is not None:
        html = str(render_form(schema, values, errors,
                               action_url=url_for("agent.tache", task_id=row.id),
                               submit_label=panel.submit_label, csrf_token=generate_csrf()))
        # The instance version the page was built on: a concurrent change → clear 409.
        hidden = f'<input type="hidden" name="version" value="{row.instance.lock_version}">'
        form_html = Markup(html.replace('<input type="hidden" name="csrf_token"',
                                        hidden + '<input type="hidden" name="csrf_token"', 1))
    context = dossier_context(session, dossier, data)
    return render_template(
        "agent/tache.html", row=row, panel=panel, form_html=form_html, errors=errors,
        claimed_by=session.get(User, row.claimed_by_id) if row.claimed_by_id else None,
        **context), (422 if errors else 200)


@bp.get("/dossiers/<numero>")
@roles("agent", "medecin_conseil", "cra", "cmra")
def dossier(numero: str):
    session = db()
    row = dossier_par_numero(session, numero)
    if row is None or row.instance.sandbox:
        abort(404)
    if not staff_may_see(row):
        abort(403)
    taches = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == row.instance_id, HumanTask.status == "open",
        HumanTask.role.in_(STAFF_ROLES)).order_by(HumanTask.id)).all()
    data = last_data(session, row)
    # ----- chronologie: told from the instance's history (app/engine/history.py) -----
    from app.engine.history import chronologie

    entrees = chronologie(session, services().runtime, row.instance, audience="agent",
                          decision_labels=panneaux.STATUTS)
    # ----- end of chronologie -----
    return render_template("agent/dossier.html", taches=taches, chronologie=entrees,
                           **dossier_context(session, row, data))


@bp.get("/documents/<int:document_id>")
@roles("agent", "medecin_conseil", "cra", "cmra")
def document(document_id: int):
    """A document of a dossier of my caisse, always as an attachment (never inline)."""
    session = db()
    doc = session.get(Document, document_id)
    if doc is None:
        abort(404)
    owner = _dossier_of_document(session, doc)
    if not staff_may_see(owner) or not may_read(doc):
        abort(403)
    from app.documents.outbox import contenu_document  # a letter's PDF is made on first read

    data = contenu_document(services().session_factory, services().store, doc)
    audit("document_consulte", {"document_id": doc.id, "kind": doc.kind},
          instance_id=owner.instance_id)
    return telechargement.document(data, doc.content_type, doc.original_name)


def _dossier_of_document(session, doc: Document) -> Dossier | None:
    if doc.instance_id is not None:
        return session.scalar(select(Dossier).where(Dossier.instance_id == doc.instance_id))
    # An upload stored before its dossier existed: the assuré's dossier naming it.
    for row in session.scalars(select(Dossier).where(Dossier.assure_id == doc.owner_id)):
        avis = (last_data(session, row).get("avis_imposition") or {})
        if avis.get("document_id") == doc.id:
            return row
    return None

