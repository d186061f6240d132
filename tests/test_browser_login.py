"""In a real browser: the login page is accessible and each role lands on its space."""
from __future__ import annotations

import pytest

from .browser import axe_violations, browser_login, shot


def test_login_page_has_no_serious_accessibility_violation(live_server, page):
    page.goto(f"{live_server}/connexion")
    assert page.get_attribute("html", "lang") == "fr"
    assert axe_violations(page) == []
    shot(page, "00_connexion")


@pytest.mark.parametrize("who, path", [("agent.cramif", "/agent/"),
                                       ("superviseur", "/supervision/")])
def test_each_role_lands_on_its_space(live_server, page, who, path):
    browser_login(page, live_server, who)
    assert page.url.endswith(path)
