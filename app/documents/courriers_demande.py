"""Letters of the online request: the accusé de réception, and the PDF récapitulatif."""
from __future__ import annotations

from . import letters
from .delivery import LetterInput, assure_ctx, builder, recours_ctx

# The CRA of a caisse that has its own secretariat address (the CRAMIF's), named as the
# téléservice's accusé de réception names it, capitals included.
SECRETARIAT_CRA = ("Secrétariat de la Commission de Recours Amiable du Conseil "
                   "d'Administration de la {caisse}")


def recours_accuse(caisse: str) -> dict:
    """Where to contest, as the accusé writes it: the CRAMIF's CRA by its official line and
    postal address; another caisse's CRA by name (its address is on ameli.fr)."""
    recours = recours_ctx(caisse)
    if recours.get("adresse"):
        recours["organisme"] = SECRETARIAT_CRA.format(caisse=caisse)
    return recours


@builder("accuse_reception")
def accuse_reception(letter: LetterInput):
    dossier = letter.dossier
    return letters.accuse_reception({
        **assure_ctx(letter),
        "date_reception": dossier.date_reception,
        "date_limite_decision": dossier.date_limite_decision,
        "service": f"Service Invalidité de la {dossier.caisse_code}",
        "recours": recours_accuse(dossier.caisse_code),
    })


def recapitulatif_demande(dossier, identite: dict, sections: list, avis: dict | None,
                          today) -> letters.Lettre:
    """The récapitulatif of an online request as a PDF (the téléservice gives no copy).

    `sections`: ``[(titre, [(libellé, valeur)])]`` already labelled by the forms, one per
    step of the request as the diagram of the dossier's version lists them (the web layer
    reads the deployed JSON Schemas and the steps' `recap_section` properties, see
    app/engine/screens.py); `identite`: the account as it was at submission;
    `avis`: ``{"nom", "sha256", "pages"}`` of the uploaded avis d'imposition, if any.
    """
    adresse = [identite.get("adresse", ""),
               f"{identite.get('code_postal', '')} {identite.get('ville', '')}".strip()]
    return letters.recapitulatif({
        "numero_dossier": dossier.numero,
        "assure": {"nom": identite.get("nom", ""), "prenom": identite.get("prenom", ""),
                   "adresse": adresse},
        "caisse": dossier.caisse_code or "",
        "date_courrier": today,
        "date_reception": dossier.date_reception,
        "sections": sections,
        "document": None if not avis else {"nom": avis.get("nom", ""),
                                           "sha256": avis.get("sha256", ""),
                                           "pages": avis.get("pages")},
    })
