"""Âge légal de départ à la retraite : la pension d'invalidité n'est due qu'en dessous."""

from datetime import date

from . import figures
from .conversions import DonneeInvalide, en_date
from .delais import ajouter_mois


def age_legal_depart(date_naissance: date) -> tuple[int, int]:
    """(années, mois) de l'âge légal pour un assuré né le `date_naissance` (barème daté)."""
    date_naissance = en_date(date_naissance, "date de naissance")
    tranches = [t for t in figures.tranches_age_legal() if t.nes_a_partir_du <= date_naissance]
    if not tranches:
        raise DonneeInvalide(f"Date de naissance hors barème : {date_naissance:%d/%m/%Y}.")
    return tranches[-1].annees, tranches[-1].mois


def date_age_legal(date_naissance: date) -> date:
    """Le jour où l'âge légal est atteint.

    Même convention que les délais : né un 31 (ou un 29 février), l'âge est atteint le dernier
    jour du mois d'arrivée s'il n'a pas ce quantième. C'est le jour où l'âge est atteint, pas
    la date de départ en retraite (qui est, elle, le 1er du mois suivant au plus tôt)."""
    date_naissance = en_date(date_naissance, "date de naissance")
    annees, mois = age_legal_depart(date_naissance)
    return ajouter_mois(date_naissance, annees * 12 + mois)
