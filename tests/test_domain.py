"""Spécification des règles de la pension d'invalidité (app/domain).

Chaque chiffre attendu ici se recalcule à la main à partir de DESIGN.md §3.
"""

import ast
import dataclasses
import json
import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.domain import (
    Montant,
    ResultatConditions,
    age_legal_depart,
    caisse_competente,
    conditions_administratives,
    conditions_non_salarie,
    coordonnees_recours,
    date_age_legal,
    date_limite,
    echeance,
    intention,
    montant_pension,
    pass_annuel,
    prolonger,
    reconnait_demande_pension,
    salaire_annuel_moyen,
    source,
    valeur,
)
from app.domain import figures as fig

D = Decimal
DOMAINE = Path(__file__).resolve().parents[1] / "app" / "domain"


# --- Isolement du paquet ------------------------------------------------------------------


def test_le_domaine_n_importe_que_la_bibliotheque_standard_et_rapidfuzz():
    permis = set(sys.stdlib_module_names) | {"rapidfuzz"}
    for fichier in DOMAINE.rglob("*.py"):
        for noeud in ast.walk(ast.parse(fichier.read_text(encoding="utf-8"))):
            if isinstance(noeud, ast.Import):
                modules = [alias.name for alias in noeud.names]
            elif isinstance(noeud, ast.ImportFrom) and noeud.level == 0:
                modules = [noeud.module]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] in permis, f"{fichier.name} importe {module}"


# --- Chiffres datés -------------------------------------------------------------------------


def _brut():
    return json.loads((DOMAINE / "data" / "figures.json").read_text(encoding="utf-8"))


def test_chaque_valeur_est_une_chaine_datee_et_sourcee():
    for nom, figure in _brut()["figures"].items():
        assert figure["unite"] and figure["libelle"], nom
        for v in figure["valeurs"]:
            assert isinstance(v["valeur"], str), nom
            assert v["source"].strip(), nom
            date.fromisoformat(v["depuis"])


def test_les_valeurs_sont_des_decimal():
    assert valeur("smic_horaire", date(2025, 1, 1)) == D("11.88")
    assert isinstance(valeur("smic_horaire", date(2025, 1, 1)), Decimal)


@pytest.mark.parametrize(
    ("le", "attendu"),
    [
        (date(2023, 4, 30), "11.27"),
        (date(2023, 5, 1), "11.52"),
        (date(2024, 1, 1), "11.65"),
        (date(2024, 10, 31), "11.65"),
        (date(2024, 11, 1), "11.88"),
        (date(2025, 12, 31), "11.88"),
        (date(2026, 1, 1), "12.02"),
        (date(2030, 6, 1), "12.02"),
    ],
)
def test_smic_en_vigueur(le, attendu):
    assert valeur("smic_horaire", le) == D(attendu)


def test_source_du_smic():
    assert "2024-951" in source("smic_horaire", date(2025, 6, 1))
    assert "2025-1228" in source("smic_horaire", date(2026, 6, 1))


def test_aucune_valeur_avant_la_premiere_date_d_effet():
    with pytest.raises(ValueError, match="Aucune valeur"):
        valeur("smic_horaire", date(2021, 12, 31))
    with pytest.raises(ValueError, match="Aucune valeur"):
        valeur("pension_minimum_mensuelle", date(2024, 12, 31))


def test_chiffre_inconnu():
    with pytest.raises(ValueError, match="inconnu"):
        valeur("smic_mensuel", date(2025, 1, 1))


def test_chiffres_du_tableau_de_design():
    le = date(2025, 6, 1)
    assert valeur("pension_minimum_mensuelle", le) == D("335.29")
    assert valeur("pension_maximum_mensuelle_cat1", le) == D("1177.50")
    assert valeur("pension_maximum_mensuelle_cat23", le) == D("1962.50")
    assert valeur("mtp_mensuelle", le) == D("1288.13")
    assert valeur("asi_plafond_seul_annuel", le) == D("10978.30")
    assert valeur("asi_plafond_couple_annuel", le) == D("19212.03")
    assert valeur("seuil_heures_salariees", le) == 600
    assert valeur("coefficient_smic_cotisations", le) == 2030
    assert valeur("nombre_meilleures_annees", le) == 10
    assert valeur("taux_pension_cat1", le) == D("0.30")
    assert valeur("taux_pension_cat2", le) == valeur("taux_pension_cat3", le) == D("0.50")
    assert valeur("taux_revenu_independant", le) == D("0.10")
    assert valeur("reduction_capacite_minimum", le) == D(2) / D(3)


def test_delais_du_tableau_de_design():
    assert fig.entier("delai_decision") == 2
    assert fig.entier("delai_contestation") == 2
    assert fig.entier("delai_silence_cra") == 2
    assert fig.entier("delai_silence_cmra") == 4
    assert fig.entier("delai_reponse_pieces") == 30
    assert fig.figure("delai_reponse_pieces").unite == "jours"


def test_les_maxima_valent_30_et_50_pourcent_du_pass_mensuel():
    for nom, taux in (
        ("pension_maximum_mensuelle_cat1", D("0.30")),
        ("pension_maximum_mensuelle_cat23", D("0.50")),
    ):
        for v in fig.figure(nom).valeurs:
            assert v.valeur == taux * pass_annuel(v.depuis.year) / 12, (nom, v.depuis)


HISTORIQUE_PASS = {
    2000: 26892, 2001: 27349, 2002: 28224, 2003: 29184, 2004: 29712, 2005: 30192,
    2006: 31068, 2007: 32184, 2008: 33276, 2009: 34308, 2010: 34620, 2011: 35352,
    2012: 36372, 2013: 37032, 2014: 37548, 2015: 38040, 2016: 38616, 2017: 39228,
    2018: 39732, 2019: 40524, 2020: 41136, 2021: 41136, 2022: 41136, 2023: 43992,
    2024: 46368, 2025: 47100, 2026: 48060,
}  # fmt: skip


def test_historique_du_pass():
    for annee, montant in HISTORIQUE_PASS.items():
        assert pass_annuel(annee) == montant


@pytest.mark.parametrize("annee", [1999, 2027])
def test_pass_d_une_annee_inconnue(annee):
    # 2027 ne doit pas retomber sur le PASS 2026 : plafonner avec un PASS faux serait muet.
    with pytest.raises(ValueError, match=f"PASS.*{annee}"):
        pass_annuel(annee)


# --- Âge légal ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("naissance", "age"),
    [
        (date(1955, 1, 1), (62, 0)),
        (date(1961, 8, 31), (62, 0)),
        (date(1961, 9, 1), (62, 3)),
        (date(1961, 12, 31), (62, 3)),
        (date(1962, 1, 1), (62, 6)),
        (date(1963, 7, 14), (62, 9)),
        (date(1964, 12, 31), (62, 9)),
        (date(1965, 1, 1), (62, 9)),
        (date(1965, 3, 31), (62, 9)),
        (date(1965, 4, 1), (63, 0)),
        (date(1966, 1, 1), (63, 3)),
        (date(1967, 6, 30), (63, 6)),
        (date(1968, 12, 31), (63, 9)),
        (date(1969, 1, 1), (64, 0)),
        (date(1990, 5, 17), (64, 0)),
    ],
)
def test_age_legal_depart(naissance, age):
    assert age_legal_depart(naissance) == age


@pytest.mark.parametrize(
    ("naissance", "attendu"),
    [
        (date(1961, 8, 31), date(2023, 8, 31)),
        (date(1961, 9, 1), date(2023, 12, 1)),
        (date(1962, 8, 31), date(2025, 2, 28)),  # 62 ans 6 mois : pas de 31 février
        (date(1960, 2, 29), date(2022, 2, 28)),  # né un 29 février, année non bissextile
        (date(1964, 2, 29), date(2026, 11, 29)),
        (date(1965, 4, 1), date(2028, 4, 1)),
        (date(1969, 1, 1), date(2033, 1, 1)),
    ],
)
def test_date_age_legal(naissance, attendu):
    assert date_age_legal(naissance) == attendu


def test_age_legal_refuse_une_date_illisible():
    with pytest.raises(ValueError, match="date de naissance"):
        age_legal_depart("31/08/1961")
    assert age_legal_depart("1961-09-01") == (62, 3)


# --- Délais ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("depart", "mois", "attendu"),
    [
        (date(2027, 12, 31), 2, date(2028, 2, 29)),  # bissextile
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2025, 1, 31), 1, date(2025, 2, 28)),
        (date(2024, 1, 30), 1, date(2024, 2, 29)),
        (date(2025, 3, 31), 1, date(2025, 4, 30)),
        (date(2025, 3, 15), 2, date(2025, 5, 15)),
        (date(2025, 11, 30), 2, date(2026, 1, 30)),
        (date(2025, 10, 31), 4, date(2026, 2, 28)),
        (date(2025, 2, 28), 2, date(2025, 4, 28)),  # pas de « fin de mois » propagée
        (date(2025, 6, 10), 0, date(2025, 6, 10)),
    ],
)
def test_date_limite(depart, mois, attendu):
    assert date_limite(depart, mois) == attendu


def test_prolonger_du_temps_de_reponse_aux_pieces():
    assert prolonger(date(2028, 2, 29), 30) == date(2028, 3, 30)
    assert prolonger(date(2026, 12, 20), 15) == date(2027, 1, 4)
    assert prolonger(date(2026, 12, 20), 0) == date(2026, 12, 20)


@pytest.mark.parametrize("mauvais", [-1, 1.5, True, "2", None])
def test_date_limite_refuse_une_duree_invalide(mauvais):
    with pytest.raises(ValueError, match="délai"):
        date_limite(date(2025, 1, 1), mauvais)


def test_prolonger_refuse_un_nombre_de_jours_negatif():
    with pytest.raises(ValueError, match="prolongation"):
        prolonger(date(2025, 1, 1), -3)


def test_les_dates_avec_heure_sont_refusees():
    with pytest.raises(ValueError, match="sans heure"):
        date_limite(datetime(2025, 1, 1, 12, 0), 2)


def test_echeances_nommees():
    assert echeance("decision", date(2027, 12, 31)) == date(2028, 2, 29)
    assert echeance("silence_cra", date(2026, 1, 31)) == date(2026, 3, 31)
    assert echeance("silence_cmra", date(2025, 10, 31)) == date(2026, 2, 28)
    assert echeance("reponse_pieces", date(2026, 1, 15)) == date(2026, 2, 14)
    with pytest.raises(ValueError, match="Délai inconnu"):
        echeance("retraite", date(2026, 1, 15))


# --- Caisse compétente et recours -----------------------------------------------------------


@pytest.mark.parametrize("dep", ["75", "78", "91", "92", "93", "94", "95"])
def test_ile_de_france_hors_77_releve_de_la_cramif(dep):
    assert caisse_competente(dep) == "CRAMIF"


@pytest.mark.parametrize(
    ("dep", "caisse"),
    [
        ("77", "CPAM 77"),
        ("69", "CPAM 69"),
        ("01", "CPAM 01"),
        ("1", "CPAM 01"),
        (" 13 ", "CPAM 13"),
        ("2A", "CPAM 2A"),
        ("2a", "CPAM 2A"),
        (" 2b", "CPAM 2B"),
        ("971", "CGSS 971"),
        ("974", "CGSS 974"),
        ("975", "CPS 975"),
        ("976", "CSSM 976"),
    ],
)
def test_caisse_locale(dep, caisse):
    assert caisse_competente(dep) == caisse


@pytest.mark.parametrize("dep", ["00", "0", "99", "96", "100", "977", "abc", "", "2C", "75001"])
def test_departement_inconnu(dep):
    with pytest.raises(ValueError, match="Département inconnu"):
        caisse_competente(dep)


def test_la_corse_s_ecrit_2a_ou_2b():
    with pytest.raises(ValueError, match="2A ou 2B"):
        caisse_competente("20")


def test_departement_qui_n_est_pas_une_chaine():
    with pytest.raises(ValueError, match="Département invalide"):
        caisse_competente(75)


def test_recours_cramif():
    recours = coordonnees_recours("CRAMIF")
    assert recours["cra"]["adresse"] == (
        "Commission de recours amiable de la CRAMIF, 17-19 avenue de Flandre, 75954 Paris cedex 19"
    )
    assert recours["cra"]["delai_saisine_mois"] == 2
    assert recours["cra"]["silence_vaut_rejet_mois"] == 2
    assert recours["cmra"]["delai_saisine_mois"] == 2
    assert recours["cmra"]["silence_vaut_rejet_mois"] == 4
    assert "médicale" in recours["cmra"]["intitule"]


def test_recours_cpam_de_seine_et_marne():
    recours = coordonnees_recours(caisse_competente("77"))
    assert recours["cra"]["intitule"] == "Commission de recours amiable de la CPAM 77"
    assert recours["cra"]["adresse"] is None
    assert "ameli.fr" in recours["cra"]["note"]
    assert "CPAM 77" in recours["cmra"]["intitule"]


@pytest.mark.parametrize("caisse", ["CPAM 75", "CPAM 99", "MSA", "cramif", "", None])
def test_recours_d_une_caisse_inconnue(caisse):
    with pytest.raises(ValueError, match="Caisse"):
        coordonnees_recours(caisse)


# --- Conditions administratives (salarié) ---------------------------------------------------


def _conditions(**changements):
    arguments = {
        "date_naissance": date(1980, 5, 1),
        "date_immatriculation": date(2000, 1, 1),
        "date_constat": date(2025, 11, 15),
        "heures_12_mois": 650,
        "salaires_12_mois_civils": D("30000"),
    }
    arguments.update(changements)
    return conditions_administratives(**arguments)


def test_assure_qui_remplit_tout():
    resultat = _conditions()
    assert resultat.remplies
    assert (resultat.age_ok, resultat.immatriculation_ok) == (True, True)
    assert (resultat.heures_ok, resultat.cotisations_ok, resultat.activite_ok) == (True,) * 3
    assert resultat.age_legal == (64, 0)
    assert resultat.seuil_heures == 600


@pytest.mark.parametrize(
    ("constat", "debut", "fin", "smic", "seuil"),
    [
        # Période de référence = 12 mois civils complets avant le mois du constat ; SMIC du
        # premier jour de cette période.
        (date(2025, 11, 15), date(2024, 11, 1), date(2025, 10, 31), "11.88", "24116.40"),
        (date(2025, 10, 31), date(2024, 10, 1), date(2025, 9, 30), "11.65", "23649.50"),
        (date(2024, 3, 1), date(2023, 3, 1), date(2024, 2, 29), "11.27", "22878.10"),
        (date(2027, 1, 10), date(2026, 1, 1), date(2026, 12, 31), "12.02", "24400.60"),
    ],
)
def test_periode_de_reference_et_smic(constat, debut, fin, smic, seuil):
    resultat = _conditions(date_constat=constat)
    assert (resultat.debut_periode, resultat.fin_periode) == (debut, fin)
    assert resultat.smic_horaire == D(smic)
    assert resultat.seuil_cotisations == D(seuil)


def test_seuil_de_cotisations_atteint_tout_juste():
    assert _conditions(heures_12_mois=0, salaires_12_mois_civils=D("24116.40")).cotisations_ok
    manque = _conditions(heures_12_mois=0, salaires_12_mois_civils=D("24116.39"))
    assert not manque.cotisations_ok
    assert not manque.activite_ok
    assert not manque.remplies


def test_600_heures_suffisent_sans_les_cotisations():
    resultat = _conditions(heures_12_mois=600, salaires_12_mois_civils=0)
    assert resultat.heures_ok and not resultat.cotisations_ok
    assert resultat.activite_ok and resultat.remplies
    assert not _conditions(heures_12_mois=D("599.5"), salaires_12_mois_civils=0).activite_ok


def test_immatriculation_douze_mois_au_premier_jour_du_mois():
    # Constat le 15/11/2025 → immatriculé au plus tard le 01/11/2024.
    assert _conditions(date_immatriculation=date(2024, 11, 1)).immatriculation_ok
    tardif = _conditions(date_immatriculation=date(2024, 11, 2))
    assert not tardif.immatriculation_ok
    assert not tardif.remplies
    assert tardif.immatriculation_au_plus_tard == date(2024, 11, 1)


def test_age_legal_atteint_le_jour_du_constat():
    # Né le 31/08/1961 : 62 ans le 31/08/2023.
    veille = _conditions(date_naissance=date(1961, 8, 31), date_constat=date(2023, 8, 30))
    assert veille.age_ok
    jour_meme = _conditions(date_naissance=date(1961, 8, 31), date_constat=date(2023, 8, 31))
    assert not jour_meme.age_ok
    assert not jour_meme.remplies
    # Né un jour plus tard, l'âge légal recule de 3 mois.
    assert _conditions(date_naissance=date(1961, 9, 1), date_constat=date(2023, 11, 30)).age_ok


def test_le_resultat_ne_peut_pas_etre_modifie():
    resultat = _conditions()
    assert isinstance(resultat, ResultatConditions)
    with pytest.raises(dataclasses.FrozenInstanceError):
        resultat.remplies = False


@pytest.mark.parametrize(
    ("changement", "message"),
    [
        ({"heures_12_mois": -1}, "heures.*négatif"),
        ({"salaires_12_mois_civils": D("-0.01")}, "salaires.*négatif"),
        ({"salaires_12_mois_civils": "beaucoup"}, "nombre invalide"),
        ({"heures_12_mois": None}, "nombre invalide"),
        ({"heures_12_mois": True}, "booléen"),
        ({"date_immatriculation": date(2025, 11, 16)}, "immatriculation est postérieure"),
        ({"date_naissance": date(2026, 1, 1)}, "naissance est postérieure"),
        ({"date_immatriculation": date(1979, 1, 1)}, "antérieure à la date de naissance"),
        ({"date_constat": None}, "date invalide"),
        ({"date_constat": date(2021, 6, 1)}, "smic_horaire"),
    ],
)
def test_arguments_refuses(changement, message):
    with pytest.raises(ValueError, match=message):
        _conditions(**changement)


def test_dates_iso_acceptees():
    assert _conditions(date_constat="2025-11-15", date_naissance="1980-05-01").remplies


# --- Conditions du travailleur indépendant ---------------------------------------------------

# Constat en 2025 : années 2022, 2023, 2024 ; PASS moyen (41 136 + 43 992 + 46 368) / 3
# = 43 832 € ; seuil 10 % = 4 383,20 €.


def test_seuil_de_revenus_independant():
    resultat = conditions_non_salarie(False, 12, [D("4383.20")] * 3, date(2025, 6, 1))
    assert resultat.annees == (2022, 2023, 2024)
    assert resultat.pass_moyen == D("43832.00")
    assert resultat.seuil_revenus == D("4383.20")
    assert resultat.revenus_ok and resultat.affiliation_ok and resultat.remplies


def test_revenus_insuffisants_d_un_centime():
    resultat = conditions_non_salarie(False, 36, [D("4383.19")] * 3, date(2025, 6, 1))
    assert not resultat.revenus_ok
    assert not resultat.remplies


def test_affiliation_de_onze_mois_insuffisante():
    resultat = conditions_non_salarie(False, 11, [D("9000")] * 3, date(2025, 6, 1))
    assert not resultat.affiliation_ok
    assert not resultat.remplies


def test_les_ij_percues_suffisent():
    resultat = conditions_non_salarie(True, 0, [0, 0, 0], date(2025, 6, 1))
    assert resultat.remplies


def test_independant_arguments_refuses():
    with pytest.raises(ValueError, match="3 dernières années"):
        conditions_non_salarie(False, 12, [D("5000"), D("5000")], date(2025, 6, 1))
    with pytest.raises(ValueError, match="IJ"):
        conditions_non_salarie("oui", 12, [D("5000")] * 3, date(2025, 6, 1))
    with pytest.raises(ValueError, match="négatif"):
        conditions_non_salarie(False, 12, [D("5000"), D("-1"), D("5000")], date(2025, 6, 1))
    with pytest.raises(ValueError, match="PASS.*2027"):
        conditions_non_salarie(False, 12, [D("5000")] * 3, date(2028, 6, 1))


# --- Salaire annuel moyen -------------------------------------------------------------------


def test_sam_avec_moins_de_dix_annees():
    assert salaire_annuel_moyen({2023: D("20000"), 2024: D("25000")}) == D("22500.00")


def test_sam_garde_les_dix_meilleures_annees():
    salaires = {annee: D("30000") for annee in range(2010, 2020)}
    salaires[2008] = D("1000")  # les deux plus faibles sont écartées
    salaires[2009] = D("2000")
    assert salaire_annuel_moyen(salaires) == D("30000.00")


def test_chaque_annee_est_plafonnee_au_pass_de_son_annee():
    # 2000 : 26 892 ; 2024 : 46 368.
    assert salaire_annuel_moyen({2000: D("60000"), 2024: D("60000")}) == D("36630.00")


def test_le_plafonnement_intervient_avant_le_choix_des_meilleures_annees():
    # 2000 plafonnée à 26 892 passe derrière 2024 (30 000) et 2010 (28 000).
    salaires = {2000: D("40000"), 2010: D("28000"), 2024: D("30000")}
    salaires.update({annee: D("27000") for annee in range(2011, 2019)})
    assert salaire_annuel_moyen(salaires) == D("27400.00")


def test_sam_arrondi_au_centime_moitie_vers_le_haut():
    # (10 000,01 + 10 000,00) / 2 = 10 000,005 → 10 000,01 (pas l'arrondi bancaire).
    assert salaire_annuel_moyen({2023: D("10000.01"), 2024: D("10000")}) == D("10000.01")


def test_coefficients_appliques_au_salaire_plafonne():
    # 2022 : 50 000 plafonné à 41 136, puis × 1,1 = 45 249,60.
    assert salaire_annuel_moyen({2022: D("50000")}, {2022: D("1.1")}) == D("45249.60")
    with pytest.raises(ValueError, match="Coefficient.*2023"):
        salaire_annuel_moyen({2022: D("1"), 2023: D("1")}, {2022: D("1.1")})


@pytest.mark.parametrize(
    ("salaires", "message"),
    [
        ({}, "Aucun salaire"),
        ({2024: D("-1")}, "négatif"),
        ({1998: D("20000")}, "PASS.*1998"),
        ({"2024": D("20000")}, "Année invalide"),
        ({2024: "n/a"}, "nombre invalide"),
    ],
)
def test_sam_arguments_refuses(salaires, message):
    with pytest.raises(ValueError, match=message):
        salaire_annuel_moyen(salaires)


# --- Montant de la pension ------------------------------------------------------------------

EFFET_2025 = date(2025, 6, 1)


@pytest.mark.parametrize(
    ("categorie", "sam", "taux", "base", "mensuel"),
    [
        (1, "30000", "0.30", "750.00", "750.00"),
        (2, "30000", "0.50", "1250.00", "1250.00"),
        (3, "30000", "0.50", "1250.00", "2538.13"),  # + MTP 1 288,13
    ],
)
def test_montant_par_categorie(categorie, sam, taux, base, mensuel):
    montant = montant_pension(categorie, D(sam), EFFET_2025)
    assert montant.taux == D(taux)
    assert montant.base_mensuelle == D(base)
    assert montant.mensuel == D(mensuel)
    assert montant.annuel == D(mensuel) * 12
    assert not montant.plafonne and not montant.minore


def test_mtp_nulle_hors_troisieme_categorie():
    assert montant_pension(2, D("30000"), EFFET_2025).mtp == 0
    assert montant_pension(3, D("30000"), EFFET_2025).mtp == D("1288.13")


def test_maximum_de_deuxieme_categorie():
    tout_juste = montant_pension(2, D("47100"), EFFET_2025)
    assert tout_juste.mensuel == D("1962.50")
    assert not tout_juste.plafonne
    au_dela = montant_pension(2, D("60000"), EFFET_2025)
    assert au_dela.base_mensuelle == D("2500.00")
    assert au_dela.mensuel == au_dela.maximum == D("1962.50")
    assert au_dela.plafonne
    assert au_dela.annuel == D("23550.00")


def test_maximum_de_premiere_categorie_selon_l_annee():
    assert montant_pension(1, D("100000"), EFFET_2025).mensuel == D("1177.50")
    assert montant_pension(1, D("100000"), date(2026, 1, 1)).mensuel == D("1201.50")


def test_troisieme_categorie_plafonnee_puis_majoree():
    montant = montant_pension(3, D("60000"), EFFET_2025)
    assert montant.plafonne
    assert montant.mensuel == D("1962.50") + D("1288.13")


def test_minimum_toutes_categories():
    petit = montant_pension(1, D("10000"), EFFET_2025)
    assert petit.base_mensuelle == D("250.00")
    assert petit.mensuel == petit.minimum == D("335.29")
    assert petit.minore
    assert petit.annuel == D("4023.48")
    assert montant_pension(2, 0, EFFET_2025).mensuel == D("335.29")
    assert montant_pension(3, D("5000"), EFFET_2025).mensuel == D("335.29") + D("1288.13")


def test_base_mensuelle_arrondie_moitie_vers_le_haut():
    # 30 % × 40 000,20 / 12 = 1 000,005 → 1 000,01.
    assert montant_pension(1, D("40000.20"), EFFET_2025).base_mensuelle == D("1000.01")


def test_montant_fige():
    montant = montant_pension(1, D("30000"), EFFET_2025)
    assert isinstance(montant, Montant)
    with pytest.raises(dataclasses.FrozenInstanceError):
        montant.mensuel = D("0")


@pytest.mark.parametrize("categorie", [0, 4, "2", True, 2.0, None])
def test_categorie_invalide(categorie):
    with pytest.raises(ValueError, match="Catégorie"):
        montant_pension(categorie, D("30000"), EFFET_2025)


def test_sam_negatif_refuse():
    with pytest.raises(ValueError, match="salaire annuel moyen.*négatif"):
        montant_pension(2, D("-1"), EFFET_2025)


def test_pas_de_montant_sans_chiffres_en_vigueur():
    # Minimum connu à partir du 01/01/2025, MTP à partir du 01/04/2025.
    with pytest.raises(ValueError, match="pension_minimum_mensuelle"):
        montant_pension(2, D("30000"), date(2024, 12, 31))
    with pytest.raises(ValueError, match="mtp_mensuelle"):
        montant_pension(3, D("30000"), date(2025, 3, 31))


# --- Triage ameliBot ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "texte",
    [
        "faire une demande de pension invalidité",
        "FAIRE UNE DEMANDE DE PENSION INVALIDITÉ",
        "demande pension invalidite",
        "pension d'invalidité",
        "pension d’invalidité",
        "je veux ma pension invalidité",
        "faire une demande de pention invalidté",
        "invalidité pension demande",
        "Bonjour, je voudrais une pension d'invalidité svp",
        "pensoin invalidiet",
        "invalidité",
        "mise en invalidité",
        "je suis invalide, comment avoir une pension ?",
    ],
)
def test_demande_de_pension_reconnue(texte):
    assert reconnait_demande_pension(texte)
    assert intention(texte) == "demande_pension"


@pytest.mark.parametrize(
    "texte",
    [
        "bonjour",
        "mes remboursements",
        "carte vitale",
        "pension de retraite",
        "pension alimentaire",
        "invalide",
        "ma carte vitale est invalide",
        "carte d'invalidité",
        "AAH invalidité",
        "pension valide",
        "passion invalide",
        "",
    ],
)
def test_autres_demandes_non_reconnues(texte):
    assert not reconnait_demande_pension(texte)


@pytest.mark.parametrize(
    ("texte", "attendue"),
    [
        ("Bonjour", "salutation"),
        ("bonjourr !", "salutation"),
        ("Bonsoir", "salutation"),
        ("mes remboursements", "inconnue"),
        ("bonjour, pension invalidité", "demande_pension"),
    ],
)
def test_intention(texte, attendue):
    assert intention(texte) == attendue


def test_triage_refuse_ce_qui_n_est_pas_un_texte():
    with pytest.raises(ValueError, match="texte"):
        reconnait_demande_pension(None)


def test_un_chiffre_est_en_vigueur_depuis_sa_premiere_date_d_effet():
    """Avant sa première date d'effet, aucune règle qui emploie un chiffre ne s'applique : la
    date d'effet d'une pension ne peut pas la précéder (contrôle de l'agent)."""
    from app.domain.figures import en_vigueur_depuis, figure

    premiere = en_vigueur_depuis("pension_minimum_mensuelle")
    assert premiere == min(v.depuis for v in figure("pension_minimum_mensuelle").valeurs)
    valeur("pension_minimum_mensuelle", premiere)  # in force that day…
    with pytest.raises(ValueError):
        valeur("pension_minimum_mensuelle", premiere - timedelta(days=1))  # …not the day before
