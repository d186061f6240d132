"""DMN files cannot take the platform down: a malformed cell, a decision graph, a table
without id or any DMN version give a French refusal at save time — or run."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from app.engine.deploy import read_folders
from app.engine.scripting import make_script_engine
from app.engine.specs import DeployRefused, Sources, parse_sources

from .conftest import ROOT
from .test_foreign_diagrams import english_or_raw
from .test_studio_editing import DIAGRAM, analyste, diagram, save  # noqa: F401 - fixture

FOREIGN = Path(__file__).resolve().parent / "fixtures" / "foreign"

CALLER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs_appel"
  targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="appel_decision" name="Appel d'une décision" isExecutable="true">
    <bpmn:startEvent id="debut"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="decider" name="Décider">
      <bpmn:extensionElements>
        <spiffworkflow:calledDecisionId>{decision}</spiffworkflow:calledDecisionId>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="debut" targetRef="decider" />
    <bpmn:sequenceFlow id="f2" sourceRef="decider" targetRef="fin" />
  </bpmn:process>
</bpmn:definitions>
"""


def foreign(name: str) -> str:
    return (FOREIGN / name).read_text(encoding="utf-8")


def refused(sources: Sources) -> list:
    with pytest.raises(DeployRefused) as caught:
        parse_sources(sources)
    for error in caught.value.errors:
        assert not english_or_raw(error.reason), error
    return caught.value.errors


def run_decision(dmn_name: str, decision: str, data: dict) -> dict:
    """Deploy-check a tiny BPMN calling `decision`, then run it with the platform's engine."""
    sources = Sources(bpmn={"appel.bpmn": CALLER.replace("{decision}", decision)},
                      dmn={dmn_name: foreign(dmn_name)})
    parsed = parse_sources(sources)["appel_decision"]
    assert dmn_name in parsed.files  # the DMN file belongs to the version's bundle
    workflow = BpmnWorkflow(parsed.spec, parsed.subprocess_specs)
    workflow.script_engine = make_script_engine()
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    return workflow.data if workflow.data else workflow.last_task.data


# ----- malformed cells ----------------------------------------------------------------------
def test_a_malformed_cell_is_refused_at_parse_naming_decision_rule_and_column():
    errors = refused(Sources(dmn={"bad_cell.dmn": foreign("bad_cell.dmn")}))
    first = next(e for e in errors if "bad_r1" in e.reason)
    assert first.filename == "bad_cell.dmn" and first.element_id == "taux_errone"
    for words in ("Taux erroné", "règle 1", "colonne « Taux »", '"0.30"x', "refusée"):
        assert words in first.reason, first.reason
    # Every bad cell of the table at once: FEEL range, FEEL list, forbidden name.
    reasons = " ".join(e.reason for e in errors)
    assert "règle 2" in reasons and "règle 3" in reasons and "__import__" in reasons


def test_the_real_bundle_with_a_broken_cell_is_refused_not_crashed():
    sources = read_folders(ROOT / "processes", ROOT / "forms")
    sources.dmn["taux_categorie.dmn"] = sources.dmn["taux_categorie.dmn"].replace(
        '<text>"0.30"</text>', '<text>"0.30"x</text>', 1)
    errors = refused(sources)
    assert any(e.filename == "taux_categorie.dmn" and e.element_id == "taux_categorie"
               and "règle 1" in e.reason for e in errors), errors


@pytest.mark.parametrize("cell, words", [
    ("not(1)", "négation FEEL"),
    ("[1..3]", "intervalle"),
    ('in ("a", "b")', "?"),
    ("open('x')", "open"),
])
def test_input_cells_are_compiled_as_the_engine_will_evaluate_them(cell, words):
    text = foreign("dmn14_remise.dmn").replace("&gt; 500", cell.replace("<", "&lt;"), 1)
    errors = refused(Sources(dmn={"remise.dmn": text}))
    assert any("v14_r1" in e.reason and words in e.reason for e in errors), errors


# ----- decision graphs and versions -----------------------------------------------------------
def test_a_decision_graph_runs_its_required_decisions_first():
    data = run_decision("graph_decisions.dmn", "tarif_final",
                        {"prix": 100, "achats_annuels": 1500, "mois": 12})
    assert (data["categorie"], data["remise_saison"], data["tarif"]) == ("or", 0.1, 70.0)
    data = run_decision("graph_decisions.dmn", "tarif_final",
                        {"prix": 100, "achats_annuels": 10, "mois": 3})
    assert (data["categorie"], data["remise_saison"], data["tarif"]) == ("standard", 0, 100)


def test_any_decision_of_a_multi_decision_file_can_be_called():
    assert run_decision("graph_decisions.dmn", "remise_saison", {"mois": 11})[
        "remise_saison"] == 0.1
    assert run_decision("graph_decisions.dmn", "categorie_client", {"achats_annuels": 5})[
        "categorie"] == "standard"


@pytest.mark.parametrize("dmn_name, decision", [
    ("dmn11_remise.dmn", "remise_v11"), ("dmn12_remise.dmn", "remise_v12"),
    ("dmn14_remise.dmn", "remise_v14"), ("dmn15_remise.dmn", "remise_v15"),
])
def test_dmn_1_1_to_1_5_namespaces_parse_and_run(dmn_name, decision):
    assert run_decision(dmn_name, decision, {"montant": 600})["remise"] == 0.05
    assert run_decision(dmn_name, decision, {"montant": 100})["remise"] == 0


def test_a_table_without_id_is_refused_naming_file_and_decision():
    (error,) = refused(Sources(dmn={"table_without_id.dmn": foreign("table_without_id.dmn")}))
    assert (error.filename, error.element_id) == ("table_without_id.dmn", "plafond")
    assert "Plafond" in error.reason and "identifiant" in error.reason


def test_a_task_calling_a_refused_decision_says_so():
    sources = Sources(bpmn={"appel.bpmn": CALLER.replace("{decision}", "plafond")},
                      dmn={"table_without_id.dmn": foreign("table_without_id.dmn")})
    errors = refused(sources)
    assert any(e.filename == "appel.bpmn" and e.element_id == "decider"
               and "table_without_id.dmn" in e.reason for e in errors), errors


def test_unknown_dmn_namespace_and_duplicate_decisions_are_refused():
    text = foreign("dmn14_remise.dmn").replace("20211108", "20991231")
    (error,) = refused(Sources(dmn={"futur.dmn": text}))
    assert "DMN 1.1" in error.reason and "DMN 1.5" in error.reason
    errors = refused(Sources(dmn={"a.dmn": foreign("dmn14_remise.dmn"),
                                  "b.dmn": foreign("dmn14_remise.dmn")}))
    assert any("remise_v14" == e.element_id and "a.dmn" in e.reason for e in errors), errors


# ----- the studio stays usable with such a file in processes/ ----------------------------------
@pytest.mark.parametrize("dmn_name", ["bad_cell.dmn", "table_without_id.dmn",
                                      "feel_literal.dmn"])
def test_studio_routes_answer_a_french_refusal_with_a_bad_dmn_in_the_folder(
        analyste, folders, dmn_name):  # noqa: F811 - pytest fixture
    shutil.copy(FOREIGN / dmn_name, folders[0] / dmn_name)
    original = diagram(folders)

    checked = analyste.post("/studio/valider", json={"fichier": DIAGRAM, "contenu": original})
    assert checked.status_code == 200 and checked.json["ok"] is False
    assert any(e["fichier"] == dmn_name for e in checked.json["erreurs"])
    assert all(not english_or_raw(e["message"]) for e in checked.json["erreurs"])

    saved = save(analyste, DIAGRAM, original.replace("Saisir un montant", "Saisir le montant"))
    assert saved.status_code == 422
    assert any(e["fichier"] == dmn_name for e in saved.json["erreurs"])
    assert diagram(folders) == original

    preview = analyste.get("/studio/deployer")
    assert preview.status_code == 200
    page = preview.get_data(as_text=True)
    assert dmn_name in page and "Erreur" in page
    fingerprint = page.split('name="empreinte" value="')[1].split('"')[0] \
        if 'name="empreinte"' in page else ""
    deployed = analyste.post("/studio/deployer", data={"empreinte": fingerprint})
    assert deployed.status_code in (303, 422)


def test_a_decision_accepted_by_older_checks_still_loads_for_running_instances():
    dmn = foreign("dmn14_remise.dmn").replace("&gt; 500", '"a","b"', 1)
    sources = Sources(bpmn={"appel.bpmn": CALLER.replace("{decision}", "remise_v14")},
                      dmn={"remise.dmn": dmn})
    refused(sources)
    parsed = parse_sources(sources, strict=False)["appel_decision"]
    assert "remise.dmn" in parsed.files
    # A table SpiffWorkflow cannot build stays refused, even then.
    broken = Sources(bpmn={"appel.bpmn": CALLER.replace("{decision}", "plafond")},
                     dmn={"t.dmn": foreign("table_without_id.dmn")})
    with pytest.raises(DeployRefused):
        parse_sources(broken, strict=False)


def test_a_decision_graph_runs_through_the_platform_runtime(session_factory, runtime, users):
    from app.engine.deploy import deploy
    from app.models import ProcessInstance

    sources = Sources(bpmn={"graph_caller.bpmn": foreign("graph_caller.bpmn")},
                      dmn={"graph_decisions.dmn": foreign("graph_decisions.dmn")})
    with session_factory() as session, session.begin():
        assert deploy(session, sources, "test").new_versions == {"tarif_graphe": 1}
    instance_id = runtime.start("tarif_graphe", user_id=users["agent.cramif"].id,
                                caisse_code="CRAMIF",
                                data={"prix": 200, "achats_annuels": 2000, "mois": 11})
    with session_factory() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance.status == "completed"
        workflow = runtime.workflow_of(session, instance)
        data = workflow.data or workflow.last_task.data
        assert (data["categorie"], data["remise_saison"], data["tarif"]) == ("or", 0.1, 140.0)
