"""Where uploaded documents live: in the database every app machine shares when the app runs
on PostgreSQL, in the local folder on the embedded SQLite default; either way the bytes are
kept only if the step that keeps them commits (no orphan content), and a read checks the
SHA-256 recorded at the deposit."""
from __future__ import annotations

import hashlib
import io

import pytest
from sqlalchemy import func, select, update

from app.documents.depot import garder_document
from app.documents.storage import DatabaseStore, DocumentStore, IntegriteCompromise, store_for
from app.models import Document, DocumentContenu

from .conftest import ON_POSTGRES, login, needs_postgres
from .test_instruction_espace_assure import pdf, pieces_demandees


class Echec(Exception):
    """A step that fails after the document was kept: its transaction rolls back."""


def contenus(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(DocumentContenu))


def garder(session, store, users, content=b"%PDF-1.4\n% piece\n"):
    marie = users["marie.durand"]
    return garder_document(session, store, nom="piece.pdf", content=content,
                           content_type="application/pdf", kind="piece", owner_id=marie.id,
                           instance_id=None, user_id=marie.id, action="document_depose")


# ----- which store --------------------------------------------------------------------------
@pytest.mark.skipif(ON_POSTGRES, reason="the embedded default: SQLite")
def test_sur_sqlite_les_documents_restent_dans_le_dossier_local(app):
    store = app.extensions["invalidite"].store
    assert isinstance(store, DocumentStore)
    assert store.root == app.config["UPLOAD_DIR"]


@needs_postgres
def test_sur_postgresql_les_documents_sont_dans_la_base_partagee(app):
    assert isinstance(app.extensions["invalidite"].store, DatabaseStore)


def test_le_choix_du_stockage_peut_etre_force(tmp_path, session_factory):
    pg, lite = "postgresql://h/base", "sqlite:///x.db"
    assert isinstance(store_for(pg, tmp_path, session_factory), DatabaseStore)
    assert isinstance(store_for(lite, tmp_path, session_factory), DocumentStore)
    assert isinstance(store_for(pg, tmp_path, session_factory, "dossier"), DocumentStore)
    assert isinstance(store_for(lite, tmp_path, session_factory, "base"), DatabaseStore)
    with pytest.raises(ValueError, match="INVALIDITE_DOCUMENTS doit valoir"):
        store_for(pg, tmp_path, session_factory, "nuage")


# ----- the database store -------------------------------------------------------------------
@needs_postgres
def test_aller_retour_dans_la_base(session_factory):
    store = DatabaseStore(session_factory)
    data = bytes(range(256)) * 40  # every byte value: BYTEA, not text
    stocke = store.save(data)
    assert (stocke.sha256, stocke.size) == (hashlib.sha256(data).hexdigest(), len(data))
    assert len(stocke.stored_name) == 32
    assert store.read(stocke.stored_name, stocke.sha256) == data
    with session_factory() as session:
        row = session.get(DocumentContenu, stocke.stored_name)
        assert (row.sha256, row.size, bytes(row.contenu)) == (stocke.sha256, len(data), data)
    assert store.delete(stocke.stored_name) is True
    assert store.delete(stocke.stored_name) is False  # deleting twice is harmless
    with pytest.raises(FileNotFoundError):
        store.read(stocke.stored_name)


@needs_postgres
def test_un_contenu_altere_est_detecte_avec_un_message_en_francais(session_factory):
    store = DatabaseStore(session_factory)
    stocke = store.save(b"contenu d'origine")
    with session_factory() as session, session.begin():
        session.execute(update(DocumentContenu).where(
            DocumentContenu.stored_name == stocke.stored_name).values(contenu=b"autre"))
    with pytest.raises(IntegriteCompromise, match="altéré : son empreinte SHA-256 ne "
                                                  "correspond plus"):
        store.read(stocke.stored_name, sha256=stocke.sha256)
    assert store.read(stocke.stored_name) == b"autre"  # no hash given: no check


@needs_postgres
def test_une_etape_annulee_ne_laisse_aucun_contenu(session_factory, users):
    store = DatabaseStore(session_factory)
    with pytest.raises(Echec), session_factory() as session, session.begin():
        garder(session, store, users)
        raise Echec
    assert contenus(session_factory) == 0
    with session_factory() as session, session.begin():
        document = garder(session, store, users)
        # Read back inside the same transaction (e.g. to count its pages).
        assert store.read(document.stored_name, document.sha256, session=session)
    assert contenus(session_factory) == 1


@needs_postgres
def test_une_suppression_annulee_garde_le_contenu(session_factory):
    store = DatabaseStore(session_factory)
    stocke = store.save(b"x")
    with pytest.raises(Echec), session_factory() as session, session.begin():
        assert store.delete(stocke.stored_name, session=session) is True
        raise Echec
    assert store.read(stocke.stored_name, stocke.sha256) == b"x"


@needs_postgres
def test_une_piece_deposee_par_la_page_est_dans_la_base(client, web, users, session_factory):
    _iid, row = pieces_demandees(web, users, session_factory)
    login(client, "marie.durand")
    content = pdf(2)
    response = client.post(f"/assure/pieces/{row.id}", data={
        "action": "ajouter", "document": (io.BytesIO(content), "contrat.pdf")},
        content_type="multipart/form-data")
    assert response.status_code == 302  # added, back to the page
    with session_factory() as session:
        document = session.scalar(select(Document).where(Document.original_name ==
                                                         "contrat.pdf"))
        row_contenu = session.get(DocumentContenu, document.stored_name)
        assert bytes(row_contenu.contenu) == content
        assert row_contenu.sha256 == document.sha256 == hashlib.sha256(content).hexdigest()
    assert not (client.application.config["UPLOAD_DIR"]).exists()  # nothing on this disk


# ----- the local folder: transactional too, when given the step's session -------------------
def test_dossier_local_une_etape_annulee_ne_laisse_aucun_fichier(tmp_path, session_factory,
                                                                 users):
    store = DocumentStore(tmp_path / "uploads")
    with pytest.raises(Echec), session_factory() as session, session.begin():
        document = garder(session, store, users)
        assert store.path(document.stored_name).is_file()  # readable inside the step
        raise Echec
    assert not [p for p in (tmp_path / "uploads").rglob("*") if p.is_file()]
    with session_factory() as session, session.begin():
        document = garder(session, store, users)
    assert store.read(document.stored_name, document.sha256) == b"%PDF-1.4\n% piece\n"


def test_dossier_local_le_fichier_n_est_supprime_qu_au_commit(tmp_path, session_factory):
    store = DocumentStore(tmp_path)
    stocke = store.save(b"x")
    with pytest.raises(Echec), session_factory() as session, session.begin():
        store.delete(stocke.stored_name, session=session)
        raise Echec
    assert store.path(stocke.stored_name).is_file()  # the deletion rolled back with its step
    with session_factory() as session, session.begin():
        assert store.delete(stocke.stored_name, session=session) is True
        assert store.path(stocke.stored_name).is_file()  # not before the commit
    assert not store.path(stocke.stored_name).exists()
