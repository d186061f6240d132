"""The audit log searched across instances by the superviseur: who, what, when, which dossier;
studio test runs left out; bad dates said in French; superviseurs only."""
from __future__ import annotations

from datetime import timedelta

import pytest

from app.engine.clock import clock

from .conftest import html, login
from .test_instruction_outils import dossier, dossier_recu, task


@pytest.fixture
def deux_dossiers(web, users, session_factory):
    paris = dossier_recu(web, users)
    lyon = dossier_recu(web, users, who="paul.martin")
    web.claim(task(session_factory, paris, "verification_administrative").id,
              users["agent.cramif"])
    return paris, lyon


def rows(page: str) -> list[str]:
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    return [r for r in body.split("<tr>")[1:]]


def test_the_log_is_searched_by_who_what_and_dossier(client, users, session_factory,
                                                     deux_dossiers):
    paris, lyon = deux_dossiers
    numero_paris, numero_lyon = (dossier(session_factory, i).numero for i in (paris, lyon))
    login(client, "superviseur")
    everything = html(client.get("/supervision/journal"))
    assert numero_paris in everything and numero_lyon in everything
    by_who = rows(html(client.get("/supervision/journal?qui=agent.cramif")))
    assert len(by_who) == 1 and "tâche prise" in by_who[0] and numero_paris in by_who[0]
    by_what = rows(html(client.get("/supervision/journal?action=task_claimed")))
    assert len(by_what) == 1 and "Sophie Bernard" in by_what[0]
    by_dossier = html(client.get(f"/supervision/journal?dossier={numero_lyon}"))
    assert numero_lyon in by_dossier and numero_paris not in by_dossier


def test_the_log_is_searched_by_day(client, users, session_factory, deux_dossiers):
    login(client, "superviseur")
    today = clock.today()
    assert rows(html(client.get(f"/supervision/journal?du={today:%d/%m/%Y}&au="
                                f"{today:%d/%m/%Y}")))
    tomorrow = today + timedelta(days=1)
    page = html(client.get(f"/supervision/journal?du={tomorrow:%d/%m/%Y}"))
    assert "Aucun événement ne correspond." in page
    bad = client.get("/supervision/journal?du=31/02/2026")
    assert bad.status_code == 422 and "Date invalide" in html(bad)


def test_only_the_superviseur_reads_the_log(client, users, deux_dossiers):
    login(client, "agent.cramif")
    assert client.get("/supervision/journal").status_code == 403
