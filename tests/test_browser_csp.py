"""In a real browser, with the app's Content-Security-Policy on: the pages that run the most
script and style (studio BPMN and DMN editors, the form editor's htmx preview, the
supervision diagram, an assuré's dossier and request, the agent's inbox and dossier) work, and
not one `securitypolicyviolation` event fires. A listener installed before any page script
reports each violation to the test, across navigations."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from app.config import ROOT
from app.engine.clock import clock
from app.models import User
from app.web.agent.dossiers import ouvrir_instruction

from .browser import browser_login, real_app, serving
from .test_instruction_outils import AVIS, DEMANDE

REPORTER = """
document.addEventListener('securitypolicyviolation', function (e) {
  window.violationsCsp = (window.violationsCsp || 0) + 1;
  window.signalerViolationCsp({directive: e.violatedDirective, bloque: e.blockedURI,
                               source: e.sourceFile, ligne: e.lineNumber,
                               extrait: e.sample, page: document.location.pathname});
}, true);
"""


@pytest.fixture
def csp_app(database_url, tmp_path, session_factory):
    """The real app on copies of the project's diagrams and forms (the studio may open them)."""
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(ROOT / "processes", processes)
    shutil.copytree(ROOT / "forms", forms)
    return real_app(database_url, tmp_path, PROCESSES_DIR=processes, FORMS_DIR=forms)


@pytest.fixture
def server(csp_app):
    with serving(csp_app) as url:
        yield url


@pytest.fixture
def violations(page):
    """Every CSP violation of any page this test opens (before any script of the page)."""
    found: list[dict] = []
    page.context.expose_binding("signalerViolationCsp", lambda _source, v: found.append(v))
    page.context.add_init_script(REPORTER)
    page.on("console", lambda m: found.append({"console": m.text})
            if "Content Security Policy" in m.text else None)
    return found


def assert_no_violation(page, violations) -> None:
    """None reported by the pages left, and none counted on the current one."""
    assert page.evaluate("() => window.violationsCsp || 0") == 0
    assert violations == []


def _dossier(app) -> tuple[int, str]:
    services = app.extensions["invalidite"]
    with services.session_factory() as session:
        marie = session.scalar(select(User).where(User.email == "marie.durand@demo.fr"))
        session.expunge(marie)
    return ouvrir_instruction(services.runtime, marie, "CRAMIF", date_reception=clock.today(),
                              demande=DEMANDE, canal="en_ligne", avis_imposition=AVIS)


def test_les_editeurs_bpmn_dmn_et_formulaire_marchent_sous_la_csp_sans_violation(
        server, page, violations):
    browser_login(page, server, "analyste")
    page.goto(f"{server}/studio/bpmn/demande_pension_invalidite.bpmn")
    page.wait_for_selector("body[data-studio-ready=true]")
    assert page.locator("#studio-canvas .djs-element").count() > 5  # the diagram is drawn
    page.click("#btn-validate")  # fetch() to the app: connect-src
    page.wait_for_selector(".studio-status--ok, .studio-status--error")

    page.goto(f"{server}/studio/dmn/taux_categorie.dmn")
    page.wait_for_selector("body[data-studio-ready=true]")
    assert page.locator("#dmn-views").inner_text().strip()

    page.goto(f"{server}/studio/formulaires/triage_message.json")
    page.fill("#schema-source", '{"type": "object", "title": "Essai CSP", "properties": '
                                '{"nom": {"type": "string", "title": "Nom sous CSP"}}}')
    page.wait_for_selector("#studio-form-preview :text('Nom sous CSP')")  # htmx swapped it
    assert_no_violation(page, violations)


def test_supervision_assure_et_agent_marchent_sous_la_csp_sans_violation(
        server, csp_app, page, violations):
    instance_id, numero = _dossier(csp_app)
    browser_login(page, server, "superviseur")
    page.goto(f"{server}/supervision/instances/{instance_id}")
    page.wait_for_selector(".djs-element")  # bpmn-js drew the instance's diagram
    page.context.clear_cookies()

    browser_login(page, server, "marie.durand")
    for path in ("/assure/", f"/assure/dossiers/{numero}", "/assure/demande",
                 "/assure/amelibot", "/assure/informations", "/assure/messagerie"):
        assert page.goto(f"{server}{path}").ok, path
    page.set_viewport_size({"width": 375, "height": 812})  # the DSFR's mobile menu (its JS)
    page.click("#bouton-menu")
    page.wait_for_selector("#menu-principal.fr-modal--opened")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()

    browser_login(page, server, "agent.cramif")
    for path in ("/agent/", "/agent/?vue=a_prendre", "/agent/s4150", "/agent/messagerie",
                 f"/agent/dossiers/{numero}"):
        assert page.goto(f"{server}{path}").ok, path
    assert numero in page.inner_text("main")
    assert_no_violation(page, violations)


def test_le_detecteur_voit_une_violation_quand_la_page_en_commet_une(server, page, violations):
    """The listener itself works: an inline script injected into a page is refused and seen."""
    page.goto(f"{server}/connexion")
    page.evaluate("""() => { const s = document.createElement('script');
                            s.textContent = 'window.injecte = 1'; document.head.append(s); }""")
    page.wait_for_function("() => window.violationsCsp > 0")
    assert page.evaluate("() => window.injecte") is None
    assert any(v.get("directive", "").startswith("script-src") for v in violations)
