"""The superviseur's repairs, in the browser: fire a waiting timer now (with a reason), find
the action in the audit journal; the pages pass axe on a desktop and on a phone."""
from __future__ import annotations

from sqlalchemy import select

from app.engine.clock import clock
from app.models import Dossier, User
from app.web.agent.dossiers import ouvrir_instruction

from .browser import axe_violations, browser_login, shot
from .test_instruction_outils import AVIS, DEMANDE, verifier


def _dossier_en_examen(live_app) -> tuple[int, str]:
    services = live_app.extensions["invalidite"]
    factory = services.session_factory
    with factory() as session:
        users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        session.expunge_all()
    instance_id, numero = ouvrir_instruction(
        services.runtime, users["marie.durand"], "CRAMIF", date_reception=clock.today(),
        demande=DEMANDE, canal="en_ligne", avis_imposition=AVIS)
    verifier(services.runtime, factory, instance_id, users["agent.cramif"])
    return instance_id, numero


def _statut(live_app, numero: str) -> str:
    with live_app.extensions["invalidite"].session_factory() as session:
        return session.scalar(select(Dossier.statut).where(Dossier.numero == numero))


def test_le_superviseur_declenche_l_echeance_avec_un_motif_et_la_retrouve_au_journal(
        live_server, live_app, page):
    instance_id, numero = _dossier_en_examen(live_app)
    page.set_viewport_size({"width": 375, "height": 812})
    browser_login(page, live_server, "superviseur")
    page.goto(f"{live_server}/supervision/instances/{instance_id}")
    assert "Interventions sur l'instance" in page.content()
    assert axe_violations(page) == []
    shot(page, "operations_phone_01_instance")
    page.set_viewport_size({"width": 1280, "height": 900})
    # Without a reason the browser refuses to send; with one, the deadline falls now.
    page.fill("#declencher-motif", "Essai de reprise : le délai légal est dépassé.")
    page.get_by_role("button", name="Déclencher maintenant").click()
    page.wait_for_load_state()
    assert _statut(live_app, numero) == "rejet_implicite"
    assert axe_violations(page) == []
    shot(page, "operations_02_minuteur_declenche")
    page.goto(f"{live_server}/supervision/journal?dossier={numero}")
    text = page.content()
    assert numero in text and "Thomas Robert" in text
    assert axe_violations(page) == []
    shot(page, "operations_03_journal")


def test_une_echeance_declenchee_en_avance_date_la_decision_du_jour(live_server, live_app, page):
    """Le rejet implicite est daté de l'échéance légale quand le worker passe en retard ; le
    superviseur qui déclenche le minuteur avant l'échéance en fait une décision du jour."""
    instance_id, numero = _dossier_en_examen(live_app)
    browser_login(page, live_server, "superviseur")
    page.goto(f"{live_server}/supervision/instances/{instance_id}")
    page.fill("#declencher-motif", "Demande de l'assuré : il préfère contester sans attendre.")
    page.get_by_role("button", name="Déclencher maintenant").click()
    page.wait_for_load_state()
    with live_app.extensions["invalidite"].session_factory() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
        assert dossier.decision == "rejet_implicite"
        assert dossier.decision_at.date() == clock.now().date()
