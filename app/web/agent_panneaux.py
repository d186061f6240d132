"""What each back-office step shows above its form, its pre-filled values, its extra checks
and the data added on submission. One `Panel` per BPMN user task id."""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from flask import current_app
from flask_login import current_user

from app.documents.courriers_instruction import PIECES
from app.engine.clock import clock
from app.engine.deploy import load_version_sources
from app.forms import render_readonly
from app.models import AuditLog, Caisse, Dossier, HumanTask

from .agent_conditions import jj_mm_aaaa, preparer_verification
from .services import services

STATUTS = {
    "brouillon": "Brouillon", "recue": "Reçue", "instruction": "En instruction",
    "pieces_demandees": "Pièces demandées à l'assuré", "examen_medical": "Examen médical",
    "decision": "Décision à valider", "accord": "Pension accordée", "refus": "Refusée",
    "rejet_implicite": "Rejet implicite", "recours": "Recours en cours", "clos": "Clos",
}
CATEGORIES = {1: "catégorie 1", 2: "catégorie 2", 3: "catégorie 3 (tierce personne)"}


@dataclass
class Panel:
    template: str | None = None
    context: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    submit_label: str = "Valider"
    check: Callable[[dict], dict] = lambda clean: {}
    extras: Callable[[dict], dict] = lambda clean: {}


def panel_for(row: HumanTask, dossier: Dossier, data: dict, session) -> Panel:
    build = PANELS.get(row.element_id)
    return build(dossier, data, session) if build else Panel()


# ----- vérification administrative ---------------------------------------------------------
def _verification(dossier: Dossier, data: dict, session) -> Panel:
    prepared = preparer_verification(session, dossier)
    conditions = prepared["conditions_calculees"]

    def check(clean: dict) -> dict:
        if clean.get("avis_conditions") == "confirme" and not conditions["disponibles"]:
            return {"avis_conditions": "Aucune donnée de carrière n'est connue pour cet "
                                       "assuré : corrigez le calcul et motivez votre "
                                       "appréciation."}
        return {}

    return Panel(
        template="agent/panneaux/verification.html",
        context={"conditions": conditions, "donnees": prepared["donnees_caisse"],
                 "reponse": _reponse_pieces(data), "caisse": dossier.caisse_code},
        submit_label="Enregistrer la vérification", check=check,
        extras=lambda clean: preparer_verification(session, dossier))


def _reponse_pieces(data: dict) -> dict | None:
    if "date_demande_pieces" not in data:
        return None
    return {"demandees": [PIECES.get(p, p) for p in data.get("pieces_demandees") or []],
            "date_demande": data.get("date_demande_pieces"),
            "date_reponse": data.get("date_reponse_pieces"),
            "non_recues": data.get("pieces_non_recues"),
            "documents": data.get("documents_deposes") or [],
            "message": data.get("message_assure") or ""}


# ----- service médical ----------------------------------------------------------------------
def _prochain_jour_ouvre(jour: date) -> date:
    while jour.weekday() >= 5:
        jour += timedelta(days=1)
    return jour


def _convocation(dossier: Dossier, data: dict, session) -> Panel:
    caisse = session.get(Caisse, dossier.caisse_code)
    adresse = (caisse.adresse if caisse else "").replace(", ", "\n")
    jour = _prochain_jour_ouvre(clock.today() + timedelta(days=14))
    return Panel(
        template="agent/panneaux/convocation.html",
        initial={"convocation_date": jour.isoformat(), "convocation_heure": "09:30",
                 "convocation_lieu": f"Service médical de l'Assurance Maladie — "
                                     f"{dossier.caisse_code}",
                 "convocation_adresse": adresse,
                 "convocation_medecin": current_user.nom_complet},
        submit_label="Envoyer la convocation")


def _examen(dossier: Dossier, data: dict, session) -> Panel:
    prevue = data.get("convocation_date")
    today = clock.today().isoformat()
    return Panel(
        template="agent/panneaux/examen.html",
        context={"convocation": {k: data.get(f"convocation_{k}") for k in
                                 ("date", "heure", "lieu", "medecin")}},
        initial={"date_examen": min(prevue, today) if prevue else today,
                 "date_constat": today},
        submit_label="Enregistrer l'avis médical")


# ----- décision -----------------------------------------------------------------------------
def _attribution(dossier: Dossier, data: dict, session) -> Panel:
    calcul = data.get("calcul") or {}
    return Panel(
        template="agent/panneaux/attribution.html",
        context={"calcul": calcul, "date_fin_droits": data.get("date_fin_droits"),
                 "caisse_residence": data.get("caisse_residence")
                 if data.get("caisse_differente") else None,
                 "age_legal": (data.get("age_legal_annees"), data.get("age_legal_mois"))},
        initial={"date_effet": data.get("date_effet") or calcul.get("date_effet")},
        submit_label="Valider l'attribution et notifier")


def _refus_medical(dossier: Dossier, data: dict, session) -> Panel:
    avis = data.get("avis_medical") or {}
    motif = ("Après l'examen médical du " + jj_mm_aaaa(avis.get("date_examen")) + ", le "
             "médecin-conseil estime que votre capacité de travail ou de gain n'est pas "
             "réduite d'au moins deux tiers : la condition médicale d'attribution d'une "
             "pension d'invalidité n'est pas remplie.")
    return Panel(template="agent/panneaux/refus_medical.html",
                 initial={"motifs_refus_medical": motif},
                 submit_label="Valider le refus et notifier")


# ----- recours ------------------------------------------------------------------------------
def _commission(dossier: Dossier, data: dict, session) -> Panel:
    return Panel(
        template="agent/panneaux/commission.html",
        context={"nature": data.get("nature_contestation"),
                 "motifs_contestation": data.get("motifs_contestation"),
                 "date_reclamation": data.get("date_reclamation"),
                 "date_limite_commission": data.get("date_limite_commission"),
                 "decision": data.get("issue_instruction"),
                 "motifs_refus": data.get("motifs_refus") or []},
        initial={"date_seance": clock.today().isoformat()},
        submit_label="Enregistrer la décision et notifier")


PANELS: dict[str, Callable[..., Panel]] = {
    "verification_administrative": _verification,
    "convocation": _convocation,
    "examen_medical": _examen,
    "valider_attribution": _attribution,
    "valider_refus_medical": _refus_medical,
    "examen_cra": _commission,
    "examen_cmra": _commission,
}


# ----- dossier summary: the request as declared ---------------------------------------------
@cache
def _s4150_schema() -> dict:
    folder = Path(current_app.config["FORMS_DIR"])
    return json.loads((folder / "s4150_saisie.json").read_text(encoding="utf-8"))


def demande_sections(session, dossier: Dossier, data: dict) -> list[tuple[str, object]]:
    """(title, rendered HTML) per section of the request, using the forms it came from."""
    demande = data.get("demande") or {}
    if not isinstance(demande, dict) or not demande:
        return []
    if dossier.canal == "papier":
        return [("Formulaire S4150 saisi", render_readonly(_s4150_schema(), demande))]
    forms = services().runtime.specs.get(
        dossier.instance.process_version, lambda vid: load_version_sources(session, vid))[2]
    sections = []
    for key, value in demande.items():
        if key == "avis_imposition" or not value:
            continue
        schema = next((s for s in forms.values()
                       if key in (s.get("properties") or {})), None)
        if schema is not None:
            html = render_readonly(schema, {key: value})
            title = (schema["properties"][key].get("title") or schema.get("title") or key)
        else:
            html, title = None, key.replace("_", " ").capitalize()
        sections.append((title, html if html else _plain(value)))
    return sections


def _plain(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k} : {_plain(v)}" for k, v in value.items() if v not in (None, ""))
    if isinstance(value, list):
        return ", ".join(_plain(v) for v in value)
    if value is True:
        return "oui"
    if value is False:
        return "non"
    return str(value)


# ----- history labels -----------------------------------------------------------------------
LETTRES = {
    "accuse_reception": "Accusé de réception envoyé",
    "convocation": "Convocation à l'examen médical envoyée",
    "demande_pieces": "Demande de pièces envoyée",
    "notification_attribution": "Notification d'attribution envoyée",
    "notification_refus": "Notification de refus envoyée",
    "notification_rejet_implicite": "Notification de rejet implicite envoyée",
    "decision_recours": "Décision de la commission envoyée",
}
TIMERS = {
    "delai_decision_depasse": "Délai de décision dépassé : rejet implicite",
    "relance_pieces": "Relance de l'assuré (pièces)",
    "pieces_non_recues": "Délai de réponse aux pièces dépassé",
    "delai_contestation_expire": "Délai de contestation expiré",
    "silence_cra": "Silence de la CRA : rejet implicite",
    "silence_cmra": "Silence de la CMRA : rejet implicite",
}
CHAMPS = {"statut": "statut", "date_limite_decision": "date limite de décision",
          "jours_prolongation": "prolongation (jours)", "categorie": "catégorie",
          "decision": "décision"}


def libelle_audit(row: AuditLog) -> str:
    details = row.details or {}
    action = row.action
    if action == "instance_started":
        return "Dossier ouvert"
    if action == "task_completed":
        return f"Étape « {details.get('title') or row.element_id} » terminée"
    if action == "task_claimed":
        return "Tâche prise en charge"
    if action == "task_released":
        return "Tâche libérée"
    if action == "task_assigned":
        return "Tâche réattribuée par un superviseur"
    if action == "timer_fired":
        return TIMERS.get(row.element_id, "Échéance atteinte")
    if action == "lettre_envoyee":
        modele = details.get("modele", "")
        return LETTRES.get(modele, f"Courrier « {modele} » envoyé")
    if action == "dossier_mis_a_jour":
        parts = []
        for key, label in CHAMPS.items():
            if key in details and details[key] not in ("None", None):
                value = details[key]
                if key == "statut":
                    value = STATUTS.get(value, value)
                elif key == "date_limite_decision":
                    value = jj_mm_aaaa(value[:10])
                parts.append(f"{label} : {value}")
        return "Dossier mis à jour (" + ", ".join(parts) + ")" if parts else ""
    if action == "document_consulte":
        return "Document consulté"
    if action.startswith("incident"):
        return "Incident technique"
    return ""
