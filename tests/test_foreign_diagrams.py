"""Diagrams from elsewhere (our own small files in the style of the public corpora: BPMN
MIWG, SpiffWorkflow's test diagrams, Camunda 7/8 examples, DMN TCK) go through the deploy
checks: each one is accepted, or refused with French messages naming its elements — never a
crash, never an English engine message, never a silent non-deployment."""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest
from lxml import etree

from app.engine import lint, specs
from app.engine.deploy import read_folders
from app.engine.messages_fr import explain, translate
from app.engine.specs import DeployRefused, Sources, parse_sources, role_of_task

from .conftest import ROOT

FOREIGN = Path(__file__).resolve().parent / "fixtures" / "foreign"

# file → (expected outcome, companion files, element ids that the refusal must name)
CASES: dict[str, tuple[str, tuple[str, ...], set[str]]] = {
    "collaboration_pools.bpmn": ("accepté", (), set()),
    "collab_nonexec_pool.bpmn": ("refusé", (), {"fournisseur"}),
    "non_executable.bpmn": ("refusé", (), {"reference_A1"}),
    "only_blackbox.bpmn": ("refusé", (), set()),
    "plain_tasks_no_lanes.bpmn": ("refusé", (), {"verifier_piece", "classer"}),
    "plain_task_in_lane.bpmn": ("accepté", (), set()),
    "lane_role_property.bpmn": ("accepté", (), set()),
    "lane_role_unknown.bpmn": ("refusé", (), {"lane_guichet", "r_accueil"}),
    "unconnected.bpmn": ("refusé", (), {"u_choix", "u_orpheline", "u_fin_seule"}),
    "service_no_operator.bpmn": ("refusé", (), {"s_appel", "s_script"}),
    "camunda_feel.bpmn": ("refusé", (), {"c_montant", "c_approuver", "c_payer"}),
    "zeebe_tasks.bpmn": ("refusé", (), {"z_facturer", "z_remise"}),
    "data_store.bpmn": ("refusé", (), {"registre", "d_lire"}),
    "data_objects.bpmn": ("accepté", (), set()),
    "data_nested_unresolved.bpmn": ("refusé", (), {"nn_lire"}),
    "no_di.bpmn": ("accepté", (), set()),
    "order.v2.bpmn": ("accepté", (), set()),
    "complex_and_links.bpmn": ("refusé", (), {"x_complexe", "x_vers_b", "x_depuis_a"}),
    "timer_unquoted.bpmn": ("refusé", (), {"t_attente"}),
    "implicit_split.bpmn": ("refusé", (), {"e_preparer", "e7", "e8"}),
    "broken.bpmn": ("refusé", (), set()),
    "xsd_invalid.bpmn": ("refusé", (), {"q tache", "q_inconnue"}),
    "graph_caller.bpmn": ("accepté", ("graph_decisions.dmn",), set()),
    "graph_decisions.dmn": ("accepté", (), set()),
    "dmn11_remise.dmn": ("accepté", (), set()),
    "dmn12_remise.dmn": ("accepté", (), set()),
    "dmn14_remise.dmn": ("accepté", (), set()),
    "dmn15_remise.dmn": ("accepté", (), set()),
    "bad_cell.dmn": ("refusé", (), {"taux_errone"}),
    "table_without_id.dmn": ("refusé", (), {"plafond"}),
    "feel_literal.dmn": ("refusé", (), {"majeur"}),
    "collect_sum.dmn": ("refusé", (), {"total_points"}),
    "event_subprocess.bpmn": ("accepté", (), set()),
    "event_gateway_messages.bpmn": ("accepté", (), set()),
    "call_missing.bpmn": ("refusé", (), {"cm_appel"}),
}

# The test's own idea of « not French enough » (independent of app.engine.messages_fr).
ENGLISH = re.compile(
    r"must have|is not executable|not supported|no support|cannot resolve|not found|"
    r"is missing|is required|not expected|expected is|did you mean|malformed|multiple "
    r"decision|traceback|invalid syntax|perhaps you|was never closed|unterminated|"
    r"no dmn diagram|there is no|an operator|is not a valid value", re.IGNORECASE)
PYTHON_CLASS = re.compile(
    r"\b(KeyError|IndexError|AttributeError|TypeError|ValueError|NameError|SyntaxError|"
    r"XMLSyntaxError|ValidationException|WorkflowException|SpiffWorkflowException|"
    r"AssertionError|RecursionError|XPathEvalError|LxmlError)\b")


def english_or_raw(reason: str) -> str | None:
    """What betrays an untranslated message, or None."""
    for pattern in (ENGLISH, PYTHON_CLASS, re.compile(r"0x[0-9a-f]{4,}|<Element ")):
        found = pattern.search(reason)
        if found:
            return found.group(0)
    return None


@pytest.fixture(scope="module")
def real_forms() -> dict[str, str]:
    return read_folders(ROOT / "processes", ROOT / "forms").forms


def sources_for(filename: str, companions=(), forms=None) -> Sources:
    sources = Sources(forms=dict(forms or {}))
    for name in (filename, *companions):
        bucket = sources.dmn if name.endswith(".dmn") else sources.bpmn
        bucket[name] = (FOREIGN / name).read_text(encoding="utf-8")
    return sources


def run(sources: Sources, timeout: float = 30.0):
    """('accepté', processes) | ('refusé', errors) | ('plantage', description) — in a thread,
    so a diagram that would make the parser loop forever is a failure, not a hung suite."""
    outcome: list = []

    def target():
        try:
            outcome.append(("accepté", parse_sources(sources)))
        except DeployRefused as refused:
            outcome.append(("refusé", refused.errors))
        except BaseException as err:  # noqa: BLE001 - that is what this test looks for
            outcome.append(("plantage", f"{type(err).__name__}: {err}"))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    return outcome[0] if outcome else ("plantage", f"pas de réponse en {timeout:g} s")


def ids_in(*filenames: str) -> set[str]:
    found = set()
    for name in filenames:
        try:
            root = etree.fromstring((FOREIGN / name).read_bytes())
        except etree.XMLSyntaxError:
            continue
        found |= {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id")}
    return found


def test_the_corpus_is_big_enough_and_all_of_it_is_listed():
    on_disk = {p.name for p in FOREIGN.iterdir() if p.suffix in {".bpmn", ".dmn"}}
    assert on_disk == set(CASES)
    assert len(on_disk) >= 20


def test_every_foreign_diagram_is_accepted_or_refused_in_french(real_forms):
    rows, problems = [], []
    for filename, (expected, companions, must_name) in sorted(CASES.items()):
        outcome, detail = run(sources_for(filename, companions, real_forms))
        if outcome == "refusé":
            known_ids = ids_in(filename, *companions)
            named = {e.element_id for e in detail}
            for error in detail:
                bad = english_or_raw(error.reason)
                if bad:
                    problems.append(f"{filename}: message pas en français ({bad}) : {error}")
                if not error.reason.strip():
                    problems.append(f"{filename}: message vide")
                if error.element_id and error.element_id not in known_ids:
                    problems.append(f"{filename}: élément inconnu {error.element_id!r}")
                if error.filename not in (filename, *companions):
                    problems.append(f"{filename}: fichier mal nommé {error.filename!r}")
            if not must_name <= named:
                problems.append(f"{filename}: éléments non nommés {sorted(must_name - named)}")
            summary = f"refusé, message clair ({len(detail)} problème(s))"
        elif outcome == "accepté":
            summary = f"accepté ({', '.join(detail) or 'tables DMN seules'})"
        else:
            summary = f"PLANTAGE : {detail}"
        if outcome != expected:
            problems.append(f"{filename}: attendu {expected}, obtenu {outcome} ({detail})")
        rows.append((filename, summary))
    counts = {kind: sum(1 for _f, s in rows if s.lower().startswith(kind))
              for kind in ("accepté", "refusé", "plantage")}
    print("\n" + "\n".join(f"{name:32} {summary}" for name, summary in rows))
    print(f"accepted {counts['accepté']} / refused with clear message {counts['refusé']} / "
          f"crash {counts['plantage']}")
    assert not problems, "\n".join(problems)
    assert counts["plantage"] == 0


def refusal(filename: str, forms=None, companions=()) -> list:
    outcome, detail = run(sources_for(filename, companions, forms))
    assert outcome == "refusé", detail
    return detail


def by_element(errors) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors:
        found.setdefault(error.element_id, []).append(error.reason)
    return found


def test_all_the_problems_of_a_file_come_at_once():
    errors = by_element(refusal("service_no_operator.bpmn"))
    assert "opérateur" in " ".join(errors["s_appel"])
    assert any("import" in reason for reason in errors["s_script"])
    unconnected = by_element(refusal("unconnected.bpmn"))
    assert {"u_choix", "u_orpheline", "u_fin_seule"} <= set(unconnected)
    assert "ne sort" in unconnected["u_choix"][0]
    assert "n'arrive" in unconnected["u_orpheline"][0]


def test_plain_and_manual_tasks_follow_the_lane_rules_of_user_tasks():
    errors = by_element(refusal("plain_tasks_no_lanes.bpmn"))
    assert "bpmn:task" in errors["verifier_piece"][0] and "couloir" in errors["verifier_piece"][0]
    assert "tâche manuelle" in errors["classer"][0]
    # In a known lane, a plain task is accepted as a task for the agents.
    outcome, processes = run(sources_for("plain_task_in_lane.bpmn"))
    assert outcome == "accepté"
    task = processes["tache_simple_couloir"].spec.task_specs["pl_tache"]
    assert task.manual and role_of_task(task) == "agent"


def test_a_lane_can_carry_its_role_in_the_diagram():
    outcome, processes = run(sources_for("lane_role_property.bpmn"))
    assert outcome == "accepté", processes
    spec = processes["couloirs_roles"].spec
    assert spec.lane_roles == {"Guichet": "agent", "Expertise": "medecin_conseil"}
    assert role_of_task(spec.task_specs["r_accueil"]) == "agent"
    assert role_of_task(spec.task_specs["r_avis"]) == "medecin_conseil"
    assert specs.lane_role("Guichet") is None  # the fixed names are unchanged
    assert specs.lane_role("Service médical") == "medecin_conseil"
    errors = by_element(refusal("lane_role_unknown.bpmn"))
    assert "stagiaire" in errors["lane_guichet"][0]


def test_non_executable_processes_are_never_deployed_silently():
    assert "isExecutable" in by_element(refusal("non_executable.bpmn"))["reference_A1"][0]
    assert "fournisseur" in by_element(refusal("collab_nonexec_pool.bpmn"))
    (error,) = refusal("only_blackbox.bpmn")
    assert "rien ne serait déployé" in error.reason
    # An empty external pool beside an executable one is fine: only that one deploys.
    outcome, processes = run(sources_for("collaboration_pools.bpmn"))
    assert outcome == "accepté" and list(processes) == ["traitement_demande"]


def test_a_diagram_that_would_make_the_parser_loop_forever_is_refused_at_once():
    errors = by_element(refusal("data_nested_unresolved.bpmn"))
    assert "objet_ailleurs" in errors["nn_lire"][0]


def test_dotted_file_names_deploy_with_their_name(real_forms):
    outcome, processes = run(sources_for("order.v2.bpmn", forms=real_forms))
    assert outcome == "accepté"
    assert "order.v2.bpmn" in processes["commande_v2"].files


def test_feel_and_juel_conditions_and_unquoted_timers_get_a_hint():
    errors = by_element(refusal("camunda_feel.bpmn"))
    assert any("Python" in r and "${" in r for r in errors["c_montant"])
    timer = by_element(refusal("timer_unquoted.bpmn"))["t_attente"]
    assert any('"PT5M"' in r for r in timer)


def test_any_failure_inside_the_engine_becomes_a_french_refusal(monkeypatch):
    def explode(*_args, **_kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(specs.DiagramParser, "get_spec", explode)
    (error,) = refusal("no_di.bpmn")
    assert error.filename == "no_di.bpmn" and not english_or_raw(error.reason)
    monkeypatch.setattr(lint, "lint_bpmn", explode)
    errors = refusal("no_di.bpmn")
    assert errors and all(not english_or_raw(e.reason) for e in errors)
    monkeypatch.setattr(specs, "_check_forms", explode)
    (error,) = refusal("no_di.bpmn")
    assert "échoué" in error.reason and not english_or_raw(error.reason)


@pytest.mark.parametrize("english", [
    "A Service Task must have an operator",
    ("Cannot resolve dataInputAssociation <Element {http://www.omg.org/spec/BPMN/20100524/MODEL}"
    "sourceRef at 0x7f3a2b1c0d80>"),
    "Process reference_A1 is not executable.",
    "No start event found",
    "There is no support implemented for this task type.",
    "Multiple decision tables are not current supported.",
    "The process 'absent' was not found. Did you mean one of the following: a, b?",
    "Something nobody translated <Foo object at 0x7f00aa>",
])
def test_engine_messages_come_out_in_french(english):
    french = translate(english)
    assert not english_or_raw(french.replace("Something nobody translated", "")), french
    assert "0x" not in french and "<Element" not in french


def test_unknown_exceptions_never_show_their_class_name():
    for err in (IndexError("list index out of range"), KeyError("id"), AttributeError("x"),
                etree.XMLSyntaxError("bad", 1, 1, 1), RuntimeError("<Element x at 0x7f12>")):
        text = explain(err, "« f.bpmn »")
        assert not PYTHON_CLASS.search(text) and "0x7f" not in text, text


def test_a_version_deployed_under_looser_checks_still_loads_for_its_instances():
    # What the deploy refuses now (a plain task outside any lane, a FEEL-style list in a DMN
    # cell) was accepted before: SpecCache loads such versions with strict=False.
    sources = sources_for("plain_tasks_no_lanes.bpmn")
    with pytest.raises(DeployRefused):
        parse_sources(sources)
    assert list(parse_sources(sources, strict=False)) == ["taches_simples"]
    # What SpiffWorkflow itself cannot read stays refused, in French.
    with pytest.raises(DeployRefused):
        parse_sources(sources_for("data_nested_unresolved.bpmn"), strict=False)


def _mutations(seed: int, count: int):
    """Damaged copies of the corpus: elements removed, renamed, moved or duplicated,
    attributes dropped or given odd values, text replaced, files cut short."""
    import copy
    import random

    rng = random.Random(seed)
    names = sorted(CASES)
    for _ in range(count):
        name = rng.choice(names)
        text = (FOREIGN / name).read_text(encoding="utf-8")
        try:
            root = etree.fromstring(text.encode())
        except etree.XMLSyntaxError:
            yield name, text[: rng.randrange(1, len(text))]
            continue
        elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
        for _ in range(rng.randint(1, 3)):
            element = rng.choice(elements)
            parent = element.getparent()
            action = rng.randrange(6)
            if action == 0 and parent is not None:
                parent.remove(element)
            elif action == 1 and element.attrib:
                del element.attrib[rng.choice(list(element.attrib))]
            elif action == 2:
                element.tag = element.tag.rsplit("}", 1)[0] + "}" + rng.choice(
                    ["task", "userTask", "complexGateway", "subProcess", "decision", "rule",
                     "text", "incoming", "dataObject", "inconnu"])
            elif action == 3:
                element.text = rng.choice(["", "-", '"x"y', "${a}", "PT1H", "'", "[1..2]"])
            elif action == 4 and element.attrib:
                key = rng.choice(list(element.attrib))
                element.attrib[key] = rng.choice(["", "x y", "a'b", "false", "z"])
            elif action == 5 and parent is not None:
                parent.append(copy.deepcopy(element))
        yield name, etree.tostring(root, encoding="unicode")


def test_damaged_diagrams_are_refused_in_french_never_crash_nor_hang():
    for name, text in _mutations(seed=7, count=150):
        sources = Sources(**{"dmn" if name.endswith(".dmn") else "bpmn": {name: text}})
        outcome, detail = run(sources, timeout=20)
        assert outcome != "plantage", (name, detail, text)
        for error in detail if outcome == "refusé" else []:
            assert "a échoué" not in error.reason, (error, text)  # no last-resort catch
            assert not english_or_raw(error.reason), (error, text)
