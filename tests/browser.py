"""Browser fixtures: the app served on a free port, and Debian's chromium via Playwright.

Screenshots go to `test-artifacts/` (git-ignored); `shot(page, "name")` saves one.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def real_app(database_url: str, tmp_path: Path, **overrides):
    """The real app (CSRF on) with its folders deployed and the demo accounts."""
    from app.cli import deploy_folders
    from app.seed import seed_demo_accounts
    from app.web import create_app

    app = create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": tmp_path / "uploads",
                      "INSTANCE_DIR": tmp_path, "SECRET_KEY": "browser-tests",
                      "DEMO_MODE": True, "RUN_TIMERS": False, **overrides})
    deploy_folders(app)
    with app.extensions["invalidite"].session_factory() as session, session.begin():
        seed_demo_accounts(session)
    return app


@contextmanager
def serving(app):
    """Serve `app` on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        app.extensions["invalidite"].engine.dispose()


@pytest.fixture
def live_app(database_url, tmp_path, session_factory):
    """processes/ and forms/ of the project, deployed."""
    return real_app(database_url, tmp_path)


@pytest.fixture
def live_server(live_app):
    with serving(live_app) as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium manquant : lancez `make system-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def shot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def browser_login(page, base_url: str, who: str, password: str = "demo") -> None:
    page.goto(f"{base_url}/connexion")
    page.fill("#email", f"{who}@demo.fr")
    page.fill("#password", password)
    page.click("button[type=submit]")


AXE = Path(__file__).resolve().parent.parent / "node_modules/axe-core/axe.min.js"


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the current page; violations of the given impacts."""
    # Not add_script_tag(): the app's CSP refuses inline scripts (a test must not weaken it);
    # a script evaluated through the DevTools protocol is not subject to the page's CSP.
    page.evaluate(AXE.read_text())
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]
