"""The assuré's side of the instruction: sending the requested documents (the deadline
moves back, and the page says so) and contesting a refusal online, in time or too late."""
from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfWriter

from app.documents.formats import date_longue
from app.domain import echeance, moment_echeance
from app.engine.clock import clock

from .conftest import advance_clock, html, login
from .test_instruction_outils import (
    dossier,
    dossier_recu,
    move_clock_to,
    open_tasks,
    task,
    verifier,
)


def pdf(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pieces_demandees(web, users, session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"], pieces_completes=False,
             pieces_demandees=["identite", "autre"], precision_pieces="Votre contrat de travail.")
    return iid, task(session_factory, iid, "fournir_pieces")


def test_la_page_des_pieces_dit_quoi_envoyer_et_le_report_du_delai(client, web, users,
                                                                   session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    login(client, "marie.durand")
    page = html(client.get(f"/assure/pieces/{row.id}"))
    limite = dossier(session_factory, iid).date_limite_decision
    assert "Un justificatif d&#39;identité" in page and "Votre contrat de travail." in page
    assert "sera reportée du temps que vous mettez à répondre" in page
    assert str(limite.year) in page
    # The generic task page of the assuré's space leads here.
    assert client.get(f"/assure/taches/{row.id}").headers["Location"].endswith(
        f"/assure/pieces/{row.id}")


def test_ajouter_retirer_puis_envoyer_les_pieces(client, web, users, session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    initiale = dossier(session_factory, iid).date_limite_decision
    advance_clock(days=6)
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    response = client.post(url, data={"action": "envoyer"})
    assert response.status_code == 422 and "Ajoutez au moins un document" in html(response)
    response = client.post(url, data={"action": "ajouter", "document": (
        io.BytesIO(b"\x89PNG\r\n\x1a\nxxxx"), "photo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 422 and "est une image, pas un PDF" in html(response)
    for name in ("cni.pdf", "contrat.pdf"):
        client.post(url, data={"action": "ajouter", "document": (io.BytesIO(pdf()), name)},
                    content_type="multipart/form-data")
    page = html(client.get(url))
    assert "cni.pdf" in page and "contrat.pdf" in page
    ident = page.split('value="retirer:')[1].split('"')[0]
    response = client.post(url, data={"action": f"retirer:{ident}"}, follow_redirects=True)
    assert "Document retiré : cni.pdf." in html(response)
    assert f"retirer:{ident}" not in html(response)
    response = client.post(url, data={"action": "envoyer", "message_assure": "Bonne réception"},
                           follow_redirects=True)
    nouvelle = initiale + timedelta(days=6)
    assert (f"reportée du {date_longue(initiale)} au {date_longue(nouvelle)}"
            in html(response))
    row_dossier = dossier(session_factory, iid)
    assert (row_dossier.jours_prolongation, row_dossier.date_limite_decision) == (6, nouvelle)
    # The agent now sees the document and the message.
    client.post("/deconnexion")
    login(client, "agent.cramif")
    verification = task(session_factory, iid, "verification_administrative")
    page = html(client.get(f"/agent/taches/{verification.id}"))
    assert "contrat.pdf" in page and "Bonne réception" in page


def test_un_autre_assure_ne_peut_pas_ouvrir_la_page(client, web, users, session_factory):
    _iid, row = pieces_demandees(web, users, session_factory)
    login(client, "paul.martin")
    assert client.get(f"/assure/pieces/{row.id}").status_code == 404


def refus(web, users, session_factory):
    iid = dossier_recu(web, users, who="emma.leroy")
    verifier(web, session_factory, iid, users["agent.cramif"])
    return iid, task(session_factory, iid, "contester")


def test_contester_en_ligne_dans_le_delai(client, web, users, session_factory):
    iid, row = refus(web, users, session_factory)
    login(client, "emma.leroy")
    page = html(client.get(f"/assure/recours/{row.id}"))
    limite = echeance("contestation", clock.today())
    assert f"{limite.year}" in page and "Vous pouvez contester cette décision jusqu" in page
    assert "17-19 avenue de Flandre" in page and "vous avez travaillé" in page
    response = client.post(f"/assure/recours/{row.id}", data={
        "nature_contestation": "administrative",
        "motifs_contestation": "J'ai travaillé à l'étranger, ces périodes comptent."})
    assert response.status_code == 302
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["examen_cra"]
    assert dossier(session_factory, iid).statut == "recours"


def test_contestation_sans_motif_refusee(client, web, users, session_factory):
    _iid, row = refus(web, users, session_factory)
    login(client, "emma.leroy")
    response = client.post(f"/assure/recours/{row.id}", data={"nature_contestation": "medicale"})
    assert response.status_code == 422
    assert "Expliquez pourquoi vous contestez la décision" in html(response)


def test_contestation_tardive_refusee_avec_la_raison(client, web, users, session_factory):
    iid, row = refus(web, users, session_factory)
    limite = echeance("contestation", clock.today())
    login(client, "emma.leroy")
    move_clock_to(moment_echeance(limite) + timedelta(minutes=5))
    # The timer worker has not run yet: the page still opens, but the deadline wins.
    response = client.post(f"/assure/recours/{row.id}", data={
        "nature_contestation": "medicale", "motifs_contestation": "Mon état s'est aggravé."},
        follow_redirects=True)
    page = html(response)
    assert "votre contestation n&#39;a pas pu être enregistrée" in page or \
        "votre contestation n'a pas pu être enregistrée" in page
    assert "Le délai pour contester est expiré" in page
    assert f"{limite.day}" in page
    assert open_tasks(session_factory, iid) == []
    numero = dossier(session_factory, iid).numero
    again = html(client.get(f"/assure/recours/dossier/{numero}"))
    assert "la décision est devenue définitive" in again
