"""Parse and check BPMN/DMN/forms bundles with SpiffWorkflow; cache parsed specs per version.

Every check that deployment, the studio's « Valider » and the tests rely on lives here, so the
three agree: the XML parses (spiff extensions + DMN), each human task (user, manual or plain
task) names an existing, valid JSON Schema form and sits in a lane mapped to a role, and every
script, condition, timer expression and DMN cell compiles under RestrictedPython.

No file can bring the platform down: each stage is guarded, every parser or engine failure
becomes a French `DeployError` naming the file and element (see `messages_fr`), and a
last-resort guard turns anything else into a `DeployRefused`. A raw-XML pass (`lint`) runs
first and lists all the problems of a file at once; SpiffWorkflow's parser then runs on the
files it can read, and its errors on elements the lint already explained are dropped.
Non-executable processes: see `lint` (refused when they hold flow elements; empty external
pools are not deployed; a file without any executable process is refused).

The pieces: `bundle` (Sources, ParsedProcess, DeployError), `human_tasks` (lane → role, task
properties), `dmn` (DiagramParser and its decisions), `spec_checks` (the task specs). Their
names stay importable from here, where most callers look for them.
"""
from __future__ import annotations

import functools
import json
import threading
from dataclasses import dataclass, field
from functools import partial

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import lint
from .bundle import DeployError, DeployRefused, ParsedProcess, Sources, sha256_text
from .dmn import DecisionGraphEngine, DiagramParser
from .human_tasks import FORM_PROPERTY, LANE_ROLES, form_of, lane_role, role_of_task, task_property
from .messages_fr import clean, explain, translate
from .parcours import KNOWN as KNOWN_PARCOURS
from .parcours import declared_parcours
from .spec_checks import check_specs, screen_property_reasons, task_expressions

__all__ = [
    "FORM_PROPERTY", "LANE_ROLES", "ROLES", "DecisionGraphEngine", "DeployError",
    "DeployRefused", "DiagramParser", "ParsedProcess", "Sources", "SpecCache", "form_of",
    "lane_role", "parse_sources", "role_of_task", "screen_property_reasons", "sha256_text",
    "spec_cache", "task_expressions", "task_property",
]

ROLES = lint.ROLES  # what a lane's « role » property may say
_expressions = task_expressions  # the name migration.py imports


def _never_crash(function):
    """Last resort: whatever escapes the guarded stages becomes a French DeployRefused."""

    @functools.wraps(function)
    def guarded(sources, **options):
        try:
            return function(sources, **options)
        except DeployRefused:
            raise
        except Exception as err:
            raise DeployRefused([DeployError("", "", "la vérification des fichiers a échoué : "
                                             + explain(err, "l'ensemble des fichiers"))]
                                ) from err
    return guarded


@_never_crash
def parse_sources(sources: Sources, *, strict: bool = True) -> dict[str, ParsedProcess]:
    """Parse and check everything; raise DeployRefused listing every problem found.

    `strict=False` (loading an already deployed version, see SpecCache) keeps only what
    stops SpiffWorkflow itself: a version deployed under older, looser checks still loads,
    so its running instances can finish on it."""
    errors: list[DeployError] = []
    schemas = _check_forms(sources.forms, errors)
    checked = _lint_files(sources, errors, strict)
    parser = DiagramParser(strict)
    _add_files(parser, sources, checked, errors)
    processes = _build_processes(parser, sources, schemas, checked, errors, strict)
    # --- Secret médical: an invariant of every version (app/engine/invariants.py) ---
    from .invariants import check_medical_secret
    errors += check_medical_secret(processes, sources.forms)
    # ---------------------------------------------------------------------------------
    # --- Call-activity cycles: refused at deploy (app/engine/callgraph.py) ---
    if strict:
        from .callgraph import call_cycle_errors
        errors += call_cycle_errors(sources)
    # ---------------------------------------------------------------------------------
    if errors:
        raise DeployRefused(_finish(errors, checked))
    return processes


def _check_forms(forms: dict[str, str], errors: list[DeployError]) -> dict[str, dict]:
    schemas = {}
    for name, text in forms.items():
        try:
            schema = json.loads(text)
            Draft202012Validator.check_schema(schema)
            schemas[name] = schema
        except json.JSONDecodeError as err:
            errors.append(DeployError(name, "", f"JSON invalide ligne {err.lineno} : "
                                                f"{translate(err.msg)}"))
        except SchemaError as err:
            errors.append(DeployError(name, "", f"JSON Schema invalide : "
                                                f"{translate(err.message)}"))
        except Exception as err:  # noqa: BLE001 - a form must never crash the check
            errors.append(DeployError(name, "", explain(err, f"« {name} »")))
    return schemas


# ----- raw-XML pass ----------------------------------------------------------------------
@dataclass
class _Checked:
    """What the lint found per file: problems' (file, element) keys, lane roles, names."""

    bpmn: dict[str, lint.BpmnLint] = field(default_factory=dict)
    dmn: dict[str, lint.DmnLint] = field(default_factory=dict)
    flagged: set[tuple[str, str]] = field(default_factory=set)
    names: dict[tuple[str, str], str] = field(default_factory=dict)


def _lint_files(sources: Sources, errors: list[DeployError], strict: bool = True) -> _Checked:
    checked = _Checked()
    for name, text in sources.dmn.items():
        result = _stage(errors, name, partial(lint.lint_dmn, text))
        result = result if result is not None else lint.DmnLint()
        checked.dmn[name] = result
        _record(checked, errors, name, result.problems, strict)
        for decision in result.decisions:
            checked.names[(name, decision.id)] = decision.name
    for name, text in sources.bpmn.items():
        result = _stage(errors, name, partial(lint.lint_bpmn, text, lane_role))
        result = result if result is not None else lint.BpmnLint(loadable=False)
        checked.bpmn[name] = result
        _record(checked, errors, name, result.problems, strict)
        for ident, element_name in result.names.items():
            checked.names[(name, ident)] = element_name
        if not strict:
            continue
        for error in _stage(errors, name, partial(_camunda, name, text)) or []:
            errors.append(error)
            checked.flagged.add((error.filename, error.element_id))
    if strict:
        _check_calls(checked, errors)
    return checked


def _check_calls(checked: _Checked, errors: list[DeployError]) -> None:
    """A call activity names a process of the bundle (SpiffWorkflow says it without the
    element; same words here, on the call activity, and the element-less one is dropped)."""
    known = set().union(*(result.process_ids for result in checked.bpmn.values()))
    for filename, result in checked.bpmn.items():
        for call_id, called in result.calls:
            if called not in known:
                errors.append(DeployError(filename, call_id, translate(
                    f"The process '{called}' was not found")))
                checked.flagged.add((filename, call_id))


def _record(checked: _Checked, errors: list[DeployError], filename: str, problems,
            strict: bool = True) -> None:
    for problem in problems:
        if not strict and not problem.blocking:
            continue
        errors.append(DeployError(filename, problem.element_id, problem.reason))
        checked.flagged.add((filename, problem.element_id))


def _camunda(filename: str, text: str) -> list[DeployError]:
    """French explanations of camunda:/zeebe: content, when app/engine/camunda.py exists."""
    try:
        from .camunda import explain_camunda
    except ImportError:
        return []
    return [e if isinstance(e, DeployError) else DeployError(filename, "", str(e))
            for e in explain_camunda(filename, text) or []]


def _stage(errors: list[DeployError], filename: str, action):
    """Run one stage on one file; any exception becomes a French DeployError."""
    try:
        return action()
    except Exception as err:  # noqa: BLE001 - lxml and the parsers raise many kinds
        errors.append(DeployError(filename, "", explain(err, f"« {filename} »")))
    return None


# ----- SpiffWorkflow pass -----------------------------------------------------------------
def _add_files(parser: DiagramParser, sources: Sources, checked: _Checked,
               errors: list[DeployError]) -> None:
    for name in sources.dmn:
        for decision in checked.dmn[name].decisions:
            other = parser.decision_files.get(decision.id) or parser.refused_decisions.get(
                decision.id)
            if other:
                errors.append(DeployError(name, decision.id, (
                    f"la décision « {decision.id} » existe aussi dans {other} : chaque décision "
                    "doit avoir un id unique")))
                continue
            _stage(errors, name, partial(parser.add_decision, decision, name))
    for name, text in sources.bpmn.items():
        if checked.bpmn[name].loadable:
            _guard(errors, name, partial(parser.add_bpmn_str, text.encode("utf-8"),
                                         filename=name), checked)


def _guard(errors: list[DeployError], filename: str, action, checked: _Checked | None = None):
    """Run a SpiffWorkflow step; its error, in French, unless the lint explained that
    element already."""
    try:
        return action()
    except ValidationException as err:
        found = DeployError(err.file_name or filename, err.id or "",
                            translate(_first_arg(err)))
    except SpiffWorkflowException as err:
        element = getattr(getattr(err, "task_spec", None), "bpmn_id", "") or ""
        found = DeployError(filename, element, translate(_first_arg(err)))
    except Exception as err:  # noqa: BLE001 - lxml and the parsers raise many kinds
        found = DeployError(filename, "", explain(err, f"« {filename} »"))
    if checked is None or (found.filename, found.element_id) not in checked.flagged:
        errors.append(found)
    return None


def _first_arg(err: Exception) -> str:
    return str(err.args[0]) if err.args else ""


def _build_processes(parser, sources, schemas, checked, errors,
                     strict: bool = True) -> dict[str, ParsedProcess]:
    processes = {}
    all_files = sources.all_files()
    for key in _stage(errors, "", parser.get_process_ids) or []:
        filename = parser.get_process_parser(key).filename
        if filename not in sources.bpmn:
            continue
        found = _guard(errors, filename, partial(_parse_one, parser, key), checked)
        if found is None:
            continue
        spec, subprocess_specs = found
        specs = [s for s in (spec, *subprocess_specs.values()) if s is not None]
        for each in specs:
            lanes = checked.bpmn.get(getattr(each, "file", None))
            each.lane_roles = dict(lanes.lane_roles) if lanes else {}
        # Loading a deployed version (not strict): its checks passed when it was deployed.
        findings = errors if strict else []
        used = _stage(errors, filename, partial(check_specs, specs, schemas, parser, findings))
        if used is None:
            continue
        files = {f: sha256_text(all_files[f][1]) for f in sorted(used | {filename})
                 if f in all_files}
        entry = _stage(errors, filename, partial(declared_parcours, all_files[filename][1]))
        parcours = (entry or {}).get(key)
        if strict and parcours is not None and parcours not in KNOWN_PARCOURS:
            errors.append(DeployError(filename, key, (
                f"le processus déclare le parcours « {parcours} », inconnu : choisissez "
                f"parmi {', '.join(KNOWN_PARCOURS)} ou retirez la propriété « parcours »")))
        processes[key] = ParsedProcess(key, spec.description or key, spec, subprocess_specs,
                                       files, parcours or None)
    return processes


def _parse_one(parser, key):
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def _finish(errors: list[DeployError], checked: _Checked) -> list[DeployError]:
    """Without duplicates; each reason names its element when the text does not yet."""
    located = {(e.filename, e.reason) for e in errors if e.element_id}
    seen, kept = set(), []
    for error in errors:
        key = (error.filename, error.element_id, error.reason)
        if key in seen or (not error.element_id and (error.filename, error.reason) in located):
            continue
        seen.add(key)
        name = checked.names.get((error.filename, error.element_id))
        if name and error.element_id and name not in error.reason \
                and error.element_id not in error.reason:
            error = DeployError(error.filename, error.element_id,
                                f"« {clean(name, 80)} » : {error.reason}")
        kept.append(error)
    return kept


class SpecCache:
    """Parsed specs by bundle hash: parsing happens once per version per OS process.

    Keyed by content hash rather than row id, so two databases (tests, sandbox) can never
    be served each other's diagrams.
    """

    def __init__(self) -> None:
        self._specs: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def get(self, version, load_sources) -> tuple:
        """(spec, subprocess_specs, forms by name) of a ProcessVersion row."""
        found = self._specs.get(version.bundle_sha256)
        if found is None:
            with self._lock:
                found = self._specs.get(version.bundle_sha256) or self._parse(version,
                                                                              load_sources)
        return found

    def _parse(self, version, load_sources):
        key, sources = load_sources(version.id)
        bundle = parse_sources(sources, strict=False)
        if key not in bundle:
            raise DeployRefused([DeployError("", key, f"le processus « {key} » est introuvable "
                                                      "dans les fichiers de sa version")])
        parsed = bundle[key]
        forms = {name: json.loads(text) for name, text in sources.forms.items()}
        self._specs[version.bundle_sha256] = (parsed.spec, parsed.subprocess_specs, forms)
        return self._specs[version.bundle_sha256]

    def clear(self) -> None:
        self._specs.clear()


spec_cache = SpecCache()
