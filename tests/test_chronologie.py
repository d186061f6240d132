"""The timeline of a dossier (app/engine/history.py, templates/_chronologie.html) tells what
happened, from the instance's history and the deployed diagram: a tacit refusal, an award,
a contestation and a commission's decision appear as what they are; a step that never ran
is never shown as done; labels come from the deployed version's spec."""
from __future__ import annotations

import html as html_lib
import re
import shutil
from datetime import timedelta

import pytest

from app.engine.clock import clock
from app.engine.history import A_VENIR, EN_COURS, FAIT, chronologie
from app.engine.timers import fire_due_timers
from app.models import ProcessInstance

from .assure_aide import start_request, submitted_request
from .conftest import ROOT, advance_clock, deploy_folder, login
from .test_instruction_outils import (
    convoquer,
    deadline_moment,
    dossier,
    dossier_recu,
    examiner,
    move_clock_to,
    task,
    valider_attribution,
    verifier,
)
from .test_recours import commission, contester, refus_administratif

SECRET = "NOTE-SECRETE-XYZ"


# ----- helpers -------------------------------------------------------------------------------
def entries(runtime, session_factory, iid, audience="assure"):
    with session_factory() as session:
        return chronologie(session, runtime, session.get(ProcessInstance, iid),
                           audience=audience)


def done(items, label):
    return [e for e in items if e.etat == FAIT and e.libelle == label]


def steps(body: str) -> list[tuple[str, str]]:
    """(état, text) of each line of the page's timeline."""
    frise = body.split('<ol class="assure-frise chronologie">', 1)[1].split("</ol>", 1)[0]
    found = re.findall(r'<li class="assure-frise__etape assure-frise__etape--(\w+)[^"]*"'
                       r'[^>]*>(.*?)</li>', frise, re.DOTALL)
    return [(etat, " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", text)).split()))
            for etat, text in found]


def page_of(client, who, url) -> list[tuple[str, str]]:
    client.post("/deconnexion")
    login(client, who)
    response = client.get(url)
    assert response.status_code == 200
    return steps(response.get_data(as_text=True))


def assure_page(client, session_factory, iid, who="marie.durand"):
    return page_of(client, who, f"/assure/dossiers/{dossier(session_factory, iid).numero}")


def agent_page(client, session_factory, iid, who="agent.cramif"):
    return page_of(client, who, f"/agent/dossiers/{dossier(session_factory, iid).numero}")


def jour(moment=None) -> str:
    from app.web.shared.filters import date_fr

    return date_fr(moment or clock.now())


# ----- tacit refusal -------------------------------------------------------------------------
def test_rejet_implicite_montre_le_rejet_et_jamais_l_examen_comme_fait(client, web, users,
                                                                       session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    advance_clock(days=3)
    convoquer(web, session_factory, iid, users["medecin"])
    echeance = deadline_moment(session_factory, iid)
    move_clock_to(echeance)
    assert fire_due_timers(web) == 1

    items = entries(web, session_factory, iid)
    assert not [e for e in items if e.libelle == "Examen médical" and e.etat == FAIT]
    timer, = done(items, "Échéance de la décision")
    assert timer.genre == "echeance" and timer.quand >= echeance
    decision, = [e for e in items if e.genre == "decision"]
    assert decision.code == "rejet_implicite" and decision.etat == FAIT
    assert decision.acteur == ""  # nobody decided: the delay ran out
    assert done(items, "Convoquer l'assuré")[0].acteur == "Médecin-conseil"
    # What comes next: contest, or the decision becomes final at the end of the delay.
    contester_, = [e for e in items if e.etat == EN_COURS]
    assert (contester_.libelle, contester_.acteur) == ("Contester la décision", "Assuré")
    suite, = [e for e in items if e.etat == A_VENIR and e.genre == "echeance"]
    assert (suite.libelle, suite.ensuite) == ("Échéance de la contestation",
                                              "Décision définitive")

    page = assure_page(client, session_factory, iid)
    faits = [text for etat, text in page if etat == "fait"]
    assert not any("Examen médical" in text for text in faits), page
    assert any(text.startswith("Décision : Rejet implicite") for text in faits), page
    assert any(text.startswith("Échéance de la décision Échéance atteinte le")
               for text in faits), page
    assert ("en_cours", "Contester la décision") in [(e, t.split(" En cours")[0])
                                                      for e, t in page]
    agent = agent_page(client, session_factory, iid)
    assert not any("Examen médical" in text for etat, text in agent if etat == "fait")
    assert any("Rejet implicite" in text for etat, text in agent if etat == "fait")


def test_avant_la_date_limite_l_echeance_est_a_venir_avec_sa_date(web, users, session_factory):
    iid = dossier_recu(web, users)
    items = entries(web, session_factory, iid)
    timer, = [e for e in items if e.etat == A_VENIR and e.genre == "echeance"]
    assert timer.libelle == "Échéance de la décision"
    assert timer.jour_limite == dossier(session_factory, iid).date_limite_decision
    assert timer.ensuite == "Constater le rejet implicite"
    en_cours, = [e for e in items if e.etat == EN_COURS]
    assert (en_cours.libelle, en_cours.acteur) == ("Vérification administrative",
                                                   "Service Invalidité")
    prevues = [e.libelle for e in items if e.etat == A_VENIR and e.genre == "tache"]
    assert prevues[:2] == ["Convoquer l'assuré", "Examen médical"]
    assert not [e for e in items if e.etat == FAIT and e.genre in ("tache", "decision")]


# ----- award ---------------------------------------------------------------------------------
def test_attribution_examen_fait_avec_date_et_role_puis_decision(client, web, users,
                                                                 session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    advance_clock(days=2)
    convoquer(web, session_factory, iid, users["medecin"])
    advance_clock(days=14)
    jour_examen = jour()
    examiner(web, session_factory, iid, users["medecin"], categorie=2)
    advance_clock(days=5)
    valider_attribution(web, session_factory, iid, users["agent.cramif"])

    items = entries(web, session_factory, iid)
    examen, = done(items, "Examen médical")
    assert (examen.genre, examen.acteur, jour(examen.quand)) == ("tache", "Médecin-conseil",
                                                                 jour_examen)
    assert done(items, "Valider l'attribution")[0].acteur == "Service Invalidité"
    decision, = [e for e in items if e.genre == "decision"]
    assert (decision.code, decision.acteur) == ("accord", "Service Invalidité")
    assert done(items, "Pension attribuée")  # the diagram's end event, reached
    assert not [e for e in items if e.etat in (EN_COURS, A_VENIR)]  # the process is over

    page = assure_page(client, session_factory, iid)
    text = " | ".join(t for _e, t in page)
    assert f"Examen médical Tâche réalisée le {jour_examen} Par : Médecin-conseil" in text
    assert "Décision : Pension accordée" in text
    assert SECRET not in text and "Lombalgie" not in text
    agent = agent_page(client, session_factory, iid)
    assert any(t.startswith("Examen médical") and "Médecin-conseil" in t for _e, t in agent)
    body = client.get(f"/agent/dossiers/{dossier(session_factory, iid).numero}").get_data(
        as_text=True)
    frise = body.split('<ol class="assure-frise chronologie">', 1)[1].split("</ol>", 1)[0]
    assert SECRET not in frise and "Lombalgie" not in frise


# ----- contestation and commission ------------------------------------------------------------
def test_contestation_et_decision_de_la_commission(client, web, users, session_factory):
    iid = refus_administratif(web, session_factory, users)
    advance_clock(days=10)
    contester(web, session_factory, iid, users["emma.leroy"], "administrative")
    items = entries(web, session_factory, iid)
    contestation, = done(items, "Contester la décision")
    assert (contestation.genre, contestation.acteur) == ("tache", "Assuré")
    assert done(items, "Réclamation reçue")[0].phase == "Recours amiable"
    cra, = [e for e in items if e.etat == EN_COURS]
    assert (cra.libelle, cra.acteur) == ("Examiner la réclamation (CRA)",
                                         "Commission de recours amiable")
    assert [e.libelle for e in items if e.etat == A_VENIR and e.genre == "echeance"] == [
        "Échéance de 2 mois"]

    advance_clock(days=20)
    commission(web, session_factory, iid, "examen_cra", users["cra.cramif"], "defavorable")
    items = entries(web, session_factory, iid)
    refus, = [e for e in items if e.genre == "decision"]
    assert refus.code == "refus_administratif"
    examen, = done(items, "Examiner la réclamation (CRA)")
    assert examen.acteur == "Commission de recours amiable"
    assert jour(examen.quand) == jour()
    assert done(items, "Décision de la CRA") and done(items, "Recours rejeté")
    order = [e.libelle for e in items]
    assert order.index("Contester la décision") < order.index(
        "Examiner la réclamation (CRA)") < order.index("Décision de la CRA")

    page = assure_page(client, session_factory, iid, who="emma.leroy")
    faits = [t for e, t in page if e == "fait"]
    assert any(t.startswith("Contester la décision") and "Par : Assuré" in t for t in faits)
    assert any(t.startswith("Examiner la réclamation (CRA)")
               and "Par : Commission de recours amiable" in t for t in faits)
    assert any(t.startswith("Décision de la CRA") for t in faits)
    assert any(t.startswith("Décision : Demande refusée") for t in faits)


# ----- the online request: one instance, its call activity inside ----------------------------
def test_demande_en_ligne_les_etapes_et_l_instruction_du_meme_dossier(client, web,
                                                                      session_factory):
    numero = start_request(client)
    submitted_request(client, numero)
    page = steps(client.get(f"/assure/dossiers/{numero}").get_data(as_text=True))
    faits = [t for e, t in page if e == "fait"]
    assert faits[0].startswith("Je démarre ma demande")
    assert any(t.startswith("Mes coordonnées") and "Avis d'imposition" in t
               and "Par : Assuré" in t for t in faits), faits
    assert any(t.startswith("Demande reçue")
               and "Étape du dossier : Instruction de la demande" in t for t in faits), faits
    assert [t.split(" En cours")[0] for e, t in page if e == "en_cours"] == [
        "Vérification administrative"]
    assert not any("Examen médical" in t for t in faits)


# ----- labels come from the deployed version's diagram -----------------------------------------
@pytest.fixture
def renamed(tmp_path):
    """A private copy of the processes where the exam and the deadline have other names."""
    processes = tmp_path / "processes"
    shutil.copytree(ROOT / "processes", processes)
    path = processes / "instruction_invalidite.bpmn"
    text = path.read_text(encoding="utf-8")
    for old, new in (('name="Examen médical"', 'name="Visite chez le médecin-conseil"'),
                     ('name="Échéance de la décision"', 'name="Fin du délai de deux mois"')):
        assert text.count(old) == 1
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return processes


def test_les_libelles_viennent_du_diagramme_deploye(app, users, session_factory, renamed):
    deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")
    runtime = app.extensions["invalidite"].runtime
    ancien = dossier_recu(runtime, users)
    deploy_folder(session_factory, renamed, ROOT / "forms")
    nouveau = dossier_recu(runtime, users)
    for iid in (ancien, nouveau):
        verifier(runtime, session_factory, iid, users["agent.cramif"])
        convoquer(runtime, session_factory, iid, users["medecin"])
        examiner(runtime, session_factory, iid, users["medecin"])
    old_items = entries(runtime, session_factory, ancien)
    new_items = entries(runtime, session_factory, nouveau)
    # The instance started before the new version keeps its own version's names.
    assert done(old_items, "Examen médical") and not done(old_items,
                                                          "Visite chez le médecin-conseil")
    assert done(new_items, "Visite chez le médecin-conseil")
    assert not [e for e in new_items if e.libelle == "Examen médical"]
    assert [e.libelle for e in new_items if e.genre == "echeance"] == [
        "Fin du délai de deux mois"]
    assert task(session_factory, nouveau, "valider_attribution")  # same process otherwise


def test_un_statut_change_sans_historique_ne_marque_rien_comme_fait(web, users,
                                                                    session_factory):
    """Only the history counts: a dossier row saying « accord » adds no decision."""
    from sqlalchemy import select

    from app.models import Dossier

    iid = dossier_recu(web, users)
    with session_factory() as session, session.begin():
        row = session.scalar(select(Dossier).where(Dossier.instance_id == iid))
        row.statut, row.decision = "accord", "accord"
    items = entries(web, session_factory, iid)
    assert not [e for e in items if e.genre == "decision"]
    assert not [e for e in items if e.etat == FAIT and e.genre == "tache"]
    assert [e.libelle for e in items if e.etat == EN_COURS] == ["Vérification administrative"]


def test_l_historique_de_l_agent_garde_les_etapes_automatiques(web, users, session_factory):
    iid = dossier_recu(web, users)
    move_clock_to(deadline_moment(session_factory, iid) + timedelta(minutes=1))
    fire_due_timers(web)
    agent = entries(web, session_factory, iid, audience="agent")
    timer, = done(agent, "Échéance de la décision")
    assert timer.suite == ["Constater le rejet implicite"]
    assure = entries(web, session_factory, iid)
    assert done(assure, "Échéance de la décision")[0].suite == []
