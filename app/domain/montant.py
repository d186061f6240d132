"""Salaire annuel moyen (SAM) et montant de la pension d'invalidité.

Pension = taux de la catégorie × SAM / 12, bornée par le minimum et le maximum de la
catégorie en vigueur à la date d'effet, puis majorée de la MTP en 3e catégorie. Tous les
montants sont arrondis au centime, la moitié vers le haut.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import figures
from .conversions import DonneeInvalide, au_centime, en_date, positif

CATEGORIES = (1, 2, 3)
_MAXIMUM = {
    1: "pension_maximum_mensuelle_cat1",
    2: "pension_maximum_mensuelle_cat23",
    3: "pension_maximum_mensuelle_cat23",
}
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Montant:
    categorie: int
    sam: Decimal
    taux: Decimal
    base_mensuelle: Decimal  # taux × SAM / 12, avant bornes
    minimum: Decimal
    maximum: Decimal
    mtp: Decimal  # 0 hors 3e catégorie
    mensuel: Decimal  # borné, MTP comprise
    annuel: Decimal  # mensuel × 12
    plafonne: bool  # la base dépassait le maximum
    minore: bool  # la base était sous le minimum


def _salaire_retenu(
    annee: int, salaire: object, coefficients: dict[int, Decimal] | None
) -> Decimal:
    """Salaire d'une année, plafonné au PASS de cette année puis revalorisé.

    Ordre choisi : plafonnement d'abord, revalorisation ensuite. Les cotisations ont été
    versées dans la limite du plafond de l'année (CSS art. R341-4), et c'est ce salaire
    plafonné que les coefficients actualisent ; revaloriser avant de plafonner ferait
    disparaître la revalorisation de tout salaire supérieur au plafond."""
    if isinstance(annee, bool) or not isinstance(annee, int):
        raise DonneeInvalide(f"Année invalide : « {annee} ».")
    retenu = min(positif(salaire, f"salaire {annee}"), figures.pass_annuel(annee))
    if coefficients is None:
        return retenu
    if annee not in coefficients:
        raise DonneeInvalide(f"Coefficient de revalorisation manquant pour {annee}.")
    coefficient = positif(coefficients[annee], f"coefficient de revalorisation {annee}")
    return retenu * coefficient


def salaire_annuel_moyen(
    salaires: dict[int, Decimal], coefficients: dict[int, Decimal] | None = None
) -> Decimal:
    """Moyenne des 10 meilleures années (toutes s'il y en a moins), chacune plafonnée au
    PASS de son année ; `coefficients` (facultatif) revalorise chaque année retenue."""
    if not isinstance(salaires, dict) or not salaires:
        raise DonneeInvalide(
            "Aucun salaire annuel fourni : le salaire annuel moyen est incalculable."
        )
    retenus = sorted(
        (_salaire_retenu(annee, s, coefficients) for annee, s in salaires.items()), reverse=True
    )
    # Le nombre d'années dépend de la réglementation en vigueur au calcul : la plus récente.
    meilleures = retenus[: figures.entier("nombre_meilleures_annees")]
    return au_centime(sum(meilleures) / len(meilleures))


def _taux_de_categorie_valide(categorie: int) -> None:
    if isinstance(categorie, bool) or not isinstance(categorie, int) or categorie not in CATEGORIES:
        raise DonneeInvalide(f"Catégorie d'invalidité invalide : « {categorie} » (1, 2 ou 3).")


def _taux(categorie: int, le: date) -> Decimal:
    _taux_de_categorie_valide(categorie)
    return figures.valeur(f"taux_pension_cat{categorie}", le)


def _taux_impose(categorie: int, taux: object) -> Decimal:
    _taux_de_categorie_valide(categorie)
    retenu = positif(taux, "taux de la catégorie")
    if not 0 < retenu <= 1:
        raise DonneeInvalide(f"Taux invalide : « {taux} » (une fraction entre 0 et 1 est attendue).")
    return retenu


def montant_pension(categorie: int, sam: Decimal, date_effet: date,
                    taux: Decimal | None = None) -> Montant:
    """Montant mensuel et annuel brut de la pension à la date d'effet.

    `taux` (facultatif) : le taux retenu par la table de décision du processus (DMN
    « taux par catégorie »), qui prime alors sur celui de data/figures.json."""
    date_effet = en_date(date_effet, "date d'effet")
    taux = _taux(categorie, date_effet) if taux is None else _taux_impose(categorie, taux)
    sam = positif(sam, "salaire annuel moyen")
    base = au_centime(taux * sam / 12)
    minimum = figures.valeur("pension_minimum_mensuelle", date_effet)
    maximum = figures.valeur(_MAXIMUM[categorie], date_effet)
    mtp = figures.valeur("mtp_mensuelle", date_effet) if categorie == 3 else ZERO
    mensuel = au_centime(min(max(base, minimum), maximum) + mtp)
    return Montant(
        categorie=categorie,
        sam=sam,
        taux=taux,
        base_mensuelle=base,
        minimum=minimum,
        maximum=maximum,
        mtp=mtp,
        mensuel=mensuel,
        annuel=au_centime(mensuel * 12),
        plafonne=base > maximum,
        minore=base < minimum,
    )
