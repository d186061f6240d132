"""Calcul des délais (décision, recours, réponse aux demandes de pièces).

Un délai de N mois court de la date de départ au même quantième N mois plus tard, ou au
dernier jour de ce mois s'il n'a pas ce quantième (réception le 31 décembre → 28 ou 29
février). Une demande de pièces prolonge le délai du temps que l'assuré a mis à répondre.
"""

import calendar
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import figures
from .conversions import DonneeInvalide, en_date, en_entier

# Nom court du délai → figure de data/figures.json ; l'unité (mois/jours) vient du fichier.
DELAIS = {
    "decision": "delai_decision",
    "contestation": "delai_contestation",
    "silence_cra": "delai_silence_cra",
    "silence_cmra": "delai_silence_cmra",
    "reponse_pieces": "delai_reponse_pieces",
    "relance_pieces": "delai_relance_pieces",
}

# Les délais s'apprécient à l'heure légale française : un délai expire à minuit, heure de Paris.
try:
    PARIS = ZoneInfo("Europe/Paris")
except ZoneInfoNotFoundError:  # pragma: no cover - pas de base des fuseaux : heure d'hiver
    PARIS = timezone(timedelta(hours=1))


def ajouter_mois(depart: date, mois: int) -> date:
    """`depart` + `mois` mois, ramené au dernier jour du mois d'arrivée si besoin.

    Accepte un nombre négatif (reculer de 12 mois pour une période de référence)."""
    index = depart.year * 12 + depart.month - 1 + mois
    annee, mois_arrivee = divmod(index, 12)
    mois_arrivee += 1
    dernier_jour = calendar.monthrange(annee, mois_arrivee)[1]
    return date(annee, mois_arrivee, min(depart.day, dernier_jour))


def premier_jour_du_mois(jour: date) -> date:
    return jour.replace(day=1)


def date_limite(depart: date, mois: int) -> date:
    """Fin d'un délai de `mois` mois commencé le `depart` (voir l'en-tête du module)."""
    depart = en_date(depart, "date de départ du délai")
    mois = en_entier(mois, "durée du délai en mois")
    return ajouter_mois(depart, mois)


def prolonger(date_limite: date, jours: int) -> date:
    """Reporte une date limite du nombre de jours qu'a pris une demande de pièces."""
    date_limite = en_date(date_limite, "date limite")
    jours = en_entier(jours, "prolongation en jours")
    return date_limite + timedelta(days=jours)


def echeance(delai: str, depart: date) -> date:
    """Échéance d'un délai nommé (clé de `DELAIS`), avec la durée en vigueur au départ."""
    if delai not in DELAIS:
        raise DonneeInvalide(f"Délai inconnu : « {delai} » (attendu : {', '.join(DELAIS)}).")
    depart = en_date(depart, "date de départ du délai")
    nom = DELAIS[delai]
    duree = figures.entier(nom, depart)
    unite = figures.figure(nom).unite
    if unite == "jours":
        return depart + timedelta(days=duree)
    if unite == "mois":
        return ajouter_mois(depart, duree)
    raise DonneeInvalide(f"figures.json : unité « {unite} » inattendue pour « {nom} ».")


def moment_echeance(dernier_jour: date) -> datetime:
    """L'instant où un délai dont le dernier jour est `dernier_jour` est dépassé : minuit
    (heure de Paris) à la fin de ce jour, en datetime avec fuseau.

    C'est l'instant d'un minuteur BPMN « délai dépassé » : une action faite une seconde avant
    est dans les temps, le minuteur se déclenche à cet instant précis."""
    dernier_jour = en_date(dernier_jour, "dernier jour du délai")
    return datetime.combine(dernier_jour + timedelta(days=1), time(0, 0), tzinfo=PARIS)
