"""Paper channel: an agent keys in a paper S4150 (cerfa 11174) — for instance an assuré with
several employers — and the dossier then follows the same instruction as an online request.

The assuré: an existing account with the same name, first name and birth date is reused
(its caisse data then feed the administrative check); otherwise an account without online
access is created (no usable password, inactive), so that letters and the dossier have an
owner. The competent caisse comes from the address; an agent can only key in a form of
their own caisse.

The scanned form and the payslips may be attached: the same checks as every upload (only the
bytes decide: PDF, JPEG or PNG that really open, 2 Mo at most each), stored with the dossier.
The dates are checked against each other (dates_controlees.s4150).
"""
from __future__ import annotations

import json
import secrets
from datetime import date
from functools import cache
from pathlib import Path

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import func, select

from app.documents.depot import garder_document
from app.documents.pieces_jointes import ACCEPT, FORMATS, verifier_piece_jointe
from app.domain import caisse_competente, departement_du_code_postal
from app.engine.clock import clock
from app.forms import read_submission, render_form
from app.models import AuditLog, User

from ..shared.fichiers import trier_fichiers
from ..shared.security import roles
from ..shared.services import db, services
from . import dates_controlees
from .blueprint import bp
from .dossiers import ouvrir_instruction

FORM = "s4150_saisie.json"
# File fields of the page: (HTML name, Document kind, label, how many files at most).
FICHIERS = (("formulaire_scanne", "formulaire_s4150", "Formulaire S4150 numérisé", 1),
            ("bulletins_salaire", "bulletin_salaire", "Bulletins de salaire", 12))


@cache
def _schema_from(folder: str) -> dict:
    return json.loads((Path(folder) / FORM).read_text(encoding="utf-8"))


def schema() -> dict:
    return _schema_from(str(current_app.config["FORMS_DIR"]))


def find_or_create_assure(identite: dict, adresse: dict, caisse: str,
                          by: User) -> tuple[User, bool]:
    """The assuré's account (same name, first name and birth date) or a new one."""
    naissance = date.fromisoformat(identite["date_naissance"])
    with services().session_factory() as session, session.begin():
        found = session.scalar(select(User).where(
            User.role == "assure", func.lower(User.nom) == identite["nom"].strip().lower(),
            func.lower(User.prenom) == identite["prenom"].strip().lower(),
            User.date_naissance == naissance))
        if found is not None:
            session.expunge(found)
            return found, False
        user = User(email=f"s4150-{secrets.token_hex(8)}@papier.invalid", role="assure",
                    password_hash="!", nom=identite["nom"].strip().upper(),
                    prenom=identite["prenom"].strip(), caisse_code=caisse,
                    date_naissance=naissance, adresse=adresse["rue"].strip(),
                    code_postal=adresse["code_postal"], ville=adresse["ville"].strip(),
                    telephone=(adresse.get("telephone") or "").strip(), active=False)
        session.add(user)
        session.flush()
        session.add(AuditLog(at=clock.now(), user_id=by.id, action="assure_cree_papier",
                             details={"assure_id": user.id}))
        session.expunge(user)
        return user, True


@bp.route("/s4150", methods=["GET", "POST"])
@roles("agent")
def s4150():
    form_schema = schema()
    values: dict = {"date_reception": clock.today().isoformat()}
    errors: dict = {}
    if request.method == "POST":
        values, clean, errors = read_submission(form_schema, request.form, clock.today())
        fichiers, refus = fichiers_verifies()
        if clean is not None:
            errors.update(dates_controlees.s4150(clean))
        if clean is not None and not errors:
            caisse = caisse_competente(departement_du_code_postal(clean["adresse"]["code_postal"]))
            if caisse == current_user.caisse_code and not refus:
                return _open(clean, caisse, fichiers)
            if caisse != current_user.caisse_code:
                errors["adresse.code_postal"] = (
                    f"Cette adresse relève de la caisse « {caisse} », pas de la "
                    f"« {current_user.caisse_code} » : transmettez le formulaire à la "
                    "caisse compétente.")
        errors.update(refus)
        if errors and any(fichiers.values()):
            errors.setdefault("formulaire_scanne", "Le formulaire n'est pas encore "
                              "enregistré : choisissez à nouveau les fichiers à joindre.")
    html = render_form(form_schema, values, errors, action_url=url_for("agent.s4150"),
                       submit_label="Enregistrer la demande", csrf_token=generate_csrf())
    return render_template("agent/s4150.html", form_html=_avec_fichiers(html, errors),
                           errors=errors, schema=form_schema), (422 if errors else 200)


def fichiers_verifies() -> tuple[dict[str, list], dict[str, str]]:
    """The files chosen in each file field that pass the upload checks, and per field the
    French reasons of those refused (each names its file)."""
    fichiers: dict[str, list] = {}
    refus: dict[str, str] = {}
    for champ, kind, _label, maximum in FICHIERS:
        choisis = [f for f in request.files.getlist(champ) if f and f.filename]
        if len(choisis) > maximum:
            refus[champ] = f"Joignez au plus {maximum} fichier{'s' if maximum > 1 else ''}."
            choisis = []
        checked, raisons = trier_fichiers(choisis, verifier_piece_jointe, defaut="document")
        fichiers[champ] = [(nom, content, content_type, kind)
                           for nom, content, content_type in checked]
        if raisons:
            refus[champ] = " ".join(raisons)
    return fichiers, refus


def _avec_fichiers(form_html, errors: dict) -> Markup:
    """The schema form, plus its file fields (multipart) before the buttons."""
    champs = Markup(render_template("agent/_s4150_fichiers.html", fichiers=FICHIERS,
                                    errors=errors, accept=ACCEPT, formats=FORMATS))
    html = str(form_html).replace('<form method="post"',
                                  '<form method="post" enctype="multipart/form-data"', 1)
    fin = html.rfind('<ul class="fr-btns-group')
    return Markup(html[:fin]) + champs + Markup(html[fin:])


def _open(clean: dict, caisse: str, fichiers: dict[str, list]):
    assure, created = find_or_create_assure(clean["identite"], clean["adresse"], caisse,
                                            current_user)
    avis = {"papier": True} if "avis_imposition" in (clean.get("pieces_jointes") or []) \
        else None
    _instance_id, numero = ouvrir_instruction(
        services().runtime, assure, caisse,
        date_reception=date.fromisoformat(clean["date_reception"]), demande=clean,
        canal="papier", avis_imposition=avis, started_by=current_user.id)
    joints = _stocker(fichiers, assure, _instance_id)
    compte = ("un compte sans accès en ligne a été créé" if created
              else "rattachée au compte existant de l'assuré")
    pieces = f" Pièces jointes : {', '.join(joints)}." if joints else ""
    flash(f"Demande papier enregistrée : dossier {numero} ({assure.nom_complet} ; {compte}). "
          f"Elle suit maintenant l'instruction habituelle.{pieces}", "success")
    db().expire_all()
    return redirect(url_for("agent.dossier", numero=numero))


def _stocker(fichiers: dict[str, list], assure: User, instance_id: int) -> list[str]:
    """Store the checked files as documents of the dossier (owner: the assuré)."""
    noms = []
    with services().session_factory() as session, session.begin():
        for nom, content, content_type, kind in (f for liste in fichiers.values() for f in liste):
            garder_document(session, services().store, nom=nom, content=content,
                    content_type=content_type, kind=kind, owner_id=assure.id,
                    instance_id=instance_id, user_id=current_user.id,
                    action="document_depose", details={"kind": kind})
            noms.append(nom)
    return noms
