"""schemathesis against the running app, in-process (WSGI), from its own OpenAPI contract
(GET /api/openapi.json): every operation, schema-valid and schema-invalid requests, signed in
with a session cookie and the CSRF header, all of schemathesis' default checks (no 5xx,
status codes, content types and bodies as described, invalid data refused, auth enforced):
0 failures. `.ci/run` runs the suite on SQLite and on PostgreSQL, so this runs on both.

Kept beside .ci/contrat_api.py (the same fuzzing against the app served by gunicorn, after
`make test` in `.ci/run`, and `make contrat`): this one is quick, runs in every `make test`
and starts from real agent tasks of a received dossier.

Bounded: a fixed number of examples per operation and mode, derandomized, so that it takes a
few seconds and always the same ones.
"""
from __future__ import annotations

import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from .test_instruction_outils import dossier_recu, task

MAX_EXAMPLES = 40


def signed_in(app, who: str):
    """(test client, cookies, headers) of a session of `who`, CSRF protection on."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/connexion", data={"email": f"{who}@demo.fr", "password": "demo",
                                           "csrf_token": token}).status_code == 302
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client, {"session": client.get_cookie("session").value}, {"X-CSRFToken": token}


def test_schemathesis_finds_no_failure_in_the_api(app, web, users, session_factory):
    real = [task(session_factory, dossier_recu(web, users), "verification_administrative").id
            for _ in range(2)]
    client, cookies, headers = signed_in(app, "agent.cramif")
    # The contract as the app serves it (to a signed-in person), the calls made to the app.
    # 422 is a valid answer to a schema-valid body: the contract describes `donnees` as an
    # object, each task's own form (and its screen's checks) decides what it must hold.
    config = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
        "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}})
    schema = schemathesis.openapi.from_dict(client.get("/api/openapi.json").get_json(),
                                            config=config)
    schema.app = app

    @schema.auth()
    class Session:  # what a signed-in API client sends; schemathesis also tries without it
        def get(self, case, context):
            return cookies, headers

        def set(self, case, data, context):
            case.cookies = {**(case.cookies or {}), **data[0]}
            if case.method.upper() == "POST":
                case.headers = {**(case.headers or {}), **data[1]}

    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == sum(len(item) for item in schema.raw_schema["paths"].values())
    ran = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                      database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            def call(case, data):
                # Half the time, a real task of the agent's caisse rather than a random id.
                if "task_id" in (case.path_parameters or {}) and data.draw(st.booleans()):
                    case.path_parameters["task_id"] = data.draw(st.sampled_from(real))
                case.call_and_validate()
                ran.append(case.operation.label)

            call()
    assert len(set(ran)) == len(operations)  # every operation was called
