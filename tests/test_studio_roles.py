"""Only analysts use the studio and only superviseurs the supervision (a médecin-conseil may
read an instance of their caisse): an assuré or an agent gets 403 on every route of both."""
from __future__ import annotations

import pytest

from .conftest import login
from .test_security import routes

AREAS = ("/studio", "/supervision")


def area_routes(app):
    return [(url, method) for url, method, _allowed in routes(app)
            if url.startswith(AREAS)]


@pytest.mark.parametrize("who", ["marie.durand", "agent.cramif"])
def test_assure_and_agent_get_403_on_every_studio_and_supervision_route(app, users, who):
    client = app.test_client()
    login(client, who)
    found = area_routes(app)
    assert len(found) > 25
    for url, method in found:
        assert client.open(url, method=method).status_code == 403, (who, method, url)


def test_analyst_and_superviseur_stay_in_their_own_area(app, users):
    analyste, superviseur = app.test_client(), app.test_client()
    login(analyste, "analyste")
    login(superviseur, "superviseur")
    for url, method in area_routes(app):
        client = superviseur if url.startswith("/studio") else analyste
        assert client.open(url, method=method).status_code == 403, (method, url)
