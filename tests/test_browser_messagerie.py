"""The messagerie in Debian's chromium, on a desktop and on a phone (375 × 812): the assuré
writes to the Service Invalidité with an attachment, an agent of the caisse answers from the
shared inbox, the assuré reads the answer. On every page: axe finds nothing serious or
critical, and nothing scrolls sideways.

Screenshots: test-artifacts/messagerie_<desktop|phone>_*.png.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.clock import clock
from app.models import Message, User

from .assure_aide import pdf_bytes
from .browser import axe_violations, browser_login, shot

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 812}}


def check(page, name: str) -> None:
    assert axe_violations(page) == [], name
    largeur = page.evaluate("document.documentElement.scrollWidth")
    assert largeur <= page.viewport_size["width"], f"{name} : {largeur} px de large"
    shot(page, name)


@pytest.fixture
def open_page(chromium):
    contexts = []

    def make(viewport):
        context = chromium.new_context(locale="fr-FR", viewport=viewport,
                                       is_mobile=viewport["width"] < 500)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("ecran", list(VIEWPORTS))
def test_l_assure_ecrit_l_agent_repond_l_assure_lit(live_server, open_page, ecran):
    viewport = VIEWPORTS[ecran]
    name = f"messagerie_{ecran}"
    assure = open_page(viewport)
    browser_login(assure, live_server, "marie.durand")
    assure.goto(f"{live_server}/assure/messagerie")
    check(assure, f"{name}_1_liste_vide")
    assure.get_by_role("link", name="Écrire un message").click()
    assure.wait_for_url("**/messagerie/nouveau")
    check(assure, f"{name}_2_ecrire")
    assure.fill("#f-objet", "Date de mon examen médical")
    assure.fill("#f-texte", "Bonjour,\nJe ne pourrai pas venir le 12. Merci de me proposer "
                            "une autre date.")
    assure.set_input_files("#f-pieces", [
        {"name": "justificatif.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes(1)},
        {"name": "photo.heic", "mimeType": "image/heic", "buffer": b"\0\0\0\x18ftypheic" * 8}])
    assure.get_by_role("button", name="Envoyer", exact=True).click()
    assure.get_by_text("« photo.heic » est une photo HEIC").first.wait_for()
    check(assure, f"{name}_3_piece_refusee")
    assure.get_by_role("button", name="Envoyer", exact=True).click()
    assure.wait_for_url("**/messagerie/conversations/*")
    assert assure.get_by_text("justificatif.pdf").count() == 1
    check(assure, f"{name}_4_conversation")

    agent = open_page(viewport)
    browser_login(agent, live_server, "agent.cramif")
    agent.goto(f"{live_server}/agent/messagerie")
    assert "Non lus (1)" in agent.content()
    check(agent, f"{name}_5_agent_boite")
    agent.get_by_role("link", name="Date de mon examen médical").click()
    agent.wait_for_url("**/agent/messagerie/*")
    check(agent, f"{name}_6_agent_conversation")
    agent.get_by_role("button", name="Prendre ce message").click()
    agent.fill("#f-texte", "Bonjour Madame,\nNous transmettons votre demande au Service "
                           "médical, qui vous proposera une nouvelle date.")
    agent.get_by_role("button", name="Envoyer la réponse").click()
    agent.get_by_text("Votre réponse est envoyée").wait_for()
    check(agent, f"{name}_7_agent_repondu")

    assure.goto(f"{live_server}/assure/messagerie")
    assert "1 message non lu" in assure.content()
    check(assure, f"{name}_8_liste_non_lu")
    assure.get_by_role("link", name="Date de mon examen médical").click()
    assure.get_by_text("Nous transmettons votre demande au Service médical").wait_for()
    check(assure, f"{name}_9_reponse_lue")
    assure.goto(f"{live_server}/assure/messagerie")
    assert "Tous vos messages sont lus." in assure.content()


def test_repondre_a_un_courrier_et_le_service_medical(live_app, live_server, open_page):
    """A letter answered (its reply form, with an error first), then the médecin-conseil's
    inbox of Service médical threads: axe-clean, on a phone."""
    with live_app.extensions["invalidite"].session_factory() as session, session.begin():
        marie = session.scalar(select(User).where(User.email == "marie.durand@demo.fr"))
        lettre = Message(recipient_id=marie.id, objet="Convocation à un examen médical",
                         corps_html="<p>Vous êtes convoquée le 12 janvier à 9 h 30.</p>",
                         created_at=clock.now())
        session.add(lettre)
        session.flush()
        lettre_id = lettre.id
    viewport = VIEWPORTS["phone"]
    assure = open_page(viewport)
    browser_login(assure, live_server, "marie.durand")
    assure.goto(f"{live_server}/assure/messagerie/{lettre_id}")
    check(assure, "messagerie_phone_10_courrier")
    assure.locator("label[for=f-service-medical]").click()
    assure.get_by_role("button", name="Envoyer ma réponse").click()
    assure.get_by_text("Écrivez votre message.").first.wait_for()
    check(assure, "messagerie_phone_11_courrier_erreur")
    assure.fill("#f-texte", "Je serai présente.")
    assure.get_by_role("button", name="Envoyer ma réponse").click()
    assure.wait_for_url("**/messagerie/conversations/*")
    check(assure, "messagerie_phone_12_courrier_repondu")

    medecin = open_page(viewport)
    browser_login(medecin, live_server, "medecin")
    medecin.goto(f"{live_server}/agent/messagerie")
    assert "Convocation à un examen médical" in medecin.content()
    check(medecin, "messagerie_phone_13_medecin_boite")
    agent = open_page(viewport)
    browser_login(agent, live_server, "agent.cramif")
    agent.goto(f"{live_server}/agent/messagerie?vue=tous")
    assert "Convocation à un examen médical" not in agent.content()
