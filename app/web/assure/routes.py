"""Pages of the assuré: home, dossiers, tasks, messagerie, documents, personal information.

The request itself lives in `demande.py` (and `demande_extras.py`) and ameliBot in `chat.py`;
they add their routes to this blueprint. Every write goes through the runtime (one transaction per
action) or, for the account and the messagerie, a short transaction with its audit row.
"""
from __future__ import annotations

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from app.engine.clock import clock
from app.engine.errors import Conflict
from app.forms import parse_submission, render_form, validate
from app.forms.dates import display_date
from app.forms.parse import apply_action, submitted_action
from app.models import AuditLog, Dossier, HumanTask, Message, ProcessInstance, User

from ..shared import completion, telechargement
from ..shared.inbox import visible_tasks
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db, services
from . import pages as assure_pages
from .blueprint import bp
from .outils import (
    DEMANDE,
    TRIAGE,
    caisse_pour,
    departement,
    draft_of,
    ecran_kind,
    ensure_caisse,
    is_conversation,
    is_demande_step,
    my_document,
    my_dossier,
    my_task,
    open_tasks,
    submitted_data,
    task_values,
    unread_count,
)

STATUT_LIBELLES = {
    "brouillon": "Demande en cours de saisie (non envoyée)",
    "recue": "Demande reçue",
    "instruction": "En cours d'instruction",
    "pieces_demandees": "Pièces justificatives demandées",
    "examen_medical": "Examen médical",
    "decision": "Décision en préparation",
    "accord": "Pension accordée",
    "refus": "Demande refusée",
    "rejet_implicite": "Demande rejetée (absence de réponse)",
    "recours": "Recours en cours",
    "clos": "Dossier clos",
    "arrete": "Dossier arrêté par la caisse",
}


@bp.app_template_filter("date_jj")
def date_jj(value) -> str:
    """JJ/MM/AAAA, as the téléservice shows birth dates."""
    return display_date(value) if value else ""


@bp.context_processor
def assure_context():
    if current_user.is_authenticated and current_user.role == "assure":
        return {"messages_non_lus": unread_count(current_user.id)}
    return {}


# ----- home ---------------------------------------------------------------------------------
@bp.get("/")
@roles("assure")
def accueil():
    dossiers = db().scalars(select(Dossier).where(Dossier.assure_id == current_user.id)
                            .order_by(Dossier.id.desc())).all()
    # What the caisse waits for from the assuré (documents, answers…): not the chat's
    # questions nor the request's own steps, which have their pages.
    a_faire = [row for row in db().scalars(visible_tasks(current_user))
               if row.instance.process_version.parcours != TRIAGE and not is_conversation(row)
               and not is_demande_step(row)]
    numeros = dict(db().execute(select(Dossier.instance_id, Dossier.numero).where(
        Dossier.assure_id == current_user.id)).all())
    return render_template("assure/accueil.html", dossiers=dossiers, a_faire=a_faire,
                           numeros=numeros, brouillon=draft_of(current_user.id),
                           statuts=STATUT_LIBELLES)


# ----- dossiers -----------------------------------------------------------------------------
@bp.get("/dossiers")
@roles("assure")
def dossiers():
    rows = db().scalars(select(Dossier).where(Dossier.assure_id == current_user.id)
                        .order_by(Dossier.id.desc())).all()
    return render_template("assure/dossiers.html", dossiers=rows, statuts=STATUT_LIBELLES)


@bp.get("/dossiers/<numero>")
@roles("assure")
def dossier(numero: str):
    dossier = my_dossier(numero)
    tasks = open_tasks(dossier.instance_id, current_user.id)
    demande_tasks = [t for t in tasks if is_demande_step(t)]
    other_tasks = [t for t in tasks if t not in demande_tasks]
    messages = db().scalars(select(Message).where(
        Message.instance_id == dossier.instance_id, Message.recipient_id == current_user.id)
        .order_by(Message.created_at.desc(), Message.id.desc())).all()
    avis = None
    en_ligne = dossier.instance.process_version.parcours == DEMANDE
    if en_ligne and dossier.date_reception:
        data = _submitted_data(dossier)
        avis = (data or {}).get("avis_imposition")
    return render_template(
        "assure/dossier.html", dossier=dossier, statut=STATUT_LIBELLES.get(dossier.statut,
                                                                            dossier.statut),
        timeline=timeline(dossier), demande_tasks=demande_tasks, tasks=other_tasks,
        actions=assure_pages.dossier_actions(dossier), messages=messages, avis=avis,
        en_ligne=en_ligne, **assure_pages.dossier_context(dossier))


def _submitted_data(dossier: Dossier) -> dict | None:
    return submitted_data(dossier)


def timeline(dossier: Dossier) -> list:
    """What happened to a submitted dossier, what is under way and what comes next, told
    from its instance's history and diagram (app/engine/history.py), never from its statut:
    a step that never ran is never shown as done."""
    if dossier.date_reception is None:
        return []
    from app.engine.history import chronologie

    libelles = {**STATUT_LIBELLES,
                "rejet_implicite": "Rejet implicite : pas de décision dans le délai"}
    return chronologie(db(), services().runtime, dossier.instance, audience="assure",
                       decision_labels=libelles)


# ----- a task of the assuré (generic JSON Schema form) ---------------------------------------
@bp.route("/taches/<int:task_id>", methods=["GET", "POST"])
@roles("assure")
def tache(task_id: int):
    row = my_task(task_id)
    dossier = db().scalar(select(Dossier).where(Dossier.instance_id == row.instance_id))
    back = url_for(".dossier", numero=dossier.numero) if dossier else url_for(".accueil")
    if row.status != "open":
        flash("Cette démarche a déjà été faite.", "info")
        return redirect(back)
    page = assure_pages.TASK_PAGES.get(ecran_kind(row) or "")
    if page:
        return redirect(url_for(page, task_id=row.id))
    if is_demande_step(row) and dossier:
        return redirect(url_for(".demande_etape", numero=dossier.numero))
    if row.instance.process_version.parcours == TRIAGE or is_conversation(row):
        return redirect(url_for(".amelibot_conversation", instance_id=row.instance_id))
    schema = _task_schema(row)
    values = task_values(row.instance, row, schema)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = submitted_action(request.form)
        if action:  # « Ajouter » / « Retirer » a row: the page only, nothing completed
            values = apply_action(schema, parse_submission(schema, request.form,
                                                           previous=values), action)
        else:
            try:  # the one completion door of pages and API (app/web/shared/completion.py)
                sent = completion.complete(row.id, current_user, formdata=request.form,
                                           version=parse_id(request.args.get("version")))
            except Conflict as err:
                flash(err.message, "info")
                return redirect(back)
            if sent.done:
                flash(f"« {row.title} » : c'est enregistré.", "success")
                return redirect(back)
            values, errors, status = sent.values, sent.errors, 422
    form = render_form(schema, values, errors, submit_label="Envoyer", csrf_token=generate_csrf(),
                       action_url=url_for(".tache", task_id=row.id,
                                          version=row.instance.lock_version))
    return render_template("assure/tache.html", row=row, dossier=dossier, form=form,
                           errors=errors, schema=schema, back=back), status


def _task_schema(row: HumanTask) -> dict:
    if not row.form:
        return {"type": "object", "properties": {}}
    schema = services().runtime.form_schema(db(), row.instance.process_version, row.form)
    return schema or {"type": "object", "properties": {}}


# ----- documents (always as attachments) -----------------------------------------------------
@bp.get("/documents/<int:document_id>")
@roles("assure")
def document(document_id: int):
    doc = my_document(document_id)
    from app.documents.outbox import contenu_document  # a letter's PDF is made on first read

    data = contenu_document(services().session_factory, services().store, doc)
    return telechargement.document(data, doc.content_type, doc.original_name)


# ----- Mes informations ---------------------------------------------------------------------
INFORMATIONS_SCHEMA = {
    "type": "object",
    "required": ["adresse", "code_postal", "ville"],
    "properties": {
        "adresse": {"type": "string", "title": "Adresse", "maxLength": 255,
                    "description": "Numéro et voie, complément éventuel",
                    "x-autocomplete": "street-address",
                    "x-messages": {"required": "Indiquez votre adresse"}},
        "code_postal": {"type": "string", "title": "Code postal", "pattern": "^[0-9]{5}$",
                        "x-autocomplete": "postal-code", "x-inputmode": "numeric",
                        "x-messages": {"required": "Indiquez votre code postal",
                                       "pattern": "Le code postal compte 5 chiffres"}},
        "ville": {"type": "string", "title": "Ville", "maxLength": 100,
                  "x-autocomplete": "address-level2",
                  "x-messages": {"required": "Indiquez votre ville"}},
        "telephone": {"type": "string", "title": "Téléphone", "maxLength": 30,
                      "description": "Exemple : 06 12 34 56 78",
                      "pattern": r"^(?:(?:\+|00)33[\s.-]*|0)[1-9](?:[\s.-]*[0-9]{2}){4}$",
                      "x-autocomplete": "tel", "x-inputmode": "tel",
                      "x-messages": {"pattern": "Saisissez un numéro de téléphone français à "
                                                "10 chiffres, par exemple 06 12 34 56 78"}},
    },
}
EDITABLE = ("adresse", "code_postal", "ville", "telephone")


@bp.route("/informations", methods=["GET", "POST"])
@roles("assure")
def informations():
    user = current_user
    values = {k: getattr(user, k) or None for k in EDITABLE}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        raw = parse_submission(INFORMATIONS_SCHEMA, request.form)
        clean, errors = validate(INFORMATIONS_SCHEMA, raw, clock.today())
        if not errors:
            try:
                caisse = caisse_pour(clean["code_postal"])
            except ValueError:
                errors = {"code_postal": "Ce code postal ne correspond à aucun département "
                                         "français"}
            else:
                _save_informations(user.id, clean, caisse)
                flash("Vos informations personnelles sont enregistrées.", "success")
                return redirect(url_for(".informations"))
        values, status = raw, 422
    form = render_form(INFORMATIONS_SCHEMA, values, errors, submit_label="Enregistrer",
                       csrf_token=generate_csrf(), action_url=url_for(".informations"))
    return render_template("assure/informations.html", form=form, errors=errors,
                           brouillon=draft_of(user.id)), status


def _save_informations(user_id: int, clean: dict, caisse: str) -> None:
    """One short transaction: the account, and the competent caisse of a draft request."""
    now = clock.now()
    with services().session_factory() as session, session.begin():
        user = session.get(User, user_id)
        changed = {}
        for key in EDITABLE:
            new = (clean.get(key) or "").strip()
            if (getattr(user, key) or "") != new:
                changed[key] = new
                setattr(user, key, new)
        session.add(AuditLog(at=now, user_id=user_id, action="informations_modifiees",
                             details={"champs": sorted(changed)}))
        draft = session.scalar(select(Dossier).where(Dossier.assure_id == user_id,
                                                     Dossier.statut == "brouillon"))
        if draft is not None and draft.caisse_code != caisse:
            ensure_caisse(session, caisse)
            instance = session.get(ProcessInstance, draft.instance_id)
            session.add(AuditLog(at=now, user_id=user_id, action="caisse_modifiee",
                                 instance_id=draft.instance_id,
                                 details={"avant": draft.caisse_code, "apres": caisse,
                                          "departement": departement(clean["code_postal"])}))
            draft.caisse_code = caisse
            draft.updated_at = now
            instance.caisse_code = caisse

