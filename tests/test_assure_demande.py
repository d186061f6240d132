"""The online request, step by step: one BPMN user task and one JSON Schema form per step,
saved server-side at each « Suivant », validated with French messages next to the fields."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from app.models import Dossier, ProcessInstance

from .assure_aide import (
    AUCUNE,
    COORDONNEES,
    NON_SALARIE,
    SALARIE,
    current_element,
    deploy_all,
    dossier_of,
    fill_until_recap,
    form_action,
    oriented_by_amelibot,
    page_text,
    start_request,
    step,
    submit_recap,
    submit_step,
)
from .conftest import login


@pytest.fixture(autouse=True)
def deployed(session_factory, users):
    return deploy_all(session_factory)


# ----- starting -----------------------------------------------------------------------------
def test_information_page_has_the_three_sections_and_the_start_button(client):
    login(client, "marie.durand")
    oriented_by_amelibot(client)
    text = page_text(client.get("/assure/demande"))
    for heading in ("Quels sont mes droits en invalidité ?",
                    "Quelles sont les conditions pour bénéficier de cette pension ?",
                    "Quelles sont mes étapes jusqu'à la mise en place de ma pension ?",
                    "Je n'ai pas été convoqué(e) par mon médecin conseil",
                    "J'ai déjà vu mon médecin conseil",
                    "Pour cette démarche, vous aurez besoin de votre dernier avis d'imposition.",
                    "Je démarre ma demande", "Salarié(e) avec plus d'un employeur ?"):
        assert heading in text
    # Figures come from app.domain, not the template.
    assert "2 030 fois le Smic horaire" in text.replace("\u00a0", " ")
    assert "600 heures" in text


def test_starting_creates_a_draft_dossier_at_the_competent_caisse(client, session_factory,
                                                                    users):
    numero = start_request(client)
    dossier = dossier_of(session_factory, numero)
    assert numero.startswith("INV-") and dossier.statut == "brouillon"
    assert dossier.canal == "en_ligne" and dossier.caisse_code == "CRAMIF"
    with session_factory() as session:
        instance = session.get(ProcessInstance, dossier.instance_id)
        assert instance.business_key == numero and instance.caisse_code == "CRAMIF"
        assert instance.owner_id == users["marie.durand"].id
    assert current_element(session_factory, numero) == "coordonnees"


@pytest.mark.parametrize("who, caisse", [("paul.martin", "CPAM 69"), ("julie.petit", "CPAM 77")])
def test_outside_ile_de_france_and_in_77_the_local_cpam_is_competent(client, session_factory,
                                                                     who, caisse):
    assert dossier_of(session_factory, start_request(client, who)).caisse_code == caisse


def test_a_second_start_resumes_the_draft_instead_of_creating_another(client, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    again = client.post("/assure/demande/demarrer")
    assert again.headers["Location"].endswith(f"/assure/demande/{numero}")
    with session_factory() as session:
        assert len(session.scalars(select(Dossier)).all()) == 1
    assert current_element(session_factory, numero) == "situation"


# ----- step 1: coordonnées ----------------------------------------------------------------------
def test_step_1_shows_the_account_read_only_and_the_stepper(client):
    numero = start_request(client)
    text = page_text(step(client, numero))
    assert "Étape 1 sur 5" in text and "Mes coordonnées" in text
    assert "Marie DURAND" in text and "14/03/1975" in text
    assert "12 rue de la Roquette 75011 Paris" in text
    assert "ma****@demo.fr" in text and "Modifier mes informations" in text
    assert 'lang="fr"' in text


def test_step_1_requires_the_nationality(client, session_factory):
    numero = start_request(client)
    response = submit_step(client, numero, {})
    text = page_text(response)
    assert response.status_code == 422
    assert "Indiquez votre nationalité" in text
    assert 'href="#f-nationalite"' in text  # error summary links to the field
    assert text.count("Indiquez votre nationalité") == 2  # summary + next to the field
    assert "<title>Erreur :" in text
    assert current_element(session_factory, numero) == "coordonnees"


@pytest.mark.parametrize("agdref, message", [
    ("", "Indiquez le numéro AGDREF de votre titre de séjour"),
    ("12345", "Le numéro AGDREF compte exactement 10 chiffres"),
    ("12345678901", "Le numéro AGDREF compte exactement 10 chiffres"),
    ("12345abcde", "Le numéro AGDREF compte exactement 10 chiffres"),
])
def test_outside_the_eu_the_agdref_number_of_10_digits_is_required(client, agdref, message):
    numero = start_request(client)
    response = submit_step(client, numero, {"nationalite": "hors_ue",
                                            "agdref": agdref})
    assert response.status_code == 422
    text = page_text(response)
    assert message in text
    assert f'value="{agdref}"' in text  # what was typed is kept


def test_a_valid_agdref_is_kept_and_ignored_once_the_nationality_changes(client,
                                                                         session_factory):
    numero = start_request(client)
    assert submit_step(client, numero, {"nationalite": "hors_ue",
                                        "agdref": "0123456789"}).status_code == 303
    assert current_element(session_factory, numero) == "situation"


def test_forged_fields_are_ignored(client, session_factory):
    from app.web.assure.outils import instance_data  # noqa: F401 - import check only

    numero = start_request(client)
    response = submit_step(client, numero, {**COORDONNEES, "pirate": "x",
                                            "statut": "accord", "identite.nom": "Autre"})
    assert response.status_code == 303
    fill = submit_step(client, numero, SALARIE)
    assert fill.status_code == 303
    submit_step(client, numero, AUCUNE)
    text = page_text(step(client, numero))
    assert "Autre" not in text and "pirate" not in text


# ----- step 2: situation professionnelle ----------------------------------------------------------
def test_step_2_requires_at_least_one_box(client):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    response = submit_step(client, numero, {})
    assert response.status_code == 422
    assert "Cochez au moins une case" in page_text(response)


def test_salarie_requires_employer_name_address_and_period(client):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    response = submit_step(client, numero, {"activites": "salariee",
                                            "salariee.plusieurs_employeurs": "false"})
    text = page_text(response)
    assert response.status_code == 422
    for message in ("Indiquez le nom de votre employeur", "Indiquez l'adresse de votre employeur",
                    "Indiquez la date de début"):
        assert message in text
    assert "Indiquez la date de fin" not in text  # empty « au »: a job still held


@pytest.mark.parametrize("du, au, message", [
    ("31/02/2020", "01/03/2020", "Saisissez une date réelle au format JJ/MM/AAAA"),
    ("01/01/20", "01/03/2020", "Saisissez une date réelle au format JJ/MM/AAAA"),
    ("01/03/2020", "01/01/2020",
     "La date de fin doit être postérieure ou égale à la date de début"),
    ("01/01/2020", "01/01/2999", "La date de fin ne peut pas être dans le futur"),
])
def test_periods_are_real_dates_in_order_and_not_in_the_future(client, du, au, message):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    response = submit_step(client, numero, {**SALARIE, "salariee.periode.du": du,
                                            "salariee.periode.au": au})
    text = page_text(response)
    assert response.status_code == 422
    assert message in text
    assert f'value="{du}"' in text and f'value="{au}"' in text


def test_non_salarie_requires_every_conditional_field(client):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    response = submit_step(client, numero, {
        "activites": "non_salariee",
        "non_salariee.a_cesse": "true",
        "non_salariee.indemnites_journalieres": "false",
        "non_salariee.conjoint": "true",
        "non_salariee.conjoint_detail.a_cesse": "true",
        "non_salariee.conjoint_detail.autre_activite": "true",
    })
    text = page_text(response)
    assert response.status_code == 422
    for message in (
            "Indiquez l'activité exercée au moment de la dégradation de votre état de santé",
            "Indiquez l'adresse professionnelle de cette activité",
            "Indiquez la date à laquelle vous avez cessé cette activité",
            "Indiquez l'activité exercée en tant que conjoint",
            "Indiquez la nature de cette autre activité",
            "Indiquez depuis quand vous exercez cette autre activité"):
        assert message in text, message


def test_non_salarie_complete_goes_to_step_3(client, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    assert submit_step(client, numero, NON_SALARIE).status_code == 303
    assert current_element(session_factory, numero) == "informations"


def test_autre_requires_a_precision_and_chomage_nothing_more(client, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    response = submit_step(client, numero, {"activites": ["chomage", "autre"]})
    assert response.status_code == 422
    assert "Précisez votre situation" in page_text(response)
    assert submit_step(client, numero, {"activites": "chomage"}).status_code == 303
    assert current_element(session_factory, numero) == "informations"


def test_a_second_employer_stops_the_online_path_with_the_paper_form(client, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    response = submit_step(client, numero, {"activites": "salariee",
                                            "salariee.plusieurs_employeurs": "true"})
    assert response.status_code == 303
    assert current_element(session_factory, numero) == "orientation_papier"
    text = page_text(step(client, numero))
    assert "formulaire papier S4150" in text and "cerfa n° 11174" in text
    # The assuré may correct a wrong answer…
    submit_step(client, numero, {"choix_orientation": "corriger"})
    assert current_element(session_factory, numero) == "situation"
    submit_step(client, numero, {"activites": "salariee",
                                 "salariee.plusieurs_employeurs": "true"})
    # … or confirm: the online request ends, nothing is submitted.
    response = submit_step(client, numero, {"choix_orientation": "papier"})
    assert response.status_code == 303
    dossier = dossier_of(session_factory, numero)
    assert dossier.statut == "clos" and dossier.date_reception is None
    assert "S4150" in dossier.etape
    text = page_text(client.get(f"/assure/dossiers/{numero}"))
    assert "formulaire papier S4150" in text and "cerfa n° 11174" in text


# ----- step 3: informations complémentaires -----------------------------------------------------
def _to_step_3(client):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    submit_step(client, numero, SALARIE)
    return numero


def test_step_3_requires_at_least_one_box(client):
    numero = _to_step_3(client)
    response = submit_step(client, numero, {})
    assert response.status_code == 422
    assert "Cochez au moins une case" in page_text(response)


def test_aucune_must_be_alone(client):
    numero = _to_step_3(client)
    response = submit_step(client, numero, {"propositions": ["aucune",
                                                                        "autre_regime"],
                                            "regimes": "crpcen"})
    assert response.status_code == 422
    assert "« Aucune de ces propositions » ne peut pas être cochée avec une autre case" in \
        page_text(response)


def test_accident_date_is_required_real_and_not_in_the_future(client):
    numero = _to_step_3(client)
    base = {"propositions": "accident_tiers"}
    assert "Indiquez la date de l'accident" in page_text(submit_step(client, numero, base))
    text = page_text(submit_step(client, numero, {**base, "date_accident":
                                                  "01/01/200"}))
    assert "Saisissez une date réelle au format JJ/MM/AAAA" in text
    text = page_text(submit_step(client, numero, {**base, "date_accident":
                                                  "01/01/2999"}))
    assert "La date de l'accident ne peut pas être dans le futur" in text


def test_another_regime_requires_which_one(client):
    numero = _to_step_3(client)
    response = submit_step(client, numero, {"propositions": "autre_regime"})
    assert "Cochez au moins un régime" in page_text(response)


def test_another_country_requires_a_country_and_its_period(client, session_factory):
    numero = _to_step_3(client)
    base = {"propositions": "autre_pays"}
    text = page_text(submit_step(client, numero, base))
    assert "Indiquez au moins un pays" in text
    text = page_text(submit_step(client, numero, {**base, "pays.0.periode.du":
                                                  "01/01/2015"}))
    assert "Indiquez le pays, le territoire ou la collectivité" in text
    assert "Indiquez la date de fin" in text
    text = page_text(submit_step(client, numero, {
        **base, "pays.0.nom": "ES",
        "pays.0.periode.du": "01/01/2015",
        "pays.0.periode.au": "01/01/2012"}))
    assert "La date de fin doit être postérieure ou égale à la date de début" in text


def test_add_a_country_without_javascript_keeps_what_was_typed(client, session_factory):
    numero = _to_step_3(client)
    data = {"propositions": "autre_pays", "pays.0.nom": "ES",
            "pays.0.periode.du": "01/01/2010",
            "pays.0.periode.au": "31/12/2012",
            "_action": "add:pays"}
    response = submit_step(client, numero, data)
    text = page_text(response)
    assert response.status_code == 200
    assert '<option value="ES" selected>Espagne' in text
    assert "Pays, territoire, collectivité 2" in text
    assert current_element(session_factory, numero) == "informations"  # nothing saved yet
    data.pop("_action")
    data.update({"pays.1.nom": "PT",
                 "pays.1.periode.du": "01/01/2013",
                 "pays.1.periode.au": "31/12/2014"})
    assert client.post(form_action(response), data=data).status_code == 303
    assert current_element(session_factory, numero) == "relire_demande"
    text = page_text(step(client, numero))
    assert "Portugal" in text and "du 01/01/2013 au 31/12/2014" in text


# ----- step 4: récapitulatif ---------------------------------------------------------------------
def test_recap_shows_every_declared_section(client):
    numero = start_request(client)
    fill_until_recap(client, numero, informations={
        "propositions": "accident_tiers",
        "date_accident": "20/05/2021"})
    text = page_text(step(client, numero))
    assert "Étape 4 sur 5" in text
    assert "Cette demande de pension d'invalidité est presque terminée" in text
    for expected in ("Je suis :", "Marie DURAND", "Française", "Ma situation actuelle :",
                     "Activité salariée", "Société Lelièvre", "du 01/01/2001 au 31/12/2024",
                     "J'ai :", "Eu un accident causé par un tiers", "20/05/2021",
                     "Tout est bon"):
        assert expected in text, expected


@pytest.mark.parametrize("section, element, data, expected", [
    ("coordonnees", "coordonnees", {"nationalite": "ue_eee_suisse"},
     "UE/EEE/Suisse"),
    ("situation", "situation", {"activites": "chomage"}, "Chômage indemnisé"),
    ("informations", "informations", {"propositions": "autre_regime",
                                      "regimes": ["msa_salaries", "cavimac"]},
     "CAVIMAC"),
])
def test_pencil_returns_to_the_section_then_back_to_the_recap(client, session_factory, section,
                                                             element, data, expected):
    numero = start_request(client)
    fill_until_recap(client, numero)
    assert submit_recap(client, numero, section).status_code == 303
    assert current_element(session_factory, numero) == element
    page = step(client, numero)
    assert page.status_code == 200
    assert submit_step(client, numero, data).status_code == 303
    assert current_element(session_factory, numero) == "relire_demande"
    text = page_text(step(client, numero))
    assert expected in text
    if section == "situation":
        assert "Société Lelièvre" not in text  # the unticked activity is gone


def test_editing_a_section_shows_the_stored_answers(client):
    numero = start_request(client)
    fill_until_recap(client, numero)
    submit_recap(client, numero, "situation")
    text = page_text(step(client, numero))
    assert 'value="Société Lelièvre"' in text and 'value="01/01/2001"' in text


def test_recap_refuses_an_unknown_choice(client, session_factory):
    numero = start_request(client)
    fill_until_recap(client, numero)
    response = submit_recap(client, numero, "statut")
    assert response.status_code == 422
    assert current_element(session_factory, numero) == "relire_demande"


# ----- saving -----------------------------------------------------------------------------------
def test_the_draft_survives_logout_and_resumes_at_the_same_step(client, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    submit_step(client, numero, SALARIE)
    client.post("/deconnexion")
    assert client.get(f"/assure/demande/{numero}").status_code == 302  # to the login page
    login(client, "marie.durand")
    text = page_text(client.get("/assure/"))
    assert "Reprendre ma demande" in text
    text = page_text(step(client, numero))
    assert "Étape 3 sur 5" in text and "Informations complémentaires" in text


def test_a_stale_page_does_not_complete_the_next_step(client, session_factory):
    numero = start_request(client)
    old_page = step(client, numero)
    assert client.post(form_action(old_page), data=COORDONNEES).status_code == 303
    # The same (now stale) step-1 form posted again: nothing is written into step 2.
    again = client.post(form_action(old_page), data=COORDONNEES)
    assert again.status_code == 303
    assert current_element(session_factory, numero) == "situation"


# ----- « Retour » -------------------------------------------------------------------------------
def _retour(client, numero):
    page = step(client, numero)
    url = re.search(r'formaction="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(html.unescape(url), data={"activites": "chomage"})


def test_retour_goes_back_one_step_through_the_diagram(client, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    assert _retour(client, numero).status_code == 303
    assert current_element(session_factory, numero) == "coordonnees"
    text = page_text(step(client, numero))
    assert '<option value="francaise" selected>' in text  # the saved answer is shown
    submit_step(client, numero, COORDONNEES)
    submit_step(client, numero, SALARIE)
    assert _retour(client, numero).status_code == 303
    assert current_element(session_factory, numero) == "situation"
    assert 'value="Société Lelièvre"' in page_text(step(client, numero))


def test_retour_from_the_tax_notice_goes_back_to_the_recap(client, session_factory):
    numero = start_request(client)
    fill_until_recap(client, numero)
    submit_recap(client, numero)
    assert current_element(session_factory, numero) == "deposer_avis_imposition"
    assert _retour(client, numero).status_code == 303
    assert current_element(session_factory, numero) == "relire_demande"


def test_a_replayed_retour_goes_back_only_once(client, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    submit_step(client, numero, SALARIE)
    page = step(client, numero)
    url = html.unescape(re.search(r'formaction="([^"]+)"', page.get_data(as_text=True))[1])
    assert client.post(url).status_code == 303
    assert client.post(url).status_code == 303
    assert current_element(session_factory, numero) == "situation"
