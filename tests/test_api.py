"""The JSON API over the runtime: 409 on a second completion, 422 with French field errors."""
from __future__ import annotations

import pytest

from .conftest import login
from .test_runtime import open_task


@pytest.fixture
def waiting_task(app, users, session_factory, deployed_fixtures, runtime):
    instance_id = runtime.start("petit_processus", user_id=users["agent.cramif"].id,
                                caisse_code="CRAMIF")
    return open_task(session_factory, instance_id)


def test_second_completion_of_a_task_is_a_409(client, waiting_task):
    login(client, "agent.cramif")
    url = f"/api/taches/{waiting_task.id}/completer"
    assert client.post(url, json={"donnees": {"montant": 60}}).status_code == 200
    again = client.post(url, json={"donnees": {"montant": 60}})
    assert again.status_code == 409
    assert "déjà été traitée" in again.get_json()["erreur"]


def test_invalid_data_is_a_422_with_french_field_errors(client, waiting_task):
    login(client, "agent.cramif")
    response = client.post(f"/api/taches/{waiting_task.id}/completer",
                           json={"donnees": {"montant": "beaucoup"}})
    assert response.status_code == 422
    assert set(response.get_json()["champs"]) == {"montant"}


def test_agent_of_another_caisse_gets_403(client, waiting_task):
    login(client, "agent.cpam69")
    response = client.post(f"/api/taches/{waiting_task.id}/completer",
                           json={"donnees": {"montant": 60}})
    assert response.status_code == 403


def test_inbox_lists_only_my_caisse(client, waiting_task):
    login(client, "agent.cramif")
    assert [t["id"] for t in client.get("/api/taches").get_json()] == [waiting_task.id]
    client.post("/deconnexion")
    login(client, "agent.cpam69")
    assert client.get("/api/taches").get_json() == []
