"""Claims and suspension (issue #11, defect 6): completing a task requires holding it — a free
task is taken by whoever submits it, said on the page, the API included —; a suspended
dossier's tasks are shown suspended and refused; terminating an instance tells the assuré and
gives the dossier the statut « arrete »."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from app.engine.errors import Conflict, Forbidden
from app.models import AuditLog, Message

from .conftest import html, login
from .test_instruction_outils import dossier, dossier_recu, task, verifier

VERIFICATION = {"avis_conditions": "confirme", "pieces_completes": "true"}


def verification(session_factory, instance_id) -> dict:
    """What the verification page sends (its pre-computed caisse data), as JSON."""
    from app.models import Dossier
    from app.web.agent.conditions import preparer_verification

    with session_factory() as session:
        row = session.scalar(select(Dossier).where(Dossier.instance_id == instance_id))
        values = {"avis_conditions": "confirme", "pieces_completes": True,
                  **preparer_verification(session, row)}
    return json.loads(json.dumps(values, default=str))


def claims(session_factory) -> list[dict]:
    with session_factory() as session:
        return list(session.scalars(select(AuditLog.details).where(
            AuditLog.action == "task_claimed").order_by(AuditLog.id)))


# ----- holding a task -----------------------------------------------------------------------
def test_a_free_task_is_taken_by_whoever_completes_it(web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    agent = users["agent.cramif"]
    verifier(web, session_factory, iid, agent)
    with session_factory() as session:
        from app.models import HumanTask

        done = session.get(HumanTask, row.id)
        assert (done.status, done.claimed_by_id, done.completed_by_id) == (
            "completed", agent.id, agent.id)
    assert claims(session_factory) == [{"a_l_envoi": True}]


def test_a_task_held_by_a_colleague_cannot_be_completed(web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    web.claim(row.id, users["agent.cramif"])
    with pytest.raises(Forbidden):
        web.complete_task(row.id, users["agent2.cramif"], {"avis_conditions": "confirme",
                                                           "pieces_completes": True})
    assert task(session_factory, iid, "verification_administrative").claimed_by_id == \
        users["agent.cramif"].id


def test_the_task_page_says_submitting_takes_the_task(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    page = html(client.get(f"/agent/taches/{row.id}"))
    assert "en envoyant le formulaire, vous prenez cette tâche à votre nom" in page
    client.post(f"/agent/taches/{row.id}", data=VERIFICATION)
    with session_factory() as session:
        from app.models import HumanTask

        assert session.get(HumanTask, row.id).claimed_by_id == users["agent.cramif"].id


def test_the_api_completes_a_task_under_the_same_rule(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    web.claim(row.id, users["agent2.cramif"])
    login(client, "agent.cramif")
    refused = client.post(f"/api/taches/{row.id}/completer",
                          json={"donnees": verification(session_factory, iid)})
    assert refused.status_code == 403
    web.unclaim(row.id, users["agent2.cramif"])
    done = client.post(f"/api/taches/{row.id}/completer",
                       json={"donnees": verification(session_factory, iid)})
    assert done.status_code == 200, done.get_json()
    assert claims(session_factory)[-1] == {"a_l_envoi": True}


# ----- suspension ---------------------------------------------------------------------------
@pytest.fixture
def suspended(web, users, session_factory):
    iid = dossier_recu(web, users)
    web.set_status(iid, "suspended", users["superviseur"], "contrôle")
    return iid


def test_a_suspended_dossiers_task_is_refused(web, users, session_factory, suspended):
    row = task(session_factory, suspended, "verification_administrative")
    with pytest.raises(Conflict, match="suspendu"):
        web.claim(row.id, users["agent.cramif"])
    with pytest.raises(Conflict, match="suspendu"):
        web.complete_task(row.id, users["agent.cramif"], {"avis_conditions": "confirme",
                                                          "pieces_completes": True})
    assert task(session_factory, suspended, "verification_administrative").claimed_by_id is None
    web.set_status(suspended, "running", users["superviseur"])
    web.claim(row.id, users["agent.cramif"])  # resumed: the task can be taken again


def test_a_suspended_dossiers_task_is_shown_suspended(client, web, users, session_factory,
                                                       suspended):
    row = task(session_factory, suspended, "verification_administrative")
    login(client, "agent.cramif")
    inbox = html(client.get("/agent/?vue=a_prendre"))
    assert dossier(session_factory, suspended).numero in inbox and ">Suspendue</p>" in inbox
    page = html(client.get(f"/agent/taches/{row.id}"))
    assert "Ce dossier est suspendu par un superviseur" in page
    assert "Prendre la tâche" not in page and 'name="avis_conditions"' not in page
    refused = client.post(f"/agent/taches/{row.id}", data=VERIFICATION)
    assert refused.status_code == 409 and "suspendu" in html(refused)
    assert client.get("/api/taches").get_json()[0]["suspendue"] is True


# ----- termination --------------------------------------------------------------------------
def test_terminating_tells_the_assure_and_marks_the_dossier(client, web, users,
                                                            session_factory):
    iid = dossier_recu(web, users)
    numero = dossier(session_factory, iid).numero
    login(client, "superviseur")
    refused = client.post(f"/supervision/instances/{iid}/arreter", data={"motif": " "})
    assert refused.status_code == 303 and dossier(session_factory, iid).statut != "arrete"
    client.post(f"/supervision/instances/{iid}/arreter", data={"motif": "doublon"})
    assert dossier(session_factory, iid).statut == "arrete"
    with session_factory() as session:
        notice = session.scalars(select(Message).where(
            Message.recipient_id == users["marie.durand"].id,
            Message.objet.contains("arrêté"))).one()
    assert numero in notice.objet and "contactez votre caisse" in notice.corps_html
    client.post("/deconnexion")
    login(client, "marie.durand")
    assert "Dossier arrêté par la caisse" in html(client.get("/assure/dossiers"))
