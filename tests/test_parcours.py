"""Entry points come from the diagrams: a process declares the journey it starts
(`parcours` property of the bpmn:process), the web layer never names a process id."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from app.engine.deploy import read_folders
from app.engine.specs import DeployRefused, parse_sources
from app.models import ProcessInstance, ProcessVersion

from .conftest import ROOT, deploy_folder, login


@pytest.fixture
def copies(tmp_path):
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(ROOT / "processes", processes)
    shutil.copytree(ROOT / "forms", forms)
    return processes, forms


def rename_process(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(f'id="{old}"', f'id="{new}"')
                    .replace(f'processRef="{old}"', f'processRef="{new}"'), encoding="utf-8")


def test_each_entry_process_declares_its_journey(session_factory):
    deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")
    with session_factory() as session:
        declared = dict(session.execute(select(ProcessVersion.parcours,
                                               ProcessVersion.process_key)
                                        .where(ProcessVersion.parcours.is_not(None))).all())
    assert set(declared) == {"triage", "demande", "instruction"}


def test_an_unknown_journey_is_refused_in_french(copies):
    processes, forms = copies
    path = processes / "triage_amelibot.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace(
        'name="parcours" value="triage"', 'name="parcours" value="orientation"'),
        encoding="utf-8")
    with pytest.raises(DeployRefused) as refused:
        parse_sources(read_folders(processes, forms))
    assert "le processus déclare le parcours « orientation », inconnu" in str(refused.value)


def test_a_renamed_triage_process_still_starts_ameliBot(copies, session_factory, client,
                                                         users):
    processes, forms = copies
    rename_process(processes / "triage_amelibot.bpmn", "triage_amelibot", "orientation_bot")
    deploy_folder(session_factory, processes, forms)
    login(client, "marie.durand")
    response = client.post("/assure/amelibot/nouvelle")
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    with session_factory() as session:
        assert session.scalars(select(ProcessInstance.process_key)).all() == ["orientation_bot"]
