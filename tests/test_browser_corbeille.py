"""In a real browser: an agent searches the inbox by name, then takes two tasks at once.

Screenshots: test-artifacts/corbeille_01_recherche.png, corbeille_02_prise_groupee.png."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.engine.clock import clock
from app.models import User
from app.web.agent.dossiers import ouvrir_instruction

from .browser import axe_violations, browser_login, shot
from .test_instruction_outils import AVIS, DEMANDE


def _dossiers_recus(app) -> dict[str, str]:
    """Three CRAMIF requests received today: assuré → dossier number."""
    services = app.extensions["invalidite"]
    numeros = {}
    for email in ("marie.durand", "luc.girard", "emma.leroy"):
        with services.session_factory() as session:
            assure = session.scalar(select(User).where(User.email == f"{email}@demo.fr"))
            session.expunge(assure)
        _iid, numeros[email] = ouvrir_instruction(
            services.runtime, assure, "CRAMIF", date_reception=clock.today(), demande=DEMANDE,
            canal="en_ligne", avis_imposition=AVIS)
    return numeros


def test_l_agent_recherche_par_nom_puis_prend_deux_taches_d_un_coup(live_server, live_app,
                                                                    page):
    numeros = _dossiers_recus(live_app)
    browser_login(page, live_server, "agent.cramif")
    page.goto(f"{live_server}/agent/?vue=a_prendre")
    assert all(n in page.content() for n in numeros.values())

    # Search by name: only Luc Girard's dossier stays.
    page.get_by_role("searchbox", name=re.compile("^Rechercher")).fill("girard")
    page.get_by_role("button", name="Filtrer").click()
    page.wait_for_load_state()
    content = page.content()
    assert numeros["luc.girard"] in content
    assert numeros["marie.durand"] not in content and numeros["emma.leroy"] not in content
    assert page.get_by_role("searchbox", name=re.compile("^Rechercher")).input_value() == "girard"
    assert axe_violations(page) == []
    shot(page, "corbeille_01_recherche")

    # Clear the search, tick Marie's and Emma's tasks, take both at once.
    page.get_by_role("link", name=re.compile("Effacer la recherche")).click()
    page.wait_for_load_state()
    for who in ("marie.durand", "emma.leroy"):
        page.locator("tr", has_text=numeros[who]).get_by_role("checkbox").check()
    page.get_by_role("button", name="Prendre les tâches cochées").click()
    page.wait_for_load_state()
    assert "2 tâches prises." in page.content()
    assert "À prendre (1)" in page.content()  # Luc's remains to take
    page.goto(f"{live_server}/agent/?vue=mes")
    content = page.content()
    assert "Mes tâches (2)" in content
    assert numeros["marie.durand"] in content and numeros["emma.leroy"] in content
    assert numeros["luc.girard"] not in content
    assert axe_violations(page) == []
    shot(page, "corbeille_02_prise_groupee")
