"""Internal notes on a dossier: for the caisse's staff, never shown to the assuré; a medical
note is written and read by médecins-conseils only; every note leaves an audit row."""
from __future__ import annotations

from html import unescape

from sqlalchemy import select

from app.models import AuditLog, Message, NoteInterne

from .conftest import html, login
from .test_instruction_outils import dossier, dossier_recu, verifier

NOTE = "Appeler l'employeur pour l'attestation NOTE-AGENT-42"
NOTE_MEDICALE = "Bilan rhumatologique attendu NOTE-MEDICALE-77"


def _ecrire(client, numero, texte, **extra):
    return client.post(f"/agent/dossiers/{numero}/notes", data={"texte": texte, **extra})


def test_l_agent_ecrit_une_note_que_l_equipe_lit_sur_le_dossier(client, web, users,
                                                                 session_factory):
    iid = dossier_recu(web, users)
    numero = dossier(session_factory, iid).numero
    login(client, "agent.cramif")
    response = _ecrire(client, numero, f"  {NOTE}  ")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/agent/dossiers/{numero}#notes"
    client.post("/deconnexion")
    login(client, "agent2.cramif")
    page = unescape(html(client.get(f"/agent/dossiers/{numero}")))
    assert NOTE in page and "Sophie Bernard" in page and "1 note" in page
    with session_factory() as session:
        note = session.scalar(select(NoteInterne))
        assert note.texte == NOTE and not note.medicale
        audit = session.scalar(select(AuditLog).where(AuditLog.action == "note_interne_ajoutee"))
        assert audit.instance_id == iid and audit.user_id == users["agent.cramif"].id
        assert audit.details == {"note_id": note.id, "medicale": False}  # never the text


def test_une_note_n_est_jamais_montree_a_l_assure(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    numero = dossier(session_factory, iid).numero
    login(client, "agent.cramif")
    _ecrire(client, numero, NOTE)
    client.post("/deconnexion")
    login(client, "medecin")
    _ecrire(client, numero, NOTE_MEDICALE, medicale="oui")
    client.post("/deconnexion")
    login(client, "marie.durand")
    pages = [client.get(url) for url in ("/assure/", "/assure/dossiers",
                                        f"/assure/dossiers/{numero}", "/assure/messagerie")]
    assert all(p.status_code == 200 for p in pages)
    for page in pages:
        text = unescape(html(page))
        assert "NOTE-AGENT-42" not in text and "NOTE-MEDICALE-77" not in text
    with session_factory() as session:
        letters = session.scalars(select(Message).where(Message.instance_id == iid)).all()
        assert all("NOTE-" not in (m.corps_html + m.texte) for m in letters)


def test_une_note_medicale_n_est_lue_que_par_les_medecins_conseils(client, web, users,
                                                                   session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    numero = dossier(session_factory, iid).numero
    login(client, "medecin")
    page = html(client.get(f"/agent/dossiers/{numero}"))
    assert 'name="medicale" value="oui" checked' in page  # medical by default for a médecin
    _ecrire(client, numero, NOTE_MEDICALE, medicale="oui")
    _ecrire(client, numero, "Convocation décalée à la demande de l'assuré")
    page = unescape(html(client.get(f"/agent/dossiers/{numero}")))
    assert NOTE_MEDICALE in page and "Note médicale — secret médical" in page
    assert "2 notes" in page
    client.post("/deconnexion")
    login(client, "agent.cramif")
    page = unescape(html(client.get(f"/agent/dossiers/{numero}")))
    assert "NOTE-MEDICALE-77" not in page
    assert "Convocation décalée" in page and "1 note" in page
    assert 'name="medicale"' not in page


def test_un_agent_ne_peut_pas_ecrire_une_note_medicale(client, web, users, session_factory):
    numero = dossier(session_factory, dossier_recu(web, users)).numero
    login(client, "agent.cramif")
    assert _ecrire(client, numero, NOTE, medicale="oui").status_code == 403
    with session_factory() as session:
        assert session.scalar(select(NoteInterne)) is None


def test_seule_l_equipe_de_la_caisse_ecrit_sur_le_dossier(client, web, users, session_factory):
    numero = dossier(session_factory, dossier_recu(web, users)).numero
    for who, status in (("agent.cpam69", 403), ("superviseur", 403), ("marie.durand", 403)):
        login(client, who)
        assert _ecrire(client, numero, NOTE).status_code == status, who
        client.post("/deconnexion")
    login(client, "agent.cramif")
    assert _ecrire(client, "INV-0000-999999", NOTE).status_code == 404
    with session_factory() as session:
        assert session.scalar(select(NoteInterne)) is None


def test_une_note_vide_ou_trop_longue_est_refusee_avec_un_message(client, web, users,
                                                                   session_factory):
    numero = dossier(session_factory, dossier_recu(web, users)).numero
    login(client, "agent.cramif")
    _ecrire(client, numero, "   ")
    assert "Écrivez le texte de la note" in unescape(html(client.get(f"/agent/dossiers/{numero}")))
    _ecrire(client, numero, "x" * 4001)
    assert "au plus 4000 caractères" in unescape(html(client.get(f"/agent/dossiers/{numero}")))
    with session_factory() as session:
        assert session.scalar(select(NoteInterne)) is None


def test_la_page_de_tache_renvoie_aux_notes_du_dossier(client, web, users, session_factory):
    from .test_instruction_outils import task

    iid = dossier_recu(web, users)
    numero = dossier(session_factory, iid).numero
    login(client, "agent.cramif")
    _ecrire(client, numero, NOTE)
    page = html(client.get(f"/agent/taches/{task(session_factory, iid, 'verification_administrative').id}"))
    assert f'href="/agent/dossiers/{numero}#notes">1 note' in page
