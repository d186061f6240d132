"""The two-way messagerie: the assuré writes to the Service Invalidité or the Service médical
of their caisse (about a dossier or not), with PDF/JPEG/PNG attachments checked like every
upload; the service's shared inbox takes, assigns, answers and closes; the assuré reads the
answer in the thread. Another caisse never sees a thread, agents never see a medical one, and
every action leaves an audit row."""
from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.models import AuditLog, Conversation, Document, Message, PieceJointe

from .assure_aide import page_text, pdf_bytes, start_request, submitted_request
from .conftest import login


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buffer, "PNG")
    return buffer.getvalue()


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def ecrire(client, objet="Question sur ma demande", texte="Bonjour,\nOù en est ma demande ?",
           service="invalidite", dossier="", fichiers=(), **extra):
    data = {"service": service, "dossier": dossier, "objet": objet, "texte": texte, **extra}
    data["pieces"] = [(io.BytesIO(content), nom) for nom, content in fichiers]
    return client.post("/assure/messagerie/nouveau", data=data,
                       content_type="multipart/form-data")


def conversation_id(response) -> int:
    assert response.status_code == 302, page_text(response)[-2000:]
    return int(re.search(r"/conversations/(\d+)", response.headers["Location"]).group(1))


def as_user(app, who):
    client = app.test_client()
    assert login(client, who).status_code == 302
    return client


def repondre(client, ident, texte="Votre dossier est en cours d'instruction.", fichiers=()):
    data = {"texte": texte, "pieces": [(io.BytesIO(c), n) for n, c in fichiers]}
    return client.post(f"/agent/messagerie/{ident}/repondre", data=data,
                       content_type="multipart/form-data")


def conversation(session_factory, ident) -> Conversation:
    with session_factory() as session:
        return session.get(Conversation, ident, options=[joinedload(Conversation.dossier)])


def actions(session_factory) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


@pytest.fixture
def marie(app, web):
    return as_user(app, "marie.durand")


# ----- the assuré writes and sees the thread ------------------------------------------------
def test_l_assure_ecrit_au_service_invalidite_et_retrouve_son_message(marie, session_factory):
    assert "Écrire un message" in page_text(marie.get("/assure/messagerie"))
    assert marie.get("/assure/messagerie/nouveau").status_code == 200
    ident = conversation_id(ecrire(marie, fichiers=[("avis.pdf", pdf_bytes(1)),
                                                    ("photo.png", png_bytes())]))
    found = conversation(session_factory, ident)
    assert (found.caisse_code, found.service, found.statut) == ("CRAMIF", "invalidite",
                                                                "nouveau")
    assert found.unread_by_staff
    thread = page_text(marie.get(f"/assure/messagerie/conversations/{ident}"))
    assert "Où en est ma demande ?" in thread and "avis.pdf" in thread and "photo.png" in thread
    liste = page_text(marie.get("/assure/messagerie"))
    assert "Question sur ma demande" in liste and "Service Invalidité" in liste


def test_un_message_peut_porter_sur_un_dossier_de_l_assure_seulement(app, web, marie,
                                                                      session_factory):
    numero = start_request(marie)
    ident = conversation_id(ecrire(marie, dossier=numero))
    assert conversation(session_factory, ident).dossier.numero == numero
    paul = as_user(app, "paul.martin")
    refused = ecrire(paul, dossier=numero)
    assert refused.status_code == 422
    assert "Choisissez un de vos dossiers" in page_text(refused)


def test_objet_et_texte_sont_demandes_en_francais(marie, session_factory):
    response = ecrire(marie, objet="  ", texte="")
    assert response.status_code == 422
    text = page_text(response)
    assert "Indiquez l'objet de votre message." in text and "Écrivez votre message." in text
    with session_factory() as session:
        assert session.scalar(select(Conversation)) is None


# ----- attachments --------------------------------------------------------------------------
def test_un_fichier_refuse_est_nomme_et_les_bons_sont_gardes(marie, session_factory):
    response = ecrire(marie, fichiers=[("avis.pdf", pdf_bytes(1)), ("photo.heic", HEIC),
                                       ("releve.png", png_bytes())])
    assert response.status_code == 422
    text = page_text(response)
    assert "« photo.heic » est une photo HEIC" in text
    kept = re.findall(r'name="piece_gardee" value="(\d+)"', text)
    assert len(kept) == 2 and "avis.pdf" in text and "releve.png" in text
    with session_factory() as session:
        assert session.scalar(select(Conversation)) is None  # nothing sent yet
    ident = conversation_id(ecrire(marie, piece_gardee=kept))
    with session_factory() as session:
        names = set(session.scalars(select(Document.original_name).join(PieceJointe).join(
            Message, Message.id == PieceJointe.message_id).where(
            Message.conversation_id == ident)))
    assert names == {"avis.pdf", "releve.png"}


@pytest.mark.parametrize(("nom", "contenu", "attendu"), [
    ("scan.pdf", b"Ceci est du texte", "« scan.pdf » est un fichier d'un autre format"),
    ("photo.jpg", b"\xff\xd8\xff\xe0tronque", "« photo.jpg » est une image endommagée"),
    ("lettre.docx", b"PK\x03\x04" + b"\x00" * 40, "« lettre.docx » est un document bureautique"),
    ("gros.pdf", b"%PDF-1.4\n" + b"0" * (2 * 1024 * 1024), "« gros.pdf » dépasse la taille"),
    ("vide.png", b"", "« vide.png » est vide"),
])
def test_les_pieces_jointes_sont_verifiees_sur_leur_contenu(marie, nom, contenu, attendu):
    response = ecrire(marie, fichiers=[(nom, contenu)])
    assert response.status_code == 422
    assert attendu in page_text(response)


def test_on_ne_garde_pas_la_piece_d_un_autre(app, marie, session_factory):
    ecrire(marie, objet="", fichiers=[("avis.pdf", pdf_bytes(1))])  # refused: the file is kept
    with session_factory() as session:
        document = session.scalar(select(Document).where(Document.original_name == "avis.pdf"))
    paul = as_user(app, "paul.martin")
    ident = conversation_id(ecrire(paul, piece_gardee=[str(document.id)]))
    with session_factory() as session:
        assert session.scalar(select(PieceJointe).join(
            Message, Message.id == PieceJointe.message_id).where(
            Message.conversation_id == ident)) is None


def test_les_pieces_jointes_se_telechargent_sans_jamais_s_afficher(app, marie,
                                                                   session_factory):
    ident = conversation_id(ecrire(marie, fichiers=[("avis.pdf", pdf_bytes(1))]))
    with session_factory() as session:
        document = session.scalar(select(Document).where(Document.original_name == "avis.pdf"))
    for client, url in ((marie, f"/assure/messagerie/conversations/{ident}/pieces/"),
                        (as_user(app, "agent.cramif"), f"/agent/messagerie/{ident}/pieces/")):
        response = client.get(f"{url}{document.id}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.data.startswith(b"%PDF")
    assert actions(session_factory).count("piece_jointe_telechargee") == 2


# ----- isolation ----------------------------------------------------------------------------
def test_une_autre_caisse_ne_voit_jamais_la_conversation(app, marie, session_factory):
    ident = conversation_id(ecrire(marie, objet="Question CRAMIF",
                                   fichiers=[("avis.pdf", pdf_bytes(1))]))
    with session_factory() as session:
        document_id = session.scalar(select(Document.id).where(Document.kind ==
                                                               "piece_jointe_message"))
    lyon = as_user(app, "agent.cpam69")
    assert "Question CRAMIF" not in page_text(lyon.get("/agent/messagerie?vue=tous"))
    assert lyon.get(f"/agent/messagerie/{ident}").status_code == 404
    assert lyon.get(f"/agent/messagerie/{ident}/pieces/{document_id}").status_code == 404
    assert repondre(lyon, ident).status_code == 404
    assert lyon.post(f"/agent/messagerie/{ident}/prendre").status_code == 404
    assert lyon.post(f"/agent/messagerie/{ident}/clore").status_code == 404
    paul = as_user(app, "paul.martin")
    assert paul.get(f"/assure/messagerie/conversations/{ident}").status_code == 404
    assert paul.get(f"/assure/messagerie/conversations/{ident}/pieces/{document_id}") \
        .status_code == 404
    paris = as_user(app, "agent.cramif")
    assert "Question CRAMIF" in page_text(paris.get("/agent/messagerie"))
    assert conversation(session_factory, ident).statut == "nouveau"


def test_les_messages_medicaux_ne_sont_lus_que_par_les_medecins_conseils(app, marie,
                                                                       session_factory):
    ident = conversation_id(ecrire(marie, service="medical", objet="Mon examen médical",
                                   fichiers=[("certificat.pdf", pdf_bytes(1))]))
    with session_factory() as session:
        document_id = session.scalar(select(Document.id).where(
            Document.original_name == "certificat.pdf"))
    agent = as_user(app, "agent.cramif")
    inbox = page_text(agent.get("/agent/messagerie?vue=tous"))
    assert "Mon examen médical" not in inbox and "Non lus (0)" in inbox
    assert agent.get(f"/agent/messagerie/{ident}").status_code == 404
    assert agent.get(f"/agent/messagerie/{ident}/pieces/{document_id}").status_code == 404
    assert repondre(agent, ident).status_code == 404
    assert "Mon examen médical" not in page_text(
        as_user(app, "medecin.cpam69").get("/agent/messagerie?vue=tous"))
    medecin = as_user(app, "medecin")
    inbox = page_text(medecin.get("/agent/messagerie"))
    assert "Mon examen médical" in inbox and "Non lus (1)" in inbox
    assert medecin.get(f"/agent/messagerie/{ident}").status_code == 200
    with session_factory() as session:  # never among the dossier's letters or documents
        assert session.scalar(select(Message.instance_id).where(
            Message.conversation_id == ident)) is None
        assert session.get(Document, document_id).instance_id is None


def test_l_assure_ne_voit_que_ses_conversations_et_ses_courriers(app, marie, session_factory):
    ident = conversation_id(ecrire(marie))
    paul = as_user(app, "paul.martin")
    assert "Question sur ma demande" not in page_text(paul.get("/assure/messagerie"))
    assert paul.post(f"/assure/messagerie/conversations/{ident}/repondre",
                     data={"texte": "intrus"}).status_code == 404


# ----- the shared inbox ---------------------------------------------------------------------
def test_la_reponse_du_service_est_non_lue_pour_l_assure(app, marie, session_factory):
    ident = conversation_id(ecrire(marie))
    agent = as_user(app, "agent.cramif")
    page = page_text(agent.get(f"/agent/messagerie/{ident}"))
    assert "Marie Durand (assuré)" in page
    assert not conversation(session_factory, ident).unread_by_staff
    assert repondre(agent, ident, fichiers=[("attestation.png", png_bytes())]).status_code == 302
    found = conversation(session_factory, ident)
    assert found.statut == "repondu" and found.assigned_to_id is not None
    liste = page_text(marie.get("/assure/messagerie"))
    assert "1 message non lu" in liste and "Réponse reçue" in liste
    thread = page_text(marie.get(f"/assure/messagerie/conversations/{ident}"))
    assert "Votre dossier est en cours d'instruction." in thread and "attestation.png" in thread
    assert "Service Invalidité — CRAMIF" in thread
    assert "Tous vos messages sont lus." in page_text(marie.get("/assure/messagerie"))


def test_les_filtres_non_lus_a_moi_non_attribues_repondus_et_dossier(app, marie,
                                                                    session_factory):
    numero = start_request(marie)
    nouveau = conversation_id(ecrire(marie, objet="Sujet nouveau"))
    pris = conversation_id(ecrire(marie, objet="Sujet pris", dossier=numero))
    repondu = conversation_id(ecrire(marie, objet="Sujet répondu"))
    agent = as_user(app, "agent.cramif")
    agent.post(f"/agent/messagerie/{pris}/prendre")
    repondre(as_user(app, "agent2.cramif"), repondu)

    def listed(client, query):
        text = page_text(client.get(f"/agent/messagerie?{query}"))
        return {s for s in ("Sujet nouveau", "Sujet pris", "Sujet répondu") if s in text}

    assert listed(agent, "vue=non_lus") == {"Sujet nouveau", "Sujet pris"}
    assert listed(agent, "vue=a_moi") == {"Sujet pris"}
    assert listed(agent, "vue=non_attribues") == {"Sujet nouveau"}
    assert listed(agent, "vue=repondus") == {"Sujet répondu"}
    assert listed(agent, "vue=tous&numero=" + numero) == {"Sujet pris"}
    assert conversation(session_factory, pris).statut == "attribue"
    assert nouveau


def test_attribuer_a_un_collegue_de_la_caisse_seulement(app, users, marie, session_factory):
    ident = conversation_id(ecrire(marie))
    agent = as_user(app, "agent.cramif")
    for intrus in (users["agent.cpam69"], users["medecin"]):
        agent.post(f"/agent/messagerie/{ident}/attribuer", data={"assignee_id": intrus.id})
        assert conversation(session_factory, ident).assigned_to_id is None
    agent.post(f"/agent/messagerie/{ident}/attribuer",
               data={"assignee_id": users["agent2.cramif"].id})
    found = conversation(session_factory, ident)
    assert (found.assigned_to_id, found.statut) == (users["agent2.cramif"].id, "attribue")


def test_clore_puis_l_assure_rouvre_en_repondant(app, marie, session_factory):
    ident = conversation_id(ecrire(marie))
    agent = as_user(app, "agent.cramif")
    agent.post(f"/agent/messagerie/{ident}/prendre")
    assert agent.post(f"/agent/messagerie/{ident}/clore").status_code == 302
    assert conversation(session_factory, ident).statut == "clos"
    assert "Question sur ma demande" not in page_text(agent.get("/agent/messagerie"))
    marie.post(f"/assure/messagerie/conversations/{ident}/repondre",
               data={"texte": "Une précision"}, content_type="multipart/form-data")
    found = conversation(session_factory, ident)
    assert (found.statut, found.unread_by_staff) == ("attribue", True)


# ----- letters ------------------------------------------------------------------------------
def test_repondre_a_un_courrier_ouvre_une_conversation_sur_son_dossier(app, marie,
                                                                       session_factory):
    numero = start_request(marie)
    submitted_request(marie, numero)
    with session_factory() as session:
        lettre = session.scalar(select(Message).where(Message.objet.like("Accusé%")))
    page = page_text(marie.get(f"/assure/messagerie/{lettre.id}"))
    assert "Répondre à ce courrier" in page
    response = marie.post(f"/assure/messagerie/{lettre.id}/repondre",
                          data={"service": "invalidite", "texte": "Merci, bien reçu."},
                          content_type="multipart/form-data")
    ident = conversation_id(response)
    found = conversation(session_factory, ident)
    assert found.dossier.numero == numero and found.objet == lettre.objet
    thread = page_text(as_user(app, "agent.cramif").get(f"/agent/messagerie/{ident}"))
    assert "Merci, bien reçu." in thread and numero in thread and "Courrier envoyé" in thread
    assert marie.get(f"/assure/messagerie/{lettre.id}").headers["Location"].endswith(
        f"/conversations/{ident}")


# ----- audit and CSRF -----------------------------------------------------------------------
def test_chaque_action_laisse_une_ligne_d_audit(app, marie, session_factory):
    ident = conversation_id(ecrire(marie, fichiers=[("avis.pdf", pdf_bytes(1))]))
    agent = as_user(app, "agent.cramif")
    agent.get(f"/agent/messagerie/{ident}")
    agent.post(f"/agent/messagerie/{ident}/prendre")
    repondre(agent, ident)
    marie.get(f"/assure/messagerie/conversations/{ident}")
    marie.post(f"/assure/messagerie/conversations/{ident}/repondre", data={"texte": "Merci"},
               content_type="multipart/form-data")
    agent.post(f"/agent/messagerie/{ident}/clore")
    done = actions(session_factory)
    for action in ("piece_jointe_deposee", "conversation_ouverte", "message_envoye",
                   "conversation_consultee", "conversation_attribuee", "reponse_envoyee",
                   "message_lu", "conversation_close"):
        assert action in done, action
    assert done.count("message_envoye") == 2
    with session_factory() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action.in_(
            ("message_envoye", "reponse_envoyee")))).all()
    assert all(r.details["conversation_id"] == ident and r.user_id for r in rows)
    assert all("texte" not in r.details for r in rows)  # never the words (secret médical)


def test_les_formulaires_sont_proteges_par_csrf(app, marie, session_factory):
    ident = conversation_id(ecrire(marie))
    app.config["WTF_CSRF_ENABLED"] = True
    agent = as_user_csrf(app, "agent.cramif")
    page = agent.get(f"/agent/messagerie/{ident}").get_data(as_text=True)
    assert page.count('name="csrf_token"') >= 4  # prendre, attribuer, clore, répondre
    assert repondre(agent, ident).status_code == 400
    assert agent.post(f"/agent/messagerie/{ident}/clore").status_code == 400
    assert ecrire(marie).status_code == 400
    assert 'name="csrf_token"' in marie.get("/assure/messagerie/nouveau").get_data(as_text=True)
    found = conversation(session_factory, ident)
    assert (found.statut, found.assigned_to_id) == ("nouveau", None)


def as_user_csrf(app, who):
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/connexion", data={"email": f"{who}@demo.fr", "password": "demo",
                                    "csrf_token": token})
    return client
