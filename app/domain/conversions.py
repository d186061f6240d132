"""Contrôle et conversion des arguments reçus par les règles.

Les règles sont appelées depuis des formulaires, des tables DMN et des scripts BPMN dont les
données passent par du JSON : une date peut y arriver en chaîne ISO, un montant en chaîne ou
en nombre. Tout est ramené ici à `date` et `Decimal`, et toute donnée inexploitable lève une
`ValueError` au message français, affichable tel quel.
"""

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENTIME = Decimal("0.01")


class DonneeInvalide(ValueError):
    """Argument inexploitable par une règle. Sous-classe de ValueError : les appelants
    attrapent ValueError ; le message, en français, s'affiche tel quel."""


def en_date(valeur: object, nom: str) -> date:
    """Une `date` (ou une chaîne AAAA-MM-JJ). Un `datetime` est refusé : l'heure n'a pas de
    sens pour ces règles et la comparer à une date lèverait une TypeError plus loin."""
    if isinstance(valeur, datetime):
        raise DonneeInvalide(f"{nom} : une date sans heure est attendue, pas « {valeur} ».")
    if isinstance(valeur, date):
        return valeur
    if isinstance(valeur, str):
        try:
            return date.fromisoformat(valeur.strip())
        except ValueError:
            pass
    raise DonneeInvalide(f"{nom} : date invalide « {valeur} » (format attendu AAAA-MM-JJ).")


def en_decimal(valeur: object, nom: str) -> Decimal:
    """Un nombre fini en `Decimal`. Un float passe par sa représentation courte (`str`) pour
    ne pas importer ses artefacts binaires (0.1 → 0.1000000000000000055…)."""
    if isinstance(valeur, bool):
        raise DonneeInvalide(f"{nom} : un nombre est attendu, pas un booléen.")
    if isinstance(valeur, float | int):
        valeur = str(valeur)
    if isinstance(valeur, Decimal | str):
        try:
            nombre = Decimal(valeur.strip() if isinstance(valeur, str) else valeur)
        except InvalidOperation:
            nombre = None
        if nombre is not None and nombre.is_finite():
            return nombre
    raise DonneeInvalide(f"{nom} : nombre invalide « {valeur} ».")


def positif(valeur: object, nom: str) -> Decimal:
    """Un nombre ≥ 0 (heures, salaires, revenus : jamais négatifs)."""
    nombre = en_decimal(valeur, nom)
    if nombre < 0:
        raise DonneeInvalide(f"{nom} ne peut pas être négatif ({nombre}).")
    return nombre


def en_entier(valeur: object, nom: str, minimum: int = 0) -> int:
    """Un entier ≥ minimum ; un booléen n'en est pas un, même si Python le permet."""
    if isinstance(valeur, bool) or not isinstance(valeur, int):
        raise DonneeInvalide(f"{nom} : un nombre entier est attendu, pas « {valeur} ».")
    if valeur < minimum:
        raise DonneeInvalide(f"{nom} doit être supérieur ou égal à {minimum} (reçu {valeur}).")
    return valeur


def au_centime(montant: Decimal) -> Decimal:
    """Arrondi au centime, la moitié vers le haut (règle de DESIGN.md §3)."""
    return montant.quantize(CENTIME, rounding=ROUND_HALF_UP)
