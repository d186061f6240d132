"""Paper channel: an agent keys in a paper S4150 (several employers allowed) with the date it
arrived; the dossier then follows the same instruction as an online request."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.engine.clock import clock
from app.models import Dossier, User

from .conftest import html, login
from .test_instruction_outils import (
    convoquer,
    dossier,
    examiner,
    task,
    valider_attribution,
)

PAUL = {
    "identite.nom": "Martin", "identite.prenom": "Paul", "identite.date_naissance": "01/09/1970",
    "adresse.rue": "8 quai Claude Bernard", "adresse.code_postal": "69007",
    "adresse.ville": "Lyon", "nationalite": "francaise", "situation.activites": "salariee",
    "situation.employeurs.0.nom": "Boulangerie Lumière",
    "situation.employeurs.0.adresse": "3 rue de la Charité, Lyon",
    "situation.employeurs.0.periode.du": "01/01/2019",
    "situation.employeurs.1.nom": "Nettoyage Rhône",
    "situation.employeurs.1.adresse": "12 avenue Berthelot, Lyon",
    "situation.employeurs.1.periode.du": "01/03/2021",
    "pieces_jointes": "avis_imposition",
}


def _saisir(client, **extra):
    recu = (clock.today() - timedelta(days=3)).strftime("%d/%m/%Y")
    return client.post("/agent/s4150", data={"date_reception": recu, **PAUL, **extra})


def _dernier(session_factory) -> Dossier:
    with session_factory() as session:
        return session.scalars(select(Dossier).order_by(Dossier.id.desc())).first()


def test_le_formulaire_papier_propose_plusieurs_employeurs(client, web):
    login(client, "agent.cpam69")
    page = html(client.get("/agent/s4150"))
    assert "Saisir une demande papier" in page and "Ajouter un employeur" in page
    assert "Date de réception du formulaire papier" in page
    # « + Ajouter un employeur » works without JavaScript: a second row appears.
    page = html(client.post("/agent/s4150", data={**PAUL, "_action": "add:situation.employeurs"}))
    assert "Employeur 3" in page


def test_saisie_papier_plusieurs_employeurs_rattachee_au_compte(client, web, users,
                                                                session_factory):
    login(client, "agent.cpam69")
    response = _saisir(client)
    assert response.status_code == 302, html(response)[:2000]
    row = _dernier(session_factory)
    assert (row.canal, row.caisse_code, row.assure_id) == ("papier", "CPAM 69",
                                                           users["paul.martin"].id)
    # The delay runs from the day the paper arrived.
    assert row.date_reception == clock.today() - timedelta(days=3)
    verification = task(session_factory, row.instance_id, "verification_administrative")
    page = html(client.get(f"/agent/taches/{verification.id}"))
    assert "Boulangerie Lumière" in page and "Nettoyage Rhône" in page
    assert "Formulaire S4150 saisi" in page


def test_le_dossier_papier_suit_la_meme_instruction(client, web, users, session_factory):
    login(client, "agent.cpam69")
    _saisir(client)
    row = _dernier(session_factory)
    iid = row.instance_id
    verification = task(session_factory, iid, "verification_administrative")
    page = html(client.get(f"/agent/taches/{verification.id}"))
    # Under 600 hours, but enough contributions: the conditions are met.
    assert "les conditions administratives sont <strong>remplies</strong>" in page
    assert "480,00 h" in page and "Non remplie" in page
    client.post(f"/agent/taches/{verification.id}", data={"avis_conditions": "confirme",
                                                         "pieces_completes": "true"})
    convoquer(web, session_factory, iid, users["medecin.cpam69"])
    examiner(web, session_factory, iid, users["medecin.cpam69"], categorie=2)
    valider_attribution(web, session_factory, iid, users["agent.cpam69"])
    final = dossier(session_factory, iid)
    assert (final.statut, final.canal) == ("accord", "papier")


def test_assure_inconnu_compte_cree_sans_acces_et_calcul_a_motiver(client, web, users,
                                                                   session_factory):
    login(client, "agent.cpam69")
    response = _saisir(client, **{"identite.nom": "Nouveau", "identite.prenom": "Jean",
                                  "identite.date_naissance": "02/02/1985"})
    assert response.status_code == 302
    with session_factory() as session:
        created = session.scalar(select(User).where(User.nom == "NOUVEAU"))
    assert (created.active, created.role, created.caisse_code) == (False, "assure", "CPAM 69")
    iid = _dernier(session_factory).instance_id
    verification = task(session_factory, iid, "verification_administrative")
    assert "Aucune donnée de carrière connue" in html(client.get(
        f"/agent/taches/{verification.id}"))
    response = client.post(f"/agent/taches/{verification.id}", data={
        "avis_conditions": "confirme", "pieces_completes": "true"})
    assert response.status_code == 422
    assert "corrigez le calcul et motivez" in html(response)


def test_s4150_d_une_autre_caisse_ou_sans_agdref_est_refuse(client, web):
    login(client, "agent.cpam69")
    response = _saisir(client, **{"adresse.code_postal": "75001", "adresse.ville": "Paris"})
    assert response.status_code == 422
    assert "relève de la caisse « CRAMIF »" in html(response)
    response = _saisir(client, nationalite="hors_ue")
    assert response.status_code == 422 and "Indiquez le numéro AGDREF" in html(response)
    response = _saisir(client, **{"situation.employeurs.0.nom": ""})
    assert response.status_code == 422 and "Indiquez le nom de l&#39;employeur" in html(response)


def test_seul_un_agent_saisit_un_formulaire_papier(client, web):
    login(client, "medecin")
    assert client.get("/agent/s4150").status_code == 403
