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
"""
from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import partial

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.deep_merge import DeepMerge

from . import lint
from .messages_fr import clean, explain, translate

FORM_PROPERTY = "formJsonSchemaFilename"

# Lane names (accents and case ignored) → the role whose inbox gets the lane's user tasks.
LANE_ROLES = {
    "assure": "assure",
    "service invalidite": "agent",
    "service medical": "medecin_conseil",
    "commission de recours amiable": "agent",
    "commission medicale de recours amiable": "medecin_conseil",
    "superviseur": "superviseur",
    "analyste": "analyste",
}
ROLES = lint.ROLES  # what a lane's « role » property may say


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lane_role(lane: str | None) -> str | None:
    if not lane:
        return None
    plain = unicodedata.normalize("NFKD", lane).encode("ascii", "ignore").decode().lower()
    return LANE_ROLES.get(" ".join(plain.split()))


def role_of_task(task_spec) -> str | None:
    """The role whose inbox gets this human task: the `role` property of its lane in the
    diagram (attached to the process spec as `lane_roles` at parse time), else the fixed
    lane names of LANE_ROLES; None when the lane gives no role."""
    lane = getattr(task_spec, "lane", None)
    if not lane:
        return None
    roles = getattr(getattr(task_spec, "_wf_spec", None), "lane_roles", None) or {}
    return roles.get(lane) or lane_role(lane)


@dataclass(frozen=True)
class DeployError:
    filename: str
    element_id: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.filename} › {self.element_id}" if self.element_id else self.filename
        return f"{where} : {self.reason}"


class DeployRefused(Exception):
    def __init__(self, errors: list[DeployError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Sources:
    """File contents by name: `processes/*.bpmn`, `processes/*.dmn`, `forms/*.json`."""

    bpmn: dict[str, str] = field(default_factory=dict)
    dmn: dict[str, str] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)

    def all_files(self) -> dict[str, tuple[str, str]]:
        kinds = (("bpmn", self.bpmn), ("dmn", self.dmn), ("form", self.forms))
        return {name: (kind, text) for kind, files in kinds for name, text in files.items()}


@dataclass
class ParsedProcess:
    key: str
    name: str
    spec: object
    subprocess_specs: dict
    files: dict[str, str]  # filename → sha256 of everything this process needs

    @property
    def bundle_sha256(self) -> str:
        return sha256_text(json.dumps(self.files, sort_keys=True))


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
class DecisionGraphEngine(DMNEngine):
    """A decision table whose required decisions are evaluated first (dependencies first);
    their outputs go into the task data, where the requiring decision's inputs read them."""

    def __init__(self, decision_table, required=(), decision_ids=()):
        super().__init__(decision_table)
        self.required = list(required)
        self.decision_ids = list(decision_ids) or [decision_table.id]

    def result(self, task):
        for engine in self.required:
            task.data = DeepMerge.merge(task.data, engine.result(task))
        return super().result(task)


class _DecisionParser(DMNParser):
    """SpiffWorkflow's DMN parser for ONE decision of a file (it reads only the first)."""

    def __init__(self, parser, element, namespace: str, filename: str):
        super().__init__(parser, element.getroottree().getroot(), {"dmn": namespace},
                         filename=filename)
        self._element = element

    @property
    def bpmn_id(self):
        return self._element.get("id")

    def get_name(self):
        return self._element.get("name")

    def parse(self):
        if self.decision is None:
            element = copy.deepcopy(self._element)
            for node in list(element.iter(etree.Comment, etree.ProcessingInstruction)):
                node.getparent().remove(node)
            for table in element.iter(f"{{{self.nsmap['dmn']}}}decisionTable"):
                for child in list(table):  # annotations, descriptions: not read by the engine
                    if lint.local(child.tag) not in {"input", "output", "rule"}:
                        table.remove(child)
            self.decision = self._parse_decision([element])


class DiagramParser(SpiffBpmnParser):
    """SpiffBpmnParser with DMN decisions registered one by one (several per file, any DMN
    1.1–1.5 namespace) and decision graphs evaluated dependencies first."""

    def __init__(self, strict: bool = True):
        super().__init__(validator=VALIDATOR)
        self.strict = strict
        self.decision_files: dict[str, str] = {}
        self.decision_requires: dict[str, list[str]] = {}
        self.refused_decisions: dict[str, str] = {}

    def add_decision(self, decision: lint.Decision, filename: str) -> None:
        if not (decision.ok or (not self.strict and decision.parseable)):
            self.refused_decisions[decision.id] = filename
            return
        dmn_parser = _DecisionParser(self, decision.element, decision.namespace, filename)
        self.dmn_parsers[decision.id] = dmn_parser
        self.dmn_parsers_by_name[decision.name] = dmn_parser
        self.decision_files[decision.id] = filename
        self.decision_requires[decision.id] = list(decision.requires)

    def get_engine(self, decision_ref, node):
        if decision_ref in self.refused_decisions:
            raise ValidationException(
                f"la décision appelée « {decision_ref} » est refusée : corrigez d'abord le "
                f"fichier {self.refused_decisions[decision_ref]}", node=node)
        if not decision_ref or decision_ref not in self.dmn_parsers:
            known = ", ".join(sorted(self.dmn_parsers)) or "aucune"
            raise ValidationException(
                f"la décision appelée « {decision_ref or 'aucune'} » n'existe dans aucun "
                f"fichier DMN (décisions disponibles : {known}) : corrigez "
                "spiffworkflow:calledDecisionId", node=node)
        order = self._required_order(decision_ref)
        return DecisionGraphEngine(self._table(decision_ref),
                                   [DMNEngine(self._table(r)) for r in order],
                                   [decision_ref, *order])

    def _table(self, decision_id):
        dmn_parser = self.dmn_parsers[decision_id]
        dmn_parser.parse()
        return dmn_parser.decision.decisionTables[0]

    def _required_order(self, top: str) -> list[str]:
        order: list[str] = []

        def visit(decision_id, path):
            for required in self.decision_requires.get(decision_id, []):
                if required not in order and required not in path:
                    visit(required, (*path, required))
                    order.append(required)

        visit(top, (top,))
        return [d for d in order if d != top]


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
        used = _stage(errors, filename, partial(_check_specs, specs, schemas, parser, findings))
        if used is None:
            continue
        files = {f: sha256_text(all_files[f][1]) for f in sorted(used | {filename})
                 if f in all_files}
        processes[key] = ParsedProcess(key, spec.description or key, spec, subprocess_specs,
                                       files)
    return processes


def _parse_one(parser, key):
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def _check_specs(specs, schemas, parser, errors) -> set[str]:
    """Check every task spec; return the extra files (forms, DMN, sub-BPMN) they use."""
    used: set[str] = set()
    for spec in specs:
        if spec is None:
            continue
        used.add(spec.file)
        for task_spec in spec.task_specs.values():
            used |= _check_task_spec(spec.file, task_spec, schemas, parser, errors)
    return used


def _human_kind(task_spec) -> str | None:
    for mixin, kind in ((UserTaskMixin, "userTask"), (ManualTaskMixin, "manualTask"),
                        (NoneTaskMixin, "task")):
        if isinstance(task_spec, mixin):
            return kind
    return None


def _check_task_spec(filename, task_spec, schemas, parser, errors) -> set[str]:
    used: set[str] = set()
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name

    def refuse(reason):
        errors.append(DeployError(filename, element, reason))

    for label, source, mode in _expressions(task_spec):
        reason = lint.expression_reason(label, source, mode)
        if reason:
            refuse(reason)
    kind = _human_kind(task_spec)
    if kind is not None:
        used |= _check_user_task(task_spec, kind, schemas, refuse)
    engine = getattr(task_spec, "dmnEngine", None)
    if engine is not None:
        ids = getattr(engine, "decision_ids", None) or [engine.decision_table.id]
        used |= {parser.decision_files[i] for i in ids if i in parser.decision_files}
    return used


def _check_user_task(task_spec, kind, schemas, refuse) -> set[str]:
    if role_of_task(task_spec) is None:
        refuse(lint.lane_reason(kind, task_spec.lane))
    for reason in screen_property_reasons(task_spec, kind):
        refuse(reason)
    form = form_of(task_spec)
    if form is None:
        return set()
    if form not in schemas:
        refuse(f"le formulaire « {form} » n'existe pas dans forms/ ou n'est pas valide")
        return set()
    return {form}


def screen_property_reasons(task_spec, kind: str = "userTask") -> list[str]:
    """What is wrong with the screen properties of a human task (see app/engine/screens.py):
    an `ecran` or a `panneau` the platform does not know, an `etape_ordre` not an integer."""
    from .screens import PAGE_KINDS, PANEL_KINDS  # screens imports this module

    task = f"{lint.HUMAN_KINDS.get(kind, 'la tâche').split(',')[0]} « " \
           f"{getattr(task_spec, 'bpmn_name', None) or task_spec.name} »"
    reasons = []
    for name, known, what in (("ecran", PAGE_KINDS, "l'écran"),
                              ("panneau", PANEL_KINDS, "le panneau")):
        value = task_property(task_spec, name)
        if value is not None and value.strip() and value.strip() not in known:
            reasons.append(
                f"{task} demande {what} « {value.strip()} », que la plateforme ne connaît pas "
                f": la propriété « {name} » vaut l'une de ces valeurs : {', '.join(known)}")
    ordre = task_property(task_spec, "etape_ordre")
    if ordre is not None and ordre.strip():
        try:
            int(ordre.strip())
        except ValueError:
            reasons.append(
                f"{task} a la propriété « etape_ordre » = « {ordre.strip()} », qui n'est pas un "
                "nombre entier : indiquez sa place dans les étapes du parcours (10, 20, 30…)")
    return reasons


def form_of(task_spec) -> str | None:
    return task_property(task_spec, FORM_PROPERTY)


def task_property(task_spec, name: str) -> str | None:
    """A `spiffworkflow:property` of a task: what the diagram says a screen needs."""
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return properties.get(name)


def _expressions(task_spec):
    """(label, source, compile mode) of every piece of code this task spec will run."""
    if getattr(task_spec, "script", None):
        yield "script", task_spec.script, "exec"
    for attr in ("prescript", "postscript"):
        if getattr(task_spec, attr, None):
            yield attr, getattr(task_spec, attr), "exec"
    if isinstance(task_spec, MultiChoice):
        for condition, _target in task_spec.cond_task_specs:
            if condition is not None:
                yield "condition", condition.args[0], "eval"
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        yield "expression du minuteur", definition.expression, "eval"
    if getattr(definition, "expression", None) and not isinstance(definition,
                                                                  TimerEventDefinition):
        yield "condition d'événement", definition.expression, "eval"


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
