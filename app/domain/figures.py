"""Chiffres datés de la pension d'invalidité (data/figures.json).

Les montants et seuils changent par décret ou arrêté : ils vivent dans un fichier de données,
chacun avec sa date d'effet et sa source, jamais en dur dans les règles. Une valeur est « en
vigueur » à une date quand c'est la dernière dont la date d'effet la précède ou l'égale.
"""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

from .conversions import en_date, en_entier

FICHIER = Path(__file__).with_name("data") / "figures.json"


@dataclass(frozen=True)
class ValeurDatee:
    depuis: date
    valeur: Decimal
    source: str


@dataclass(frozen=True)
class Figure:
    unite: str
    libelle: str
    valeurs: tuple[ValeurDatee, ...]


@dataclass(frozen=True)
class TrancheAge:
    """Assurés nés à partir de `nes_a_partir_du` : âge légal `annees` ans et `mois` mois."""

    nes_a_partir_du: date
    annees: int
    mois: int


def _decimal_du_fichier(texte: str) -> Decimal:
    # Les valeurs restent des chaînes dans le JSON pour ne jamais passer par un float ;
    # « a/b » permet d'écrire 2/3 sans choisir d'arrondi dans le fichier.
    try:
        if "/" in texte:
            numerateur, denominateur = texte.split("/")
            return Decimal(numerateur) / Decimal(denominateur)
        return Decimal(texte)
    except (InvalidOperation, ValueError, ZeroDivisionError) as erreur:
        raise ValueError(f"figures.json : valeur illisible « {texte} ».") from erreur


def _figure(nom: str, brute: dict) -> Figure:
    valeurs = tuple(
        ValeurDatee(date.fromisoformat(v["depuis"]), _decimal_du_fichier(v["valeur"]), v["source"])
        for v in brute["valeurs"]
    )
    dates = [v.depuis for v in valeurs]
    if not valeurs or dates != sorted(set(dates)):
        raise ValueError(
            f"figures.json : « {nom} » doit avoir des dates d'effet uniques et triées."
        )
    return Figure(brute["unite"], brute["libelle"], valeurs)


@cache
def _donnees() -> tuple[dict[str, Figure], tuple[TrancheAge, ...]]:
    brut = json.loads(FICHIER.read_text(encoding="utf-8"))
    figures = {nom: _figure(nom, f) for nom, f in brut["figures"].items()}
    tranches = tuple(
        TrancheAge(date.fromisoformat(t["nes_a_partir_du"]), t["annees"], t["mois"])
        for t in brut["age_legal_depart"]["tranches"]
    )
    return figures, tranches


def noms() -> list[str]:
    """Les noms de toutes les figures du fichier."""
    return sorted(_donnees()[0])


def figure(nom: str) -> Figure:
    """La figure `nom` entière : unité, libellé et toutes ses valeurs datées."""
    figures = _donnees()[0]
    if nom not in figures:
        raise ValueError(f"Chiffre inconnu : « {nom} ».")
    return figures[nom]


def en_vigueur(nom: str, le: date | None = None) -> ValeurDatee:
    """La valeur de `nom` en vigueur le `le` ; sans date, la plus récente connue."""
    valeurs = figure(nom).valeurs
    if le is None:
        return valeurs[-1]
    le = en_date(le, "date")
    applicables = [v for v in valeurs if v.depuis <= le]
    if not applicables:
        raise ValueError(
            f"Aucune valeur de « {nom} » en vigueur le {le:%d/%m/%Y} "
            f"(première valeur connue : {valeurs[0].depuis:%d/%m/%Y})."
        )
    return applicables[-1]


def en_vigueur_depuis(nom: str) -> date:
    """Le premier jour où `nom` a une valeur : avant, aucune règle qui l'emploie ne s'applique."""
    return figure(nom).valeurs[0].depuis


def valeur(nom: str, le: date | None = None) -> Decimal:
    """La valeur (Decimal) de `nom` en vigueur le `le` ; ValueError si aucune."""
    return en_vigueur(nom, le).valeur


def source(nom: str, le: date | None = None) -> str:
    """Le texte qui fixe la valeur de `nom` en vigueur le `le`."""
    return en_vigueur(nom, le).source


def entier(nom: str, le: date | None = None) -> int:
    """Pour les durées et les comptes (mois, jours, années) : la valeur en entier."""
    nombre = valeur(nom, le)
    if nombre != nombre.to_integral_value():
        raise ValueError(f"« {nom} » n'est pas un nombre entier ({nombre}).")
    return int(nombre)


def pass_annuel(annee: int) -> Decimal:
    """Le PASS de l'année `annee`. Contrairement à `valeur`, l'année doit figurer telle quelle :
    plafonner un salaire 2027 au PASS 2026 serait faux sans le dire."""
    annee = en_entier(annee, "année", minimum=1)
    for v in figure("pass_annuel").valeurs:
        if v.depuis.year == annee:
            return v.valeur
    raise ValueError(f"Aucun plafond annuel de la sécurité sociale (PASS) connu pour {annee}.")


def tranches_age_legal() -> tuple[TrancheAge, ...]:
    """Le barème de l'âge légal, trié par date de naissance."""
    return _donnees()[1]
