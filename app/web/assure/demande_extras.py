"""Around the steps of the online request: « Retour » to the previous step, leaving the
request to change the account's address, the PDF of the récapitulatif once sent, and the
paper form S4150 for those the online request does not cover (more than one employer)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.engine.errors import Conflict
from app.models import Caisse

from ..shared import telechargement
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .demande import _step_row
from .outils import caisse_pour, my_dossier, parcours_demande, submitted_data
from .recap import recapitulatif_pdf

# The official form is linked, never copied here: its publishers keep it up to date.
LIENS_S4150 = {
    "ameli": "https://www.ameli.fr/assure/formulaires",
    "service_public": "https://www.service-public.fr/particuliers/vosdroits/F672",
}
TELEPHONE = "36 46"  # the Assurance Maladie's number
TELEPHONE_TARIF = "service gratuit + prix d'un appel"


# ----- the paper form S4150 (cerfa n° 11174) -----------------------------------------------
def _papier_context() -> dict:
    try:
        caisse = db().get(Caisse, caisse_pour(current_user.code_postal))
    except ValueError:  # no usable postcode on the account: the page goes without the address
        caisse = None
    return {"caisse": caisse, "liens": LIENS_S4150, "telephone": TELEPHONE,
            "telephone_tarif": TELEPHONE_TARIF}


@bp.get("/demande/formulaire-papier")
@roles("assure")
def formulaire_papier():
    return render_template("assure/formulaire_papier.html", **_papier_context())


@bp.get("/demande/formulaire-papier/imprimer")
@roles("assure")
def formulaire_papier_imprimable():
    """The same information on one plain page, to print and keep beside the form."""
    return render_template("assure/formulaire_papier_imprimable.html", **_papier_context())


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
    return telechargement.document(recapitulatif_pdf(dossier, data), "application/pdf",
                                   f"recapitulatif_{dossier.numero}.pdf")
