"""The API's OpenAPI 3.1 contract (GET /api/openapi.json) is true: every /api/ route is in it
and everything in it is a route, its request schemas accept exactly the bodies the route
accepts, and what the routes answer (errors included) is JSON of the described shape."""
from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from app.web.api.openapi import DOCUMENT

from .conftest import login
from .test_api import waiting_task  # noqa: F401 - fixture

HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def _validator(schema: dict) -> Draft202012Validator:
    """A validator of `schema` that resolves the document's #/components references."""
    return Draft202012Validator({**schema, "components": DOCUMENT["components"]})


def api_routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
            found |= {(path, m.lower()) for m in rule.methods & HTTP_METHODS}
    return found


def test_every_api_route_is_described_and_every_described_path_exists(app):
    described = {(path, method) for path, item in DOCUMENT["paths"].items()
                 for method in item if method.upper() in HTTP_METHODS}
    assert api_routes(app) == described


def test_the_contract_is_openapi_3_1_with_valid_json_schemas():
    assert DOCUMENT["openapi"].startswith("3.1")
    for schema in DOCUMENT["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for example in DOCUMENT["components"]["schemas"]["Completion"]["examples"]:
        _validator(DOCUMENT["components"]["schemas"]["Completion"]).validate(example)


def test_the_contract_is_served_to_a_signed_in_person_only(client, users):
    anonymous = client.get("/api/openapi.json")
    assert anonymous.status_code == 401
    assert anonymous.get_json() == {"erreur": "Vous devez être connecté pour faire cela."}
    login(client, "marie.durand")
    assert client.get("/api/openapi.json").get_json() == DOCUMENT


COMPLETION = DOCUMENT["components"]["schemas"]["Completion"]
BODIES = [
    {"donnees": {"montant": 60}},
    {"donnees": {"montant": 60}, "version": None},
    {"donnees": {"montant": 60}, "autre": "ignoré"},
    {"donnees": [1, 2]},
    {"donnees": "texte"},
    {"donnees": {"montant": 60}, "version": "3"},
    {"donnees": {"montant": 60}, "version": True},
    {"donnees": {"montant": 60}, "version": 1.5},
    [1, 2],
    "texte",
    None,
]


@pytest.mark.parametrize("body", BODIES, ids=[repr(b)[:40] for b in BODIES])
def test_the_request_schema_accepts_exactly_what_the_route_accepts(client, waiting_task,  # noqa: F811
                                                                   body):
    login(client, "agent.cramif")
    answer = client.post(f"/api/taches/{waiting_task.id}/completer", data=json.dumps(body),
                         content_type="application/json")
    accepted_by_schema = _validator(COMPLETION).is_valid(body)
    assert (answer.status_code != 400) == accepted_by_schema, answer.get_json()


def test_every_answer_of_the_api_is_described_json(client, waiting_task):  # noqa: F811
    """Errors too, the router's 404 and 405 included: JSON with a French `erreur`."""
    responses = DOCUMENT["paths"]["/api/taches/{task_id}/completer"]["post"]["responses"]
    login(client, "agent.cramif")
    answers = [
        client.post(f"/api/taches/{waiting_task.id}/completer", json={"donnees": {}}),  # 422
        client.post(f"/api/taches/{10 ** 30}/completer", json={}),  # 404 from the router
        client.post(f"/api/taches/{waiting_task.id}/completer", json={"donnees": [1]}),  # 400
        client.post(f"/api/taches/{waiting_task.id}/completer",
                    json={"donnees": {"montant": "a\x00"}}),  # 400, NUL refused
        client.put(f"/api/taches/{waiting_task.id}/completer"),  # 405
    ]
    for answer in answers:
        described = responses[str(answer.status_code)]
        schema = described["content"]["application/json"]["schema"]
        assert answer.mimetype == "application/json", answer.status_code
        _validator(schema).validate(answer.get_json())
    assert [a.status_code for a in answers] == [422, 404, 400, 400, 405]
