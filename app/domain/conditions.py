"""Conditions administratives d'ouverture du droit à pension d'invalidité.

Elles s'apprécient à la date de l'arrêt de travail suivi d'invalidité ou du constat médical
(`date_constat`). La réduction de capacité d'au moins 2/3 est l'avis du médecin-conseil :
elle n'est pas calculée ici.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from . import figures
from .age import age_legal_depart, date_age_legal
from .conversions import DonneeInvalide, au_centime, en_date, en_entier, positif
from .delais import ajouter_mois, premier_jour_du_mois


@dataclass(frozen=True)
class ResultatConditions:
    """Assuré salarié : une case par condition, et les chiffres qui ont servi."""

    age_ok: bool
    immatriculation_ok: bool
    heures_ok: bool
    cotisations_ok: bool
    smic_horaire: Decimal
    seuil_cotisations: Decimal
    seuil_heures: Decimal
    age_legal: tuple[int, int]
    date_age_legal: date
    immatriculation_au_plus_tard: date
    debut_periode: date
    fin_periode: date
    activite_ok: bool = field(init=False)
    remplies: bool = field(init=False)

    def __post_init__(self):
        # Calculés ici pour qu'un résultat ne puisse pas se contredire.
        activite = self.heures_ok or self.cotisations_ok
        object.__setattr__(self, "activite_ok", activite)
        tout = self.age_ok and self.immatriculation_ok and activite
        object.__setattr__(self, "remplies", tout)


@dataclass(frozen=True)
class ResultatConditionsNonSalarie:
    """Travailleur indépendant : IJ perçues, ou 12 mois d'affiliation et revenus suffisants."""

    ij_ok: bool
    affiliation_ok: bool
    revenus_ok: bool
    annees: tuple[int, ...]
    revenu_moyen: Decimal
    pass_moyen: Decimal
    seuil_revenus: Decimal
    mois_affiliation_requis: int
    remplies: bool = field(init=False)

    def __post_init__(self):
        tout = self.ij_ok or (self.affiliation_ok and self.revenus_ok)
        object.__setattr__(self, "remplies", tout)


def periode_reference(date_constat: date) -> tuple[date, date]:
    """Les 12 mois civils complets qui précèdent le mois du constat (premier et dernier jour)."""
    debut_du_mois = premier_jour_du_mois(date_constat)
    return ajouter_mois(debut_du_mois, -12), debut_du_mois - timedelta(days=1)


def _verifier_chronologie(naissance: date, immatriculation: date, constat: date) -> None:
    if naissance > constat:
        raise DonneeInvalide(
            "La date de naissance est postérieure à la date de l'arrêt ou du constat."
        )
    if immatriculation > constat:
        raise DonneeInvalide(
            "La date d'immatriculation est postérieure à la date de l'arrêt ou du constat."
        )
    if immatriculation < naissance:
        raise DonneeInvalide("La date d'immatriculation est antérieure à la date de naissance.")


def conditions_administratives(
    date_naissance: date,
    date_immatriculation: date,
    date_constat: date,
    heures_12_mois: Decimal,
    salaires_12_mois_civils: Decimal,
) -> ResultatConditions:
    """Conditions d'âge, d'immatriculation et d'activité d'un salarié (CSS art. R313-5).

    `heures_12_mois` : heures de travail salarié sur les 12 mois civils précédents ;
    `salaires_12_mois_civils` : salaires soumis à cotisation sur ces mêmes mois. Comparer le
    salaire à 2 030 × SMIC revient à comparer les cotisations, dues au même taux."""
    naissance = en_date(date_naissance, "date de naissance")
    immatriculation = en_date(date_immatriculation, "date d'immatriculation")
    constat = en_date(date_constat, "date de l'arrêt ou du constat")
    heures = positif(heures_12_mois, "nombre d'heures travaillées")
    salaires = positif(salaires_12_mois_civils, "montant des salaires")
    _verifier_chronologie(naissance, immatriculation, constat)

    debut, fin = periode_reference(constat)
    # Le SMIC retenu est celui du premier jour de la période de référence (R313-5).
    smic = figures.valeur("smic_horaire", debut)
    seuil_cotisations = au_centime(figures.valeur("coefficient_smic_cotisations", constat) * smic)
    seuil_heures = figures.valeur("seuil_heures_salariees", constat)
    mois_requis = figures.entier("mois_immatriculation_minimum", constat)
    # « Immatriculé depuis 12 mois au premier jour du mois » de l'arrêt ou du constat.
    limite_immatriculation = ajouter_mois(premier_jour_du_mois(constat), -mois_requis)
    age_limite = date_age_legal(naissance)
    return ResultatConditions(
        age_ok=constat < age_limite,
        immatriculation_ok=immatriculation <= limite_immatriculation,
        heures_ok=heures >= seuil_heures,
        cotisations_ok=salaires >= seuil_cotisations,
        smic_horaire=smic,
        seuil_cotisations=seuil_cotisations,
        seuil_heures=seuil_heures,
        age_legal=age_legal_depart(naissance),
        date_age_legal=age_limite,
        immatriculation_au_plus_tard=limite_immatriculation,
        debut_periode=debut,
        fin_periode=fin,
    )


def _revenus(revenus_3_ans: list[Decimal], nombre: int) -> list[Decimal]:
    if not isinstance(revenus_3_ans, list | tuple) or len(revenus_3_ans) != nombre:
        raise DonneeInvalide(
            f"Les revenus des {nombre} dernières années civiles sont attendus, "
            "du plus ancien au plus récent."
        )
    return [positif(r, "revenu annuel") for r in revenus_3_ans]


def conditions_non_salarie(
    ij_percues: bool,
    mois_affiliation: int,
    revenus_3_ans: list[Decimal],
    date_constat: date,
) -> ResultatConditionsNonSalarie:
    """Conditions d'un travailleur indépendant.

    `revenus_3_ans` : revenus des 3 années civiles précédant l'année du constat, du plus
    ancien au plus récent ; le seuil est 10 % de la moyenne des PASS de ces mêmes années."""
    if not isinstance(ij_percues, bool):
        raise DonneeInvalide("« IJ perçues » doit valoir oui ou non (booléen).")
    mois_affiliation = en_entier(mois_affiliation, "durée d'affiliation en mois")
    constat = en_date(date_constat, "date de l'arrêt ou du constat")
    nombre = figures.entier("annees_revenus_independant", constat)
    revenus = _revenus(revenus_3_ans, nombre)
    annees = tuple(range(constat.year - nombre, constat.year))
    pass_moyen = au_centime(sum(figures.pass_annuel(a) for a in annees) / nombre)
    seuil = au_centime(figures.valeur("taux_revenu_independant", constat) * pass_moyen)
    revenu_moyen = au_centime(sum(revenus) / nombre)
    mois_requis = figures.entier("mois_affiliation_independant", constat)
    return ResultatConditionsNonSalarie(
        ij_ok=ij_percues,
        affiliation_ok=mois_affiliation >= mois_requis,
        revenus_ok=revenu_moyen >= seuil,
        annees=annees,
        revenu_moyen=revenu_moyen,
        pass_moyen=pass_moyen,
        seuil_revenus=seuil,
        mois_affiliation_requis=mois_requis,
    )
