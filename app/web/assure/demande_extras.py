"""Around the steps of the online request: « Retour » to the previous step, leaving the
request to change the account's address, and the PDF of the récapitulatif once sent."""
from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from app.engine.errors import Conflict

from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import services
from .blueprint import bp
from .demande import _step_row
from .outils import my_dossier, parcours_demande, submitted_data
from .recap import recapitulatif_pdf


@bp.post("/demande/<numero>/retour")
@roles("assure")
def demande_retour(numero: str):
    """« Retour »: back to the previous step; what was typed on this page is not kept."""
    dossier = my_dossier(numero)
    row = _step_row(dossier)
    ecran = parcours_demande(dossier.instance).ecran(row.element_id) if row else None
    if ecran is None or not ecran.message_retour or parse_id(request.args.get("tache")) != row.id:
        flash("Cette étape a déjà été quittée : voici où en est votre demande.", "info")
        return redirect(url_for(".demande_etape", numero=numero), 303)
    try:
        services().runtime.send_message(dossier.numero, ecran.message_retour,
                                        user_id=current_user.id)
    except Conflict:
        pass  # a second click: the first one already went back
    return redirect(url_for(".demande_etape", numero=numero), 303)


# ----- leaving the request to change the account's address --------------------------------------
@bp.get("/demande/<numero>/modifier-informations")
@roles("assure")
def demande_modifier_informations(numero: str):
    dossier = my_dossier(numero)
    return render_template("assure/modifier_informations.html", dossier=dossier)


# ----- PDF of the récapitulatif -------------------------------------------------------------
@bp.get("/dossiers/<numero>/recapitulatif.pdf")
@roles("assure")
def demande_recapitulatif_pdf(numero: str):
    dossier = my_dossier(numero)
    data = submitted_data(dossier) if dossier.date_reception else None
    if not data:
        abort(404)
    response = send_file(io.BytesIO(recapitulatif_pdf(dossier, data)),
                         mimetype="application/pdf", as_attachment=True,
                         download_name=f"recapitulatif_{dossier.numero}.pdf")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
