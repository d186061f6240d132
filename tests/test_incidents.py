"""Incidents (issue #11, defect 5): one open incident per failing step — a failed « Relancer »
updates it instead of adding one —, a successful retry resolves it (and any stale one of the
instance), and every message the superviseur reads is in French."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.engine.errors import Conflict, IncidentRaised, NotFound
from app.engine.messages_fr import is_french
from app.models import AuditLog, HumanTask, Incident, ProcessInstance

from .conftest import login


@pytest.fixture
def agent(users):
    return users["agent.cramif"]


@pytest.fixture
def chef(users):
    return users["superviseur"]


@pytest.fixture
def fragile(runtime, deployed_fixtures, agent, session_factory):
    """An instance whose « Diviser » script failed (division by zero): one incident."""
    iid = runtime.start("etape_fragile", user_id=agent.id, caisse_code="CRAMIF")
    with session_factory() as session:
        task_id = session.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid,
                                                            HumanTask.status == "open"))
    with pytest.raises(IncidentRaised):
        runtime.complete_task(task_id, agent, {"diviseur": 0})
    return iid


def incidents(session_factory, instance_id) -> list[Incident]:
    with session_factory() as session:
        return list(session.scalars(select(Incident).where(Incident.instance_id == instance_id)
                                    .order_by(Incident.id)))


def status(session_factory, instance_id) -> str:
    with session_factory() as session:
        return session.get(ProcessInstance, instance_id).status


def test_a_failed_retry_keeps_one_open_incident(runtime, session_factory, fragile, chef):
    (first,) = incidents(session_factory, fragile)
    for _ in range(2):
        with pytest.raises(IncidentRaised) as raised:
            runtime.retry_incident(first.id, chef)
        assert raised.value.incident_id == first.id
    (still,) = incidents(session_factory, fragile)
    assert still.id == first.id and still.resolved_at is None
    assert status(session_factory, fragile) == "incident"
    with session_factory() as session:
        failures = session.scalars(select(AuditLog.details).where(
            AuditLog.action == "incident_retry_failed")).all()
    assert [d["incident_id"] for d in failures] == [first.id, first.id]


def test_a_failed_retry_keeps_the_corrections_typed(runtime, session_factory, fragile, chef):
    (first,) = incidents(session_factory, fragile)
    with pytest.raises(IncidentRaised):
        runtime.retry_incident(first.id, chef, corrections={"diviseur": 0, "note": "essai"})
    (still,) = incidents(session_factory, fragile)
    assert still.pending["data"] == {"diviseur": 0, "note": "essai"}


def test_a_successful_retry_resolves_it_and_no_open_incident_remains(runtime, session_factory,
                                                                      fragile, chef):
    (first,) = incidents(session_factory, fragile)
    with pytest.raises(IncidentRaised):
        runtime.retry_incident(first.id, chef)
    runtime.retry_incident(first.id, chef, corrections={"diviseur": 4})
    assert status(session_factory, fragile) == "running"
    assert [(i.id, i.resolved_at is not None) for i in incidents(session_factory, fragile)] == \
        [(first.id, True)]
    with pytest.raises(NotFound, match="déjà résolu"):
        runtime.retry_incident(first.id, chef)


def test_a_successful_retry_also_closes_stale_incidents(runtime, session_factory, fragile,
                                                        chef):
    """Incidents left open by the old behaviour (one per failed retry) are resolved with the
    instance's successful retry: the counters and the list agree."""
    (first,) = incidents(session_factory, fragile)
    with session_factory() as session:
        session.add(Incident(instance_id=fragile, element_id="calcul", message="ancien",
                             pending=first.pending, created_at=first.created_at))
        session.commit()
    runtime.retry_incident(first.id, chef, corrections={"diviseur": 4})
    assert all(i.resolved_at is not None for i in incidents(session_factory, fragile))


def test_retrying_an_incident_of_a_running_instance_says_why_in_french(runtime,
                                                                       session_factory,
                                                                       fragile, chef):
    (first,) = incidents(session_factory, fragile)
    with session_factory() as session:  # an incident left open while the instance runs
        session.get(ProcessInstance, fragile).status = "running"
        session.commit()
    with pytest.raises(Conflict) as refused:
        runtime.retry_incident(first.id, chef)
    assert "running" not in refused.value.message
    assert "rien à relancer" in refused.value.message


def test_incident_messages_are_in_french(session_factory, fragile):
    (first,) = incidents(session_factory, fragile)
    assert is_french(first.message) and "Error" not in first.message, first.message
    assert first.message.startswith("Échec de l'étape « Diviser » : division par zéro")
    assert "« division by zero »" in first.message  # Python's own words kept, quoted


def test_supervision_page_shows_one_incident_and_its_failed_retries(app, client, users,
                                                                    runtime, session_factory,
                                                                    fragile, chef):
    (first,) = incidents(session_factory, fragile)
    assert login(client, "superviseur").status_code == 302
    for _ in range(2):
        response = client.post(f"/supervision/instances/{fragile}/incidents/{first.id}/relancer",
                               data={"corrections": ""})
        assert response.status_code == 303
    page = client.get(f"/supervision/instances/{fragile}").get_data(as_text=True)
    assert page.count(">Relancer</button>") == 1
    assert "2 relance(s) en échec" in page
    assert f"incident n° {first.id}" in page
    client.post(f"/supervision/instances/{fragile}/incidents/{first.id}/relancer",
                data={"corrections": '{"diviseur": 5}'})
    page = client.get("/supervision/").get_data(as_text=True)
    assert status(session_factory, fragile) == "running"
    assert ">Relancer</button>" not in client.get(
        f"/supervision/instances/{fragile}").get_data(as_text=True)
