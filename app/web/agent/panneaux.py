"""What each back-office step shows above its form, its pre-filled values, its extra checks
and the data added on submission.

The diagram drives the screens: a user task says, in its `spiffworkflow:properties` (read
from the instance's own deployed version), which page it needs —

- `ecran`: the page kind, `formulaire` (default: the task's form alone) or `panneau` (an
  instruction panel above the form);
- `panneau`: which panel (a kind of `PANNEAUX` below: `verification`, `convocation_examen`,
  `examen`, `attribution`, `refus_medical`, `commission` — listed in
  `app.engine.screens.PANEL_KINDS`, any other value is refused at deployment), never a BPMN
  element id;
- `bouton_envoyer`: the label of the submit button, when it differs from « Valider ».

So renaming a task, or adding a review task with its own form, needs no change here."""
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
from app.engine import screens
from app.engine.clock import clock
from app.engine.deploy import load_version_sources
from app.engine.specs import task_property
from app.forms import render_readonly
from app.models import AuditLog, Caisse, Dossier

from ..shared.libelles import STATUTS_DOSSIER, decision, statut_dossier
from ..shared.services import services
from . import dates_controlees
from .conditions import jj_mm_aaaa, preparer_verification

STATUTS = STATUTS_DOSSIER  # labels live in app/web/shared/libelles.py
CATEGORIES = {1: "catégorie 1", 2: "catégorie 2", 3: "catégorie 3 (tierce personne)"}


# Names of the task properties the back office reads (see the module's docstring).
ECRAN, PANNEAU, BOUTON_ENVOYER = "ecran", "panneau", "bouton_envoyer"
ECRAN_PANNEAU = screens.PANNEAU
BOUTON_PAR_DEFAUT = "Valider"


@dataclass
class Panel:
    template: str | None = None
    context: dict = field(default_factory=dict)
    initial: dict = field(default_factory=dict)
    submit_label: str = BOUTON_PAR_DEFAUT
    check: Callable[[dict], dict] = lambda clean: {}
    extras: Callable[[dict], dict] = lambda clean: {}


def panel_kind(task_spec) -> str | None:
    """The panel a user task asks for in its diagram (None: its form alone)."""
    if task_spec is None or task_property(task_spec, ECRAN) != ECRAN_PANNEAU:
        return None
    return task_property(task_spec, PANNEAU)


def panel_for(task_spec, dossier: Dossier, data: dict, session) -> Panel:
    """The panel of a user task, from the properties of its spec in the instance's deployed
    version (a dossier started on an older version keeps that version's screens)."""
    build = PANNEAUX.get(panel_kind(task_spec) or "")
    panel = build(dossier, data, session) if build else Panel()
    label = task_property(task_spec, BOUTON_ENVOYER) if task_spec is not None else None
    if label:
        panel.submit_label = label
    return panel


# ----- vérification administrative ---------------------------------------------------------
def _verification(dossier: Dossier, data: dict, session) -> Panel:
    papier = data.get("demande") if dossier.canal == "papier" else None
    prepared = preparer_verification(session, dossier, papier)
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
        check=check,
        extras=lambda clean: preparer_verification(session, dossier, papier))


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
    # A report: the médecin said the exam did not take place; the new letter replaces the old.
    report = {"date": data.get("convocation_date"), "motif": data.get("motif_report")} \
        if data.get("examen_realise") is False else None
    return Panel(
        template="agent/panneaux/convocation.html",
        context={"report": report},
        check=lambda clean: dates_controlees.convocation(clean, clock.today(),
                                                         dossier.date_limite_decision),
        initial={"convocation_date": jour.isoformat(), "convocation_heure": "09:30",
                 "convocation_lieu": f"Service médical de l'Assurance Maladie — "
                                     f"{dossier.caisse_code}",
                 "convocation_adresse": adresse,
                 "convocation_medecin": current_user.nom_complet})


def _examen(dossier: Dossier, data: dict, session) -> Panel:
    prevue = data.get("convocation_date")
    today = clock.today().isoformat()
    return Panel(
        template="agent/panneaux/examen.html",
        context={"convocation": {k: data.get(f"convocation_{k}") for k in
                                 ("date", "heure", "lieu", "medecin")}},
        # The exam is dated from its convocation, never before it (dates_controlees.examen).
        initial={"examen_realise": True, "date_examen": prevue or today,
                 "date_constat": min(prevue, today) if prevue else today},
        check=lambda clean: dates_controlees.examen(clean, prevue, clock.today()))


# ----- décision -----------------------------------------------------------------------------
def _attribution(dossier: Dossier, data: dict, session) -> Panel:
    calcul = data.get("calcul") or {}
    return Panel(
        template="agent/panneaux/attribution.html",
        context={"calcul": calcul, "date_fin_droits": data.get("date_fin_droits"),
                 "caisse_residence": data.get("caisse_residence")
                 if data.get("caisse_differente") else None,
                 "age_depart": (data.get("age_legal_annees"), data.get("age_legal_mois"))},
        initial={"date_effet": data.get("date_effet") or calcul.get("date_effet")},
        check=lambda clean: dates_controlees.date_effet(clean, data))


def _refus_medical(dossier: Dossier, data: dict, session) -> Panel:
    avis = data.get("avis_medical") or {}
    motif = ("Après l'examen médical du " + jj_mm_aaaa(avis.get("date_examen")) + ", le "
             "médecin-conseil estime que votre capacité de travail ou de gain n'est pas "
             "réduite d'au moins deux tiers : la condition médicale d'attribution d'une "
             "pension d'invalidité n'est pas remplie.")
    return Panel(template="agent/panneaux/refus_medical.html",
                 initial={"motifs_refus_medical": motif})


# ----- recours ------------------------------------------------------------------------------
def _commission(dossier: Dossier, data: dict, session) -> Panel:
    return Panel(
        template="agent/panneaux/commission.html",
        context={"nature": data.get("nature_contestation"),
                 "motifs_contestation": data.get("motifs_contestation"),
                 "date_reclamation": data.get("date_reclamation"),
                 "date_limite_commission": data.get("date_limite_commission"),
                 "decision": data.get("issue_instruction"),
                 "motifs_refus": data.get("motifs_refus") or [],
                 "documents": data.get("documents_contestation") or []},
        initial={"date_seance": clock.today().isoformat()},
        check=lambda clean: dates_controlees.seance(clean, data.get("date_reclamation"),
                                                    clock.today()))


# Panel kind (the `panneau` property of a user task) → what the panel shows and does.
# The kinds are listed in app/engine/screens.py (PANEL_KINDS), checked at deployment.
PANNEAUX: dict[str, Callable[..., Panel]] = {
    screens.PANNEAU_VERIFICATION: _verification,
    screens.PANNEAU_CONVOCATION: _convocation,
    screens.PANNEAU_EXAMEN: _examen,
    screens.PANNEAU_ATTRIBUTION: _attribution,
    screens.PANNEAU_REFUS_MEDICAL: _refus_medical,
    screens.PANNEAU_COMMISSION: _commission,
}
assert set(PANNEAUX) == set(screens.PANEL_KINDS)
# The panel whose form holds the médecin-conseil's exam (secret médical: taches.py).
PANNEAU_EXAMEN = screens.PANNEAU_EXAMEN


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
    forms = version_specs(session, dossier)[2]
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


def version_specs(session, dossier: Dossier):
    """(spec, subprocess specs, forms) of the version the dossier's instance runs on."""
    return services().runtime.specs.get(
        dossier.instance.process_version, lambda vid: load_version_sources(session, vid))


def noms_elements(session, dossier: Dossier) -> dict[str, str]:
    """Element id → name, in the dossier's own deployed version (for history labels)."""
    spec, subprocess_specs, _forms = version_specs(session, dossier)
    noms: dict[str, str] = {}
    for process in [*subprocess_specs.values(), spec]:
        for task_spec in process.task_specs.values():
            if getattr(task_spec, "bpmn_name", None) and getattr(task_spec, "bpmn_id", None):
                noms[task_spec.bpmn_id] = task_spec.bpmn_name
    return noms


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
CHAMPS = {"statut": "statut", "date_limite_decision": "date limite de décision",
          "jours_prolongation": "prolongation (jours)", "categorie": "catégorie",
          "decision": "décision"}


def libelle_audit(row: AuditLog, noms: dict[str, str] | None = None) -> str:
    """`noms`: element id → name in the instance's deployed version (timers are told by
    the name the diagram gives them)."""
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
        return "Tâche réattribuée"
    if action == "timer_fired":
        nom = (noms or {}).get(row.element_id)
        return f"Échéance atteinte : {nom}" if nom else "Échéance atteinte"
    if action == "lettre_envoyee":
        modele = details.get("modele", "")
        return LETTRES.get(modele, f"Courrier « {modele} » envoyé")
    if action == "dossier_mis_a_jour":
        parts = []
        for key, label in CHAMPS.items():
            if key in details and details[key] not in ("None", None):
                value = details[key]
                if key == "statut":
                    value = statut_dossier(value)
                elif key == "decision":
                    value = decision(value)
                elif key == "date_limite_decision":
                    value = jj_mm_aaaa(value[:10])
                parts.append(f"{label} : {value}")
        return "Dossier mis à jour (" + ", ".join(parts) + ")" if parts else ""
    if action == "document_consulte":
        return "Document consulté"
    if action.startswith("incident"):
        return "Incident technique"
    return ""
