"""Règles de app/domain précisées aux bornes : chiffres datés relus du fichier, changement d'un
chiffre à sa date d'effet, voies de recours par caisse, chronologie, triage ameliBot.

Les chiffres attendus se recalculent à la main à partir de DESIGN.md §3. Les tests qui
publient un figures.json modifié (fixture `publier`) simulent un décret futur : la règle doit
appliquer la valeur en vigueur à la date du dossier, jamais « la plus récente ».
"""

import json
from datetime import date
from decimal import Decimal

import pytest

from app.domain import (
    age_legal_depart,
    caisse_competente,
    conditions_administratives,
    conditions_non_salarie,
    coordonnees_recours,
    departement_du_code_postal,
    echeance,
    intention,
    montant_pension,
    reconnait_demande_pension,
    valeur,
)
from app.domain import figures as fig
from app.domain.triage import concept, normaliser

D = Decimal
EFFET_2025 = date(2025, 6, 1)


def _brut() -> dict:
    return json.loads(fig.FICHIER.read_text(encoding="utf-8"))


def _decret(brut: dict, nom: str, depuis: str, nouvelle: str) -> dict:
    """Ajoute à `nom` une valeur en vigueur à partir de `depuis` (un décret fictif)."""
    brut["figures"][nom]["valeurs"].append(
        {"depuis": depuis, "valeur": nouvelle, "source": "décret fictif (test)"}
    )
    return brut


@pytest.fixture
def publier(monkeypatch, tmp_path):
    """Remplace data/figures.json par `brut` ; les chiffres sont relus (cache vidé)."""

    def _publier(brut: dict) -> None:
        chemin = tmp_path / "figures.json"
        chemin.write_text(json.dumps(brut, ensure_ascii=False), encoding="utf-8")
        monkeypatch.setattr(fig, "FICHIER", chemin)
        fig._donnees.cache_clear()

    fig._donnees.cache_clear()
    yield _publier
    fig._donnees.cache_clear()


# --- Chiffres relus de data/figures.json -----------------------------------------------------


def test_le_fichier_relu_donne_valeurs_dates_sources_unites_et_libelles(publier):
    publier(_brut())
    smic = fig.figure("smic_horaire")
    assert smic.unite == "EUR/heure"
    assert smic.libelle == "SMIC horaire brut (métropole, DROM hors Mayotte)"
    assert smic.valeurs[0] == fig.ValeurDatee(
        date(2022, 1, 1), D("10.57"), "décret n° 2021-1741 du 22 décembre 2021"
    )
    assert smic.valeurs[-1] == fig.ValeurDatee(date(2026, 1, 1), D("12.02"), "décret n° 2025-1228")
    assert fig.figure("delai_reponse_pieces").unite == "jours"


def test_une_fraction_a_sur_b_du_fichier_est_exacte(publier):
    # « 2/3 » n'est arrondi nulle part : c'est 2 divisé par 3 en Decimal.
    publier(_decret(_brut(), "taux_pension_cat2", "2026-01-01", "3/5"))
    assert valeur("reduction_capacite_minimum") == D(2) / D(3)
    assert valeur("taux_pension_cat2", date(2026, 1, 1)) == D("0.6")
    assert valeur("taux_pension_cat2", date(2025, 12, 31)) == D("0.50")


def test_noms_liste_toutes_les_figures_triees(publier):
    publier(_brut())
    assert fig.noms() == sorted(_brut()["figures"])
    assert "smic_horaire" in fig.noms() and "pass_annuel" in fig.noms()


def test_bareme_de_l_age_legal_relu_du_fichier(publier):
    publier(_brut())
    tranches = fig.tranches_age_legal()
    assert tranches[0] == fig.TrancheAge(date(1, 1, 1), 62, 0)
    assert tranches[-1] == fig.TrancheAge(date(1969, 1, 1), 64, 0)


@pytest.mark.parametrize("illisible", ["douze", "1/0", "1/2/3", "/"])
def test_une_valeur_illisible_du_fichier_est_refusee(publier, illisible):
    publier(_decret(_brut(), "smic_horaire", "2027-01-01", illisible))
    with pytest.raises(ValueError) as erreur:
        valeur("smic_horaire")
    assert str(erreur.value) == f"figures.json : valeur illisible « {illisible} »."


@pytest.mark.parametrize(
    "dates",
    [
        ["2024-01-01", "2023-01-01"],  # désordre
        ["2024-01-01", "2024-01-01"],  # doublon
        [],  # aucune valeur
    ],
)
def test_les_dates_d_effet_doivent_etre_uniques_et_triees(publier, dates):
    brut = _brut()
    brut["figures"]["mtp_mensuelle"]["valeurs"] = [
        {"depuis": d, "valeur": "1288.13", "source": "test"} for d in dates
    ]
    publier(brut)
    with pytest.raises(ValueError) as erreur:
        valeur("smic_horaire")
    assert str(erreur.value) == (
        "figures.json : « mtp_mensuelle » doit avoir des dates d'effet uniques et triées."
    )


# --- Un chiffre qui change ne vaut qu'à partir de sa date d'effet ---------------------------


def test_delais_de_recours_en_vigueur_a_la_date_demandee(publier):
    brut = _brut()
    _decret(brut, "delai_contestation", "2030-01-01", "3")
    _decret(brut, "delai_silence_cra", "2030-01-01", "5")
    _decret(brut, "delai_silence_cmra", "2030-01-01", "6")
    publier(brut)

    def delais(recours):
        cra, cmra = recours["cra"], recours["cmra"]
        return (cra["delai_saisine_mois"], cra["silence_vaut_rejet_mois"],
                cmra["delai_saisine_mois"], cmra["silence_vaut_rejet_mois"])

    assert delais(coordonnees_recours("CRAMIF", date(2029, 12, 31))) == (2, 2, 2, 4)
    assert delais(coordonnees_recours("CPAM 69", date(2029, 12, 31))) == (2, 2, 2, 4)
    assert delais(coordonnees_recours("CRAMIF", date(2030, 1, 1))) == (3, 5, 3, 6)
    assert delais(coordonnees_recours("CPAM 69")) == (3, 5, 3, 6)  # sans date : les derniers


def test_echeance_avec_la_duree_en_vigueur_au_depart_du_delai(publier):
    publier(_decret(_brut(), "delai_decision", "2030-01-01", "3"))
    assert echeance("decision", date(2029, 12, 31)) == date(2030, 2, 28)
    assert echeance("decision", date(2030, 1, 1)) == date(2030, 4, 1)


def test_un_delai_dans_une_unite_inconnue_n_est_pas_devine(publier):
    brut = _brut()
    brut["figures"]["delai_decision"]["unite"] = "semaines"
    publier(brut)
    with pytest.raises(ValueError) as erreur:
        echeance("decision", date(2026, 1, 15))
    assert str(erreur.value) == "figures.json : unité « semaines » inattendue pour « delai_decision »."


@pytest.mark.parametrize(
    ("delai", "depart", "attendu"),
    [
        ("contestation", date(2025, 12, 31), date(2026, 2, 28)),
        ("relance_pieces", date(2026, 1, 15), date(2026, 2, 4)),  # 20 jours
        ("reponse_pieces", date(2028, 2, 1), date(2028, 3, 2)),  # 30 jours, février bissextile
    ],
)
def test_echeances_des_autres_delais(delai, depart, attendu):
    assert echeance(delai, depart) == attendu


def test_conditions_salarie_avec_les_seuils_en_vigueur_au_constat(publier):
    brut = _brut()
    _decret(brut, "seuil_heures_salariees", "2026-01-01", "800")
    _decret(brut, "coefficient_smic_cotisations", "2026-01-01", "2100")
    _decret(brut, "mois_immatriculation_minimum", "2026-01-01", "24")
    publier(brut)

    def seuils(constat):
        r = conditions_administratives(date(1980, 5, 1), date(2000, 1, 1), constat, 0, 0)
        return r.seuil_heures, r.seuil_cotisations, r.immatriculation_au_plus_tard

    # Avant : 600 h, 2 030 × 11,88 (SMIC au 01/11/2024), 12 mois avant le 01/12/2025.
    assert seuils(date(2025, 12, 31)) == (600, D("24116.40"), date(2024, 12, 1))
    # À partir du 01/01/2026 : 800 h, 2 100 × 11,88 (SMIC au 01/01/2025), 24 mois.
    assert seuils(date(2026, 1, 1)) == (800, D("24948.00"), date(2024, 1, 1))


def test_conditions_independant_avec_les_seuils_en_vigueur_au_constat(publier):
    brut = _brut()
    _decret(brut, "taux_revenu_independant", "2026-01-01", "0.20")
    _decret(brut, "mois_affiliation_independant", "2026-01-01", "6")
    _decret(brut, "annees_revenus_independant", "2026-01-01", "2")
    publier(brut)
    avant = conditions_non_salarie(False, 12, [D("4383.20")] * 3, date(2025, 12, 31))
    assert (avant.annees, avant.seuil_revenus, avant.mois_affiliation_requis) == (
        (2022, 2023, 2024), D("4383.20"), 12)
    assert avant.remplies
    # 2026 : deux années (2024, 2025), PASS moyen 46 734, seuil 20 % = 9 346,80.
    apres = conditions_non_salarie(False, 6, [D("9346.80")] * 2, date(2026, 1, 1))
    assert (apres.annees, apres.pass_moyen, apres.seuil_revenus) == (
        (2024, 2025), D("46734.00"), D("9346.80"))
    assert apres.mois_affiliation_requis == 6 and apres.remplies


def test_taux_de_categorie_en_vigueur_a_la_date_d_effet(publier):
    publier(_decret(_brut(), "taux_pension_cat1", "2026-01-01", "0.40"))
    assert montant_pension(1, D("30000"), date(2025, 12, 31)).base_mensuelle == D("750.00")
    assert montant_pension(1, D("30000"), date(2026, 1, 1)).base_mensuelle == D("1000.00")


def test_naissance_avant_le_bareme_de_l_age_legal(publier):
    brut = _brut()
    brut["age_legal_depart"]["tranches"][0]["nes_a_partir_du"] = "1950-01-01"
    publier(brut)
    assert age_legal_depart(date(1950, 1, 1)) == (62, 0)
    with pytest.raises(ValueError) as erreur:
        age_legal_depart(date(1949, 12, 31))
    assert str(erreur.value) == "Date de naissance hors barème : 31/12/1949."


# --- Voies de recours par caisse ------------------------------------------------------------

NOTE_CMRA = "Le recours porte sur l'avis médical ; son adresse figure sur la notification de décision."
SUITE = "Tribunal judiciaire (pôle social), après la décision ou le rejet implicite."


def _cmra(caisse):
    return {
        "intitule": f"Commission médicale de recours amiable (service médical, {caisse})",
        "objet": "contestation d'ordre médical",
        "note": NOTE_CMRA,
        "delai_saisine_mois": 2,
        "silence_vaut_rejet_mois": 4,
    }


def test_recours_aupres_de_la_cramif_adresse_complete():
    assert coordonnees_recours("CRAMIF") == {
        "caisse": "CRAMIF",
        "cra": {
            "intitule": "Commission de recours amiable de la CRAMIF",
            "objet": "contestation d'ordre administratif",
            "adresse": (
                "Commission de recours amiable de la CRAMIF, 17-19 avenue de Flandre, "
                "75954 Paris cedex 19"
            ),
            "lignes_adresse": [
                (
                    "Secrétariat de la Commission de recours amiable du Conseil "
                    "d'administration de la CRAMIF"
                ),
                "17-19 avenue de Flandre",
                "75954 Paris cedex 19",
            ],
            "note": None,
            "delai_saisine_mois": 2,
            "silence_vaut_rejet_mois": 2,
        },
        "cmra": _cmra("CRAMIF"),
        "suite": SUITE,
    }


@pytest.mark.parametrize(
    ("departement", "caisse"),
    [("77", "CPAM 77"), ("2A", "CPAM 2A"), ("971", "CGSS 971"), ("974", "CGSS 974"),
     ("975", "CPS 975"), ("976", "CSSM 976")],
)
def test_recours_aupres_d_une_caisse_locale(departement, caisse):
    assert coordonnees_recours(caisse_competente(departement)) == {
        "caisse": caisse,
        "cra": {
            "intitule": f"Commission de recours amiable de la {caisse}",
            "objet": "contestation d'ordre administratif",
            "adresse": None,
            "lignes_adresse": [f"Commission de recours amiable de la {caisse}"],
            "note": (
                "Adresse postale sur ameli.fr > Adresses et contacts, et sur les courriers "
                "de votre caisse."
            ),
            "delai_saisine_mois": 2,
            "silence_vaut_rejet_mois": 2,
        },
        "cmra": _cmra(caisse),
        "suite": SUITE,
    }


def test_le_nom_de_la_caisse_est_accepte_entoure_d_espaces():
    assert coordonnees_recours("  CGSS 972 ")["caisse"] == "CGSS 972"


# --- Chronologie et résultats détaillés -----------------------------------------------------


def _conditions(naissance, immatriculation, constat):
    return conditions_administratives(naissance, immatriculation, constat, 650, D("30000"))


def test_dates_egales_admises_par_la_chronologie():
    # Immatriculé le jour de sa naissance : admis (mais pas encore 12 mois d'immatriculation).
    assert _conditions(date(1990, 3, 1), date(1990, 3, 1), date(2025, 6, 1)).remplies
    meme_jour = _conditions(date(2025, 6, 1), date(2025, 6, 1), date(2025, 6, 1))
    assert meme_jour.age_ok and not meme_jour.immatriculation_ok
    immatricule_au_constat = _conditions(date(1990, 3, 1), date(2025, 6, 1), date(2025, 6, 1))
    assert not immatricule_au_constat.immatriculation_ok


def test_le_resultat_donne_la_date_de_l_age_legal():
    resultat = _conditions(date(1962, 8, 31), date(1985, 1, 1), date(2024, 6, 1))
    assert resultat.age_legal == (62, 6)
    assert resultat.date_age_legal == date(2025, 2, 28)


def test_revenu_moyen_de_l_independant_arrondi_au_centime():
    resultat = conditions_non_salarie(False, 12, [D("3000"), D("4000"), D("5000.01")],
                                      date(2025, 6, 1))
    assert resultat.revenu_moyen == D("4000.00")
    assert resultat.mois_affiliation_requis == 12
    demi = conditions_non_salarie(True, 0, [0, 0, D("0.015")], date(2025, 6, 1))
    assert demi.revenu_moyen == D("0.01")  # 0,005 → 0,01 (moitié vers le haut)


# --- Montant : bornes -----------------------------------------------------------------------


def test_base_egale_au_minimum_n_est_pas_minoree():
    # 30 % × 13 411,60 / 12 = 335,29, le minimum tout juste.
    montant = montant_pension(1, D("13411.60"), EFFET_2025)
    assert montant.base_mensuelle == montant.minimum == montant.mensuel == D("335.29")
    assert not montant.minore
    assert montant_pension(1, D("13411.20"), EFFET_2025).minore


def test_base_egale_au_maximum_de_premiere_categorie_n_est_pas_plafonnee():
    montant = montant_pension(1, D("47100"), EFFET_2025)
    assert montant.mensuel == montant.maximum == D("1177.50")
    assert not montant.plafonne


def test_un_taux_impose_de_100_pourcent_est_admis():
    montant = montant_pension(2, D("12000"), EFFET_2025, taux=D("1"))
    assert montant.taux == 1
    assert montant.base_mensuelle == montant.mensuel == D("1000.00")


# --- Triage ameliBot ------------------------------------------------------------------------


def test_ligatures_oe_et_ae_ecrites_en_deux_lettres():
    assert normaliser("Mon CŒUR, ma sœur et Æsope") == ["mon", "coeur", "ma", "soeur", "et",
                                                      "aesope"]


@pytest.mark.parametrize(
    ("mot", "attendu"),
    [
        # 5 lettres ou moins : aucune faute (« trente » n'est pas « rente »).
        ("rente", "autre_dispositif"),
        ("trente", None),
        # 6 à 9 lettres : une faute.
        ("coucuo", "salutation"),
        ("pensoin", "pension"),
        ("valide", None),  # deux fautes d'« invalide »
        ("valides", None),  # deux fautes d'« invalides » (9 lettres)
        # 10 lettres et plus : deux fautes, pas trois.
        ("invalditer", "invalidite"),
        ("alocatio", "autre_dispositif"),
        ("invaliditeeee", None),
        # À distance égale, le mot de vocabulaire le plus long l'emporte.
        ("invalidte", "invalidite"),
    ],
)
def test_fautes_de_frappe_admises_selon_la_longueur_du_mot(mot, attendu):
    assert concept(mot) == attendu


def test_invalidite_mal_ecrite_seule_reste_une_demande():
    assert reconnait_demande_pension("mise en invalidte")
    assert intention("bonjour, mise en invalidte") == "demande_pension"


@pytest.mark.parametrize("code_postal, departement", [
    ("75011", "75"), (" 69003 ", "69"), ("20000", "2A"), ("20199", "2A"), ("20200", "2B"),
    ("20290", "2B"), ("97110", "971"), ("97400", "974"), ("01000", "01"),
])
def test_le_departement_se_lit_dans_le_code_postal(code_postal, departement):
    assert departement_du_code_postal(code_postal) == departement


@pytest.mark.parametrize("code_postal", ["", "7501", "750111", "75 011", "2A000", None])
def test_un_code_postal_mal_forme_est_refuse_en_francais(code_postal):
    with pytest.raises(ValueError, match="Code postal invalide"):
        departement_du_code_postal(code_postal)


def test_un_assure_corse_releve_de_la_caisse_de_son_departement():
    assert caisse_competente(departement_du_code_postal("20090")) == "CPAM 2A"
    assert caisse_competente(departement_du_code_postal("20600")) == "CPAM 2B"
