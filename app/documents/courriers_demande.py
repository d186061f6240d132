"""Letters of the online request: the accusé de réception, and the PDF récapitulatif."""
from __future__ import annotations

from . import letters
from .delivery import LetterInput, assure_ctx, builder, recours_ctx


@builder("accuse_reception")
def accuse_reception(letter: LetterInput):
    dossier = letter.dossier
    return letters.accuse_reception({
        **assure_ctx(letter),
        "date_reception": dossier.date_reception,
        "date_limite_decision": dossier.date_limite_decision,
        "service": f"Service Invalidité de la {dossier.caisse_code}",
        "recours": recours_ctx(dossier.caisse_code),
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
