"""In a real browser: an agent and a médecin-conseil take a received dossier to a decision.

Screenshots: test-artifacts/agent_01_inbox.png … agent_08_assure_messagerie.png."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.engine.clock import clock
from app.models import Document, Dossier, User
from app.web.agent.dossiers import ouvrir_instruction

from .browser import axe_violations, browser_login, shot
from .test_instruction_outils import AVIS, DEMANDE


def _dossier_recu(app) -> str:
    services = app.extensions["invalidite"]
    with services.session_factory() as session:
        marie = session.scalar(select(User).where(User.email == "marie.durand@demo.fr"))
        session.expunge(marie)
    instance_id, numero = ouvrir_instruction(
        services.runtime, marie, "CRAMIF", date_reception=clock.today(), demande=DEMANDE,
        canal="en_ligne", avis_imposition=AVIS)
    stored = services.store.save(b"%PDF-1.4\n% avis\n")
    with services.session_factory() as session, session.begin():
        session.add(Document(owner_id=marie.id, instance_id=instance_id, kind="avis_imposition",
                             original_name="avis_imposition_2025.pdf",
                             stored_name=stored.stored_name, sha256=stored.sha256,
                             size=stored.size, created_at=clock.now()))
    return numero


def _logout(page) -> None:
    page.context.clear_cookies()


def _open_task(page, base, numero, titre) -> None:
    page.goto(f"{base}/agent/?numero={numero}")
    row = page.locator("tr", has_text=titre)
    row.get_by_role("link", name=re.compile("Ouvrir")).click()
    page.wait_for_load_state()


def test_agent_et_medecin_menent_un_dossier_jusqu_a_la_decision(live_server, live_app, page):
    numero = _dossier_recu(live_app)

    # Agent: the inbox, take the task, check the conditions.
    browser_login(page, live_server, "agent.cramif")
    page.goto(f"{live_server}/agent/?vue=a_prendre")
    assert numero in page.content()
    assert axe_violations(page) == []
    shot(page, "agent_01_inbox")
    page.locator("tr", has_text=numero).get_by_role("button", name=re.compile("Prendre")).click()
    assert "Mes tâches (1)" in page.content()
    _open_task(page, live_server, numero, "Vérification administrative")
    assert "Conditions administratives calculées" in page.content()
    assert axe_violations(page) == []
    shot(page, "agent_02_verification")
    page.click("label[for=f-avis_conditions]")  # « Je confirme le résultat du calcul »
    page.click("label[for=f-pieces_completes]")  # Oui, le dossier est complet
    page.get_by_role("button", name="Enregistrer la vérification").click()
    assert "c'est fait pour le dossier" in page.content()
    shot(page, "agent_03_apres_verification")
    _logout(page)

    # Médecin-conseil: convocation, then the exam.
    browser_login(page, live_server, "medecin")
    _open_task(page, live_server, numero, "Convoquer l'assuré")
    shot(page, "agent_04_convocation")
    jour = page.input_value("#f-convocation_date")
    page.get_by_role("button", name="Envoyer la convocation").click()
    # The exam is recorded on the convocation day, never before it.
    from datetime import datetime

    clock.advance(datetime.strptime(jour, "%d/%m/%Y").date() - clock.today())
    _open_task(page, live_server, numero, "Examen médical")
    page.click("label[for=f-capacite_reduite]")
    page.click("label[for=f-categorie--2]")
    page.click("label[for=f-tierce_personne--2]")
    page.fill("#f-constatations", "Lombalgie chronique, périmètre de marche réduit.")
    page.fill("#f-notes_medicales", "NOTE-SECRETE-NAVIGATEUR")
    assert axe_violations(page) == []
    shot(page, "agent_05_examen")
    page.get_by_role("button", name="Enregistrer l'avis médical").click()
    assert "c'est fait pour le dossier" in page.content()
    _logout(page)

    # Agent: the computed amount, validated → notification d'attribution.
    browser_login(page, live_server, "agent.cramif")
    _open_task(page, live_server, numero, "Valider l'attribution")
    content = page.content()
    assert "Salaire annuel moyen" in content and "catégorie 2" in content
    assert "NOTE-SECRETE-NAVIGATEUR" not in content
    assert axe_violations(page) == []
    shot(page, "agent_06_decision")
    page.click("label[for=f-calcul_verifie]")
    page.get_by_role("button", name="Valider l'attribution et notifier").click()
    page.goto(f"{live_server}/agent/dossiers/{numero}")
    assert "Pension accordée" in page.content()
    assert "NOTE-SECRETE-NAVIGATEUR" not in page.content()
    shot(page, "agent_07_dossier_accord")
    _logout(page)

    # The assuré finds the notification in the messagerie.
    browser_login(page, live_server, "marie.durand")
    page.goto(f"{live_server}/assure/messagerie")
    assert "Notification d'attribution de pension d'invalidité" in page.content()
    shot(page, "agent_08_assure_messagerie")
    page.get_by_role("link", name="Notification d'attribution de pension d'invalidité").click()
    assert "Montant mensuel brut" in page.content()
    shot(page, "agent_09_assure_notification")
    with live_app.extensions["invalidite"].session_factory() as session:
        row = session.scalar(select(Dossier).where(Dossier.numero == numero))
        assert (row.statut, row.categorie) == ("accord", 2)


def test_l_assure_transmet_ses_pieces_puis_conteste_un_refus(live_server, live_app, page,
                                                             tmp_path):
    from pypdf import PdfWriter

    from .test_instruction_outils import task, verifier

    services = live_app.extensions["invalidite"]
    factory = services.session_factory
    with factory() as session:
        users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        session.expunge_all()
    emma = users["emma.leroy"]
    instance_id, numero = ouvrir_instruction(
        services.runtime, emma, "CRAMIF", date_reception=clock.today(), demande=DEMANDE,
        canal="en_ligne", avis_imposition=AVIS)
    verifier(services.runtime, factory, instance_id, users["agent.cramif"],
             avis_conditions="corrige", conditions_corrigees="remplies",
             motif_correction="Attestation d'un employeur belge annoncée par l'assurée.",
             pieces_completes=False, pieces_demandees=["identite", "attestation_salaire"])
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    fichier = tmp_path / "attestation.pdf"
    with fichier.open("wb") as out:
        writer.write(out)

    browser_login(page, live_server, "emma.leroy")
    page.goto(f"{live_server}/assure/dossiers/{numero}")
    page.get_by_role("link", name="Fournir les pièces demandées").click()
    page.set_input_files("#f-document", str(fichier))
    page.get_by_role("button", name="Ajouter", exact=True).click()
    assert "attestation.pdf" in page.content()
    assert axe_violations(page) == []
    shot(page, "assure_suivi_01_pieces")
    page.get_by_role("button", name="Envoyer mes documents").click()
    # Sent on the day of the request: the decision deadline did not move, and says so.
    assert "La décision reste attendue au plus tard le" in page.content()

    # The employer's certificate does not change the figures: droits non ouverts, refusal.
    verifier(services.runtime, factory, instance_id, users["agent.cramif"])
    assert task(factory, instance_id, "contester").role == "assure"
    page.goto(f"{live_server}/assure/dossiers/{numero}")
    page.get_by_role("link", name="Contester la décision").first.click()
    assert "17-19 avenue de Flandre" in page.content()
    assert axe_violations(page) == []
    shot(page, "assure_suivi_02_contester")
    page.click("label[for=f-nature_contestation--2]")
    page.fill("#f-motifs_contestation", "J'ai travaillé en Belgique : ces périodes comptent.")
    page.get_by_role("button", name="Envoyer ma contestation").click()
    assert "commission de recours amiable (CRA)" in page.content()
    shot(page, "assure_suivi_03_contestation_envoyee")
