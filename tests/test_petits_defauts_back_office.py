"""Issue 11, defect 7 (the small ones): deadlines shown on their last day, one series of
dossier numbers, labels instead of codes, the statut while a refusal is validated, a second
open request of one assuré, and employers declared against those the caisse knows."""
from __future__ import annotations

import re
from datetime import date, datetime
from html import unescape

from sqlalchemy import func, select

from app.engine.clock import PARIS, clock
from app.models import Dossier, HumanTask, ProcessInstance

from .assure_aide import oriented_by_amelibot, start_request
from .conftest import html, login
from .test_instruction_outils import (
    convoquer,
    dossier,
    dossier_recu,
    examiner,
    move_clock_to,
    task,
    verifier,
)

NUMERO = re.compile(r"INV-\d{4}-\d{6}")


def _texte(response) -> str:
    """The page's text, without its tags."""
    return re.sub(r"<[^>]+>", "", unescape(html(response))).replace("\u00a0", " ")


# ----- deadlines: the last day, never the day after -----------------------------------------
def test_l_echeance_d_une_tache_est_le_dernier_jour_pour_agir(client, web, users,
                                                             session_factory):
    move_clock_to(datetime(2026, 12, 6, 10, 0, tzinfo=PARIS))
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    assert dossier(session_factory, iid).date_limite_decision == date(2027, 2, 6)
    # The due moment is the midnight that ends 6 February (Paris time).
    assert row.due_at.astimezone(PARIS) == datetime(2027, 2, 7, 0, 0, tzinfo=PARIS)
    login(client, "agent.cramif")
    numero = dossier(session_factory, iid).numero
    page = _texte(client.get(f"/agent/dossiers/{numero}"))
    assert "Vérification administrative — à traiter au plus tard le 6 février 2027" in page
    assert "7 février" not in page
    assert "6 février 2027" in _texte(client.get("/agent/?vue=a_prendre"))
    assert "Échéance : 6 février 2027" in _texte(client.get(f"/agent/taches/{row.id}"))


# ----- one series of dossier numbers ---------------------------------------------------------
def test_demandes_en_ligne_et_papier_sont_numerotees_dans_une_seule_serie(client, web, users,
                                                                          session_factory):
    papier = dossier(session_factory, dossier_recu(web, users, who="luc.girard",
                                                   canal="papier"))
    en_ligne = start_request(client)
    for numero in (papier.numero, en_ligne):
        assert NUMERO.fullmatch(numero), numero
        assert numero.startswith(f"INV-{clock.today().year}-")
    with session_factory() as session:
        row = session.scalar(select(Dossier).where(Dossier.numero == en_ligne))
        for d in (papier, row):
            instance = session.get(ProcessInstance, d.instance_id)
            assert instance.business_key == d.numero
            assert d.numero.endswith(f"-{d.instance_id:06d}")


# ----- labels, never codes -------------------------------------------------------------------
def test_les_pages_montrent_des_libelles_et_jamais_des_codes(client, web, users,
                                                             session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    convoquer(web, session_factory, iid, users["medecin"])
    examiner(web, session_factory, iid, users["medecin"], invalide=False)
    refus = task(session_factory, iid, "valider_refus_medical")
    web.complete_task(refus.id, users["agent.cramif"], {
        "motifs_refus_medical": "Capacité de travail non réduite des deux tiers.",
        "refus_verifie": True})
    numero = dossier(session_factory, iid).numero
    login(client, "agent.cramif")
    page = _texte(client.get(f"/agent/dossiers/{numero}"))
    assert "Refus pour motif médical" in page
    assert "Convocation à l'examen médical" in page  # the letter, in the documents
    for code in ("refus medical", "refus_medical", "examen_medical", "avis imposition",
                 "avis_imposition"):
        assert code not in page, code
    client.post("/deconnexion")
    login(client, "superviseur")
    page = _texte(client.get(f"/supervision/instances/{iid}"))
    assert "Statut du dossier : Refusée" in page


def test_les_libelles_des_codes_inconnus_sont_des_mots():
    from app.web.shared.libelles import decision, nature_document, statut_dossier

    assert nature_document("avis_imposition") == "Avis d'imposition"
    assert decision("refus_medical") == "Refus pour motif médical"
    assert statut_dossier("examen_medical") == "Examen médical"
    assert nature_document("releve_carriere") == "Releve carriere"
    assert statut_dossier(None) == "" and decision("") == ""


# ----- the statut while the refusal is being validated ---------------------------------------
def test_pendant_la_validation_du_refus_le_dossier_attend_sa_decision(client, web, users,
                                                                      session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    convoquer(web, session_factory, iid, users["medecin"])
    assert dossier(session_factory, iid).statut == "examen_medical"
    examiner(web, session_factory, iid, users["medecin"], invalide=False)
    assert task(session_factory, iid, "valider_refus_medical")
    assert dossier(session_factory, iid).statut == "decision"
    login(client, "agent.cramif")
    page = unescape(html(client.get(f"/agent/dossiers/{dossier(session_factory, iid).numero}")))
    assert "fr-badge--info\">Décision à valider</p>" in page


# ----- a second open request -----------------------------------------------------------------
def test_une_seconde_demande_pendant_l_instruction_est_signalee_et_refusee(client, web, users,
                                                                           session_factory):
    iid = dossier_recu(web, users)
    numero = dossier(session_factory, iid).numero
    login(client, "marie.durand")
    for _ in range(3):  # three tries, as seen: none starts a request
        oriented_by_amelibot(client)
        response = client.post("/assure/demande/demarrer")
        assert response.status_code == 303
        assert response.headers["Location"] == f"/assure/dossiers/{numero}"
    page = _texte(client.get(f"/assure/dossiers/{numero}"))
    assert f"Vous avez déjà une demande de pension d'invalidité en cours d'instruction " \
           f"(dossier {numero})" in page
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Dossier).where(
            Dossier.assure_id == users["marie.durand"].id)) == 1


def test_apres_la_decision_une_nouvelle_demande_est_possible(client, web, users,
                                                            session_factory):
    iid = dossier_recu(web, users)
    with session_factory() as session, session.begin():
        row = session.scalar(select(Dossier).where(Dossier.instance_id == iid))
        row.statut, row.decision = "refus", "refus_administratif"
    numero = start_request(client)
    assert numero != dossier(session_factory, iid).numero
    with session_factory() as session:
        assert session.scalar(select(Dossier.statut).where(Dossier.numero == numero)) == \
            "brouillon"


# ----- employers declared against the caisse's data -----------------------------------------
def test_un_seul_employeur_declare_quand_la_caisse_en_connait_deux_est_signale(
        client, web, users, session_factory):
    paul = dossier_recu(web, users, who="paul.martin")  # online: one employer declared
    marie = dossier_recu(web, users)  # one declared, one known
    login(client, "agent.cpam69")
    row = task(session_factory, paul, "verification_administrative")
    for url in (f"/agent/taches/{row.id}", f"/agent/dossiers/{dossier(session_factory, paul).numero}"):
        page = _texte(client.get(url))
        assert "Employeurs à vérifier" in page
        assert "La demande déclare 1 employeur ; les données de la caisse en connaissent 2." in page
        assert "formulaire papier S4150" in page
    client.post("/deconnexion")
    login(client, "agent.cramif")
    page = _texte(client.get(f"/agent/dossiers/{dossier(session_factory, marie).numero}"))
    assert "Employeurs à vérifier" not in page


def test_la_comparaison_des_employeurs():
    from app.web.agent.employeurs import alerte, employeurs_declares

    en_ligne = {"situation": {"activites": ["salariee"],
                              "salariee": {"plusieurs_employeurs": False}}}
    employeur = {"nom": "A", "adresse": "Lyon", "periode": {"du": "2010-01-01"}}
    papier = {"situation": {"activites": ["salariee"], "employeurs": [employeur, employeur],
                            "salaires": [{"annee": 2020, "montant": "1"}]}}
    assert employeurs_declares(en_ligne, "en_ligne") == 1
    assert employeurs_declares(papier, "papier") == 2
    assert employeurs_declares({"situation": {"activites": ["chomage"]}}, "en_ligne") == 0
    assert alerte(1, 2, "en_ligne").startswith("La demande déclare 1 employeur")
    assert alerte(2, 2, "papier") is None and alerte(1, None, "en_ligne") is None
    assert alerte(0, 1, "en_ligne") is None  # a past job: nothing to flag
    assert "S4150" not in alerte(3, 2, "papier")


def test_une_demande_papier_avec_deux_employeurs_n_est_pas_signalee(client, web, users,
                                                                    session_factory):
    from app.web.agent.dossiers import ouvrir_instruction

    demande = {"situation": {"activites": ["salariee"], "employeurs": [
        {"nom": "A", "adresse": "Lyon", "periode": {"du": "2010-01-01"}},
        {"nom": "B", "adresse": "Lyon", "periode": {"du": "2012-01-01"}}]}}
    iid, numero = ouvrir_instruction(web, users["paul.martin"], "CPAM 69",
                                     date_reception=clock.today(), demande=demande)
    login(client, "agent.cpam69")
    assert "Employeurs à vérifier" not in _texte(client.get(f"/agent/dossiers/{numero}"))
    with session_factory() as session:
        assert session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))
