"""Every route: anonymous refused, wrong role refused, CSRF on every POST."""
from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from app.models import ROLES
from app.web.shared.security import ACCESS_ATTR, ANY_USER, PUBLIC

from .conftest import login

ROLE_ACCOUNT = {"assure": "marie.durand", "agent": "agent.cramif", "medecin_conseil": "medecin",
                "analyste": "analyste", "superviseur": "superviseur"}


def routes(app):
    """(url, method, allowed roles) for every rule of the app, with placeholder arguments."""
    found = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        allowed = getattr(view, ACCESS_ATTR, None)
        if rule.endpoint == "static" or (allowed and PUBLIC in allowed):
            continue
        values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter)
                  else "x" for arg in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((url, method, allowed))
    return found


def test_every_route_declares_who_may_use_it(app):
    undeclared = [rule.endpoint for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static"
                  and getattr(app.view_functions[rule.endpoint], ACCESS_ATTR, None) is None]
    assert undeclared == []


def test_every_route_refuses_an_anonymous_user(app, users):
    client = app.test_client()
    for url, method, _allowed in routes(app):
        response = client.open(url, method=method)
        expected = (302,) if method == "GET" else (401,)
        assert response.status_code in expected, (method, url, response.status_code)
        if method == "GET":
            assert "/connexion" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_refuses_a_wrong_role(app, users, role):
    client = app.test_client()
    assert login(client, ROLE_ACCOUNT[role]).status_code == 302
    for url, method, allowed in routes(app):
        if role in allowed or ANY_USER in allowed:
            continue
        response = client.open(url, method=method)
        assert response.status_code == 403, (role, method, url, response.status_code)


def test_every_post_requires_a_csrf_token(app, users):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    client.get("/connexion")
    response = client.post("/connexion", data={"email": "marie.durand@demo.fr",
                                               "password": "demo"})
    assert response.status_code == 400
    assert "formulaire a expiré" in response.get_data(as_text=True)
    for url, method, _allowed in routes(app):
        if method == "POST":
            assert client.post(url).status_code in (400, 401), url


def test_login_with_wrong_password_is_refused_in_french(client, users):
    response = login(client, "marie.durand", password="mauvais")
    assert response.status_code == 401
    assert "mot de passe incorrect" in response.get_data(as_text=True)


def test_login_then_logout(client, users):
    assert login(client, "agent.cramif").status_code == 302
    assert client.get("/agent/").status_code == 200
    client.post("/deconnexion")
    assert client.get("/agent/").status_code == 302


def test_login_never_redirects_off_site(client, users):
    response = client.post("/connexion?next=//evil.example/x",
                           data={"email": "agent.cramif@demo.fr", "password": "demo"})
    assert "evil.example" not in response.headers["Location"]


def test_a_nul_character_is_refused_in_french_before_any_query(client, users):
    """PostgreSQL refuses NUL in text and JSON columns: every route answers 400 in French
    instead of failing in a query (the fuzz test found it on the agent inbox, the dossier
    pages, supervision filters…)."""
    login(client, "agent.cramif")
    for response in (client.get("/agent/?recherche=a%00b"),
                     client.get("/agent/dossiers/a%00b"),
                     client.post("/agent/taches/1/prendre", data={"motif": "a\x00b"}),
                     client.post("/api/taches/1/completer", json={"donnees": {"x": "a\x00"}})):
        assert response.status_code == 400
        assert "caractères nuls" in response.get_data(as_text=True)
