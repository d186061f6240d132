"""The seeded caisse data cover every case of the administrative check (app/seed_caisse.py):
eligible salarié, under 600 hours but enough contributions, neither, above the legal age,
non-salarié, Paris (CRAMIF) and Seine-et-Marne (CPAM 77)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.domain import caisse_competente
from app.engine.clock import clock
from app.models import DonneesCaisse, User
from app.seed import seed_demo_accounts
from app.seed_caisse import date_arret
from app.web.agent.conditions import conditions_calculees


def _calcul(session_factory, who: str) -> tuple[dict, DonneesCaisse, User]:
    with session_factory() as session:
        user = session.scalar(select(User).where(User.email == f"{who}@demo.fr"))
        row = session.scalar(select(DonneesCaisse).where(DonneesCaisse.assure_id == user.id))
        return conditions_calculees(row, user, clock.today()), row, user


def _verdicts(result: dict) -> list[bool]:
    return [c["ok"] for c in result["criteres"]]


@pytest.mark.parametrize("who, caisse, verdicts, remplies", [
    ("marie.durand", "CRAMIF", [True, True, True, True], True),
    ("paul.martin", "CPAM 69", [True, True, False, True], True),
    ("julie.petit", "CPAM 77", [True, True, True, True], True),
    ("luc.girard", "CRAMIF", [False, True, True, True], False),
    ("emma.leroy", "CRAMIF", [True, True, False, False], False),
    ("hugo.michel", "CPAM 77", [True, True, True, True], True),
])
def test_chaque_profil_donne_le_cas_attendu(session_factory, users, who, caisse, verdicts,
                                            remplies):
    result, row, user = _calcul(session_factory, who)
    assert caisse_competente(row.departement) == caisse == user.caisse_code
    assert _verdicts(result) == verdicts
    assert result["remplies"] is remplies
    assert bool(result["motifs"]) is not remplies
    assert row.date_arret_travail == date_arret(clock.today())


def test_paul_martin_a_deux_employeurs_et_hugo_michel_est_non_salarie(session_factory, users):
    _r, paul, _u = _calcul(session_factory, "paul.martin")
    result, hugo, _u = _calcul(session_factory, "hugo.michel")
    assert paul.nombre_employeurs == 2
    assert (hugo.statut, hugo.ij_percues, result["statut"]) == ("non_salarie", True,
                                                                "non_salarie")


def test_le_jeu_de_donnees_est_idempotent(session_factory, users):
    with session_factory() as session, session.begin():
        assert seed_demo_accounts(session, password_hash="x") == 0
    with session_factory() as session:
        assert len(session.scalars(select(DonneesCaisse)).all()) == 6


def test_sans_donnees_de_carriere_rien_n_est_calcule(session_factory, users):
    with session_factory() as session:
        user = session.scalar(select(User).where(User.email == "agent.cramif@demo.fr"))
    result = conditions_calculees(None, user, clock.today())
    assert (result["disponibles"], result["remplies"], result["criteres"]) == (False, False, [])
