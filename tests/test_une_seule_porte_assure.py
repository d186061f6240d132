"""One door, on the assuré's side too (issue 12, point 5): the request's steps, ameliBot, the
answer to a request for documents and the contestation complete their task through
app/web/shared/completion.py, as `POST /api/taches/<id>/completer` does.

So a forged `readOnly` value posted through the assuré's page is ignored exactly as through
the API (the server sets the identity, the dossier and the tax notice), and a task completed
through the API leaves the same stored data as through its page: the documents the person
really added, the accusé de réception and the audit line of the sending.
"""
from __future__ import annotations

import io

from sqlalchemy import select

from app.documents.depot import garder_document
from app.engine.clock import clock
from app.models import AuditLog, Document, Dossier, HumanTask, Message
from app.web.assure.outils import identite
from app.web.assure.pieces import ENVOYEES
from app.web.assure.recours import ENVOYEE

from .assure_aide import (
    dossier_of,
    fill_until_recap,
    form_action,
    pdf_bytes,
    start_request,
    step,
    submit_recap,
)
from .test_instruction_outils import _data_of, task
from .test_instruction_pieces import demander_pieces
from .test_recours import refus_administratif

KIND = "avis_imposition"


def _foreign_document(session_factory, owner_id: int, instance_id: int) -> int:
    """A document of somebody else: its id is what a forger would post."""
    with session_factory() as session, session.begin():
        doc = Document(owner_id=owner_id, instance_id=instance_id, kind=KIND,
                       original_name="avis.pdf", stored_name="x", sha256="a" * 64, size=1,
                       content_type="application/pdf", created_at=clock.now())
        session.add(doc)
        session.flush()
        return doc.id


def _forged(foreign_id: int) -> dict:
    return {KIND: {"document_id": foreign_id, "sha256": "a" * 64, "nom": "faux.pdf",
                   "pages": 9},
            "identite": {"nom": "FORGE", "prenom": "Faux", "adresse": "1 rue Fausse",
                         "code_postal": "69007", "ville": "Lyon", "email": "faux@forge.fr"},
            "dossier": {"numero": "INV-FORGE", "caisse": "CPAM 69"}}


def _as_form(data: dict) -> dict:
    """The forged values as the fields an HTML form would post (dotted names)."""
    return {f"{group}.{name}": str(value) for group, values in data.items()
            for name, value in values.items()}


def _at_tax_notice(client, who: str) -> str:
    numero = start_request(client, who)
    fill_until_recap(client, numero)
    assert submit_recap(client, numero).status_code == 303
    return numero


def _sent_data(session_factory, numero: str) -> dict:
    """What the request handed over, as the agent's verification task holds it."""
    return _data_of(session_factory, dossier_of(session_factory, numero).instance_id,
                    "verification_administrative")


def _expected(user, dossier: Dossier, document: Document) -> dict:
    return {"identite": {k: v for k, v in identite(user).items() if v is not None},
            "dossier": {"numero": dossier.numero, "caisse": dossier.caisse_code},
            KIND: {"document_id": document.id, "sha256": document.sha256,
                   "nom": document.original_name, "pages": 2}}


def _own_notice(session_factory, user_id: int, instance_id: int) -> Document:
    with session_factory() as session:
        return session.scalar(select(Document).where(
            Document.owner_id == user_id, Document.instance_id == instance_id,
            Document.kind == KIND).order_by(Document.id.desc()).limit(1))


def test_a_forged_readonly_value_is_ignored_by_the_page_as_by_the_api(
        app, client, web, users, session_factory):
    """The tax notice step, posted with another person's identity, dossier number, caisse
    and document: through the page (with the PDF) and through the API (the PDF uploaded
    before), the request goes with the account's identity, its own dossier and its own
    notice — the same stored data by either door."""
    numero_api = _at_tax_notice(client, "paul.martin")
    paul = dossier_of(session_factory, numero_api)
    with session_factory() as session, session.begin():  # Paul's PDF, uploaded beforehand
        garder_document(session, app.extensions["invalidite"].store, nom="avis.pdf",
                        content=pdf_bytes(), content_type="application/pdf", kind=KIND,
                        owner_id=users["paul.martin"].id, instance_id=paul.instance_id,
                        user_id=users["paul.martin"].id, action="document_depose")
    client.post("/deconnexion")
    numero_page = _at_tax_notice(client, "marie.durand")
    marie = dossier_of(session_factory, numero_page)
    forged = _forged(_foreign_document(session_factory, users["emma.leroy"].id,
                                       paul.instance_id))

    page = step(client, numero_page)
    sent = client.post(form_action(page), content_type="multipart/form-data", data={
        **_as_form(forged), KIND: (io.BytesIO(pdf_bytes()), "avis.pdf")})
    assert sent.status_code == 303
    client.post("/deconnexion")
    client.post("/connexion", data={"email": "paul.martin@demo.fr", "password": "demo"})
    with session_factory() as session:
        row = session.scalar(select(HumanTask).where(
            HumanTask.instance_id == paul.instance_id, HumanTask.status == "open"))
    done = client.post(f"/api/taches/{row.id}/completer", json={"donnees": forged})
    assert done.status_code == 200, done.get_json()

    by_page, by_api = (_sent_data(session_factory, n) for n in (numero_page, numero_api))
    for data, who, dossier in ((by_page, "marie.durand", marie),
                               (by_api, "paul.martin", paul)):
        expected = _expected(users[who], dossier, _own_notice(
            session_factory, users[who].id, dossier.instance_id))
        assert {k: data[k] for k in expected} == expected, who
    assert set(by_page) == set(by_api)
    for numero in (numero_page, numero_api):
        assert dossier_of(session_factory, numero).date_reception == clock.today()


# ----- the contestation: the same documents, receipt and audit line by either door ----------
def _contest_data(session_factory, iid: int) -> dict:
    return _data_of(session_factory, iid, "examen_cra")


def _join_directly(app, session_factory, row: HumanTask, user_id: int) -> None:
    """A file joined to the contestation (as « Joindre ces fichiers » stores it)."""
    with session_factory() as session, session.begin():
        garder_document(session, app.extensions["invalidite"].store, nom="attestation.pdf",
                        content=pdf_bytes(1), content_type="application/pdf",
                        kind="piece_contestation", owner_id=user_id,
                        instance_id=row.instance_id, user_id=user_id,
                        action="document_depose", element_id=row.element_id)


def _receipts(session_factory, iid: int) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(Message.objet).where(
            Message.instance_id == iid, Message.objet.like("Accusé de réception%"))))


def _sendings(session_factory, iid: int) -> list[dict]:
    with session_factory() as session:
        return [row.details for row in session.scalars(select(AuditLog).where(
            AuditLog.instance_id == iid, AuditLog.action == ENVOYEE))]


def test_a_contestation_sent_through_the_api_leaves_what_its_page_leaves(
        app, client, web, users, session_factory):
    """Through the page and through the API, the contestation goes with the documents the
    assuré joined (an id sent in the body is never taken), its receipt is posted and the
    sending is recorded: the same stored data."""
    emma = users["emma.leroy"]
    by_page, by_api = (refus_administratif(web, session_factory, users) for _ in range(2))
    motifs = "Mes trimestres à l'étranger n'ont pas été comptés."
    for iid in (by_page, by_api):
        _join_directly(app, session_factory, task(session_factory, iid, "contester"), emma.id)
    login_as_emma = {"email": "emma.leroy@demo.fr", "password": "demo"}
    assert client.post("/connexion", data=login_as_emma).status_code == 302

    row = task(session_factory, by_page, "contester")
    page = client.post(f"/assure/recours/{row.id}", data={
        "_action": "submit", "nature_contestation": "administrative",
        "motifs_contestation": motifs})
    assert page.status_code == 302
    row = task(session_factory, by_api, "contester")
    api = client.post(f"/api/taches/{row.id}/completer", json={"donnees": {
        "nature_contestation": "administrative", "motifs_contestation": motifs,
        "documents_contestation": [{"document_id": 1, "nom": "vole.pdf"}]}})
    assert api.status_code == 200, api.get_json()

    stored = {iid: _contest_data(session_factory, iid) for iid in (by_page, by_api)}
    for iid, data in stored.items():
        assert [d["nom"] for d in data["documents_contestation"]] == ["attestation.pdf"]
        assert data["motifs_contestation"] == motifs
        assert len(_receipts(session_factory, iid)) == 1
        (sending,) = _sendings(session_factory, iid)
        assert sending["documents"] == [d["document_id"]
                                        for d in data["documents_contestation"]]
    assert set(stored[by_page]) == set(stored[by_api])


# ----- the answer to a request for documents ----------------------------------------------
def test_documents_sent_through_the_api_are_those_the_assure_added(app, client, web, users,
                                                                   session_factory):
    """« Envoyer mes documents » through the API: the documents sent are those the assuré
    added for this request (another person's document id in the body is not taken), and
    the receipt is posted and the sending recorded, as by the page."""
    marie = users["marie.durand"]
    iid = demander_pieces(web, session_factory, users)
    row = task(session_factory, iid, "fournir_pieces")
    with session_factory() as session, session.begin():
        mine = garder_document(session, app.extensions["invalidite"].store, nom="attestation.pdf",
                               content=pdf_bytes(1), content_type="application/pdf",
                               kind="piece_justificative", owner_id=marie.id,
                               instance_id=iid, user_id=marie.id, action="document_depose")
        mine_id = mine.id
    foreign = _foreign_document(session_factory, users["emma.leroy"].id, iid)
    assert client.post("/connexion", data={"email": "marie.durand@demo.fr",
                                           "password": "demo"}).status_code == 302
    done = client.post(f"/api/taches/{row.id}/completer", json={"donnees": {
        "documents_deposes": [{"document_id": foreign, "nom": "vole.pdf"}],
        "message_assure": "Voici mes documents."}})
    assert done.status_code == 200, done.get_json()
    data = _data_of(session_factory, iid, "verification_administrative")
    assert data["documents_deposes"] == [{"document_id": mine_id, "nom": "attestation.pdf"}]
    assert data["message_assure"] == "Voici mes documents."
    assert len(_receipts(session_factory, iid)) == 1
    with session_factory() as session:
        sent = session.scalars(select(AuditLog).where(
            AuditLog.instance_id == iid, AuditLog.action == ENVOYEES)).all()
    assert [row.details["documents"] for row in sent] == [[mine_id]]
