"""The dossier page after a contestation, and after a dossier closed by the caisse (issue 10,
point 4).

Once a contestation is sent, the page shows the commission (CRA or CMRA), the last day of its
delay and the day from which its silence means rejection (2 months for the CRA, 4 for the
CMRA), never the past decision deadline with « vous pourrez alors la contester »; the
« Contester » invitation is gone. A dossier terminated by the supervision says what happened:
closed without decision (nothing to contest), or closed while a decision may still be
contested by letter; never « le délai pour contester est expiré »."""
from __future__ import annotations

from datetime import timedelta

from app.documents.formats import date_longue
from app.domain import echeance
from app.engine.clock import clock
from app.engine.timers import fire_due_timers

from .conftest import html, login
from .test_assure_accuses import contester, text
from .test_instruction_espace_assure import refus
from .test_instruction_outils import (
    deadline_moment,
    dossier,
    dossier_recu,
    move_clock_to,
    open_tasks,
)
from .test_recours import refus_medical

PASSE = "vous pourrez alors la contester"
EXPIRE = "Le délai pour contester est expiré"


def page(client, session_factory, iid) -> str:
    return text(html(client.get(f"/assure/dossiers/{dossier(session_factory, iid).numero}")))


def invitation(client, session_factory, iid) -> bool:
    """The dossier page offers to contest (the task, or the « Contester » entry point)."""
    numero = dossier(session_factory, iid).numero
    body = html(client.get(f"/assure/dossiers/{numero}"))
    return ">Contester la décision</a>" in body


def test_apres_la_contestation_la_page_montre_la_cra_et_la_date_du_rejet_implicite(
        client, web, users, session_factory):
    iid, row = refus(web, users, session_factory)
    login(client, "emma.leroy")
    contester(client, row, "administrative")
    limite = echeance("silence_cra", clock.today())
    contenu = page(client, session_factory, iid)
    assert "Réclamation en cours d'examen par la commission de recours amiable (CRA)" in contenu
    assert f"se prononcer au plus tard le {date_longue(limite)} (2 mois après" in contenu
    assert f"rejetée à partir du {date_longue(limite + timedelta(days=1))}" in contenu
    assert PASSE not in contenu and "Décision attendue" not in contenu


def test_apres_une_contestation_medicale_la_page_montre_les_quatre_mois_de_la_cmra(
        client, web, users, session_factory):
    iid = refus_medical(web, session_factory, users)
    row = next(t for t in open_tasks(session_factory, iid) if t.role == "assure")
    login(client, "marie.durand")
    contester(client, row, "medicale")
    limite = echeance("silence_cmra", clock.today())
    contenu = page(client, session_factory, iid)
    assert "commission médicale de recours amiable (CMRA)" in contenu
    assert f"au plus tard le {date_longue(limite)} (4 mois après" in contenu
    assert f"rejetée à partir du {date_longue(limite + timedelta(days=1))}" in contenu
    assert PASSE not in contenu


def test_l_invitation_a_contester_disparait_une_fois_la_contestation_envoyee(
        client, web, users, session_factory):
    iid, row = refus(web, users, session_factory)
    login(client, "emma.leroy")
    assert invitation(client, session_factory, iid)
    contester(client, row, "administrative")
    assert not invitation(client, session_factory, iid)
    numero = dossier(session_factory, iid).numero
    # The entry point now says the claim is under way, with the commission's deadline.
    suivi = text(html(client.get(f"/assure/recours/dossier/{numero}")))
    limite = echeance("silence_cra", clock.today())
    assert "Votre contestation a bien été envoyée" in suivi
    assert f"au plus tard le {date_longue(limite)}" in suivi


def test_dossier_arrete_sans_decision_dit_qu_il_est_clos_sans_decision(client, web, users,
                                                                       session_factory):
    iid = dossier_recu(web, users, who="emma.leroy")
    web.set_status(iid, "terminated", users["superviseur"], "Demande déposée en double")
    login(client, "emma.leroy")
    contenu = page(client, session_factory, iid)
    assert "Demande close sans décision" in contenu
    assert "il n'y a rien à contester" in contenu
    assert PASSE not in contenu and "Décision attendue" not in contenu
    assert not invitation(client, session_factory, iid)
    numero = dossier(session_factory, iid).numero
    suivi = text(html(client.get(f"/assure/recours/dossier/{numero}")))
    assert "Demande close sans décision" in suivi and EXPIRE not in suivi


def test_dossier_arrete_apres_un_rejet_implicite_ne_dit_pas_le_delai_expire(
        client, web, users, session_factory):
    iid = dossier_recu(web, users, who="emma.leroy")
    move_clock_to(deadline_moment(session_factory, iid))
    assert fire_due_timers(web) == 1  # rejet implicite: the contest delay starts
    limite = echeance("contestation", clock.today())
    web.set_status(iid, "terminated", users["superviseur"], "Erreur de saisie")
    login(client, "emma.leroy")
    contenu = page(client, session_factory, iid)
    assert "Dossier clos par votre caisse" in contenu
    assert f"contester le rejet implicite de votre demande jusqu'au {date_longue(limite)}" \
        in contenu
    assert not invitation(client, session_factory, iid)
    numero = dossier(session_factory, iid).numero
    suivi = text(html(client.get(f"/assure/recours/dossier/{numero}")))
    assert EXPIRE not in suivi and "devenue définitive" not in suivi
    assert f"jusqu'au {date_longue(limite)} inclus" in suivi


def test_les_pages_du_suivi_restent_accessibles(live_server, live_app, page, tmp_path):
    """In a real browser (axe-core): a refused file among several, the dossier page with the
    documents sent and the commission's dates, a dossier closed without decision."""
    from app.web.agent.dossiers import ouvrir_instruction

    from .browser import axe_violations, browser_login, shot
    from .test_assure_accuses import PNG
    from .test_instruction_espace_assure import pdf
    from .test_instruction_outils import AVIS, DEMANDE, task, verifier

    services = live_app.extensions["invalidite"]
    factory = services.session_factory
    with factory() as session:
        from sqlalchemy import select

        from app.models import User
        users = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        session.expunge_all()

    def recu(who):
        return ouvrir_instruction(services.runtime, users[who], "CRAMIF",
                                  date_reception=clock.today(), demande=DEMANDE,
                                  canal="en_ligne", avis_imposition=AVIS)

    iid, numero = recu("emma.leroy")
    verifier(services.runtime, factory, iid, users["agent.cramif"], avis_conditions="corrige",
             conditions_corrigees="remplies", motif_correction="Attestation annoncée.",
             pieces_completes=False, pieces_demandees=["identite"])
    browser_login(page, live_server, "emma.leroy")
    page.goto(f"{live_server}/assure/pieces/{task(factory, iid, 'fournir_pieces').id}")
    page.set_input_files("#f-document", files=[
        {"name": "cni.pdf", "mimeType": "application/pdf", "buffer": pdf()},
        {"name": "photo.png", "mimeType": "image/png", "buffer": PNG}])
    page.get_by_role("button", name="Ajouter", exact=True).click()
    assert "photo.png" in page.content() and "Retirer" in page.content()
    assert axe_violations(page) == []
    shot(page, "assure_suivi_10_fichier_refuse")
    page.get_by_role("button", name="Envoyer mes documents").click()
    verifier(services.runtime, factory, iid, users["agent.cramif"])
    page.goto(f"{live_server}/assure/dossiers/{numero}")
    page.get_by_role("link", name="Contester la décision").first.click()
    page.fill("#f-motifs_contestation", "J'ai travaillé en Belgique : ces périodes comptent.")
    page.get_by_role("button", name="Envoyer ma contestation").click()
    page.goto(f"{live_server}/assure/dossiers/{numero}")
    assert "Réclamation en cours d'examen" in page.content() and "cni.pdf" in page.content()
    assert axe_violations(page) == []
    shot(page, "assure_suivi_11_dossier_en_recours")

    iid, numero = recu("emma.leroy")
    services.runtime.set_status(iid, "terminated", users["superviseur"], "Doublon")
    page.goto(f"{live_server}/assure/dossiers/{numero}")
    assert "Demande close sans décision" in page.content()
    assert axe_violations(page) == []
    shot(page, "assure_suivi_12_dossier_clos_sans_decision")
