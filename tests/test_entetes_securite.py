"""Every response carries the security baseline (issue 12, point 2): a strict CSP that forbids
framing, `nosniff`, X-Frame-Options, a Referrer-Policy, and `Cache-Control: no-store` on
everything but the shared static files — the médecin's page with the medical notes first."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from werkzeug.routing import IntegerConverter

from app.web.shared.security import ACCESS_ATTR, ANY_USER, CSP, CSP_STYLE_ATTRIBUTES, PUBLIC

from .conftest import html, login
from .test_instruction_outils import dossier, dossier_recu, jusqu_a_la_decision

ROLE_ACCOUNT = {"assure": "marie.durand", "agent": "agent.cramif", "medecin_conseil": "medecin",
                "cra": "cra.cramif", "cmra": "cmra.cramif",
                "analyste": "analyste", "superviseur": "superviseur"}
APP = Path(__file__).resolve().parent.parent / "app"


def directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def assert_baseline(response, where, cacheable=False) -> None:
    headers = response.headers
    csp = directives(headers.get("Content-Security-Policy", ""))
    assert csp.get("frame-ancestors") == ["'none'"], where
    assert "'unsafe-inline'" not in csp.get("script-src", ["'unsafe-inline'"]), where
    assert "'unsafe-eval'" not in csp["script-src"], where
    assert csp.get("object-src") == ["'none'"] and csp.get("base-uri") == ["'none'"], where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "same-origin", where
    if cacheable:
        assert "no-store" not in headers.get("Cache-Control", ""), where
    else:
        assert headers.get("Cache-Control") == "no-store", where


def every_rule(app):
    """(url, methods, allowed roles) for every rule, with placeholder arguments."""
    from flask import url_for

    for rule in app.url_map.iter_rules():
        if rule.endpoint in ("static", "vendor"):
            continue
        values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
                  for arg in rule.arguments}
        with app.test_request_context():
            url = url_for(rule.endpoint, **values)
        allowed = getattr(app.view_functions[rule.endpoint], ACCESS_ATTR, frozenset())
        yield url, sorted(rule.methods - {"HEAD", "OPTIONS"}), allowed


def test_chaque_route_porte_les_entetes_de_securite_pour_un_anonyme(app, users):
    client = app.test_client()
    seen = 0
    for url, methods, _allowed in every_rule(app):
        for method in methods:
            assert_baseline(client.open(url, method=method), (method, url))
            seen += 1
    assert seen > 100


def test_chaque_page_porte_les_entetes_de_securite_pour_le_role_qui_l_ouvre(app, web, users):
    clients = {}
    for url, methods, allowed in every_rule(app):
        if "GET" not in methods or PUBLIC in allowed:
            continue
        role = "agent" if ANY_USER in allowed else min(allowed)
        if role not in clients:
            clients[role] = app.test_client()
            assert login(clients[role], ROLE_ACCOUNT[role]).status_code == 302
        response = clients[role].get(url)
        assert response.status_code < 500, (role, url)
        assert_baseline(response, (role, url))


def test_la_page_du_medecin_avec_les_notes_medicales_n_est_ni_gardee_ni_encadrable(
        client, web, users, session_factory):
    iid = dossier_recu(web, users)
    jusqu_a_la_decision(web, session_factory, iid, users, categorie=2)
    login(client, "medecin")
    response = client.get(f"/agent/dossiers/{dossier(session_factory, iid).numero}")
    assert "NOTE-SECRETE-XYZ" in html(response)
    assert_baseline(response, "médecin")
    assert directives(response.headers["Content-Security-Policy"])["style-src"] == ["'self'"]


def test_les_erreurs_et_les_redirections_portent_aussi_les_entetes(client, users):
    assert_baseline(client.get("/nulle-part"), 404)
    assert_baseline(client.get("/agent/"), "redirection vers la connexion")
    assert_baseline(client.get("/connexion?x=%00"), "octet nul refusé")


def test_les_fichiers_statiques_partages_restent_en_cache_mais_sans_deviner_leur_type(client):
    for url in ("/static/app.css", "/vendor/dsfr/dsfr.min.css", "/vendor/htmx/htmx.min.js"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_baseline(response, url, cacheable=True)
        response.close()


def test_la_politique_n_autorise_ni_script_ni_style_en_ligne():
    csp = directives(CSP)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"] and csp["style-src"] == ["'self'"]
    assert "style-src-attr" not in csp
    # The DMN editor's policy (dmn-js writes style attributes) adds that, and nothing else.
    assert CSP_STYLE_ATTRIBUTES == CSP + "; style-src-attr 'unsafe-inline'"


def test_seul_l_editeur_dmn_recoit_les_attributs_style(app, users):
    client = app.test_client()
    login(client, "analyste")
    for rule in app.url_map.iter_rules():
        if getattr(app.view_functions[rule.endpoint], "_invalidite_style_attributes", False):
            assert rule.endpoint == "studio.dmn_editor"
    response = client.get("/studio/dmn/taux_categorie.dmn")
    assert response.status_code == 200
    csp = directives(response.headers["Content-Security-Policy"])
    assert csp["style-src-attr"] == ["'unsafe-inline'"] and csp["script-src"] == ["'self'"]


def test_hsts_seulement_quand_le_site_est_servi_en_https(client):
    assert "Strict-Transport-Security" not in client.get("/connexion").headers
    secure = client.get("/connexion", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)


@pytest.mark.parametrize("template", sorted(
    p for p in APP.rglob("*.html") if "documents/templates" not in p.as_posix()),
    ids=lambda p: p.relative_to(APP).as_posix())
def test_aucun_gabarit_n_a_de_script_de_gestionnaire_ou_de_style_en_ligne(template):
    """The CSP would block them: scripts and styles live in files (letters rendered to PDF by
    WeasyPrint, app/documents/templates, are not pages and may keep their <style>)."""
    text = template.read_text()
    assert not INLINE_SCRIPT.findall(text)
    assert not INLINE_HANDLER.findall(text)
    assert not STYLE_ATTRIBUTE.findall(text)
