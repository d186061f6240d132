"""Paper channel: an agent keys in a paper S4150 (cerfa 11174) — for instance an assuré with
several employers — and the dossier then follows the same instruction as an online request.

The assuré: an existing account with the same name, first name and birth date is reused
(its caisse data then feed the administrative check); otherwise an account without online
access is created (no usable password, inactive), so that letters and the dossier have an
owner. The competent caisse comes from the address; an agent can only key in a form of
their own caisse.
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
from sqlalchemy import func, select

from app.domain import caisse_competente
from app.engine.clock import clock
from app.forms import read_submission, render_form
from app.models import AuditLog, User

from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .dossiers import ouvrir_instruction

FORM = "s4150_saisie.json"


@cache
def _schema_from(folder: str) -> dict:
    return json.loads((Path(folder) / FORM).read_text(encoding="utf-8"))


def schema() -> dict:
    return _schema_from(str(current_app.config["FORMS_DIR"]))


def departement(code_postal: str) -> str:
    return code_postal[:3] if code_postal.startswith("97") else code_postal[:2]


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
        if clean is not None:
            caisse = caisse_competente(departement(clean["adresse"]["code_postal"]))
            if caisse == current_user.caisse_code:
                return _open(clean, caisse)
            errors["adresse.code_postal"] = (
                f"Cette adresse relève de la caisse « {caisse} », pas de la "
                f"« {current_user.caisse_code} » : transmettez le formulaire à la "
                "caisse compétente.")
    html = render_form(form_schema, values, errors, action_url=url_for("agent.s4150"),
                       submit_label="Enregistrer la demande", csrf_token=generate_csrf())
    return render_template("agent/s4150.html", form_html=html, errors=errors,
                           schema=form_schema), (422 if errors else 200)


def _open(clean: dict, caisse: str):
    assure, created = find_or_create_assure(clean["identite"], clean["adresse"], caisse,
                                            current_user)
    avis = {"papier": True} if "avis_imposition" in (clean.get("pieces_jointes") or []) \
        else None
    _instance_id, numero = ouvrir_instruction(
        services().runtime, assure, caisse,
        date_reception=date.fromisoformat(clean["date_reception"]), demande=clean,
        canal="papier", avis_imposition=avis, started_by=current_user.id)
    compte = ("un compte sans accès en ligne a été créé" if created
              else "rattachée au compte existant de l'assuré")
    flash(f"Demande papier enregistrée : dossier {numero} ({assure.nom_complet} ; {compte}). "
          "Elle suit maintenant l'instruction habituelle.", "success")
    db().expire_all()
    return redirect(url_for("agent.dossier", numero=numero))
