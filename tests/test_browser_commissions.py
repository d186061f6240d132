"""In a real browser: the assuré contests a refusal with a document attached, the claim
reaches the CRA's own inbox (not the agents'), a member of the commission rules on it.

Screenshots: test-artifacts/commission_01_contester.png … commission_04_decision.png."""
from __future__ import annotations

import re

from pypdf import PdfWriter
from sqlalchemy import select

from app.engine.clock import clock
from app.models import User
from app.web.agent.dossiers import ouvrir_instruction

from .browser import axe_violations, browser_login, shot
from .test_instruction_outils import AVIS, DEMANDE, verifier


def _refus(live_app) -> str:
    services = live_app.extensions["invalidite"]
    factory = services.session_factory
    with factory() as session:
        users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        session.expunge_all()
    instance_id, numero = ouvrir_instruction(
        services.runtime, users["emma.leroy"], "CRAMIF", date_reception=clock.today(),
        demande=DEMANDE, canal="en_ligne", avis_imposition=AVIS)
    verifier(services.runtime, factory, instance_id, users["agent.cramif"])
    return numero


def test_la_reclamation_et_sa_piece_arrivent_a_la_cra_qui_statue(live_server, live_app, page,
                                                                 tmp_path):
    numero = _refus(live_app)
    fichier = tmp_path / "attestation_employeur.pdf"
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    with fichier.open("wb") as out:
        writer.write(out)

    # The assuré: motifs typed, a document joined (the text stays), then sent.
    browser_login(page, live_server, "emma.leroy")
    page.goto(f"{live_server}/assure/dossiers/{numero}")
    page.get_by_role("link", name="Contester la décision").first.click()
    page.click("label[for=f-nature_contestation--2]")
    motifs = "J'ai travaillé en Belgique : ces périodes comptent."
    page.fill("#f-motifs_contestation", motifs)
    page.set_input_files("#f-document", str(fichier))
    page.get_by_role("button", name="Joindre ces fichiers").click()
    assert "Joint à votre contestation : attestation_employeur.pdf" in page.content()
    assert page.input_value("#f-motifs_contestation") == motifs
    assert axe_violations(page) == []
    shot(page, "commission_01_contester")
    page.get_by_role("button", name="Envoyer ma contestation").click()
    assert "commission de recours amiable (CRA)" in page.content()
    page.context.clear_cookies()

    # The agent who refused does not get the claim.
    browser_login(page, live_server, "agent.cramif")
    page.goto(f"{live_server}/agent/?vue=a_prendre")
    assert numero not in page.content()
    page.context.clear_cookies()

    # The CRA: its inbox, the claim, its document, the decision.
    browser_login(page, live_server, "cra.cramif")
    page.goto(f"{live_server}/agent/?vue=a_prendre")
    assert "Commission de recours amiable" in page.content() and numero in page.content()
    assert axe_violations(page) == []
    shot(page, "commission_02_boite_cra")
    page.locator("tr", has_text=numero).get_by_role("button", name=re.compile("Prendre")).click()
    page.goto(f"{live_server}/agent/?vue=mes")
    page.locator("tr", has_text=numero).get_by_role("link", name=re.compile("Ouvrir")).click()
    page.wait_for_load_state()
    assert "Pièces jointes par l'assuré" in page.content()
    assert page.get_by_role("link", name="attestation_employeur.pdf").count() >= 1
    assert axe_violations(page) == []
    shot(page, "commission_03_reclamation")
    page.click("label[for=f-issue_commission--2]")  # réclamation rejetée
    page.fill("#f-motifs_commission", "Les périodes belges ne sont pas justifiées.")
    page.get_by_role("button", name="Enregistrer la décision et notifier").click()
    assert "c'est fait pour le dossier" in page.content()
    shot(page, "commission_04_decision")
