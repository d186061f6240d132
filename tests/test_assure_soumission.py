"""« Je valide ma demande »: one click = one dossier and one accusé de réception, even on a
double click or a replayed POST; the receipt date comes from the app clock, the deadline from
the domain (receipt + 2 months), the competent caisse from the postcode."""
from __future__ import annotations

import io
import threading
from datetime import date

import pytest
from pypdf import PdfReader
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from app.documents.delivery import corps_des_messages
from app.engine.clock import clock
from app.models import AuditLog, Dossier, HumanTask, Message, ProcessInstance

from .assure_aide import (
    NON_SALARIE,
    accuses,
    avis_documents,
    count,
    deploy_all,
    dossier_of,
    fill_until_recap,
    form_action,
    page_text,
    pdf_bytes,
    start_request,
    step,
    submit_recap,
    submitted_request,
    upload,
)
from .conftest import advance_clock, login


@pytest.fixture(autouse=True)
def deployed(session_factory, users):
    return deploy_all(session_factory)


def _move_clock_to(day: date) -> None:
    advance_clock(days=(day - clock.today()).days)


def test_submission_records_receipt_deadline_and_sends_the_accuse(client, session_factory,
                                                                  users):
    _move_clock_to(date(2026, 11, 21))
    numero = start_request(client)
    submitted_request(client, numero)
    dossier = dossier_of(session_factory, numero)
    # « recue » at submission; the instruction (issue 4) may already have moved it on.
    assert dossier.statut not in ("brouillon", "clos")
    with session_factory() as session:
        statuts = [a.details.get("statut") for a in session.scalars(select(AuditLog).where(
            AuditLog.action == "dossier_mis_a_jour",
            AuditLog.instance_id == dossier.instance_id).order_by(AuditLog.id))]
    assert statuts[0] == "recue"
    assert dossier.date_reception == date(2026, 11, 21)
    assert dossier.date_limite_decision == date(2027, 1, 21)
    assert dossier.caisse_code == "CRAMIF"
    assert accuses(session_factory, users["marie.durand"].id) == 1
    with session_factory() as session:
        message = session.scalar(select(Message).where(Message.instance_id ==
                                                       dossier.instance_id))
        corps = corps_des_messages(session, [message])[message.id]  # rendered on read
    assert message.objet == "Accusé de réception demande de pension d'invalidité"
    assert "21 novembre 2026" in corps
    assert "17-19 avenue de Flandre" in corps  # CRAMIF appeal variant
    text = page_text(client.get(f"/assure/dossiers/{numero}"))
    assert "Décision attendue au plus tard le 21 janvier 2027" in text


def test_the_end_of_month_rule_applies_to_the_deadline(client, session_factory):
    _move_clock_to(date(2026, 12, 31))
    numero = start_request(client)
    submitted_request(client, numero)
    assert dossier_of(session_factory, numero).date_limite_decision == date(2027, 2, 28)


def test_outside_the_cramif_the_accuse_points_to_the_local_cpam(client, session_factory):
    numero = start_request(client, "julie.petit")
    submitted_request(client, numero, situation=NON_SALARIE)
    dossier = dossier_of(session_factory, numero)
    assert dossier.caisse_code == "CPAM 77"
    with session_factory() as session:
        message = session.scalar(select(Message).where(
            Message.instance_id == dossier.instance_id))
        corps = corps_des_messages(session, [message])[message.id]  # rendered on read
    assert "CPAM 77" in corps and "avenue de Flandre" not in corps


def test_the_process_hands_the_request_to_the_instruction(client, session_factory, app):
    numero = start_request(client)
    submitted_request(client, numero)
    dossier = dossier_of(session_factory, numero)
    with session_factory() as session:
        tasks = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == dossier.instance_id, HumanTask.status == "open")).all()
        instance = session.get(ProcessInstance, dossier.instance_id)
        # The submission script's data, as the call activity receives it.
        workflow = app.extensions["invalidite"].runtime.workflow_of(session, instance)
        data = next(t.data for t in workflow.get_tasks()
                    if t.task_spec.name == "enregistrer_demande")
    reached = {t.task_spec.name for t in workflow.get_tasks(state=TaskState.DEFINITE_MASK |
                                                             TaskState.COMPLETED)}
    assert instance.status == "running" and "instruire_demande" in reached
    assert all(t.role != "assure" for t in tasks)
    assert all(t.caisse_code == "CRAMIF" for t in tasks)
    assert data["numero_dossier"] == numero and data["caisse"] == "CRAMIF"
    assert data["date_reception"] == dossier.date_reception.isoformat()
    assert data["date_limite_decision"] == dossier.date_limite_decision.isoformat()
    assert data["nationalite"] == "francaise"
    assert set(data["demande"]) >= {"identite", "coordonnees", "situation", "informations"}
    assert data["demande"]["situation"]["salariee"]["employeur_nom"] == "Société Lelièvre"
    assert set(data["avis_imposition"]) == {"document_id", "sha256", "nom", "pages"}
    assert data["avis_imposition"]["pages"] == 2


def test_double_submit_gives_one_dossier_and_one_accuse(client, session_factory, users):
    numero = start_request(client)
    fill_until_recap(client, numero)
    submit_recap(client, numero)
    action = form_action(step(client, numero))  # the page as the browser holds it
    first = client.post(action, data={"avis_imposition": (io.BytesIO(pdf_bytes()), "a.pdf")},
                        content_type="multipart/form-data")
    replay = client.post(action, data={"avis_imposition": (io.BytesIO(pdf_bytes()), "a.pdf")},
                         content_type="multipart/form-data")
    assert first.status_code == 303
    assert replay.status_code == 409
    text = page_text(replay)
    assert "Votre demande a déjà été envoyée" in text
    assert f"/assure/dossiers/{numero}" in text
    marie = users["marie.durand"].id
    assert count(session_factory, Dossier, Dossier.assure_id == marie) == 1
    assert accuses(session_factory, marie) == 1
    assert avis_documents(session_factory, marie) == 1


def test_two_simultaneous_clicks_give_one_accuse(app, session_factory, users):
    clients = [app.test_client() for _ in range(2)]
    numero = start_request(clients[0])
    login(clients[1], "marie.durand")
    fill_until_recap(clients[0], numero)
    submit_recap(clients[0], numero)
    action = form_action(step(clients[0], numero))
    barrier = threading.Barrier(2)
    statuses = []

    def click(c):
        barrier.wait()
        response = c.post(action, data={"avis_imposition": (io.BytesIO(pdf_bytes()), "a.pdf")},
                          content_type="multipart/form-data")
        statuses.append(response.status_code)

    threads = [threading.Thread(target=click, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 409]
    marie = users["marie.durand"].id
    assert accuses(session_factory, marie) == 1
    assert avis_documents(session_factory, marie) == 1


def test_the_recapitulatif_pdf_is_downloadable_after_submission(client, session_factory):
    numero = start_request(client)
    assert client.get(f"/assure/dossiers/{numero}/recapitulatif.pdf").status_code == 404
    submitted_request(client, numero)
    response = client.get(f"/assure/dossiers/{numero}/recapitulatif.pdf")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    for expected in (numero, "Société Lelièvre", "Ma situation actuelle", "Française",
                     "Aucune de ces propositions", "SHA-256"):
        assert expected in text, expected


def test_the_new_address_of_the_account_is_in_the_submitted_request(client, session_factory):
    numero = start_request(client)
    fill_until_recap(client, numero)
    client.post("/assure/informations", data={"adresse": "5 rue Neuve", "code_postal": "75012",
                                              "ville": "Paris", "telephone": "0612345678"})
    submit_recap(client, numero)
    assert upload(client, numero, pdf_bytes()).status_code == 303
    response = client.get(f"/assure/dossiers/{numero}/recapitulatif.pdf")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    assert "5 rue Neuve" in text and "Roquette" not in text
