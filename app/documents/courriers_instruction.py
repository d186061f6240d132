"""Letters of the instruction and of the recours (processes/instruction_invalidite.bpmn,
processes/recours.bpmn): convocation, demande de pièces (and its reminder), notification
d'attribution, de refus, de rejet implicite, décision de la commission.

Each builder reads the script's variables at `notifier(...)` time (`letter.data`), never
recomputes a rule: amounts, dates and motifs come from the process.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

from app.domain import coordonnees_recours

from . import letters
from .delivery import LetterInput, assure_ctx, builder
from .formats import date_longue

# Labels of the documents an agent may ask for (same keys and labels as the form
# forms/instruction_verification.json, checked by a test).
PIECES = {
    "avis_imposition": "Votre dernier avis d'imposition complet (toutes les pages)",
    "identite": "Un justificatif d'identité",
    "titre_sejour": "Votre titre de séjour en cours de validité",
    "attestation_salaire": "Une attestation de salaire de votre employeur",
    "releve_ij": "Le relevé de vos indemnités journalières",
    "rente_at": "La notification de votre rente d'accident du travail ou de maladie "
                "professionnelle",
    "pension_autre_regime": "La notification de votre pension d'un autre régime",
    "autre": "Un autre document (précisé ci-dessous)",
}
MOYEN_REPONSE = ("depuis votre espace, rubrique « Mes dossiers », en déposant les documents au "
                 "format PDF")


def cra_ctx(caisse: str) -> dict:
    """The CRA of the caisse: for the CRAMIF its secretariat and postal address, otherwise
    the CPAM's commission (its address is on ameli.fr and on the caisse's letters)."""
    cra = coordonnees_recours(caisse)["cra"]
    lignes = cra["lignes_adresse"]
    if cra["adresse"] and len(lignes) > 1:
        return {"organisme": lignes[0], "adresse": list(lignes[1:])}
    return {"organisme": cra["intitule"], "adresse": None}


def cmra_ctx(caisse: str) -> dict:
    """The CMRA of the caisse, for the letter templates (its address is on ameli.fr)."""
    return {"organisme": coordonnees_recours(caisse)["cmra"]["intitule"], "adresse": None}


def _ctx(letter: LetterInput, service: str | None = None) -> dict:
    caisse = letter.dossier.caisse_code or ""
    return {**assure_ctx(letter),
            "service": service or f"Service Invalidité de la {caisse}"}


@builder("convocation")
def convocation(letter: LetterInput):
    data = letter.data
    caisse = letter.dossier.caisse_code or ""
    lettre = letters.convocation({
        **_ctx(letter, f"Service médical de l'Assurance Maladie ({caisse})"),
        "date_heure": f"{data['convocation_date']}T{data['convocation_heure']}:00",
        "lieu": {"nom": data["convocation_lieu"], "adresse": data["convocation_adresse"]},
        "medecin": data.get("convocation_medecin") or None,
        "report": bool(letter.params.get("report")),
    })
    if letter.params.get("report"):  # the médecin moved the exam: this one replaces the first
        lettre = dataclasses.replace(lettre, objet=f"Nouvelle date — {lettre.objet}")
    return lettre


@builder("demande_pieces")
def demande_pieces(letter: LetterInput):
    data = letter.data
    demande = date.fromisoformat(data["date_demande_pieces"])
    limite = date.fromisoformat(data["date_limite_reponse"])
    precision = data.get("precision_pieces") or None
    relance = bool(letter.params.get("relance"))
    if relance:
        rappel = (f"Rappel : nous vous avons demandé ces documents le {date_longue(demande)} et ne "
                  "les avons pas encore reçus.")
        precision = f"{rappel} {precision}" if precision else rappel
    lettre = letters.demande_pieces({
        **_ctx(letter),
        "pieces": [PIECES.get(p, p) for p in data["pieces_demandees"]],
        "date_limite_reponse": limite,
        "delai_jours": (limite - demande).days,
        "date_limite_decision": letter.dossier.date_limite_decision,
        "precision": precision,
        "moyen_reponse": MOYEN_REPONSE,
    })
    if relance:
        lettre = dataclasses.replace(lettre, objet=f"Relance — {lettre.objet}")
    return lettre


def _euros(value: str) -> Decimal:
    return Decimal(str(value))


@builder("notification_attribution")
def notification_attribution(letter: LetterInput):
    calcul = letter.data["calcul"]
    caisse = letter.dossier.caisse_code or ""
    categorie = int(calcul["categorie"])
    elements = [
        ("Années de salaire connues", int(calcul["annees_connues"])),
        ("Années retenues (les meilleures)", len(calcul["salaires_retenus"])),
        ("Montant mensuel avant bornes (taux × salaire annuel moyen ÷ 12)",
         _euros(calcul["base_mensuelle"])),
        ("Montant mensuel minimum", _euros(calcul["minimum"])),
        ("Montant mensuel maximum de la catégorie", _euros(calcul["maximum"])),
    ]
    if categorie == 3:
        elements.append(("Majoration pour tierce personne (mensuelle)", _euros(calcul["mtp"])))
    return letters.notification_attribution({
        **_ctx(letter),
        "categorie": categorie,
        "taux": _euros(calcul["taux"]),
        "sam": _euros(calcul["sam"]),
        "montant_mensuel_brut": _euros(calcul["mensuel"]),
        "montant_annuel_brut": _euros(calcul["annuel"]),
        "mtp": _euros(calcul["mtp"]) if categorie == 3 else None,
        "date_effet": calcul["date_effet"],
        "elements_calcul": elements,
        "salaires_retenus": [(int(a), _euros(s)) for a, s in calcul["salaires_retenus"]],
        "recours": cra_ctx(caisse),
        "cmra": cmra_ctx(caisse),
    })


@builder("notification_refus")
def notification_refus(letter: LetterInput):
    data = letter.data
    caisse = letter.dossier.caisse_code or ""
    medical = data.get("issue_instruction") == "refus_medical"
    return letters.notification_refus({
        **_ctx(letter),
        "motifs": list(data["motifs_refus"]),
        "nature": "medical" if medical else "administratif",
        "recours": cra_ctx(caisse),
        "cmra": cmra_ctx(caisse),
        "date_reception": letter.dossier.date_reception,
    })


@builder("notification_rejet_implicite")
def notification_rejet_implicite(letter: LetterInput):
    dossier = letter.dossier
    caisse = dossier.caisse_code or ""
    return letters.notification_rejet_implicite({
        **_ctx(letter),
        "date_reception": dossier.date_reception,
        "date_limite_decision": dossier.date_limite_decision,
        "prolongee": (dossier.jours_prolongation or 0) > 0,
        "recours": cra_ctx(caisse),
        "cmra": cmra_ctx(caisse),
    })


@builder("decision_recours")
def decision_recours(letter: LetterInput):
    data = letter.data
    issue = letter.params.get("issue") or data["recours_issue"]
    if issue == "rejet_implicite":  # the last day of the commission's delay, not the timer's
        decided = data.get("date_decision_recours") or data.get("date_limite_commission")
    elif data.get("recours_issue") == "irrecevable":
        decided = None  # never examined: the motif says why
    else:
        decided = data.get("date_seance") or letter.today
    return letters.decision_recours({
        **_ctx(letter),
        "commission": data["recours_commission"],
        "issue": issue,
        "date_reclamation": data.get("date_reclamation"),
        "date_decision": decided,
        "motifs": list(data.get("motifs_recours") or []),
    })
