"""The online request « Demander une pension d'invalidité »: information page, the steps
of the request (one user task each), the document upload and the submission.

The diagram drives the screens: which tasks are steps, their order, labels, page kind and
buttons are `spiffworkflow:property` elements of the request's user tasks (screens.py), read
from the dossier's version. No BPMN element id is written here: a step added, removed,
reordered or renamed in the studio changes the stepper and the récapitulatif with it.

The draft IS the process instance: each « Suivant » completes the step's task through the
one completion door of pages and API (app/web/shared/completion.py; `_depot` for the tax
notice), so the request survives a logout or a closed browser and resumes where it stopped.
Submission uses the instance's lock version from the page: a double click or a replayed POST
finds the version moved on and gets « Votre demande a déjà été envoyée ».
"""
from __future__ import annotations

import re
from fractions import Fraction

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import escape
from sqlalchemy import delete, select

from app.documents.depot import garder_document
from app.documents.formats import nombre, taille_limite
from app.documents.storage import nom_affichable
from app.documents.uploads import TAILLE_MAX, UploadRefuse, verifier_avis_imposition
from app.domain import age_legal_depart, valeur
from app.engine import screens
from app.engine.clock import clock
from app.engine.dossier_hooks import numero_dossier
from app.engine.errors import Conflict, NotFound
from app.engine.parcours import entry_key
from app.forms import parse_submission, render_form
from app.forms.parse import apply_action, submitted_action
from app.models import Document, Dossier, HumanTask, User

from ..shared import completion
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .chat import detour_to_amelibot, forget_orientation
from .outils import (
    DEMANDE,
    caisse_pour,
    deep_merge,
    draft_of,
    ensure_caisse,
    identite,
    instance_data,
    masked_email,
    my_dossier,
    parcours_demande,
    schema_defaults,
    submitted_data,
    task_values,
)
from .recap import recap_field, sections

ENCART = re.compile(r"^[a-z][a-z0-9_]{0,60}$")  # an information box's template name


class DraftExists(Exception):
    """Another request of this assuré is already being filled (raised inside `start`)."""


# ----- information pages --------------------------------------------------------------------
@bp.get("/demande")
@roles("assure")
def demande_info():
    detour = detour_to_amelibot()
    if detour is not None:
        return detour
    today = clock.today()
    age = None
    if current_user.date_naissance:
        annees, mois = age_legal_depart(current_user.date_naissance)
        age = f"{annees} ans" + (f" et {mois} mois" if mois else "")
    reduction = Fraction(valeur("reduction_capacite_minimum", today)).limit_denominator(12)
    chiffres = {
        "heures": nombre(valeur("seuil_heures_salariees", today), 0),
        "coefficient_smic": nombre(valeur("coefficient_smic_cotisations", today), 0),
        "mois_immatriculation": nombre(valeur("mois_immatriculation_minimum", today), 0),
        "reduction": f"{reduction.numerator}/{reduction.denominator}",
        "delai_decision": nombre(valeur("delai_decision", today), 0),
        "age": age,
    }
    return render_template("assure/demande_info.html", chiffres=chiffres,
                           brouillon=draft_of(current_user.id))


# ----- start or resume ----------------------------------------------------------------------
@bp.post("/demande/demarrer")
@roles("assure")
def demande_demarrer():
    detour = detour_to_amelibot()
    if detour is not None:
        return detour
    draft = draft_of(current_user.id)
    if draft is not None:
        flash("Vous avez déjà une demande en cours : vous la reprenez là où vous l'aviez "
              "laissée.", "info")
        return redirect(url_for(".demande_etape", numero=draft.numero), 303)
    en_cours = _demande_en_instruction(current_user.id)
    if en_cours is not None:
        flash(f"Vous avez déjà une demande de pension d'invalidité en cours d'instruction "
              f"(dossier {en_cours.numero}) : une seconde demande ne peut pas être déposée "
              "tant que votre caisse n'a pas rendu sa décision. Pour compléter votre demande, "
              "écrivez à votre caisse depuis votre messagerie.", "info")
        return redirect(url_for(".dossier", numero=en_cours.numero), 303)
    try:
        caisse = caisse_pour(current_user.code_postal)
    except ValueError:
        flash("Votre adresse ne permet pas de trouver votre caisse : vérifiez votre code "
              "postal dans « Mes informations ».", "error")
        return redirect(url_for(".informations"), 303)
    numero = start_demande(current_user.id, caisse)
    forget_orientation()
    return redirect(url_for(".demande_etape", numero=numero), 303)


# Sent and not yet decided: a second request would be a duplicate of it. After a decision
# (or during an appeal) a new request is the assuré's right (DESIGN.md §2, 12).
EN_INSTRUCTION = ("recue", "instruction", "pieces_demandees", "examen_medical", "decision")


def _demande_en_instruction(user_id: int) -> Dossier | None:
    return db().scalar(select(Dossier).where(Dossier.assure_id == user_id,
                                             Dossier.statut.in_(EN_INSTRUCTION))
                       .order_by(Dossier.id.desc()).limit(1))


def start_demande(user_id: int, caisse: str) -> str:
    """Start the request's instance with its dossier (or find the draft a concurrent click
    just created): one draft at a time per assuré."""
    with services().session_factory() as session, session.begin():
        ensure_caisse(session, caisse)

    def on_created(session, instance):
        # Serialise drafts per assuré: PostgreSQL locks the account row; SQLite's write
        # transactions (BEGIN IMMEDIATE) are serial already.
        session.execute(select(User.id).where(User.id == user_id).with_for_update())
        if session.scalar(select(Dossier.id).where(Dossier.assure_id == user_id,
                                                   Dossier.statut == "brouillon")):
            raise DraftExists
        numero = numero_dossier(clock.today().year, instance.id)
        instance.business_key = numero
        now = clock.now()
        session.add(Dossier(numero=numero, instance_id=instance.id, assure_id=user_id,
                            caisse_code=caisse, canal="en_ligne", statut="brouillon",
                            etape="", created_at=now, updated_at=now))

    try:
        services().runtime.start(entry_key(db(), DEMANDE), user_id=user_id, owner_id=user_id,
                                 caisse_code=caisse, on_created=on_created)
    except DraftExists:
        pass
    with services().read_factory() as session:
        return session.scalar(select(Dossier.numero).where(
            Dossier.assure_id == user_id, Dossier.statut == "brouillon")
            .order_by(Dossier.id.desc()).limit(1))


# ----- the steps ----------------------------------------------------------------------------
def _step_row(dossier: Dossier) -> HumanTask | None:
    """The open task of the assuré that is a screen of the request (as its version says)."""
    ids = list(parcours_demande(dossier.instance).ecrans)
    if not ids:
        return None
    return db().scalar(select(HumanTask).where(
        HumanTask.instance_id == dossier.instance_id, HumanTask.status == "open",
        HumanTask.role == "assure", HumanTask.assignee_id == current_user.id,
        HumanTask.element_id.in_(ids)).order_by(HumanTask.id.desc()).limit(1))


@bp.route("/demande/<numero>", methods=["GET", "POST"])
@roles("assure")
def demande_etape(numero: str):
    dossier = my_dossier(numero)
    if dossier.instance.process_version.parcours != DEMANDE:
        abort(404)
    row = _step_row(dossier)
    if row is None:
        if request.method == "POST" and dossier.date_reception is not None:
            return _already_sent(dossier)
        return redirect(url_for(".dossier", numero=dossier.numero), 303)
    if request.method == "POST" and parse_id(request.args.get("tache")) != row.id:
        flash("Cette étape a déjà été enregistrée : voici où en est votre demande.", "info")
        return redirect(url_for(".demande_etape", numero=numero), 303)
    ecran = parcours_demande(dossier.instance).ecran(row.element_id)
    if ecran.ecran == screens.RECAPITULATIF:
        return _recap_step(dossier, row, ecran)
    if ecran.ecran == screens.DEPOT_DOCUMENT:
        return _avis_step(dossier, row, ecran)
    return _form_step(dossier, row, ecran)


def _page_context(dossier: Dossier, row: HumanTask, ecran: screens.Ecran) -> dict:
    parcours = parcours_demande(dossier.instance)
    suivante = parcours.suivante(ecran)
    encart = ecran.encart if ecran.encart and ENCART.match(ecran.encart) else None
    return {
        "dossier": dossier, "row": row, "step": ecran, "total": parcours.total,
        "next_title": suivante.libelle if suivante else None, "encart": encart,
        "action_url": url_for(".demande_etape", numero=dossier.numero, tache=row.id,
                              version=row.instance.lock_version),
        "retour_url": url_for(".demande_retour", numero=dossier.numero, tache=row.id),
    }


def _schema(row: HumanTask) -> dict:
    return services().runtime.form_schema(db(), row.instance.process_version, row.form) or {}


def _complete(dossier: Dossier, row: HumanTask):
    """Complete the step with the posted form, through the one completion door (as the API):
    the Submission, or a response when the step was already recorded."""
    try:
        return completion.complete(row.id, current_user, formdata=request.form,
                                   version=parse_id(request.args.get("version")))
    except Conflict:
        flash("Cette étape a déjà été enregistrée : voici où en est votre demande.", "info")
        return redirect(url_for(".demande_etape", numero=dossier.numero), 303)


def _form_step(dossier: Dossier, row: HumanTask, ecran: screens.Ecran):
    schema = _schema(row)
    stored = task_values(dossier.instance, row, schema)
    values = deep_merge(schema_defaults(schema, schema), stored)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        action = submitted_action(request.form)
        if action:  # « Ajouter » / « Retirer » a row: the page only, nothing completed
            values = apply_action(schema, parse_submission(schema, request.form,
                                                           previous=stored), action)
        else:
            sent = _complete(dossier, row)
            if not isinstance(sent, completion.Submission):
                return sent
            if sent.done:
                return redirect(url_for(".demande_etape", numero=dossier.numero), 303)
            values, errors, status = sent.values, sent.errors, 422
    context = _page_context(dossier, row, ecran)
    form = render_form(schema, values, errors, action_url=context["action_url"],
                       submit_label=ecran.bouton_envoyer or screens.DEFAULT_ENVOYER,
                       csrf_token=generate_csrf(),
                       extra_buttons_html=_retour_button(dossier, ecran, context))
    return render_template("assure/demande_etape.html", form=form, errors=errors,
                           identite=_identity_view(current_user), **context), status


def _retour_button(dossier: Dossier, ecran: screens.Ecran, context: dict) -> str:
    """« Retour » as the diagram says: its boundary message, or the information page from
    the first step."""
    label = escape(ecran.bouton_retour)
    if ecran.message_retour:
        return ('<li><button type="submit" class="fr-btn fr-btn--secondary" formnovalidate '
                f'formaction="{escape(context["retour_url"])}">{label}</button></li>')
    if parcours_demande(dossier.instance).retour_vers_accueil(ecran):
        return (f'<li><a class="fr-btn fr-btn--secondary" href="{url_for(".demande_info")}">'
                f"{label}</a></li>")
    return ""


def _identity_view(user: User) -> dict:
    ident = identite(user)
    ident["email"] = masked_email(user.email)
    return ident


def _recap_step(dossier: Dossier, row: HumanTask, ecran: screens.Ecran):
    schema = _schema(row)
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        sent = _complete(dossier, row)
        if not isinstance(sent, completion.Submission):
            return sent
        if sent.done:
            return redirect(url_for(".demande_etape", numero=dossier.numero), 303)
        errors = sent.errors
        status = 422
    data = instance_data(dossier.instance, row)
    parts = sections(dossier.instance.process_version, data, _identity_view(current_user))
    precedente = parcours_demande(dossier.instance).precedente(ecran)
    return render_template(
        "assure/demande_recap.html", sections=parts, errors=errors, csrf=generate_csrf(),
        champ=recap_field(schema), retour=precedente.recap_choix if precedente else None,
        envoyer=ecran.bouton_envoyer or screens.DEFAULT_ENVOYER_RECAP,
        **_page_context(dossier, row, ecran)), status


# ----- the document upload (the tax notice) and « Je valide ma demande » ---------------------
def _current_avis(dossier: Dossier, kind: str, owner_id=None, session=None) -> Document | None:
    return (session or db()).scalar(select(Document).where(
        Document.instance_id == dossier.instance_id,
        Document.owner_id == (owner_id if owner_id is not None else current_user.id),
        Document.kind == kind).order_by(Document.id.desc()).limit(1))


def _depot(ctx: completion.Context) -> completion.Screen:
    """The tax notice step (page and API): its readOnly fields are set by the server — the
    notice, the account's identity, the dossier."""
    if ctx.dossier is None:
        raise NotFound("Dossier introuvable pour cette tâche.")
    kind = screens.ecran_of(ctx.task_spec).document or "document"
    ident = {k: v for k, v in identite(ctx.user).items() if v is not None}
    imposed = {"identite": ident,
               "dossier": {"numero": ctx.dossier.numero, "caisse": ctx.dossier.caisse_code}}
    # The notice this request uploaded (two racing clicks send their own; the loser's copy
    # is dropped), else this person's last one.
    avis = g.get("avis_depose") or _current_avis(ctx.dossier, kind, ctx.user.id, ctx.session)
    if avis is not None:
        imposed[kind] = {"document_id": avis.id, "sha256": avis.sha256,
                         "nom": avis.original_name, "pages": _pages_of(avis)}
    return completion.Screen(imposed=imposed,  # the identity stored whole, civilité included
                             extras=lambda clean: {"identite": ident})


completion.register_screen(completion.screen_kind(screens.DEPOT_DOCUMENT), _depot)


def _avis_step(dossier: Dossier, row: HumanTask, ecran: screens.Ecran):
    kind = ecran.document or "document"
    existing = _current_avis(dossier, kind)
    error = None
    status = 200
    if request.method == "POST":
        upload = request.files.get(kind)
        created = None
        if upload is not None and upload.filename:
            content = upload.read()
            try:
                info = verifier_avis_imposition(content, upload.filename)
            except UploadRefuse as refus:
                error = refus.message
            else:
                created = _store_avis(dossier, kind, upload.filename, content, info.pages)
                existing = g.avis_depose = created
        elif existing is None:
            error = "Déposez votre dernier avis d'imposition (fichier PDF)."
        if error is None:
            try:  # the notice, identity and dossier are set by the server (`_depot`)
                sent = completion.complete(row.id, current_user, formdata=request.form,
                                           version=parse_id(request.args.get("version")))
            except Conflict:
                if created is not None and not _sent_with(dossier, kind, created):
                    _forget(created)
                db().refresh(dossier)
                if dossier.date_reception is not None:
                    return _already_sent(dossier)
                flash("Votre demande a changé entre-temps (dans un autre onglet ?) : "
                      "vérifiez cette étape et validez à nouveau.", "info")
                return redirect(url_for(".demande_etape", numero=dossier.numero), 303)
            if sent.done:
                flash("Votre demande de pension d'invalidité est envoyée. L'accusé de "
                      "réception est dans votre messagerie.", "success")
                return redirect(url_for(".dossier", numero=dossier.numero), 303)
            error = " ".join(sent.errors.values())
        status = 422
    return render_template("assure/demande_avis.html", existing=existing, error=error,
                           limite=taille_limite(TAILLE_MAX), csrf=generate_csrf(),
                           champ=kind, envoyer=ecran.bouton_envoyer or screens.DEFAULT_ENVOYER,
                           **_page_context(dossier, row, ecran)), status


def _pages_of(document: Document) -> int:
    content = services().store.read(document.stored_name, document.sha256)
    return verifier_avis_imposition(content, document.original_name).pages


def _store_avis(dossier: Dossier, kind: str, filename: str, content: bytes, pages: int):
    with services().session_factory() as session, session.begin():
        return garder_document(session, services().store, nom=nom_affichable(filename),
                               content=content, content_type="application/pdf", kind=kind,
                               owner_id=current_user.id, instance_id=dossier.instance_id,
                               user_id=current_user.id, action="document_depose",
                               details={"kind": kind, "pages": pages})


def _sent_with(dossier: Dossier, kind: str, document: Document) -> bool:
    """The request was sent (by a concurrent click) with this very notice: it is kept."""
    sent = submitted_data(dossier) or {}
    return isinstance(sent.get(kind), dict) and sent[kind].get("document_id") == document.id


def _forget(document: Document) -> None:
    """A duplicate submission lost the race: its copy of the file is not kept."""
    with services().session_factory() as session, session.begin():
        session.execute(delete(Document).where(Document.id == document.id))
    services().store.delete(document.stored_name)


def _already_sent(dossier: Dossier):
    return render_template("assure/deja_envoyee.html", dossier=dossier), 409
