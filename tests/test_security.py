"""Every route: anonymous refused, wrong role refused, CSRF on every POST."""
from __future__ import annotations

import re

import pytest
from werkzeug.routing import IntegerConverter

from app.models import ROLES
from app.web.shared.security import ACCESS_ATTR, ANY_USER, PUBLIC

from .conftest import login

ROLE_ACCOUNT = {"assure": "marie.durand", "agent": "agent.cramif", "medecin_conseil": "medecin",
                "cra": "cra.cramif", "cmra": "cmra.cramif",
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
        # A page sends to the login page; the JSON API answers 401 (its OpenAPI contract).
        page = method == "GET" and not url.startswith("/api/")
        expected = (302,) if page else (401,)
        assert response.status_code in expected, (method, url, response.status_code)
        if page:
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


@pytest.fixture
def app_as_deployed(database_url, tmp_path, users):
    """The app with the settings it runs with: CSRF left to the factory's own configuration."""
    from app.web import create_app

    flask_app = create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": tmp_path / "uploads",
                            "INSTANCE_DIR": tmp_path, "SECRET_KEY": "tests",
                            "DEMO_MODE": True, "RUN_TIMERS": False})
    yield flask_app
    flask_app.extensions["invalidite"].engine.dispose()


def login_with_token(client, who: str):
    page = client.get("/connexion").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/connexion", data={"email": f"{who}@demo.fr", "password": "demo",
                                           "csrf_token": token})


def test_a_post_without_its_csrf_token_is_refused_even_logged_in(app_as_deployed):
    """Règle : aucun formulaire n'est enregistré sans le jeton CSRF de la session, y compris
    pour une personne connectée — sur toutes les routes POST de tous les espaces."""
    refused = "formulaire a expiré"
    anonymous = app_as_deployed.test_client()
    anonymous.get("/connexion")
    response = anonymous.post("/connexion", data={"email": "marie.durand@demo.fr",
                                                  "password": "demo"})
    assert response.status_code == 400 and refused in response.get_data(as_text=True)
    posts = [(url, allowed) for url, method, allowed in routes(app_as_deployed)
             if method == "POST"]
    assert len(posts) > 20
    for role, who in ROLE_ACCOUNT.items():
        client = app_as_deployed.test_client()
        assert login_with_token(client, who).status_code == 302, who
        for url, allowed in posts:
            if role not in allowed and ANY_USER not in allowed:
                continue
            response = client.post(url, data={"x": "1"})
            assert response.status_code == 400, (role, url, response.status_code)
            assert refused in response.get_data(as_text=True), (role, url)


def test_a_request_started_without_token_creates_nothing(app_as_deployed, session_factory):
    from sqlalchemy import func, select

    from app.models import Dossier

    client = app_as_deployed.test_client()
    login_with_token(client, "marie.durand")
    assert client.post("/assure/demande/demarrer").status_code == 400
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Dossier)) == 0


def test_the_session_cookie_is_httponly_and_same_site(client, users):
    """Règle : le cookie de session n'est lisible ni par un script de la page (HttpOnly) ni
    envoyé par un autre site (SameSite=Lax)."""
    response = login(client, "marie.durand")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_a_deactivated_account_loses_the_session_it_already_has(client, users,
                                                                  session_factory):
    """Règle : désactiver un compte coupe aussi ses sessions ouvertes, pas seulement la
    prochaine connexion."""
    from app.models import User

    assert login(client, "agent.cramif").status_code == 302
    assert client.get("/agent/").status_code == 200
    with session_factory() as session, session.begin():
        session.get(User, users["agent.cramif"].id).active = False
    response = client.get("/agent/")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    assert login(client, "agent.cramif").status_code == 401


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
