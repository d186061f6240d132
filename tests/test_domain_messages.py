"""Messages d'erreur des règles (app/domain) : l'assuré et l'agent les lisent tels quels.

Chaque message nomme la donnée fautive (« date de naissance », « salaire 2024 »…) et dit ce
qui ne va pas ; on le compare en entier, c'est le texte affiché.
"""

from datetime import date, datetime
from decimal import Decimal

import pytest

from app.domain import (
    age_legal_depart,
    caisse_competente,
    conditions_administratives,
    conditions_non_salarie,
    coordonnees_recours,
    date_age_legal,
    date_limite,
    echeance,
    moment_echeance,
    montant_pension,
    pass_annuel,
    prolonger,
    salaire_annuel_moyen,
    valeur,
)
from app.domain import figures as fig
from app.domain.triage import normaliser

D = Decimal
JOUR = date(2025, 6, 1)


def _message(appel) -> str:
    with pytest.raises(ValueError) as erreur:
        appel()
    return str(erreur.value)


def _date_invalide(nom: str, texte: str = "x") -> str:
    return f"{nom} : date invalide « {texte} » (format attendu AAAA-MM-JJ)."


# --- Délais ---------------------------------------------------------------------------------

DELAIS_CONNUS = "decision, contestation, silence_cra, silence_cmra, reponse_pieces, relance_pieces"


@pytest.mark.parametrize(
    ("appel", "attendu"),
    [
        (lambda: date_limite("31/12/2025", 2),
         _date_invalide("date de départ du délai", "31/12/2025")),
        (lambda: date_limite(JOUR, 1.5),
         "durée du délai en mois : un nombre entier est attendu, pas « 1.5 »."),
        (lambda: date_limite(JOUR, -1),
         "durée du délai en mois doit être supérieur ou égal à 0 (reçu -1)."),
        (lambda: prolonger("x", 3), _date_invalide("date limite")),
        (lambda: prolonger(JOUR, -3),
         "prolongation en jours doit être supérieur ou égal à 0 (reçu -3)."),
        (lambda: prolonger(JOUR, "3"),
         "prolongation en jours : un nombre entier est attendu, pas « 3 »."),
        (lambda: echeance("decision", "x"), _date_invalide("date de départ du délai")),
        (lambda: echeance("retraite", JOUR),
         f"Délai inconnu : « retraite » (attendu : {DELAIS_CONNUS})."),
        (lambda: moment_echeance("x"), _date_invalide("dernier jour du délai")),
        (lambda: moment_echeance(datetime(2025, 1, 1, 12, 0)),
         "dernier jour du délai : une date sans heure est attendue, pas « 2025-01-01 12:00:00 »."),
    ],
)
def test_messages_des_delais(appel, attendu):
    assert _message(appel) == attendu


# --- Âge légal et chiffres datés ------------------------------------------------------------


@pytest.mark.parametrize(
    ("appel", "attendu"),
    [
        (lambda: age_legal_depart("31/08/1961"),
         _date_invalide("date de naissance", "31/08/1961")),
        (lambda: date_age_legal("31/08/1961"),
         _date_invalide("date de naissance", "31/08/1961")),
        (lambda: valeur("smic_horaire", "hier"), _date_invalide("date", "hier")),
        (lambda: valeur("smic_horaire", date(2021, 12, 31)),
         ("Aucune valeur de « smic_horaire » en vigueur le 31/12/2021 "
          "(première valeur connue : 01/01/2022).")),
        (lambda: valeur("smic_mensuel"), "Chiffre inconnu : « smic_mensuel »."),
        (lambda: fig.entier("smic_horaire", date(2025, 1, 1)),
         "« smic_horaire » n'est pas un nombre entier (11.88)."),
        (lambda: pass_annuel("2024"), "année : un nombre entier est attendu, pas « 2024 »."),
        # L'année 0 n'existe pas ; l'an 1 existe mais son PASS n'est pas connu.
        (lambda: pass_annuel(0), "année doit être supérieur ou égal à 1 (reçu 0)."),
        (lambda: pass_annuel(1),
         "Aucun plafond annuel de la sécurité sociale (PASS) connu pour 1."),
        (lambda: pass_annuel(2027),
         "Aucun plafond annuel de la sécurité sociale (PASS) connu pour 2027."),
    ],
)
def test_messages_de_l_age_et_des_chiffres(appel, attendu):
    assert _message(appel) == attendu


def test_les_durees_entieres_se_lisent_a_leur_date():
    assert fig.entier("delai_silence_cmra", JOUR) == 4
    assert fig.entier("seuil_heures_salariees") == 600


# --- Caisses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("appel", "attendu"),
    [
        (lambda: caisse_competente("99"), "Département inconnu : « 99 »."),
        (lambda: caisse_competente(" 977 "), "Département inconnu : « 977 »."),
        (lambda: caisse_competente("20"),
         "Département inconnu : « 20 » (la Corse s'écrit 2A ou 2B)."),
        (lambda: caisse_competente(75), "Département invalide : « 75 » (une chaîne est attendue)."),
        (lambda: coordonnees_recours("MSA"), "Caisse inconnue : « MSA »."),
        (lambda: coordonnees_recours(" CPAM 75 "), "Caisse inconnue : « CPAM 75 »."),
        (lambda: coordonnees_recours("CGSS 975"), "Caisse inconnue : « CGSS 975 »."),
        (lambda: coordonnees_recours("CPAM"), "Caisse inconnue : « CPAM »."),
        (lambda: coordonnees_recours(None), "Caisse invalide : « None »."),
    ],
)
def test_messages_des_caisses(appel, attendu):
    assert _message(appel) == attendu


# --- Conditions du salarié ------------------------------------------------------------------


def _salarie(**changements):
    arguments = {
        "date_naissance": date(1980, 5, 1),
        "date_immatriculation": date(2000, 1, 1),
        "date_constat": date(2025, 11, 15),
        "heures_12_mois": 650,
        "salaires_12_mois_civils": D("30000"),
    }
    arguments.update(changements)
    return lambda: conditions_administratives(**arguments)


@pytest.mark.parametrize(
    ("appel", "attendu"),
    [
        (_salarie(date_naissance="x"), _date_invalide("date de naissance")),
        (_salarie(date_immatriculation="x"), _date_invalide("date d'immatriculation")),
        (_salarie(date_constat="x"), _date_invalide("date de l'arrêt ou du constat")),
        (_salarie(heures_12_mois=-1),
         "nombre d'heures travaillées ne peut pas être négatif (-1)."),
        (_salarie(heures_12_mois=True),
         "nombre d'heures travaillées : un nombre est attendu, pas un booléen."),
        (_salarie(salaires_12_mois_civils="beaucoup"),
         "montant des salaires : nombre invalide « beaucoup »."),
        (_salarie(salaires_12_mois_civils=D("-0.01")),
         "montant des salaires ne peut pas être négatif (-0.01)."),
        (_salarie(date_naissance=date(2025, 11, 16)),
         "La date de naissance est postérieure à la date de l'arrêt ou du constat."),
        (_salarie(date_immatriculation=date(2025, 11, 16)),
         "La date d'immatriculation est postérieure à la date de l'arrêt ou du constat."),
        (_salarie(date_immatriculation=date(1980, 4, 30)),
         "La date d'immatriculation est antérieure à la date de naissance."),
    ],
)
def test_messages_des_conditions_du_salarie(appel, attendu):
    assert _message(appel) == attendu


# --- Conditions du travailleur indépendant --------------------------------------------------


CINQ_MILLE = (D("5000"),) * 3


def _independant(ij=False, mois=12, revenus=CINQ_MILLE, constat=JOUR):
    return lambda: conditions_non_salarie(ij, mois, list(revenus), constat)


@pytest.mark.parametrize(
    ("appel", "attendu"),
    [
        (_independant(ij="oui"), "« IJ perçues » doit valoir oui ou non (booléen)."),
        (_independant(mois=-1),
         "durée d'affiliation en mois doit être supérieur ou égal à 0 (reçu -1)."),
        (_independant(mois="12"),
         "durée d'affiliation en mois : un nombre entier est attendu, pas « 12 »."),
        (_independant(constat="x"), _date_invalide("date de l'arrêt ou du constat")),
        (_independant(revenus=[D("5000")] * 2),
         ("Les revenus des 3 dernières années civiles sont attendus, "
          "du plus ancien au plus récent.")),
        (_independant(revenus=[D("5000"), D("-1"), D("5000")]),
         "revenu annuel ne peut pas être négatif (-1)."),
        (_independant(revenus=[D("5000"), "n/a", D("5000")]),
         "revenu annuel : nombre invalide « n/a »."),
    ],
)
def test_messages_des_conditions_de_l_independant(appel, attendu):
    assert _message(appel) == attendu


# --- Salaire annuel moyen et montant --------------------------------------------------------


@pytest.mark.parametrize(
    ("appel", "attendu"),
    [
        (lambda: salaire_annuel_moyen({}),
         "Aucun salaire annuel fourni : le salaire annuel moyen est incalculable."),
        (lambda: salaire_annuel_moyen({"2024": D("1")}), "Année invalide : « 2024 »."),
        (lambda: salaire_annuel_moyen({2024: "n/a"}), "salaire 2024 : nombre invalide « n/a »."),
        (lambda: salaire_annuel_moyen({2024: D("-1")}),
         "salaire 2024 ne peut pas être négatif (-1)."),
        (lambda: salaire_annuel_moyen({2022: D("1"), 2023: D("1")}, {2022: D("1.1")}),
         "Coefficient de revalorisation manquant pour 2023."),
        (lambda: salaire_annuel_moyen({2022: D("1")}, {2022: D("-1")}),
         "coefficient de revalorisation 2022 ne peut pas être négatif (-1)."),
        (lambda: montant_pension(2, D("30000"), "x"), _date_invalide("date d'effet")),
        (lambda: montant_pension(2, D("-1"), JOUR),
         "salaire annuel moyen ne peut pas être négatif (-1)."),
        (lambda: montant_pension(4, D("30000"), JOUR),
         "Catégorie d'invalidité invalide : « 4 » (1, 2 ou 3)."),
        (lambda: montant_pension(2, D("30000"), JOUR, taux="abc"),
         "taux de la catégorie : nombre invalide « abc »."),
        (lambda: montant_pension(2, D("30000"), JOUR, taux=D("-0.5")),
         "taux de la catégorie ne peut pas être négatif (-0.5)."),
        (lambda: montant_pension(2, D("30000"), JOUR, taux=0),
         "Taux invalide : « 0 » (une fraction entre 0 et 1 est attendue)."),
        (lambda: montant_pension(2, D("30000"), JOUR, taux="1.01"),
         "Taux invalide : « 1.01 » (une fraction entre 0 et 1 est attendue)."),
    ],
)
def test_messages_du_salaire_moyen_et_du_montant(appel, attendu):
    assert _message(appel) == attendu


# --- Triage ---------------------------------------------------------------------------------


def test_message_du_triage_pour_ce_qui_n_est_pas_un_texte():
    assert _message(lambda: normaliser(None)) == "Le message de l'assuré doit être un texte."
