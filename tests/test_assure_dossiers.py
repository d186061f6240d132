"""Mes dossiers and the messagerie: the timeline and deadline of a dossier, its messages, and
nothing of another assuré's dossier can be read, changed or downloaded."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from app.engine.clock import clock
from app.models import Dossier, HumanTask, Message

from .assure_aide import (
    COORDONNEES,
    deploy_all,
    dossier_of,
    form_action,
    page_text,
    pdf_bytes,
    start_request,
    step,
    submit_step,
    submitted_request,
)
from .conftest import advance_clock, login


@pytest.fixture(autouse=True)
def deployed(session_factory, users):
    return deploy_all(session_factory)


@pytest.fixture
def submitted(client):
    advance_clock(days=(date(2026, 11, 21) - clock.today()).days)
    numero = start_request(client)
    submitted_request(client, numero)
    return numero


def _set_statut(session_factory, numero, statut):
    with session_factory() as session, session.begin():
        session.scalar(select(Dossier).where(Dossier.numero == numero)).statut = statut


# ----- the dossier page ------------------------------------------------------------------------
def test_a_submitted_dossier_shows_its_timeline_deadline_and_messages(client, submitted):
    text = page_text(client.get(f"/assure/dossiers/{submitted}"))
    assert "Décision attendue au plus tard le 21 janvier 2027" in text
    assert "reçue le 21 novembre 2026" in text
    for label in ("Demande reçue", "Instruction", "Examen médical", "Décision"):
        assert label in text
    assert 'aria-current="step"' in text  # the current step is marked
    assert "Accusé de réception demande de pension d'invalidité" in text
    assert "Récapitulatif de ma demande" in text and "Mon avis d'imposition" in text


@pytest.mark.parametrize("statut", ["recue", "instruction", "pieces_demandees",
                                    "examen_medical", "decision"])
def test_the_current_step_follows_the_history_not_the_statut(client, session_factory,
                                                              submitted, statut):
    """The timeline tells what happened (app/engine/history.py): whatever the statut says,
    the step under way is the task actually open."""
    _set_statut(session_factory, submitted, statut)
    body = client.get(f"/assure/dossiers/{submitted}").get_data(as_text=True)
    marked = body.split('aria-current="step"', 1)[1]
    assert marked.split("</li>", 1)[0].count("Vérification administrative") == 1


def test_a_statut_alone_marks_no_step_done(client, session_factory, submitted):
    """Was « a decided dossier has every step done » (statut-derived timeline): a statut
    changed without anything happening shows no step as done nor any decision."""
    _set_statut(session_factory, submitted, "accord")
    body = client.get(f"/assure/dossiers/{submitted}").get_data(as_text=True)
    assert 'aria-current="step"' in body
    assert "Décision : " not in body
    assert "Décision attendue" not in body  # the deadline callout still follows the statut
    examen = body.split("Examen médical</span>", 1)[0].rsplit("<li", 1)[1]
    assert "assure-frise__etape--a_venir" in examen


def test_a_draft_dossier_offers_to_resume(client):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    text = page_text(client.get(f"/assure/dossiers/{numero}"))
    assert "Votre demande n'est pas encore envoyée" in text
    assert "Reprendre ma demande" in text and "Ma situation professionnelle" in text


def test_mes_dossiers_lists_the_assure_s_dossiers_only(client, submitted):
    client.post("/deconnexion")
    other = start_request(client, "paul.martin")
    text = page_text(client.get("/assure/dossiers"))
    assert other in text and submitted not in text


def test_other_assure_tasks_of_the_dossier_open_the_generic_form(client, session_factory, app,
                                                                  submitted, monkeypatch):
    """An assuré task added by the back office (not one of the request's steps) is listed on
    the dossier page and rendered from its JSON Schema form; a page registered for its kind of
    screen (its `ecran` property in the diagram) takes it over."""
    from app.web.assure import pages as assure_pages
    from app.web.assure import routes as assure_routes

    dossier = dossier_of(session_factory, submitted)
    with session_factory() as session, session.begin():
        session.add(HumanTask(instance_id=dossier.instance_id, spiff_task_id="0" * 36,
                              element_id="repondre", title="Répondre à la caisse",
                              role="assure", assignee_id=dossier.assure_id, form=None,
                              status="open", created_at=clock.now()))
    text = page_text(client.get(f"/assure/dossiers/{submitted}"))
    assert "Répondre à la caisse" in text
    assert "Répondre à la caisse" in page_text(client.get("/assure/"))  # « Démarches à faire »
    with session_factory() as session:
        row = session.scalar(select(HumanTask).where(HumanTask.element_id == "repondre"))
    assert f"/assure/taches/{row.id}" in text
    assert client.get(f"/assure/taches/{row.id}").status_code == 200  # generic, no form
    # This task has no spec in the diagram: it says here that its screen is a `reponse`.
    monkeypatch.setattr(assure_routes, "ecran_kind", lambda task: "reponse" if task.id == row.id
                        else None)
    monkeypatch.setitem(assure_pages.TASK_PAGES, "reponse", "assure.messagerie")
    response = client.get(f"/assure/taches/{row.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/assure/messagerie?task_id=")


def test_dossier_actions_from_the_back_office_are_shown(client, submitted):
    from app.web.assure import pages as assure_pages

    def contester(dossier):
        return [("Contester la décision", f"/assure/recours/{dossier.numero}")]

    assure_pages.DOSSIER_ACTIONS.append(contester)
    try:
        text = page_text(client.get(f"/assure/dossiers/{submitted}"))
    finally:
        assure_pages.DOSSIER_ACTIONS.remove(contester)
    assert "Contester la décision" in text and f"/assure/recours/{submitted}" in text


# ----- isolation between assurés ---------------------------------------------------------------
def test_another_assure_can_neither_read_nor_change_nor_download(client, session_factory,
                                                                submitted):
    dossier = dossier_of(session_factory, submitted)
    with session_factory() as session:
        message = session.scalar(select(Message).where(Message.instance_id ==
                                                       dossier.instance_id))
        task = session.scalar(select(HumanTask).where(HumanTask.instance_id ==
                                                      dossier.instance_id))
    client.post("/deconnexion")
    login(client, "paul.martin")
    for url in (f"/assure/dossiers/{submitted}", f"/assure/demande/{submitted}",
                f"/assure/dossiers/{submitted}/recapitulatif.pdf",
                f"/assure/demande/{submitted}/modifier-informations",
                f"/assure/messagerie/{message.id}", f"/assure/documents/{message.document_id}",
                f"/assure/taches/{task.id}"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/assure/demande/{submitted}?tache={task.id}",
                       data=COORDONNEES).status_code == 404
    assert client.post(f"/assure/taches/{task.id}", data={}).status_code == 404
    with session_factory() as session:
        assert session.get(Message, message.id).read_at is None


def test_another_assure_cannot_fill_someone_else_s_draft(client, session_factory):
    numero = start_request(client)
    action = form_action(step(client, numero))
    client.post("/deconnexion")
    login(client, "paul.martin")
    assert client.post(action, data=COORDONNEES).status_code == 404
    client.post("/deconnexion")
    login(client, "marie.durand")
    assert "Étape 1 sur 5" in page_text(step(client, numero))


def test_staff_cannot_open_the_assure_pages(client, submitted):
    client.post("/deconnexion")
    login(client, "agent.cramif")
    for url in ("/assure/", f"/assure/dossiers/{submitted}", "/assure/messagerie"):
        assert client.get(url).status_code == 403


# ----- messagerie ------------------------------------------------------------------------------
def test_messagerie_lists_counts_unread_and_marks_read(client, session_factory, submitted):
    text = page_text(client.get("/assure/messagerie"))
    assert "Accusé de réception demande de pension d'invalidité" in text
    assert "1 message non lu" in text
    assert 'assure-compteur">(1 non lu)' in text  # in the header on every assuré page
    with session_factory() as session:
        message = session.scalar(select(Message))
    text = page_text(client.get(f"/assure/messagerie/{message.id}"))
    assert "Nous avons bien reçu votre demande de pension d'invalidité" in text
    assert f"/assure/documents/{message.document_id}" in text
    with session_factory() as session:
        assert session.get(Message, message.id).read_at is not None
    text = page_text(client.get("/assure/messagerie"))
    assert "non lu" not in text.replace("Tous vos messages sont lus", "")


def test_the_letter_pdf_downloads_as_an_attachment(client, session_factory, submitted):
    with session_factory() as session:
        message = session.scalar(select(Message))
    response = client.get(f"/assure/documents/{message.document_id}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("attachment;")


def test_home_shows_unread_messages_and_the_draft(client):
    numero = start_request(client)
    text = page_text(client.get("/assure/"))
    assert "Bonjour Marie" in text and "ameliBot" in text
    assert "Reprendre ma demande" in text and numero in text


def test_unknown_numbers_are_404(client):
    login(client, "marie.durand")
    assert client.get("/assure/dossiers/INV-2026-999999").status_code == 404
    assert client.get("/assure/messagerie/999999").status_code == 404
    assert client.get("/assure/documents/999999").status_code == 404
    assert client.get("/assure/taches/999999").status_code == 404
    assert client.post("/assure/demande/demarrer").status_code == 303
    assert pdf_bytes()  # helper sanity


QUESTION_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d"
  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="question_assure" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Assuré">
      <bpmn:flowNodeRef>s</bpmn:flowNodeRef><bpmn:flowNodeRef>q</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>e</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="q" name="Préciser votre situation">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="question_assure.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="q" />
    <bpmn:sequenceFlow id="f2" sourceRef="q" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""
QUESTION_FORM = """{"title": "Préciser votre situation", "type": "object",
  "required": ["date_arret"],
  "properties": {"date_arret": {"type": "string", "format": "date", "x-notFuture": true,
                                "title": "Date de votre arrêt de travail"}}}"""


def test_a_task_without_its_own_page_is_rendered_from_its_form(client, session_factory, users,
                                                              app, tmp_path):
    from app.models import ProcessInstance

    from .conftest import deploy_folder

    (tmp_path / "p").mkdir()
    (tmp_path / "f").mkdir()
    (tmp_path / "p" / "question_assure.bpmn").write_text(QUESTION_BPMN, encoding="utf-8")
    (tmp_path / "f" / "question_assure.json").write_text(QUESTION_FORM, encoding="utf-8")
    deploy_folder(session_factory, tmp_path / "p", tmp_path / "f")
    marie = users["marie.durand"]
    runtime = app.extensions["invalidite"].runtime
    iid = runtime.start("question_assure", user_id=marie.id, owner_id=marie.id)
    with session_factory() as session:
        row = session.scalar(select(HumanTask).where(HumanTask.instance_id == iid))
    login(client, "marie.durand")
    page = client.get(f"/assure/taches/{row.id}")
    text = page_text(page)
    assert page.status_code == 200 and "Date de votre arrêt de travail" in text
    response = client.post(form_action(page), data={"date_arret": "31/02/2025"})
    assert response.status_code == 422
    assert "Saisissez une date réelle au format JJ/MM/AAAA" in page_text(response)
    response = client.post(form_action(page), data={"date_arret": "03/02/2025"})
    assert response.status_code == 302
    with session_factory() as session:
        assert session.get(ProcessInstance, iid).status == "completed"
    again = client.get(f"/assure/taches/{row.id}")
    assert again.status_code == 302  # already done: back to the space, with a notice
