"""The letters of the process, each returned as a ``Lettre(objet, corps_html, modele,
variables)``: the text of the messagerie at once, the PDF (``lettre.pdf``) only when asked —
a workflow step records the letter and its PDF is made after commit (outbox.py).

Every function takes one plain ``dict`` (workflow data is JSON: dates may be ``date`` objects
or ISO strings, amounts ``Decimal``, ``int``, ``float`` or strings). Nothing here decides a
rule: deadlines, amounts and the competent recourse body are computed by the caller (domain)
and only written out here.

Keys common to every letter (« commun » below):

- ``numero_dossier``: n° de dossier (business key).
- ``assure``: ``{"nom", "prenom", "adresse", "civilite"?}``; ``adresse`` is one multi-line
  string or a list of lines; ``civilite`` (« Madame », « Monsieur ») is optional.
- ``caisse``: libellé of the caisse, e.g. « CRAMIF », « CPAM 69 » (letter header).
- ``service``: optional, default « Service Invalidité de la <caisse> ».
- ``date_courrier``: optional, default today.

A recourse body (``recours``, ``cmra``, ``tribunal``) is ``{"organisme": libellé,
"adresse": str | list[str]}``; without an address the letter points to ameli.fr « Adresses et
contacts », as the téléservice does for the CPAM/CGSS. For the CRA: the CRAMIF's (« Secrétariat
de la Commission de Recours Amiable du Conseil d'Administration de la CRAMIF, 17-19 avenue de
Flandre, 75954 Paris cedex 19 ») for départements 75, 78, 91, 92, 93, 94, 95; the assuré's own
CPAM/CGSS otherwise (77 included).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .formats import en_date, en_datetime, taille
from .rendu import Lettre, lignes, rendre

__all__ = [
    "Lettre",
    "accuse_reception",
    "convocation",
    "decision_recours",
    "demande_pieces",
    "notification_attribution",
    "notification_refus",
    "notification_rejet_implicite",
    "recapitulatif",
]

OBJET_ACCUSE_RECEPTION = "Accusé de réception demande de pension d'invalidité"  # téléservice

PIECES_CONVOCATION = (
    "cette convocation",
    "une pièce d'identité",
    "votre carte Vitale ou votre attestation de droits",
    (
        "les documents médicaux en votre possession : comptes rendus d'hospitalisation ou "
        "d'opération, résultats d'examens (analyses, radiographies, scanner, IRM…), courriers "
        "de vos médecins"
    ),
    "vos ordonnances en cours",
)

COMMISSIONS = {
    "CRA": ("commission de recours amiable (CRA)", "2 mois"),
    "CMRA": ("commission médicale de recours amiable (CMRA)", "4 mois"),
}

CATEGORIES = {
    1: "1re catégorie : vous pouvez encore exercer une activité professionnelle",
    2: "2e catégorie : vous ne pouvez plus exercer d'activité professionnelle",
    3: "3e catégorie : vous ne pouvez plus exercer d'activité professionnelle et vous avez "
    "besoin de l'aide d'une tierce personne",
}


def _date_option(valeur: Any) -> date | None:
    return en_date(valeur) if valeur else None


def _taille(valeur: int | str | None) -> str | None:
    return taille(valeur) if isinstance(valeur, int) else valeur


def _organisme(valeur: dict | None) -> dict | None:
    if not valeur:
        return None
    return {"organisme": valeur["organisme"], "adresse": lignes(valeur.get("adresse"))}


def _commun(ctx: dict, service_defaut: str | None = None) -> dict:
    assure = ctx["assure"]
    caisse = ctx["caisse"]
    civilite = assure.get("civilite") or ""
    nom_complet = " ".join(p for p in (civilite, assure.get("prenom", ""), assure["nom"]) if p)
    return {
        "numero_dossier": ctx["numero_dossier"],
        "caisse": caisse,
        "service": ctx.get("service") or service_defaut or f"Service Invalidité de la {caisse}",
        "date_courrier": en_date(ctx.get("date_courrier") or date.today()),
        "assure": {
            "nom_complet": nom_complet,
            # « Bonjour Madame Dupont » if the civilité is known, else first name + name.
            "salutation": f"{civilite} {assure['nom']}" if civilite else nom_complet,
            "adresse": lignes(assure.get("adresse")),
        },
    }


def accuse_reception(ctx: dict) -> Lettre:
    """Accusé de réception, sent to the messagerie when the request is validated (step 8).

    ctx: commun + ``date_reception``; ``date_limite_decision`` (receipt + 2 months, computed
    by the domain); ``recours`` (CRA body for the assuré: CRAMIF or own CPAM/CGSS).
    """
    variables = _commun(ctx) | {
        "date_reception": en_date(ctx["date_reception"]),
        "date_limite_decision": en_date(ctx["date_limite_decision"]),
        "recours": _organisme(ctx["recours"]),
    }
    return rendre("accuse_reception", OBJET_ACCUSE_RECEPTION, variables)


def recapitulatif(ctx: dict) -> Lettre:
    """The request as declared (step 6), kept as a PDF with the dossier.

    ctx: commun + ``sections``: list of ``(titre, [(libellé, valeur)])`` in display order
    (coordonnées, nationalité, situation professionnelle, informations complémentaires…);
    a valeur may be a str, a date, a bool (Oui/Non), None (—) or a list (one per line);
    ``date_reception`` optional; ``document`` optional ``{"nom", "sha256", "taille"?,
    "pages"?}`` for the uploaded avis d'imposition (``taille`` in bytes, or text as is).
    """
    document = ctx.get("document")
    variables = _commun(ctx) | {
        "sections": [(titre, list(lignes_)) for titre, lignes_ in ctx["sections"]],
        "date_reception": _date_option(ctx.get("date_reception")),
        "document": None
        if not document
        else {
            "nom": document["nom"],
            "sha256": document["sha256"],
            "taille": _taille(document.get("taille")),
            "pages": document.get("pages"),
        },
    }
    return rendre("recapitulatif", "Récapitulatif de votre demande de pension d'invalidité",
                  variables)


def convocation(ctx: dict) -> Lettre:
    """Convocation to the médecin-conseil's examination (step 10).

    ctx: commun (``service`` defaults to « Service médical de l'Assurance Maladie ») +
    ``date_heure`` (datetime or ISO string); ``lieu``: ``{"nom", "adresse"}``;
    ``medecin`` optional (name); ``pieces_a_apporter`` optional list (default:
    ``PIECES_CONVOCATION``); ``contact`` optional (how to reschedule, e.g. « au 36 46 »;
    default: the messagerie of the account); ``report`` optional bool (this convocation
    replaces an earlier one: the exam was moved).
    """
    lieu = ctx["lieu"]
    variables = _commun(ctx, "Service médical de l'Assurance Maladie") | {
        "date_heure": en_datetime(ctx["date_heure"]),
        "lieu": {"nom": lieu["nom"], "adresse": lignes(lieu.get("adresse"))},
        "medecin": ctx.get("medecin"),
        "pieces_a_apporter": list(ctx.get("pieces_a_apporter") or PIECES_CONVOCATION),
        "contact": ctx.get("contact") or "par la messagerie de votre compte",
        "report": bool(ctx.get("report")),
    }
    return rendre("convocation",
                  "Convocation à un examen médical — demande de pension d'invalidité", variables)


def notification_attribution(ctx: dict) -> Lettre:
    """Notification d'attribution (accord, step 11).

    ctx: commun + ``categorie`` (1, 2 or 3); ``taux`` (0.30 / 0.50 or 30 / 50); ``sam``
    (salaire annuel moyen); ``montant_mensuel_brut`` (MTP included for cat. 3);
    ``montant_annuel_brut``; ``mtp`` (monthly MTP, category 3 only, else omit/None);
    ``date_effet``; ``elements_calcul`` optional list of ``(libellé, valeur)`` — the figures
    used (Decimal/float shown in euros, int as a number, date in French, str as is);
    ``salaires_retenus`` optional list of ``(année, salaire retenu)``; ``recours`` (CRA);
    ``cmra`` optional (CMRA body; without it the letter points to ameli.fr).
    """
    categorie = int(ctx["categorie"])
    mtp = ctx.get("mtp")
    if categorie == 3 and mtp is None:
        raise ValueError("la MTP est requise pour une pension de 3e catégorie")
    variables = _commun(ctx) | {
        "categorie": categorie,
        "categorie_libelle": CATEGORIES[categorie],
        "taux": ctx["taux"],
        "sam": ctx["sam"],
        "montant_mensuel_brut": ctx["montant_mensuel_brut"],
        "montant_annuel_brut": ctx["montant_annuel_brut"],
        "mtp": mtp if categorie == 3 else None,
        "date_effet": en_date(ctx["date_effet"]),
        "elements_calcul": list(ctx.get("elements_calcul") or []),
        "salaires_retenus": list(ctx.get("salaires_retenus") or []),
        "recours": _organisme(ctx["recours"]),
        "cmra": _organisme(ctx.get("cmra")),
    }
    return rendre("notification_attribution", "Notification d'attribution de pension d'invalidité",
                  variables)


def _nature_medicale(nature: str) -> bool:
    nature = nature.lower().replace("é", "e")
    if nature not in ("medical", "administratif"):
        raise ValueError(f"nature du refus inconnue : {nature!r} (medical ou administratif)")
    return nature == "medical"


def notification_refus(ctx: dict) -> Lettre:
    """Notification de refus (step 11) with the route matching the nature of the refusal.

    ctx: commun + ``motifs`` (list of str); ``nature``: « administratif » (→ CRA, silence
    2 months = rejection) or « medical »/« médical » (→ CMRA, silence 4 months); ``recours``
    (CRA body, required when administratif); ``cmra`` (CMRA body, required when médical);
    ``date_reception`` optional. Both then lead to the tribunal judiciaire (pôle social).
    """
    medical = _nature_medicale(ctx["nature"])
    motifs = list(ctx["motifs"])
    if not motifs:
        raise ValueError("un refus doit être motivé")
    variables = _commun(ctx) | {
        "motifs": motifs,
        "medical": medical,
        "recours": None if medical else _organisme(ctx["recours"]),
        "cmra": _organisme(ctx["cmra"]) if medical else None,
        "date_reception": _date_option(ctx.get("date_reception")),
    }
    return rendre("notification_refus", "Notification de refus de pension d'invalidité",
                  variables)


def notification_rejet_implicite(ctx: dict) -> Lettre:
    """No decision by the deadline: rejet implicite, notified with both appeal routes.

    ctx: commun + ``date_reception``; ``date_limite_decision`` (the deadline that passed);
    ``prolongee`` optional bool (the deadline was extended by a request for documents);
    ``recours`` (CRA body); ``cmra`` optional (CMRA body).
    """
    variables = _commun(ctx) | {
        "date_reception": en_date(ctx["date_reception"]),
        "date_limite_decision": en_date(ctx["date_limite_decision"]),
        "prolongee": bool(ctx.get("prolongee")),
        "recours": _organisme(ctx["recours"]),
        "cmra": _organisme(ctx.get("cmra")),
    }
    return rendre("notification_rejet_implicite",
                  "Rejet implicite de votre demande de pension d'invalidité", variables)


def demande_pieces(ctx: dict) -> Lettre:
    """Request for missing documents (complément dossier, step 9).

    ctx: commun + ``pieces`` (list of str); ``date_limite_reponse`` (computed by the caller,
    normally the date of the letter + 30 days); ``delai_jours`` optional (default 30);
    ``date_limite_decision`` optional (current deadline, shown as extended);
    ``precision`` optional free text; ``moyen_reponse`` optional (how to answer; default:
    in reply to this message from the account).
    """
    pieces = list(ctx["pieces"])
    if not pieces:
        raise ValueError("aucune pièce demandée")
    variables = _commun(ctx) | {
        "pieces": pieces,
        "date_limite_reponse": en_date(ctx["date_limite_reponse"]),
        "delai_jours": int(ctx.get("delai_jours") or 30),
        "date_limite_decision": _date_option(ctx.get("date_limite_decision")),
        "precision": ctx.get("precision"),
        "moyen_reponse": ctx.get("moyen_reponse")
        or "en réponse à ce message, depuis la messagerie de votre compte",
    }
    return rendre("demande_pieces", "Demande de pièces complémentaires — pension d'invalidité",
                  variables)


ISSUES = ("favorable", "defavorable", "rejet_implicite")


def decision_recours(ctx: dict) -> Lettre:
    """Outcome of a recourse before the CRA or the CMRA (step 12) and the next route.

    ctx: commun + ``commission`` (« CRA » or « CMRA »); ``issue``: « favorable »,
    « defavorable » or « rejet_implicite » (silence of 2 months for the CRA, 4 for the CMRA);
    ``date_reclamation`` optional (receipt of the claim); ``date_decision`` optional (date of
    the sitting, or the day the silence delay ended); ``motifs`` optional list;
    ``tribunal`` optional body (pôle social of the tribunal judiciaire).
    """
    sigle = ctx["commission"].upper()
    issue = ctx["issue"].lower().replace("é", "e")
    if sigle not in COMMISSIONS or issue not in ISSUES:
        raise ValueError(f"commission ou issue inconnue : {sigle!r}, {issue!r}")
    libelle, silence = COMMISSIONS[sigle]
    variables = _commun(ctx) | {
        "commission_libelle": libelle,
        "delai_silence": silence,
        "issue": issue,
        "date_reclamation": _date_option(ctx.get("date_reclamation")),
        "date_decision": _date_option(ctx.get("date_decision")),
        "motifs": list(ctx.get("motifs") or []),
        "tribunal": _organisme(ctx.get("tribunal")),
    }
    objet = {
        "favorable": f"Décision de la {libelle} : réclamation acceptée",
        "defavorable": f"Décision de la {libelle} : réclamation rejetée",
        "rejet_implicite": f"Rejet implicite de votre réclamation par la {libelle}",
    }[issue]
    return rendre("decision_recours", objet, variables)
