"""Deployment: all-or-nothing, versioned by content, errors naming file and element."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.engine.specs import DeployRefused
from app.models import DeployedFile, HumanTask, ProcessInstance, ProcessVersion

from .conftest import deploy_folder


def versions(session_factory, key="petit_processus") -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(ProcessVersion.version)
                                    .where(ProcessVersion.process_key == key)))


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_first_deploy_creates_version_1_of_each_process(session_factory, folders):
    report = deploy_folder(session_factory, *folders)
    assert report.new_versions == {"petit_processus": 1, "minuteur_simple": 1,
                                   "etape_fragile": 1, "debut_fragile": 1,
                                   "sous_processus": 1, "attente_evenement": 1}


def test_redeploying_unchanged_content_creates_nothing(session_factory, folders):
    deploy_folder(session_factory, *folders)
    report = deploy_folder(session_factory, *folders)
    assert report.new_versions == {} and report.new_files == []
    assert versions(session_factory) == [1]


def test_changed_diagram_becomes_version_2_only_for_that_process(session_factory, folders):
    deploy_folder(session_factory, *folders)
    edit(folders[0] / "petit_processus.bpmn", "double = montant * 2", "double = montant * 3")
    report = deploy_folder(session_factory, *folders)
    assert report.new_versions == {"petit_processus": 2}
    assert versions(session_factory) == [1, 2]
    assert versions(session_factory, "minuteur_simple") == [1]


def test_changed_form_gives_a_new_version_of_the_process_using_it(session_factory, folders):
    deploy_folder(session_factory, *folders)
    edit(folders[1] / "petit_formulaire.json", '"title": "Montant"', '"title": "Montant (€)"')
    assert deploy_folder(session_factory, *folders).new_versions == {"petit_processus": 2}


def test_running_instance_finishes_on_its_own_version(session_factory, folders, runtime, users):
    deploy_folder(session_factory, *folders)
    old = runtime.start("petit_processus", user_id=users["agent.cramif"].id, caisse_code="CRAMIF")
    edit(folders[0] / "petit_processus.bpmn", "double = montant * 2", "double = montant * 100")
    deploy_folder(session_factory, *folders)
    new = runtime.start("petit_processus", user_id=users["agent.cramif"].id, caisse_code="CRAMIF")
    for instance_id in (old, new):
        runtime.complete_task(open_task(session_factory, instance_id), users["agent.cramif"],
                              {"montant": 10})
    with session_factory() as session:
        old_row, new_row = session.get(ProcessInstance, old), session.get(ProcessInstance, new)
        assert (old_row.process_version.version, new_row.process_version.version) == (1, 2)
        # Version 1 doubles 10 → 20 < 100: ends at « Petit montant ». Version 2: 1000 → waits.
        assert old_row.status == "completed"
        assert new_row.current_step.startswith("Valider le montant")


def open_task(session_factory, instance_id) -> int:
    with session_factory() as session:
        return session.scalar(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == "open"))


def refused(session_factory, folders) -> DeployRefused:
    with pytest.raises(DeployRefused) as caught:
        deploy_folder(session_factory, *folders)
    with session_factory() as session:  # all or nothing: not a single file was stored
        assert session.scalar(select(func.count()).select_from(DeployedFile)) == 0
    return caught.value


def test_broken_xml_is_refused_naming_the_file(session_factory, folders):
    (folders[0] / "casse.bpmn").write_text("<bpmn:definitions><oups></bpmn:definitions>")
    errors = refused(session_factory, folders).errors
    assert [e.filename for e in errors] == ["casse.bpmn"]


def test_missing_form_file_is_refused_naming_the_user_task(session_factory, folders):
    (folders[1] / "petit_formulaire.json").unlink()
    errors = refused(session_factory, folders).errors
    assert any(e.filename == "petit_processus.bpmn" and e.element_id == "saisie"
               and "petit_formulaire.json" in e.reason for e in errors)


def test_invalid_json_schema_is_refused(session_factory, folders):
    (folders[1] / "petit_formulaire.json").write_text('{"type": "objet"}')
    errors = refused(session_factory, folders).errors
    assert any(e.filename == "petit_formulaire.json" for e in errors)


@pytest.mark.parametrize("script, reason", [
    ("os = __import__('os')", "__import__"),
    ("contenu = open('/etc/passwd').read()", "open"),
    ("import os", "import"),
    ("x = ().__class__.__bases__", "refusé"),
])
def test_forbidden_script_is_refused_naming_the_script_task(session_factory, folders, script,
                                                            reason):
    edit(folders[0] / "petit_processus.bpmn", "double = montant * 2", script)
    errors = refused(session_factory, folders).errors
    assert any(e.element_id == "calcul" and reason in e.reason for e in errors), errors


def test_forbidden_gateway_condition_is_refused(session_factory, folders):
    edit(folders[0] / "petit_processus.bpmn", "double &gt;= 100", "open('x') and double")
    errors = refused(session_factory, folders).errors
    assert any(e.element_id == "choix" and "condition" in e.reason for e in errors), errors


def test_forbidden_timer_expression_is_refused(session_factory, folders):
    edit(folders[0] / "petit_processus.bpmn", '"P2D"', "__import__('os').getcwd()")
    errors = refused(session_factory, folders).errors
    assert any(e.element_id == "delai" and "minuteur" in e.reason for e in errors), errors


def test_user_task_outside_a_known_lane_is_refused(session_factory, folders):
    edit(folders[0] / "petit_processus.bpmn", 'name="Service Invalidité"', 'name="Stagiaires"')
    errors = refused(session_factory, folders).errors
    assert any(e.element_id == "saisie" and "Stagiaires" in e.reason for e in errors), errors


def test_one_bad_file_blocks_the_good_ones(session_factory, folders):
    edit(folders[0] / "minuteur_simple.bpmn", "passages = 1", "import socket")
    errors = refused(session_factory, folders).errors
    assert {e.filename for e in errors} == {"minuteur_simple.bpmn"}
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 0
