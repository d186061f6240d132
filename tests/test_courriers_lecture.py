"""A letter's words are stored once: as its template and values (the `Courrier` row).

Its messagerie message keeps no HTML copy (`corps_html` empty); the assuré's letter page, the
assuré's thread and the staff's thread render it on read from the letter row, escaped as when
it was sent, and show exactly the text rendered when the letter was sent. Messages stored
with their body (sent before, notices) are shown as they were stored.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.documents import outbox, rendu
from app.documents.delivery import LetterDelivery, corps_des_messages, post_notice
from app.engine.clock import clock
from app.models import Courrier, Dossier, Message

from .assure_aide import start_request, submitted_request
from .conftest import html, login

ACCUSE = "Accusé de réception"


@pytest.fixture
def envoyes(monkeypatch) -> list[rendu.Lettre]:
    """Every letter as rendered when it was sent (what the message stored before)."""
    lettres: list[rendu.Lettre] = []
    enregistrer = outbox.enregistrer

    def capture(session, document, lettre, now):
        lettres.append(lettre)
        return enregistrer(session, document, lettre, now)

    monkeypatch.setattr(outbox, "enregistrer", capture)
    return lettres


@pytest.fixture
def marie(app, web):
    client = app.test_client()
    assert login(client, "marie.durand").status_code == 302
    return client


def accuse_envoye(marie, session_factory) -> tuple[str, Message]:
    numero = start_request(marie)
    submitted_request(marie, numero)
    with session_factory() as session:
        return numero, session.scalar(select(Message).where(Message.objet.startswith(ACCUSE)))


def lettre_de(session_factory, message: Message) -> Courrier:
    with session_factory() as session:
        return session.scalar(select(Courrier).where(
            Courrier.document_id == message.document_id))


# ----- stored once ----------------------------------------------------------------------------
def test_le_message_d_un_courrier_ne_stocke_pas_son_texte(marie, session_factory, envoyes):
    _numero, message = accuse_envoye(marie, session_factory)
    assert message.corps_html == ""
    courrier = lettre_de(session_factory, message)
    assert courrier.modele == "accuse_reception"
    (lettre,) = [e for e in envoyes if e.objet == message.objet]
    assert "Marie Durand" in lettre.corps_html  # the values are on the letter row
    assert outbox.valeurs_de(courrier.valeurs)["assure"]["nom_complet"] == "Marie Durand"


# ----- read as it was sent --------------------------------------------------------------------
def test_l_assure_lit_le_courrier_tel_qu_il_a_ete_envoye(marie, session_factory, envoyes):
    _numero, message = accuse_envoye(marie, session_factory)
    (lettre,) = [e for e in envoyes if e.objet == message.objet]
    page = html(marie.get(f"/assure/messagerie/{message.id}"))
    assert lettre.corps_html.strip() and lettre.corps_html in page


def test_l_assure_et_l_agent_lisent_le_meme_texte_dans_la_conversation(app, marie,
                                                                        session_factory,
                                                                        envoyes):
    _numero, message = accuse_envoye(marie, session_factory)
    (lettre,) = [e for e in envoyes if e.objet == message.objet]
    response = marie.post(f"/assure/messagerie/{message.id}/repondre",
                          data={"service": "invalidite", "texte": "Merci, bien reçu."},
                          content_type="multipart/form-data")
    ident = int(re.search(r"/conversations/(\d+)", response.headers["Location"]).group(1))
    assert lettre.corps_html in html(marie.get(f"/assure/messagerie/conversations/{ident}"))
    agent = app.test_client()
    assert login(agent, "agent.cramif").status_code == 302
    assert lettre.corps_html in html(agent.get(f"/agent/messagerie/{ident}"))


def test_les_valeurs_sont_echappees_a_la_lecture_comme_a_l_envoi(app, marie, session_factory,
                                                                 envoyes):
    numero, message = accuse_envoye(marie, session_factory)
    (envoye,) = [e for e in envoyes if e.objet == message.objet]
    valeurs = {k: v for k, v in envoye.variables.items() if k != "objet"}
    valeurs["assure"] = {**valeurs["assure"], "salutation": "<b>Marie</b> & <script>"}
    lettre = rendu.rendre("accuse_reception", "Accusé de réception (rectificatif)", valeurs)
    services = app.extensions["invalidite"]
    with session_factory() as session, session.begin():
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
        nouveau = LetterDelivery(services.store, clock.today, clock.now).deliver(
            session, dossier, "accuse_reception", lettre)
        session.flush()
        ident = nouveau.id
    page = html(marie.get(f"/assure/messagerie/{ident}"))
    assert "&lt;b&gt;Marie&lt;/b&gt; &amp; &lt;script&gt;" in page
    assert "<b>Marie</b>" not in page
    assert lettre.corps_html in page  # dates of the values come back as dates, same text


# ----- messages stored with their body ---------------------------------------------------------
def test_un_message_stocke_avec_son_texte_se_lit_tel_quel(marie, session_factory, envoyes):
    numero, message = accuse_envoye(marie, session_factory)
    with session_factory() as session, session.begin():
        ancien = session.get(Message, message.id)
        ancien.corps_html = "<p>Texte du courrier tel qu'envoyé en 2025.</p>"  # sent before
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
        avis = post_notice(session, dossier, "Votre dossier", "Un <avis> & rien d'autre",
                           clock.now())
        session.flush()
        avis_id = avis.id
    page = html(marie.get(f"/assure/messagerie/{message.id}"))
    assert "<p>Texte du courrier tel qu'envoyé en 2025.</p>" in page
    with session_factory() as session:
        rows = [session.get(Message, message.id), session.get(Message, avis_id)]
        corps = corps_des_messages(session, rows)
    assert corps[message.id] == "<p>Texte du courrier tel qu'envoyé en 2025.</p>"
    assert corps[avis_id] == "<p>Un &lt;avis&gt; &amp; rien d&#39;autre</p>"
