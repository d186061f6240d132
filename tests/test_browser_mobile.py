"""On a phone (375 × 812) and on a desktop, in Debian's chromium: every header link —
Messagerie, the user's name, « Se déconnecter » — is reachable, through the DSFR « Menu »
modal on a phone (and in the page flow when JavaScript is off); the assuré's pages read
without scrolling sideways; axe finds nothing serious or critical.

Screenshots: test-artifacts/mobile_*.png and desktop_*.png.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.engine.clock import clock
from app.models import Dossier, Message

from .browser import axe_violations, browser_login, shot
from .test_browser_agent import _dossier_recu

ACCUSE = "Accusé de réception demande de pension d'invalidité"

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(locale="fr-FR", viewport=PHONE, is_mobile=True,
                                   has_touch=True, device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone_sans_js(chromium):
    context = chromium.new_context(locale="fr-FR", viewport=PHONE, java_script_enabled=False)
    yield context.new_page()
    context.close()


def check(page, name: str) -> None:
    """Accessible (axe), no sideways scrolling at this width, and captured."""
    assert axe_violations(page) == [], name
    largeur = page.evaluate("document.documentElement.scrollWidth")
    assert largeur <= page.viewport_size["width"], f"{name} : {largeur} px de large"
    shot(page, name)


def menu(page):
    """The DSFR header menu, opened with its « Menu » button."""
    page.get_by_role("button", name="Menu").click()
    modal = page.locator("#menu-principal")
    expect(modal).to_be_visible()
    return modal


def close_menu(page) -> None:
    page.locator("#menu-principal").get_by_role("button", name="Fermer").click()
    expect(page.locator("#menu-principal")).to_be_hidden()


def dossier_avec_courrier(app) -> str:
    """A received dossier of marie.durand with a letter in her messagerie."""
    numero = _dossier_recu(app)
    with app.extensions["invalidite"].session_factory() as session, session.begin():
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
        session.add(Message(recipient_id=dossier.assure_id, instance_id=dossier.instance_id,
                            objet=ACCUSE, corps_html="<p>Nous avons bien reçu votre demande.</p>",
                            created_at=clock.now()))
    return numero


def amelibot_vers_la_demande(page) -> None:
    """The shortest conversation that opens the online request."""
    page.get_by_role("button", name="Lancer une conversation").click()
    page.fill("#f-message", "je veux ma pension invalidite")
    page.keyboard.press("Enter")
    page.get_by_role("button", name="J'ai eu une décision du médecin conseil").click()
    page.locator("button[value='false']").click()
    page.get_by_role("link", name="en cliquant ici").click()


def test_sur_un_telephone_l_assure_va_de_la_connexion_a_la_deconnexion_par_le_menu(
        live_server, live_app, phone):
    page = phone
    browser_login(page, live_server, "marie.durand")
    expect(page.get_by_role("heading", name="Bonjour Marie")).to_be_visible()
    # DSFR hides the tools below 992 px: only the « Menu » button shows them.
    expect(page.locator(".fr-header__tools-links")).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    check(page, "mobile_01_accueil")

    modal = menu(page)
    for lien in ("Messagerie", "Marie", "Se déconnecter", "Mes dossiers", "Mes informations"):
        expect(modal.get_by_text(lien).first).to_be_visible()
    check(page, "mobile_02_menu_ouvert")
    close_menu(page)

    # The request: ameliBot, the information page, then its first steps.
    page.goto(f"{live_server}/assure/amelibot")
    amelibot_vers_la_demande(page)
    check(page, "mobile_03_demande_information")
    page.get_by_role("button", name="Je démarre ma demande").click()
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 1 sur 5")
    check(page, "mobile_04_demande_etape_1")
    page.select_option("#f-nationalite", "francaise")
    page.locator("button.fr-btn", has_text="Suivant").click()
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 2 sur 5")
    check(page, "mobile_05_demande_etape_2")
    # Meanwhile an earlier paper request of hers was received, with its letter.
    numero = dossier_avec_courrier(live_app)

    # Mes dossiers and the messagerie, reached from the menu.
    menu(page).get_by_role("link", name="Mes dossiers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes dossiers")
    expect(page.get_by_text(f"Dossier n° {numero}")).to_be_visible()
    expect(page.get_by_text(re.compile("attendue au plus tard le"))).to_be_visible()
    check(page, "mobile_06_mes_dossiers")
    menu(page).get_by_role("link", name=re.compile("^Messagerie")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Messagerie")
    expect(page.get_by_text(ACCUSE).first).to_be_visible()
    check(page, "mobile_07_messagerie")

    # Log out from the menu: back to the login page, the account is closed.
    menu(page).get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#email")).to_be_visible()
    check(page, "mobile_08_deconnecte")
    page.goto(f"{live_server}/assure/messagerie")
    expect(page.locator("#email")).to_be_visible()


def test_sur_un_telephone_sans_javascript_les_liens_de_l_en_tete_restent_accessibles(
        live_server, phone_sans_js):
    page = phone_sans_js
    browser_login(page, live_server, "marie.durand")
    expect(page.get_by_role("heading", name="Bonjour Marie")).to_be_visible()
    # No script to open a modal: no « Menu » button, the links are in the page.
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    entete = page.locator("header")
    outils = entete.locator(".fr-header__tools-links")
    expect(outils.get_by_role("link", name=re.compile("^Messagerie"))).to_be_visible()
    expect(outils.get_by_text("Marie Durand")).to_be_visible()
    expect(outils.get_by_role("button", name="Se déconnecter")).to_be_visible()
    expect(entete.get_by_role("link", name="Mes dossiers")).to_be_visible()
    largeur = page.evaluate("document.documentElement.scrollWidth")
    assert largeur <= PHONE["width"]
    shot(page, "mobile_sans_js_01_accueil")
    entete.get_by_role("link", name="Mes dossiers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes dossiers")
    page.locator("header").get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#email")).to_be_visible()
    shot(page, "mobile_sans_js_02_deconnecte")


def test_sur_un_telephone_l_agent_a_aussi_le_menu(live_server, phone):
    page = phone
    browser_login(page, live_server, "agent.cramif")
    expect(page.get_by_role("button", name="Menu")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "mobile_agent_01_taches")
    modal = menu(page)
    expect(modal.get_by_role("link", name="Mes tâches")).to_be_visible()
    expect(modal.get_by_role("link", name="Saisir un formulaire S4150")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, "mobile_agent_02_menu")
    modal.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#email")).to_be_visible()


def test_sur_un_ordinateur_l_en_tete_montre_ses_liens_sans_menu(live_server, live_app, page):
    numero = _dossier_recu(live_app)
    page.set_viewport_size(DESKTOP)
    browser_login(page, live_server, "marie.durand")
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    outils = page.locator(".fr-header__tools-links")
    expect(outils.get_by_role("link", name=re.compile("^Messagerie"))).to_be_visible()
    expect(outils.get_by_role("button", name="Se déconnecter")).to_be_visible()
    page.locator("a.fr-nav__link", has_text="Mes dossiers").click()
    expect(page.get_by_text(f"Dossier n° {numero}")).to_be_visible()
    check(page, "desktop_01_mes_dossiers")
    outils.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator("#email")).to_be_visible()
    expect(outils.get_by_role("link", name="Se connecter")).to_be_visible()
    check(page, "desktop_02_deconnecte")
