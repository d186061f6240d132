"""In Debian's chromium: a demo assuré talks to ameliBot, fills every step of the request
(a salarié, then a non-salarié), uploads a PDF and gets the accusé de réception.

axe-core runs on every assuré page (no « serious » or « critical » violation allowed), each
step is saved as a screenshot in test-artifacts/ (assure_*.png), and part of the journey is
driven with the keyboard alone.
"""
from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfWriter

from .browser import axe_violations, browser_login, shot

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 2048


def _pdf(pages: int = 2) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def check(page, name: str) -> None:
    """Every assuré page: French, accessible (axe), and captured."""
    assert page.get_attribute("html", "lang") == "fr"
    violations = axe_violations(page)
    assert violations == [], f"{name} : {violations}"
    shot(page, name)


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    target = page.locator(selector).first
    for _ in range(limit):
        if target.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{selector} jamais atteint au clavier")


def click_label(page, field_id: str) -> None:
    page.click(f"label[for='{field_id}']")


def upload(page, content: bytes, name: str) -> None:
    page.set_input_files("#avis-imposition", files=[
        {"name": name, "mimeType": "application/pdf", "buffer": content}])


def test_salarie_from_amelibot_to_the_accuse_de_reception(live_server, page):
    browser_login(page, live_server, "marie.durand")
    expect(page.get_by_role("heading", name="Bonjour Marie")).to_be_visible()
    check(page, "assure_00_accueil")

    # ameliBot, with the keyboard only.
    page.click("text=Discuter avec ameliBot")
    check(page, "assure_01_amelibot_debut")
    tab_to(page, "button:has-text('Lancer une conversation')")
    page.keyboard.press("Enter")
    expect(page.locator(".assure-bulle--bot").first).to_contain_text("Bonjour, je suis ameliBot")
    tab_to(page, "#f-message")
    page.keyboard.type("je veux ma pension invalidite")
    page.keyboard.press("Enter")
    expect(page.locator(".assure-bulle--assure").last).to_have_text(
        re.compile("je veux ma pension invalidite"))
    check(page, "assure_01_amelibot")
    tab_to(page, "button:has-text(\"J'ai eu une décision du médecin conseil\")")
    page.keyboard.press("Enter")
    expect(page.locator(".assure-bulle--bot").last).to_contain_text("plus d'un employeur")
    tab_to(page, "button[value='false']")
    page.keyboard.press("Enter")
    link = page.get_by_role("link", name="en cliquant ici")
    expect(link).to_be_visible()
    check(page, "assure_02_amelibot_lien")
    tab_to(page, "a:has-text('en cliquant ici')")
    page.keyboard.press("Enter")

    # Information page, then step 1 by keyboard (including the error summary).
    expect(page.get_by_role("heading", level=1)).to_have_text("Demander une pension d'invalidité")
    expect(page.get_by_text("Pour cette démarche, vous aurez besoin de votre dernier avis "
                            "d'imposition.")).to_be_visible()
    check(page, "assure_03_information")
    tab_to(page, "button:has-text('Je démarre ma demande')")
    page.keyboard.press("Enter")
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 1 sur 5")
    expect(page.get_by_text("12 rue de la Roquette 75011 Paris")).to_be_visible()
    check(page, "assure_04_coordonnees")
    tab_to(page, "button.fr-btn:has-text('Suivant')")
    page.keyboard.press("Enter")
    summary = page.locator("#erreurs-formulaire")
    expect(summary).to_contain_text("Indiquez votre nationalité")
    check(page, "assure_05_coordonnees_erreur")
    tab_to(page, "#erreurs-formulaire a")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "f-nationalite"
    page.keyboard.press("ArrowDown")
    assert page.input_value("#f-nationalite") == "francaise"
    tab_to(page, "button.fr-btn:has-text('Suivant')")
    page.keyboard.press("Enter")

    # Step 2: salarié, one employer.
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 2 sur 5")
    check(page, "assure_06_situation")
    click_label(page, "f-activites")
    click_label(page, "f-salariee-plusieurs_employeurs--2")  # Non
    page.fill("#f-salariee-employeur_nom", "Société Lelièvre")
    page.fill("#f-salariee-employeur_adresse", "126 rue Fernand Braudel, 75013 Paris")
    page.fill("#f-salariee-periode-du", "01/01/2001")
    page.fill("#f-salariee-periode-au", "31/12/2099")
    page.click("button.fr-btn:has-text('Suivant')")
    expect(page.locator("#erreurs-formulaire")).to_contain_text(
        "La date de fin ne peut pas être dans le futur")
    expect(page.locator("#f-salariee-periode-au")).to_have_value("31/12/2099")
    check(page, "assure_07_situation_salarie_erreur")
    page.fill("#f-salariee-periode-au", "31/12/2024")
    page.click("button.fr-btn:has-text('Suivant')")

    # Step 3: two countries, the second added without leaving the page's data.
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 3 sur 5")
    check(page, "assure_08_informations")
    click_label(page, "f-propositions--3")  # Travaillé dans un autre pays
    page.select_option("#f-pays-0-nom", label="Espagne")
    page.fill("#f-pays-0-periode-du", "01/01/1995")
    page.fill("#f-pays-0-periode-au", "31/12/1999")
    page.click("button:has-text('Ajouter un pays')")
    expect(page.locator("#f-pays-0-nom")).to_have_value("ES")
    page.select_option("#f-pays-1-nom", label="Portugal")
    page.fill("#f-pays-1-periode-du", "01/01/2000")
    page.fill("#f-pays-1-periode-au", "31/12/2000")
    check(page, "assure_09_informations_pays")
    page.click("button.fr-btn:has-text('Suivant')")

    # Step 4: récapitulatif; the pencil of a section returns to it, then back here.
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 4 sur 5")
    expect(page.get_by_text("Portugal")).to_be_visible()
    check(page, "assure_10_recapitulatif")
    page.click("button:has-text('Modifier') >> nth=1")
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 2 sur 5")
    expect(page.locator("#f-salariee-employeur_nom")).to_have_value("Société Lelièvre")
    page.fill("#f-salariee-employeur_nom", "Société Lelièvre et fils")
    page.click("button.fr-btn:has-text('Suivant')")
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 4 sur 5")
    expect(page.get_by_text("Société Lelièvre et fils")).to_be_visible()
    page.click("button:has-text('Tout est bon')")

    # Step 5: a JPEG named .pdf is refused, then the real PDF is sent.
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 5 sur 5")
    check(page, "assure_11_avis_imposition")
    upload(page, JPEG, "avis.pdf")
    page.click("button:has-text('Je valide ma demande')")
    expect(page.locator("#erreurs-formulaire")).to_contain_text("Ce fichier est une image")
    check(page, "assure_12_avis_imposition_refus")
    upload(page, _pdf(2), "avis_imposition_2025.pdf")
    page.click("button:has-text('Je valide ma demande')")

    # The dossier, the accusé de réception and its PDF.
    expect(page.get_by_text("Votre demande de pension d'invalidité est envoyée")).to_be_visible()
    expect(page.get_by_text(re.compile("Décision attendue au plus tard le"))).to_be_visible()
    check(page, "assure_13_dossier")
    page.click("a.fr-btn:has-text('Messagerie')")
    expect(page.get_by_role("link", name="Accusé de réception demande de pension "
                                         "d'invalidité")).to_be_visible()
    check(page, "assure_14_messagerie")
    page.click("text=Accusé de réception demande de pension d'invalidité")
    expect(page.get_by_text("17-19 avenue de Flandre")).to_be_visible()
    check(page, "assure_15_accuse_reception")
    with page.expect_download() as download:
        page.click("text=Télécharger ce courrier")
    assert download.value.suggested_filename.endswith(".pdf")
    page.click("a.fr-nav__link:has-text('Mes dossiers')")
    check(page, "assure_16_mes_dossiers")
    page.click("a.fr-nav__link:has-text('Mes informations')")
    check(page, "assure_17_mes_informations")


def test_non_salarie_without_decision_of_the_medecin_conseil(live_server, page):
    browser_login(page, live_server, "paul.martin")
    page.goto(f"{live_server}/assure/amelibot")
    page.click("text=Lancer une conversation avec ameliBot")
    page.fill("#f-message", "bonjour")
    page.click("button:has-text('Envoyer')")
    page.fill("#f-message", "demande pension invalidite")
    page.click("button:has-text('Envoyer')")
    page.click("text=Je n'ai pas eu de décision du médecin conseil")
    page.click("text=Je travaille actuellement")
    expect(page.locator(".assure-bulle--bot").last).to_contain_text("capacité de travail")
    check(page, "assure_20_amelibot_sans_decision")
    page.click("button[value='true']")
    page.click("button[value='false']")
    page.click("text=en cliquant ici")
    page.click("button:has-text('Je démarre ma demande')")

    page.select_option("#f-nationalite", "hors_ue")
    expect(page.locator("#f-agdref")).to_be_visible()
    page.fill("#f-agdref", "12345")
    page.click("button.fr-btn:has-text('Suivant')")
    expect(page.locator("#erreurs-formulaire")).to_contain_text("exactement 10 chiffres")
    check(page, "assure_21_coordonnees_agdref")
    page.fill("#f-agdref", "0123456789")
    page.click("button.fr-btn:has-text('Suivant')")

    click_label(page, "f-activites--2")  # Activité non-salariée
    page.fill("#f-non_salariee-date_registre_commerce", "15/03/2010")
    page.fill("#f-non_salariee-activite", "Boulangerie")
    page.fill("#f-non_salariee-adresse_professionnelle", "4 rue du Four, 69002 Lyon")
    click_label(page, "f-non_salariee-a_cesse")  # Oui
    page.fill("#f-non_salariee-date_cessation", "01/02/2025")
    click_label(page, "f-non_salariee-indemnites_journalieres")  # Oui
    click_label(page, "f-non_salariee-conjoint")  # Oui
    page.fill("#f-non_salariee-conjoint_detail-activite", "Vente en boutique")
    click_label(page, "f-non_salariee-conjoint_detail-a_cesse--2")  # Non
    click_label(page, "f-non_salariee-conjoint_detail-autre_activite")  # Oui
    page.fill("#f-non_salariee-conjoint_detail-autre_activite_nature", "Livraisons")
    page.fill("#f-non_salariee-conjoint_detail-autre_activite_depuis", "01/06/2025")
    check(page, "assure_22_situation_non_salarie")
    page.click("button.fr-btn:has-text('Suivant')")

    click_label(page, "f-propositions")  # accident causé par un tiers
    page.fill("#f-date_accident", "20/05/2021")
    click_label(page, "f-propositions--2")  # autre régime
    click_label(page, "f-regimes--3")  # CAVIMAC
    click_label(page, "f-propositions--4")  # Aucune… together with others
    page.click("button.fr-btn:has-text('Suivant')")
    expect(page.locator("#erreurs-formulaire")).to_contain_text("Aucune de ces propositions")
    check(page, "assure_23_informations_aucune_seule")
    click_label(page, "f-propositions--4")
    page.click("button.fr-btn:has-text('Suivant')")

    expect(page.get_by_text("Boulangerie")).to_be_visible()
    expect(page.get_by_text("CAVIMAC")).to_be_visible()
    check(page, "assure_24_recapitulatif_non_salarie")
    page.click("button:has-text('Tout est bon')")
    upload(page, _pdf(1), "avis.pdf")
    page.click("button:has-text('Je valide ma demande')")
    expect(page.get_by_text(re.compile("Décision attendue au plus tard le"))).to_be_visible()
    check(page, "assure_25_dossier_non_salarie")
    page.goto(f"{live_server}/assure/messagerie")
    page.click("text=Accusé de réception demande de pension d'invalidité")
    expect(page.get_by_text("CPAM 69").first).to_be_visible()
    check(page, "assure_26_accuse_cpam")


def test_more_than_one_employer_and_see_your_doctor(live_server, page):
    browser_login(page, live_server, "julie.petit")
    page.goto(f"{live_server}/assure/amelibot")
    page.click("text=Lancer une conversation avec ameliBot")
    page.fill("#f-message", "faire une demande de pension invalidité")
    page.click("button:has-text('Envoyer')")
    page.click("text=J'ai eu une décision du médecin conseil")
    page.click("button[value='true']")
    expect(page.locator(".assure-bulle--bot").last).to_contain_text("S4150")
    check(page, "assure_30_amelibot_papier")
    page.click("text=en cliquant ici")
    check(page, "assure_31_formulaire_papier")
    page.goto(f"{live_server}/assure/amelibot")
    page.click("text=Lancer une conversation avec ameliBot")
    page.fill("#f-message", "pension d'invalidité")
    page.click("button:has-text('Envoyer')")
    page.click("text=Je n'ai pas eu de décision du médecin conseil")
    page.click("text=Je suis au chômage indemnisé")
    page.click("button[value='false']")
    expect(page.locator(".assure-bulle--bot").last).to_contain_text("médecin traitant")
    check(page, "assure_32_amelibot_medecin")

    # Online request stopped by a second employer; « Modifier mes informations » on the way.
    # (ameliBot is the way in: a direct URL leads back to it.)
    page.goto(f"{live_server}/assure/demande")
    expect(page).to_have_url(re.compile(r"/assure/amelibot"))
    page.click("text=Lancer une conversation avec ameliBot")
    page.fill("#f-message", "faire une demande de pension invalidité")
    page.click("button:has-text('Envoyer')")
    page.click("text=J'ai eu une décision du médecin conseil")
    page.click("button[value='false']")
    page.click("text=en cliquant ici")
    page.click("button:has-text('Je démarre ma demande')")
    page.click("text=Modifier mes informations")
    check(page, "assure_33_modifier_informations")
    page.click("a.fr-btn:has-text('Poursuivre')")
    page.fill("#f-adresse", "10 avenue Thiers")
    page.click("button:has-text('Enregistrer')")
    expect(page.get_by_text("Vos informations personnelles sont enregistrées")).to_be_visible()
    page.click("text=Reprendre ma demande")
    expect(page.get_by_text("10 avenue Thiers 77000 Melun")).to_be_visible()
    page.select_option("#f-nationalite", "francaise")
    page.click("button.fr-btn:has-text('Suivant')")
    click_label(page, "f-activites")
    click_label(page, "f-salariee-plusieurs_employeurs")  # Oui
    page.click("button.fr-btn:has-text('Suivant')")
    expect(page.get_by_text("La demande en ligne n'est pas possible avec plus d'un "
                            "employeur")).to_be_visible()
    check(page, "assure_34_orientation_papier")
    click_label(page, "f-choix_orientation--2")
    page.click("button:has-text('Valider mon choix')")
    expect(page.get_by_text("Demande en ligne arrêtée : formulaire papier S4150")).to_be_visible()
    check(page, "assure_35_dossier_papier")


def test_the_journey_works_without_javascript(live_server, chromium):
    """Every answer is a plain POST: ameliBot, the conditional questions (shown with their
    « À remplir si… » hint) and « Ajouter un pays » all work with JavaScript turned off."""
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900},
                                   java_script_enabled=False)
    page = context.new_page()
    try:
        browser_login(page, live_server, "marie.durand")
        page.goto(f"{live_server}/assure/amelibot")
        page.click("text=Lancer une conversation avec ameliBot")
        page.fill("#f-message", "pension d'invalidité")
        page.click("button:has-text('Envoyer')")
        page.click("text=J'ai eu une décision du médecin conseil")
        page.click("button[value='false']")
        page.click("text=en cliquant ici")
        page.click("button:has-text('Je démarre ma demande')")
        page.select_option("#f-nationalite", "francaise")
        page.click("button.fr-btn:has-text('Suivant')")
        expect(page.get_by_text("À remplir si vous avez coché « Activité salariée »")
               ).to_be_visible()
        shot(page, "assure_40_sans_javascript_situation")  # axe needs JavaScript
        click_label(page, "f-activites--3")  # Chômage indemnisé
        page.click("button.fr-btn:has-text('Suivant')")
        click_label(page, "f-propositions--3")
        page.select_option("#f-pays-0-nom", label="Italie")
        page.click("button:has-text('Ajouter un pays')")
        expect(page.locator("#f-pays-1-nom")).to_be_visible()
        expect(page.locator("#f-pays-0-nom")).to_have_value("IT")
        shot(page, "assure_41_sans_javascript_pays")
    finally:
        context.close()
