"""The seed's path, exactly (issue 10, point 5): ameliBot is the compulsory way into the
online request; case 2 covers every situation (at work, on sick leave, on unemployment
benefit, not working) and asks about employers only those who have one; the identity shows
the civility; the paper-form page gives the S4150 and the ways to get help; the accusé names
the CRA of the CRAMIF by its official line."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.documents.delivery import corps_des_messages
from app.models import Dossier, Message

from .assure_aide import (
    deploy_all,
    dossier_of,
    fill_until_recap,
    page_text,
    start_request,
    step,
    submitted_request,
)
from .browser import browser_login
from .conftest import login
from .test_triage import DEMANDE, _say, _start

AVEC_DECISION = ({"decision_medecin": "oui"}, {"plusieurs_employeurs": "false"})


@pytest.fixture(autouse=True)
def deployed(session_factory, users):
    return deploy_all(session_factory)


def _converse(client, *answers, who: str = "marie.durand") -> str:
    """A conversation with ameliBot: the request's sentence, then each quick reply."""
    url = _start(client, who)
    text = _say(client, url, message=DEMANDE)
    for answer in answers:
        text = _say(client, url, **answer)
    return text


def _dossiers(session_factory) -> int:
    with session_factory() as session:
        return len(session.scalars(select(Dossier)).all())


# ----- ameliBot is compulsory ----------------------------------------------------------------
def test_a_direct_url_to_the_request_leads_to_amelibot(client, session_factory):
    login(client, "marie.durand")
    page = client.get("/assure/demande")
    assert page.status_code == 303 and page.headers["Location"].endswith("/assure/amelibot")
    start = client.post("/assure/demande/demarrer")
    assert start.status_code == 303 and start.headers["Location"].endswith("/assure/amelibot")
    assert _dossiers(session_factory) == 0
    text = page_text(client.get("/assure/amelibot"))
    assert "commencez par ameliBot" in text


def test_the_request_opens_once_amelibot_led_there(client, session_factory):
    login(client, "marie.durand")
    text = _converse(client, *AVEC_DECISION)
    assert '<a href="/assure/demande">en cliquant ici</a>' in text
    assert client.get("/assure/demande").status_code == 200
    start = client.post("/assure/demande/demarrer")
    assert "/assure/demande/INV-" in start.headers["Location"]
    assert _dossiers(session_factory) == 1


def test_a_conversation_that_ends_elsewhere_does_not_open_the_request(client):
    login(client, "marie.durand")
    _converse(client, {"decision_medecin": "non"}, {"situation_actuelle": "travail"},
              {"evaluation_medecin": "false"})
    assert client.get("/assure/demande").headers["Location"].endswith("/assure/amelibot")
    _converse(client, {"decision_medecin": "oui"}, {"plusieurs_employeurs": "true"})
    assert client.get("/assure/demande").headers["Location"].endswith("/assure/amelibot")


def test_the_orientation_is_for_this_account_and_this_session_only(app, client, users):
    login(client, "marie.durand")
    _converse(client, *AVEC_DECISION)
    client.post("/deconnexion")
    login(client, "paul.martin")  # same browser, another account
    assert client.get("/assure/demande").status_code == 303
    other_browser = app.test_client()
    login(other_browser, "marie.durand")
    assert other_browser.get("/assure/demande").status_code == 303


def test_one_orientation_opens_one_request(client):
    numero = start_request(client)
    with client.session_transaction() as session:
        assert "amelibot_demande" not in session  # used by the start
    assert client.get("/assure/demande").status_code == 200  # the draft is resumable
    submitted_request(client, numero)
    assert client.get("/assure/demande").status_code == 303  # a new one: ameliBot again


def test_a_draft_is_resumed_without_amelibot(app, client, session_factory):
    numero = start_request(client)
    later = app.test_client()  # another day, another browser
    login(later, "marie.durand")
    assert later.get("/assure/demande").status_code == 200
    again = later.post("/assure/demande/demarrer")
    assert again.headers["Location"].endswith(f"/assure/demande/{numero}")
    assert _dossiers(session_factory) == 1


# ----- case 2: every situation, employers only for those who have one -----------------------
def test_case_2_offers_sick_leave_and_not_working(client):
    login(client, "marie.durand")
    text = _converse(client, {"decision_medecin": "non"})
    for label in ("Je travaille actuellement", "Je suis en arrêt de travail",
                  "Je suis au chômage indemnisé", "Je ne travaille pas"):
        assert label in text


@pytest.mark.parametrize("situation, reponse", [
    ("chomage", "Je suis au chômage indemnisé"),
    ("sans_activite", "Je ne travaille pas"),
])
def test_without_a_job_nobody_is_asked_about_employers(client, situation, reponse):
    login(client, "marie.durand")
    text = _converse(client, {"decision_medecin": "non"}, {"situation_actuelle": situation},
                     {"evaluation_medecin": "true"})
    assert reponse in text
    assert "Avez-vous plus d'un employeur ?" not in text
    assert '<a href="/assure/demande">en cliquant ici</a>' in text
    assert client.get("/assure/demande").status_code == 200


@pytest.mark.parametrize("situation", ["travail", "arret_travail"])
def test_at_work_or_on_sick_leave_the_employers_question_comes(client, situation):
    login(client, "marie.durand")
    text = _converse(client, {"decision_medecin": "non"}, {"situation_actuelle": situation},
                     {"evaluation_medecin": "true"})
    assert "Avez-vous plus d'un employeur ?" in text
    text = _converse(client, {"decision_medecin": "non"}, {"situation_actuelle": situation},
                     {"evaluation_medecin": "true"}, {"plusieurs_employeurs": "true"})
    assert "S4150" in text


def test_the_paper_form_sentence_of_amelibot_is_a_sentence(client):
    login(client, "marie.durand")
    text = _converse(client, {"decision_medecin": "oui"}, {"plusieurs_employeurs": "true"})
    assert ("Vous trouverez plus d'informations sur ce formulaire "
            '<a href="/assure/demande/formulaire-papier">en cliquant ici</a>.') in text
    assert "Pour en savoir plus sur ce formulaire" not in text


# ----- identity, paper form, accusé --------------------------------------------------------------
@pytest.mark.parametrize("who, nom", [("marie.durand", "Mme Marie DURAND"),
                                      ("paul.martin", "M. Paul MARTIN")])
def test_the_identity_shows_the_civility(client, who, nom):
    numero = start_request(client, who)
    assert nom in page_text(step(client, numero))
    fill_until_recap(client, numero)
    assert nom in page_text(step(client, numero))


def test_the_paper_form_page_gives_the_s4150_the_3646_and_an_appointment(client):
    login(client, "marie.durand")
    text = page_text(client.get("/assure/demande/formulaire-papier"))
    assert "S4150" in text and "cerfa n° 11174" in text
    assert 'href="https://www.ameli.fr/assure/formulaires"' in text
    assert 'href="https://www.service-public.fr/particuliers/vosdroits/F672"' in text
    assert "36 46" in text
    assert 'href="/assure/messagerie"' in text and "Demander un rendez-vous" in text
    assert 'href="/assure/demande/formulaire-papier/imprimer"' in text
    printable = page_text(client.get("/assure/demande/formulaire-papier/imprimer"))
    assert "S4150" in printable and "11174" in printable and "36 46" in printable
    assert "Caisse régionale d'assurance maladie d'Île-de-France" in printable  # send it there
    assert 'lang="fr"' in printable


OFFICIAL_CRA = ("Secrétariat de la Commission de Recours Amiable du Conseil "
                "d'Administration de la CRAMIF")


@pytest.mark.parametrize("who, official", [("marie.durand", True), ("julie.petit", False)])
def test_the_accuse_names_the_cra_of_the_cramif_by_its_official_line(client, session_factory,
                                                                     who, official):
    numero = start_request(client, who)
    submitted_request(client, numero)
    with session_factory() as session:
        message = session.scalar(select(Message).where(
            Message.instance_id == dossier_of(session_factory, numero).instance_id))
        corps = corps_des_messages(session, [message])[message.id]  # rendered on read
    assert (OFFICIAL_CRA.replace("'", "&#39;") in corps or OFFICIAL_CRA in corps) is official


# ----- in the browser: every page of this path stays accessible ------------------------------
def test_in_the_browser_the_path_from_amelibot_is_accessible(live_server, page):
    from playwright.sync_api import expect

    from .test_browser_assure import check, click_label

    browser_login(page, live_server, "marie.durand")
    page.goto(f"{live_server}/assure/demande")  # a direct URL: ameliBot first
    expect(page).to_have_url(re.compile(r"/assure/amelibot$"))
    expect(page.get_by_text("commencez par ameliBot")).to_be_visible()
    check(page, "parcours_01_amelibot_obligatoire")
    page.click("text=Lancer une conversation avec ameliBot")
    page.fill("#f-message", DEMANDE)
    page.click("button:has-text('Envoyer')")
    page.click("text=Je n'ai pas eu de décision du médecin conseil")
    expect(page.get_by_role("button", name="Je suis en arrêt de travail")).to_be_visible()
    check(page, "parcours_02_amelibot_situations")
    page.click("text=Je ne travaille pas")
    page.click("button[value='true']")
    expect(page.locator(".assure-bulle--bot").last).to_contain_text("en cliquant ici")
    page.click("text=en cliquant ici")
    page.click("button:has-text('Je démarre ma demande')")
    expect(page.get_by_text("Mme Marie DURAND")).to_be_visible()
    page.select_option("#f-nationalite", "hors_ue")
    page.fill("#f-agdref", "01 23 45 67 89")
    page.click("button.fr-btn:has-text('Suivant')")
    click_label(page, "f-activites")  # Activité salariée
    click_label(page, "f-salariee-plusieurs_employeurs--2")  # Non
    page.fill("#f-salariee-employeur_nom", "Société Lelièvre")
    page.fill("#f-salariee-employeur_adresse", "126 rue Fernand Braudel, 75013 Paris")
    page.fill("#f-salariee-periode-du", "01/01/2001")  # « au » empty: still in this job
    check(page, "parcours_03_periode_en_cours")
    page.click("button.fr-btn:has-text('Suivant')")
    click_label(page, "f-propositions--3")  # Travaillé dans un autre pays
    page.select_option("#f-pays-0-nom", label="Espagne")
    page.fill("#f-pays-0-periode-du", "01/01/1995")
    page.fill("#f-pays-0-periode-au", "31/12/1999")
    check(page, "parcours_04_liste_des_pays")
    page.click("button.fr-btn:has-text('Suivant')")
    expect(page.get_by_text("depuis le 01/01/2001 (en cours)")).to_be_visible()
    expect(page.get_by_text("0123456789")).to_be_visible()
    check(page, "parcours_05_recapitulatif")
    page.goto(f"{live_server}/assure/")
    expect(page.get_by_text("Reprendre ma demande")).to_be_visible()
    check(page, "parcours_06_accueil_brouillon")
    page.goto(f"{live_server}/assure/demande/formulaire-papier")
    check(page, "parcours_07_formulaire_papier")
    page.click("text=Version imprimable de ces informations")
    expect(page.get_by_role("heading", level=1)).to_contain_text("formulaire papier")
    check(page, "parcours_08_formulaire_papier_imprimable")
