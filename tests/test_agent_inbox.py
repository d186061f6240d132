"""Back office pages: inbox (caisse and role, claim, release, reassign, filters, deadlines),
task page, dossier page, documents, secret médical and the paper S4150 form."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.engine.clock import clock
from app.models import Document

from .conftest import advance_clock, html, login
from .test_instruction_outils import (
    dossier,
    dossier_recu,
    jusqu_a_la_decision,
    task,
    verifier,
)


def test_la_corbeille_montre_les_taches_de_ma_caisse_et_de_mon_role(client, web, users,
                                                                     session_factory):
    paris = dossier_recu(web, users)
    lyon = dossier_recu(web, users, who="paul.martin")
    login(client, "agent.cramif")
    page = html(client.get("/agent/?vue=a_prendre"))
    assert dossier(session_factory, paris).numero in page
    assert dossier(session_factory, lyon).numero not in page
    assert "Vérification administrative" in page
    client.post("/deconnexion")
    login(client, "medecin")
    assert dossier(session_factory, paris).numero not in html(client.get("/agent/?vue=a_prendre"))


def test_prendre_puis_liberer_une_tache(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    assert "Vous n'avez pris aucune tâche" in html(client.get("/agent/?vue=mes"))
    assert client.post(f"/agent/taches/{row.id}/prendre").status_code == 302
    mes = html(client.get("/agent/?vue=mes"))
    assert dossier(session_factory, iid).numero in mes and "Mes tâches (1)" in mes
    client.post("/deconnexion")
    login(client, "agent2.cramif")
    # Taken by a colleague: visible on its page, but not workable.
    assert "prise par Sophie Bernard" in html(client.get(f"/agent/taches/{row.id}"))
    assert client.post(f"/agent/taches/{row.id}", data={"avis_conditions": "confirme",
                                                        "pieces_completes": "true"}
                       ).status_code == 403
    client.post("/deconnexion")
    login(client, "agent.cramif")
    client.post(f"/agent/taches/{row.id}/liberer")
    assert task(session_factory, iid, "verification_administrative").claimed_by_id is None


def test_seul_celui_qui_tient_la_tache_ou_un_superviseur_peut_la_liberer(client, web, users,
                                                                        session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    client.post(f"/agent/taches/{row.id}/prendre")
    client.post("/deconnexion")
    login(client, "agent2.cramif")
    assert client.post(f"/agent/taches/{row.id}/liberer").status_code == 403
    assert task(session_factory, iid, "verification_administrative").claimed_by_id == \
        users["agent.cramif"].id
    client.post("/deconnexion")
    login(client, "superviseur")
    assert client.post(f"/agent/taches/{row.id}/liberer").status_code == 302
    assert task(session_factory, iid, "verification_administrative").claimed_by_id is None


@pytest.mark.parametrize("retour", ["https://evil.example/x", "//evil.example/x",
                                    "/assure/", "javascript:alert(1)"])
def test_le_retour_apres_prendre_reste_dans_l_espace_agent(client, web, users, session_factory,
                                                           retour):
    """Règle : « retour » ne mène qu'à une page de l'espace agent (pas de redirection
    ouverte vers un autre site)."""
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    response = client.post(f"/agent/taches/{row.id}/prendre", data={"retour": retour})
    assert response.headers["Location"] == f"/agent/taches/{row.id}"
    client.post(f"/agent/taches/{row.id}/liberer")
    kept = client.post(f"/agent/taches/{row.id}/prendre", data={"retour": "/agent/?vue=mes"})
    assert kept.headers["Location"] == "/agent/?vue=mes"


def test_une_page_de_tache_perimee_ne_complete_rien(client, web, users, session_factory):
    """Règle : le formulaire porte la version du dossier sur laquelle la page a été faite ;
    un second onglet ou un double envoi avec une version dépassée est refusé (409)."""
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    page = html(client.get(f"/agent/taches/{row.id}"))
    version = int(re.search(r'name="version" value="(\d+)"', page).group(1))
    data = {"avis_conditions": "confirme", "pieces_completes": "true",
            "version": str(version - 1)}
    assert client.post(f"/agent/taches/{row.id}", data=data).status_code == 409
    assert task(session_factory, iid, "verification_administrative").status == "open"


def test_le_superviseur_reattribue_une_tache(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "superviseur")
    page = html(client.get("/agent/"))
    assert dossier(session_factory, iid).numero in page and "Attribuer à" in page
    client.post(f"/agent/taches/{row.id}/attribuer",
                data={"assignee_id": users["agent2.cramif"].id})
    assert task(session_factory, iid, "verification_administrative").claimed_by_id == \
        users["agent2.cramif"].id
    # An agent of another caisse cannot be given the task.
    response = client.post(f"/agent/taches/{row.id}/attribuer",
                           data={"assignee_id": users["agent.cpam69"].id})
    assert response.status_code == 409


def test_tri_par_echeance_filtres_et_mise_en_evidence(client, web, users, session_factory):
    ancien = dossier_recu(web, users)
    advance_clock(days=20)
    recent = dossier_recu(web, users, who="luc.girard")
    login(client, "agent.cramif")
    page = html(client.get("/agent/?vue=a_prendre"))
    n_ancien, n_recent = (dossier(session_factory, i).numero for i in (ancien, recent))
    assert page.index(n_ancien) < page.index(n_recent)  # nearest deadline first
    # 45 days later the first is under 15 days from its deadline; later still, overdue.
    advance_clock(days=40)
    page = html(client.get("/agent/?vue=a_prendre"))
    assert re.search(r'<tr class="task-soon">.*?' + n_ancien, page, re.DOTALL)
    assert "Moins de 15 jours" in page
    proche = html(client.get("/agent/?vue=a_prendre&echeance=proche"))
    assert n_ancien in proche and n_recent not in proche
    assert n_recent in html(client.get(f"/agent/?vue=a_prendre&numero={n_recent[-6:]}"))
    assert n_ancien not in html(client.get(f"/agent/?vue=a_prendre&numero={n_recent[-6:]}"))
    assert "Aucune tâche" in html(client.get("/agent/?vue=a_prendre&etape=examiner_assure"))


def test_tache_en_retard_mise_en_evidence(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"], pieces_completes=False,
             pieces_demandees=["identite"])
    advance_clock(days=15)
    web.complete_task(task(session_factory, iid, "fournir_pieces").id, users["marie.durand"],
                      {"documents_deposes": [{"document_id": 1, "nom": "a.pdf"}]})
    # The task's due date is the (extended) decision deadline; move past it without firing.
    from .test_instruction_outils import deadline_moment, move_clock_to

    move_clock_to(deadline_moment(session_factory, iid) + timedelta(hours=1))
    login(client, "agent.cramif")
    page = html(client.get("/agent/?vue=a_prendre"))
    assert '<tr class="task-overdue">' in page and "Échéance dépassée" in page
    assert dossier(session_factory, iid).numero in html(
        client.get("/agent/?vue=a_prendre&echeance=depassee"))


def test_page_de_tache_resume_documents_historique_et_formulaire(client, web, users,
                                                                   session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    page = html(client.get(f"/agent/taches/{row.id}"))
    for attendu in ("Dossier " + dossier(session_factory, iid).numero, "Marie Durand",
                    "Date limite de décision", "Conditions administratives calculées",
                    "Heures de travail salarié", "SMIC horaire", "Historique du dossier",
                    "Documents", 'name="avis_conditions"', 'name="version"'):
        assert attendu in page, attendu
    response = client.post(f"/agent/taches/{row.id}", data={
        "avis_conditions": "confirme", "pieces_completes": "true"})
    assert response.status_code == 302
    assert task(session_factory, iid, "convoquer_assure").role == "medecin_conseil"


def test_formulaire_invalide_erreurs_en_francais(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    response = client.post(f"/agent/taches/{row.id}", data={"avis_conditions": "corrige"})
    page = html(response)
    assert response.status_code == 422
    assert "<title>Erreur : " in page and "Indiquez le motif de la correction" in page


def test_un_agent_d_une_autre_caisse_ne_voit_pas_le_dossier(client, web, users,
                                                            session_factory, app):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    numero = dossier(session_factory, iid).numero
    doc_id = _avis(app, session_factory, iid, users["marie.durand"])
    login(client, "agent.cpam69")
    assert client.get(f"/agent/taches/{row.id}").status_code == 403
    assert client.get(f"/agent/dossiers/{numero}").status_code == 403
    assert client.get(f"/agent/documents/{doc_id}").status_code == 403
    assert numero not in html(client.get("/agent/?vue=a_prendre"))
    client.post("/deconnexion")
    login(client, "medecin.cpam69")
    assert client.get(f"/agent/dossiers/{numero}").status_code == 403


def _avis(app, session_factory, iid, assure) -> int:
    stored = app.extensions["invalidite"].store.save(b"%PDF-1.4\n% avis d'imposition\n")
    with session_factory() as session, session.begin():
        doc = Document(owner_id=assure.id, instance_id=iid, kind="avis_imposition",
                       original_name="Avis d'impôt 2025.pdf", stored_name=stored.stored_name,
                       sha256=stored.sha256, size=stored.size, created_at=clock.now())
        session.add(doc)
        session.flush()
        return doc.id


def test_l_agent_de_la_caisse_telecharge_l_avis_en_piece_jointe(client, web, users,
                                                                session_factory, app):
    iid = dossier_recu(web, users)
    doc_id = _avis(app, session_factory, iid, users["marie.durand"])
    login(client, "agent.cramif")
    row = task(session_factory, iid, "verification_administrative")
    assert f"/agent/documents/{doc_id}" in html(client.get(f"/agent/taches/{row.id}"))
    response = client.get(f"/agent/documents/{doc_id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "Avis_d_impot_2025.pdf" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF")


def test_un_agent_ne_voit_jamais_les_notes_medicales(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    jusqu_a_la_decision(web, session_factory, iid, users, categorie=2)
    numero = dossier(session_factory, iid).numero
    decision = task(session_factory, iid, "valider_attribution")
    login(client, "agent.cramif")
    for url in (f"/agent/taches/{decision.id}", f"/agent/dossiers/{numero}"):
        page = html(client.get(url))
        assert "NOTE-SECRETE-XYZ" not in page and "Lombalgie" not in page, url
        assert "catégorie 2" in page  # the outcome and category are shared
    client.post("/deconnexion")
    login(client, "medecin")
    page = html(client.get(f"/agent/dossiers/{numero}"))
    assert "NOTE-SECRETE-XYZ" in page and "Lombalgie" in page
    assert "secret médical" in page


def test_le_medecin_convoque_et_examine_depuis_ses_pages(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    login(client, "medecin")
    row = task(session_factory, iid, "convoquer_assure")
    page = html(client.get(f"/agent/taches/{row.id}"))
    assert "Dr Anne Lefèvre" in page and "09:30" in page
    jour = (clock.today() + timedelta(days=10)).strftime("%d/%m/%Y")
    response = client.post(f"/agent/taches/{row.id}", data={
        "convocation_date": jour, "convocation_heure": "10:15",
        "convocation_lieu": "Service médical", "convocation_adresse": "1 rue X\n75019 Paris"})
    assert response.status_code == 302
    examen = task(session_factory, iid, "examiner_assure")
    response = client.post(f"/agent/taches/{examen.id}", data={
        "date_examen": clock.today().strftime("%d/%m/%Y"), "capacite_reduite": "true",
        "categorie": "3", "tierce_personne": "false",
        "date_constat": clock.today().strftime("%d/%m/%Y")})
    assert response.status_code == 422  # category 3 means a third person is needed
    assert "tierce personne" in html(response)


def test_decision_affiche_le_sam_et_le_montant_puis_notifie(client, web, users,
                                                            session_factory):
    iid = dossier_recu(web, users)
    jusqu_a_la_decision(web, session_factory, iid, users, categorie=2)
    row = task(session_factory, iid, "valider_attribution")
    login(client, "agent.cramif")
    page = html(client.get(f"/agent/taches/{row.id}"))
    for attendu in ("Salaire annuel moyen", "Taux de la catégorie", "50\u00a0%",
                    "Montant mensuel brut", "Salaires retenus"):
        assert attendu in page, attendu
    response = client.post(f"/agent/taches/{row.id}", data={
        "date_effet": re.search(r'id="f-date_effet" name="date_effet" value="([^"]+)"',
                                page).group(1), "calcul_verifie": "true"})
    assert response.status_code == 302
    assert dossier(session_factory, iid).statut == "accord"
