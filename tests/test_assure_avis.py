"""Step 5: the tax notice. PDF only, at most 2 Mo, checked by its content; each refusal has its
own message and leaves the draft as it was; the file is stored under a random name with its
SHA-256 and only ever downloaded as an attachment, by its owner."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.models import Document, Message

from .assure_aide import (
    avis_documents,
    current_element,
    deploy_all,
    dossier_of,
    fill_until_recap,
    page_text,
    pdf_bytes,
    start_request,
    step,
    submit_recap,
    upload,
)
from .conftest import login

TROIS_MO = b"%PDF-1.4\n" + b"0" * (3 * 1024 * 1024)


@pytest.fixture(autouse=True)
def deployed(session_factory, users):
    return deploy_all(session_factory)


@pytest.fixture
def at_step_5(client):
    numero = start_request(client)
    fill_until_recap(client, numero)
    assert submit_recap(client, numero).status_code == 303
    return numero


def test_step_5_asks_for_the_last_tax_notice(client, at_step_5):
    text = page_text(step(client, at_step_5))
    assert "Étape 5 sur 5" in text and "Avis d'imposition" in text
    assert "toutes les pages" in text
    assert "Votre document doit être au format PDF et ne doit pas excéder 2 Mo" in \
        text.replace("\u00a0", " ")
    assert 'enctype="multipart/form-data"' in text and "Je valide ma demande" in text


@pytest.mark.parametrize("content, name, message", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF" + b"\x00" * 500, "avis.pdf",
     "Ce fichier est une image (JPEG), pas un PDF."),
    (b"", "avis.pdf", "Le fichier est vide."),
    (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer <<>>\n%%EOF",
     "avis.pdf", "Le fichier PDF est endommagé ou incomplet"),
    (pdf_bytes(1, password="secret"), "avis.pdf", "Le fichier PDF est protégé par un mot de passe"),
    (TROIS_MO, "avis.pdf", "Le fichier dépasse la taille maximale de 2 Mo (taille reçue : 3,1 Mo)"),
    (b"Bonjour, ceci est un texte.", "avis.pdf", "Ce fichier n'est pas un PDF."),
])
def test_each_refused_file_gets_its_own_message_and_the_draft_stays(client, session_factory,
                                                                    users, at_step_5, content,
                                                                    name, message):
    response = upload(client, at_step_5, content, name)
    text = page_text(response).replace("\u00a0", " ")
    assert response.status_code == 422
    assert message in text
    assert 'href="#avis-imposition"' in text  # error summary linked to the field
    assert "<title>Erreur :" in text
    assert current_element(session_factory, at_step_5) == "deposer_avis_imposition"
    assert dossier_of(session_factory, at_step_5).statut == "brouillon"
    assert avis_documents(session_factory, users["marie.durand"].id) == 0


def test_no_file_at_all_is_refused(client, session_factory, at_step_5):
    response = upload(client, at_step_5, None)
    assert response.status_code == 422
    assert "Déposez votre dernier avis d'imposition" in page_text(response)
    assert current_element(session_factory, at_step_5) == "deposer_avis_imposition"


def test_a_valid_pdf_is_stored_with_its_sha256_outside_the_web_root(client, app,
                                                                    session_factory, users,
                                                                    at_step_5):
    content = pdf_bytes(3)
    response = upload(client, at_step_5, content, "Avis d'impôt 2025.pdf")
    assert response.status_code == 303
    with session_factory() as session:
        doc = session.scalar(select(Document).where(Document.kind == "avis_imposition"))
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert doc.owner_id == users["marie.durand"].id and doc.size == len(content)
    assert doc.original_name == "Avis d'impôt 2025.pdf"
    assert "avis" not in doc.stored_name.lower() and len(doc.stored_name) == 32
    store = app.extensions["invalidite"].store
    assert store.read(doc.stored_name, doc.sha256) == content
    if hasattr(store, "path"):  # the local folder; on PostgreSQL the bytes are in a table
        assert "static" not in str(store.path(doc.stored_name))


def test_the_owner_downloads_it_as_an_attachment_never_inline(client, session_factory,
                                                              at_step_5):
    content = pdf_bytes(1)
    upload(client, at_step_5, content, "Avis d'impôt 2025.pdf")
    with session_factory() as session:
        doc = session.scalar(select(Document).where(Document.kind == "avis_imposition"))
    response = client.get(f"/assure/documents/{doc.id}")
    assert response.status_code == 200
    assert response.data == content
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "Avis_d_impot_2025.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"


def test_another_assure_cannot_download_it(client, session_factory, at_step_5):
    upload(client, at_step_5, pdf_bytes(1))
    with session_factory() as session:
        doc = session.scalar(select(Document).where(Document.kind == "avis_imposition"))
        letters = session.scalars(select(Message.document_id)).all()
    client.post("/deconnexion")
    login(client, "paul.martin")
    assert client.get(f"/assure/documents/{doc.id}").status_code == 404
    for document_id in letters:
        assert client.get(f"/assure/documents/{document_id}").status_code == 404


def test_an_agent_cannot_use_the_assure_download_route(client, session_factory, at_step_5):
    upload(client, at_step_5, pdf_bytes(1))
    with session_factory() as session:
        doc = session.scalar(select(Document).where(Document.kind == "avis_imposition"))
    client.post("/deconnexion")
    login(client, "agent.cramif")
    assert client.get(f"/assure/documents/{doc.id}").status_code == 403


def test_a_submission_that_loses_a_race_keeps_nothing_of_its_upload(client, session_factory,
                                                                    users, at_step_5, app,
                                                                    monkeypatch):
    """The file is stored before the task is completed; if the completion is refused because
    the instance moved on meanwhile, that copy is deleted and the step is shown again."""
    from app.engine.errors import Conflict

    def refuse(*args, **kwargs):
        raise Conflict("stale")

    runtime = app.extensions["invalidite"].runtime
    original = runtime.complete_task
    monkeypatch.setattr(runtime, "complete_task", refuse)
    response = upload(client, at_step_5, pdf_bytes(1))
    assert response.status_code == 303  # back to the step, nothing kept from this attempt
    assert avis_documents(session_factory, users["marie.durand"].id) == 0
    monkeypatch.setattr(runtime, "complete_task", original)
    assert upload(client, at_step_5, pdf_bytes(1)).status_code == 303
    assert avis_documents(session_factory, users["marie.durand"].id) == 1
