"""Letters are data; their PDF is made after commit, off the step (app/documents/outbox.py).

A step that writes a letter records it (template, template version, values, SHA-256) with its
messagerie message and a `Document` still without file, and never runs WeasyPrint. The PDF
is made later by the worker (`drain`) or on the first download, is the same bytes whenever
it is made, and a letter is never lost: a process dying on the way or a failed rendering
leaves the row pending, counted, tried again.
"""
from __future__ import annotations

import hashlib
import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from app.documents import outbox, rendu
from app.documents.storage import DocumentStore
from app.engine.clock import clock
from app.engine.timers import fire_due_timers
from app.models import Courrier, Document, Incident, Message

from . import test_instruction_outils as outils
from .assure_aide import deploy_all, start_request, submitted_request
from .conftest import advance_clock, login
from .test_documents import texte_pdf

rt = outils.rt  # the runtime with the app's hooks, processes deployed
CONVOCATION = "Convocation à un examen médical"


@pytest.fixture
def store(tmp_path):
    return DocumentStore(tmp_path / "pdf")


@pytest.fixture
def sans_weasyprint(monkeypatch):
    """Any PDF rendering fails loudly: what runs now must not need one."""
    def interdit(html):
        raise AssertionError("WeasyPrint appelé pendant l'étape")

    monkeypatch.setattr(rendu, "html_vers_pdf", interdit)


def convoque(rt, session_factory, users) -> int:
    iid = outils.dossier_recu(rt, users)
    outils.verifier(rt, session_factory, iid, users["agent.cramif"])
    outils.convoquer(rt, session_factory, iid, users["medecin"])
    return iid


def courrier_of(session_factory, iid, modele="convocation") -> Courrier:
    with session_factory() as session:
        return session.scalar(select(Courrier).where(Courrier.instance_id == iid,
                                                     Courrier.modele == modele))


def document_of(session_factory, courrier: Courrier) -> Document:
    with session_factory() as session:
        return session.get(Document, courrier.document_id)


def fichiers(store) -> list:
    return sorted(p for p in store.root.rglob("*") if p.is_file())


# ----- the step records the letter, without WeasyPrint --------------------------------------
def test_une_etape_qui_ecrit_un_courrier_l_enregistre_sans_faire_son_pdf(
        rt, session_factory, users, sans_weasyprint):
    iid = convoque(rt, session_factory, users)
    assert outils.dossier(session_factory, iid).statut == "examen_medical"  # committed
    courrier = courrier_of(session_factory, iid)
    assert (courrier.status, courrier.attempts) == ("pending", 0)
    assert courrier.version_modele == rendu.version_modele("convocation")
    assert courrier.empreinte == outbox.empreinte("convocation", courrier.version_modele,
                                                  courrier.valeurs)
    valeurs = outbox.valeurs_de(courrier.valeurs)
    assert valeurs["lieu"]["nom"] == "Service médical de Paris"
    assert valeurs["date_heure"].date() == clock.today() + timedelta(days=14)  # a datetime
    # The messagerie already shows the letter, its attachment waiting for its file.
    message = outils.letters(session_factory, iid)[-1]
    assert message.objet.startswith(CONVOCATION) and "10 rue de la Santé" in message.corps_html
    assert message.document_id == courrier.document_id
    document = document_of(session_factory, courrier)
    assert document.stored_name is None and document.kind == "convocation"


def test_le_rejet_implicite_ne_coute_aucun_pdf_quand_il_tombe(rt, session_factory, users,
                                                              sans_weasyprint):
    iid = outils.dossier_recu(rt, users)
    outils.verifier(rt, session_factory, iid, users["agent.cramif"])
    outils.move_clock_to(outils.deadline_moment(session_factory, iid))
    assert fire_due_timers(rt) == 1
    assert outils.dossier(session_factory, iid).statut == "rejet_implicite"
    assert courrier_of(session_factory, iid, "notification_rejet_implicite").status == "pending"
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 0


# ----- after commit: the worker makes the PDF, always the same bytes -------------------------
def test_apres_le_passage_du_worker_le_pdf_existe_et_deux_rendus_sont_identiques(
        rt, session_factory, users, store):
    iid = convoque(rt, session_factory, users)
    assert outbox.drain(session_factory, store) >= 1
    courrier = courrier_of(session_factory, iid)
    document = document_of(session_factory, courrier)
    assert courrier.status == "done" and courrier.attempts == 1
    pdf = store.read(document.stored_name, document.sha256)
    assert document.sha256 == hashlib.sha256(pdf).hexdigest() and document.size == len(pdf)
    assert "10 rue de la Santé" in texte_pdf(pdf) and "Service médical de Paris" in texte_pdf(pdf)
    again = outbox.pdf_du_courrier(courrier.modele, courrier.version_modele, courrier.valeurs,
                                   courrier.empreinte)
    assert again == pdf  # same values, same templates: same bytes, same SHA-256
    assert outbox.drain(session_factory, store) == 0  # nothing left to do


def test_le_pdf_ne_porte_ni_date_de_creation_ni_identifiant_aleatoire():
    page = ("<html><head><meta name=dcterms.created content=2020-01-01T00:00:00Z>"
            "<meta name=dcterms.modified content=2021-01-01T00:00:00Z><title>t</title></head>"
            "<body><p>Bonjour</p></body></html>")
    premier, second = rendu.html_vers_pdf(page), rendu.html_vers_pdf(page)
    assert premier == second
    reader = PdfReader(io.BytesIO(premier))
    assert "/CreationDate" not in reader.metadata and "/ModDate" not in reader.metadata
    assert "/ID" not in reader.trailer


def test_les_valeurs_gardent_leur_type_et_leur_empreinte():
    from datetime import UTC, datetime
    from decimal import Decimal

    valeurs = {"montant": Decimal("1234.50"), "le": date(2027, 1, 1), "taux": 0.5,
               "a": datetime(2026, 12, 14, 8, 30, tzinfo=UTC), "lignes": [("2024", 3)]}
    texte = outbox.valeurs_json(valeurs)
    assert outbox.valeurs_json(dict(reversed(valeurs.items()))) == texte  # canonical
    retour = outbox.valeurs_de(texte)
    assert retour["montant"] == Decimal("1234.50") and isinstance(retour["montant"], Decimal)
    assert retour["le"] == date(2027, 1, 1) and retour["a"] == valeurs["a"]
    assert retour["lignes"] == [["2024", 3]]
    with pytest.raises(TypeError):
        outbox.valeurs_json({"x": object()})


# ----- never lost ---------------------------------------------------------------------------
def test_un_processus_mort_entre_le_commit_et_le_pdf_laisse_un_courrier_que_le_worker_fait(
        rt, session_factory, users, store, monkeypatch):
    iid = convoque(rt, session_factory, users)  # committed; no PDF made by the step's process

    def meurt(html):  # a worker killed in the middle of WeasyPrint (not an Exception)
        raise SystemExit("processus arrêté")

    monkeypatch.setattr(rendu, "html_vers_pdf", meurt)
    with pytest.raises(SystemExit):
        outbox.drain(session_factory, store)
    courrier = courrier_of(session_factory, iid)
    assert (courrier.status, courrier.attempts) == ("pending", 1)  # claimed, never finished
    monkeypatch.undo()
    assert outbox.drain(session_factory, store) == 0  # leased to the dead worker for a while
    advance_clock(seconds=outbox.BAIL.total_seconds() + 1)
    worker = outbox.CourrierWorker(session_factory, store)
    assert worker.tick() >= 1  # another worker, later
    assert courrier_of(session_factory, iid).status == "done"
    assert document_of(session_factory, courrier).stored_name is not None
    assert len(fichiers(store)) >= 1


def test_un_rendu_en_echec_est_compte_et_retente_sans_perdre_le_courrier(
        rt, session_factory, users, store, monkeypatch):
    iid = convoque(rt, session_factory, users)

    def casse(html):
        raise RuntimeError("police introuvable")

    monkeypatch.setattr(rendu, "html_vers_pdf", casse)
    assert outbox.drain(session_factory, store) >= 1
    courrier = courrier_of(session_factory, iid)
    assert (courrier.status, courrier.attempts) == ("pending", 1)
    assert "police introuvable" in courrier.last_error and courrier.retry_at > clock.now()
    assert outbox.drain(session_factory, store) == 0  # waits before trying again
    advance_clock(seconds=31)
    outbox.drain(session_factory, store)
    courrier = courrier_of(session_factory, iid)
    assert courrier.attempts == 2 and courrier.retry_at - clock.now() > timedelta(seconds=50)
    monkeypatch.undo()
    advance_clock(minutes=2)
    outbox.drain(session_factory, store)
    courrier = courrier_of(session_factory, iid)
    assert (courrier.status, courrier.attempts, courrier.last_error) == ("done", 3, None)
    assert outils.letter_count(session_factory, iid, CONVOCATION) == 1


def test_des_valeurs_alterees_ne_donnent_pas_de_pdf(rt, session_factory, users, store):
    iid = convoque(rt, session_factory, users)
    with session_factory() as session, session.begin():
        row = session.scalar(select(Courrier).where(Courrier.instance_id == iid))
        row.valeurs = row.valeurs.replace("10 rue de la Santé", "1 rue Ailleurs")
    outbox.drain(session_factory, store)
    courrier = courrier_of(session_factory, iid)
    assert courrier.status == "pending" and "empreinte" in courrier.last_error
    assert fichiers(store) == []


def test_deux_rendus_en_meme_temps_ne_gardent_qu_un_pdf(rt, session_factory, users, store,
                                                        monkeypatch):
    iid = convoque(rt, session_factory, users)
    courrier_id = courrier_of(session_factory, iid).id
    vrai = rendu.html_vers_pdf

    def pendant_le_rendu(html):  # a first download comes while the worker renders
        monkeypatch.setattr(rendu, "html_vers_pdf", vrai)
        assert outbox.rendre(session_factory, store, courrier_id, forcer=True)
        return vrai(html)

    monkeypatch.setattr(rendu, "html_vers_pdf", pendant_le_rendu)
    outbox.rendre(session_factory, store, courrier_id)
    document = document_of(session_factory, courrier_of(session_factory, iid))
    assert fichiers(store) == [store.path(document.stored_name)]  # the late copy is dropped
    assert courrier_of(session_factory, iid).status == "done"


# ----- first download -----------------------------------------------------------------------
@pytest.fixture
def soumis(client, session_factory, users):
    deploy_all(session_factory)
    advance_clock(days=(date(2026, 11, 21) - clock.today()).days)
    numero = start_request(client)
    submitted_request(client, numero)
    with session_factory() as session:
        return session.scalar(select(Message).where(Message.document_id.is_not(None)))


def test_le_premier_telechargement_fait_le_pdf_puis_rend_toujours_les_memes_octets(
        app, client, session_factory, soumis):
    with session_factory() as session:
        assert session.get(Document, soumis.document_id).stored_name is None  # not yet made
    first = client.get(f"/assure/documents/{soumis.document_id}")
    assert first.status_code == 200 and first.data.startswith(b"%PDF")
    with session_factory() as session:
        document = session.get(Document, soumis.document_id)
        courrier = session.scalar(select(Courrier).where(
            Courrier.document_id == soumis.document_id))
    assert courrier.status == "done" and document.sha256 == hashlib.sha256(first.data).hexdigest()
    second = client.get(f"/assure/documents/{soumis.document_id}")
    assert second.data == first.data
    assert "Accusé de réception" in texte_pdf(first.data)


def test_un_pdf_qui_echoue_au_premier_telechargement_est_un_503_en_francais(
        client, session_factory, soumis, monkeypatch):
    def casse(html):
        raise RuntimeError("police introuvable")

    monkeypatch.setattr(rendu, "html_vers_pdf", casse)
    response = client.get(f"/assure/documents/{soumis.document_id}")
    assert response.status_code == 503
    assert "en cours de préparation" in response.get_data(as_text=True)
    with session_factory() as session:
        courrier = session.scalar(select(Courrier).where(
            Courrier.document_id == soumis.document_id))
    assert (courrier.status, courrier.attempts) == ("pending", 1)
    monkeypatch.undo()
    assert client.get(f"/assure/documents/{soumis.document_id}").status_code == 200


def test_l_agent_telecharge_aussi_un_courrier_pas_encore_fait(client, session_factory, soumis):
    login(client, "agent.cramif")
    response = client.get(f"/agent/documents/{soumis.document_id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
