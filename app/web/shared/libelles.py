"""The one place for the labels of codes a page shows: a dossier's statut (back-office
wording), a decision, a kind of document. A page never prints a raw code (« examen_medical »,
« refus_medical », « avis_imposition »): unknown codes still come out as words.

The assuré's pages word statuts for the assuré (app/web/assure/routes.py); these are the
back office's and the operators'.
"""
from __future__ import annotations

from flask import Flask

STATUTS_DOSSIER = {
    "brouillon": "Brouillon", "recue": "Reçue", "instruction": "En instruction",
    "pieces_demandees": "Pièces demandées à l'assuré", "examen_medical": "Examen médical",
    "decision": "Décision à valider", "accord": "Pension accordée", "refus": "Refusée",
    "rejet_implicite": "Rejet implicite", "recours": "Recours en cours", "clos": "Clos",
    "arrete": "Arrêté par un superviseur",
}

DECISIONS = {
    "accord": "Pension accordée",
    "refus": "Refus",
    "refus_administratif": "Refus pour motif administratif",
    "refus_medical": "Refus pour motif médical",
    "rejet_implicite": "Rejet implicite (pas de décision dans le délai)",
    "examen_medical": "Examen médical",
    "pieces_manquantes": "Pièces manquantes",
}

DOCUMENTS = {
    "avis_imposition": "Avis d'imposition",
    "piece_justificative": "Pièce justificative",
    "piece_jointe_message": "Pièce jointe d'un message",
    "piece_contestation": "Pièce jointe à la contestation",
    "piece_contestation_medicale": "Pièce jointe à la contestation médicale",
    "formulaire_s4150": "Formulaire S4150 numérisé",
    "bulletin_salaire": "Bulletin de salaire",
    "accuse_reception": "Accusé de réception",
    "accuse_pieces": "Accusé de réception des pièces",
    "accuse_contestation": "Accusé de réception de la contestation",
    "convocation": "Convocation à l'examen médical",
    "demande_pieces": "Demande de pièces",
    "notification_attribution": "Notification d'attribution",
    "notification_refus": "Notification de refus",
    "notification_rejet_implicite": "Notification de rejet implicite",
    "decision_recours": "Décision de la commission",
    "recapitulatif": "Récapitulatif de la demande",
}


def _en_mots(code: str) -> str:
    """A code nobody labelled yet, as words: « piece_autre » → « Piece autre »."""
    return code.replace("_", " ").strip().capitalize()


def libelle(table: dict[str, str], code) -> str:
    if code in (None, ""):
        return ""
    code = str(code)
    return table.get(code) or _en_mots(code)


def statut_dossier(code) -> str:
    return libelle(STATUTS_DOSSIER, code)


def decision(code) -> str:
    return libelle(DECISIONS, code)


def nature_document(code) -> str:
    return libelle(DOCUMENTS, code)


def register_libelles(app: Flask) -> None:
    app.jinja_env.filters["statut_dossier"] = statut_dossier
    app.jinja_env.filters["decision_dossier"] = decision
    app.jinja_env.filters["nature_document"] = nature_document
