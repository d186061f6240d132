"""Règles de la pension d'invalidité : fonctions pures et chiffres datés.

Ce paquet n'importe rien du reste de l'application (ni Flask, ni SQLAlchemy) : le moteur,
les formulaires et les scripts BPMN l'appellent, jamais l'inverse.
"""

from .age import age_legal_depart, date_age_legal
from .caisses import caisse_competente, coordonnees_recours, departement_du_code_postal
from .conditions import (
    ResultatConditions,
    ResultatConditionsNonSalarie,
    conditions_administratives,
    conditions_non_salarie,
)
from .delais import date_limite, echeance, moment_echeance, prolonger
from .figures import pass_annuel, source, valeur
from .montant import Montant, montant_pension, salaire_annuel_moyen
from .triage import intention, reconnait_demande_pension

__all__ = [
    "Montant",
    "ResultatConditions",
    "ResultatConditionsNonSalarie",
    "age_legal_depart",
    "caisse_competente",
    "conditions_administratives",
    "conditions_non_salarie",
    "coordonnees_recours",
    "date_age_legal",
    "date_limite",
    "departement_du_code_postal",
    "echeance",
    "intention",
    "moment_echeance",
    "montant_pension",
    "pass_annuel",
    "prolonger",
    "reconnait_demande_pension",
    "salaire_annuel_moyen",
    "source",
    "valeur",
]
