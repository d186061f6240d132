"""Parse and check BPMN/DMN/forms bundles with SpiffWorkflow; cache parsed specs per version.

Every check that deployment, the studio's « Valider » and the tests rely on lives here, so the
three agree: the XML parses (spiff extensions + DMN), each user task names an existing, valid
JSON Schema form and sits in a lane mapped to a role, and every script, condition and timer
expression compiles under RestrictedPython.
"""
from __future__ import annotations

import hashlib
import json
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import partial

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.specs.MultiChoice import MultiChoice
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from .scripting import check_source

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


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lane_role(lane: str | None) -> str | None:
    if not lane:
        return None
    plain = unicodedata.normalize("NFKD", lane).encode("ascii", "ignore").decode().lower()
    return LANE_ROLES.get(" ".join(plain.split()))


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


def parse_sources(sources: Sources) -> dict[str, ParsedProcess]:
    """Parse and check everything; raise DeployRefused listing every problem found."""
    errors: list[DeployError] = []
    schemas = _check_forms(sources.forms, errors)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    _add_files(parser, sources, errors)
    processes = {} if errors else _build_processes(parser, sources, schemas, errors)
    if errors:
        raise DeployRefused(errors)
    return processes


def _check_forms(forms: dict[str, str], errors: list[DeployError]) -> dict[str, dict]:
    schemas = {}
    for name, text in forms.items():
        try:
            schema = json.loads(text)
            Draft202012Validator.check_schema(schema)
            schemas[name] = schema
        except json.JSONDecodeError as err:
            errors.append(DeployError(name, "", f"JSON invalide ligne {err.lineno} : {err.msg}"))
        except SchemaError as err:
            errors.append(DeployError(name, "", f"JSON Schema invalide : {err.message}"))
    return schemas


def _add_files(parser, sources: Sources, errors: list[DeployError]) -> None:
    for name, text in sources.dmn.items():
        _guard(errors, name, partial(parser.add_dmn_str, text.encode("utf-8"), filename=name))
    for name, text in sources.bpmn.items():
        _guard(errors, name, partial(parser.add_bpmn_str, text.encode("utf-8"), filename=name))


def _guard(errors: list[DeployError], filename: str, action) -> object:
    try:
        return action()
    except ValidationException as err:
        errors.append(DeployError(err.file_name or filename, err.id or "", str(err).strip()))
    except SpiffWorkflowException as err:
        element = getattr(getattr(err, "task_spec", None), "bpmn_id", "") or ""
        errors.append(DeployError(filename, element, str(err).strip()))
    except Exception as err:  # noqa: BLE001 - lxml and the parsers raise many kinds
        errors.append(DeployError(filename, "", f"{type(err).__name__} : {err}"))
    return None


def _build_processes(parser, sources, schemas, errors) -> dict[str, ParsedProcess]:
    dmn_files = _dmn_files_by_table(parser)
    processes = {}
    for key in parser.get_process_ids():
        filename = parser.get_process_parser(key).filename
        if filename not in sources.bpmn:
            continue
        found = _guard(errors, filename, partial(_parse_one, parser, key))
        if found is None:
            continue
        spec, subprocess_specs = found
        used = _check_specs([spec, *subprocess_specs.values()], schemas, dmn_files, errors)
        files = {f: sha256_text(sources.all_files()[f][1]) for f in sorted(used | {filename})}
        processes[key] = ParsedProcess(key, spec.description or key, spec, subprocess_specs, files)
    return processes


def _parse_one(parser, key):
    return parser.get_spec(key), parser.get_subprocess_specs(key)


def _dmn_files_by_table(parser) -> dict[str, str]:
    # By table id: the parser builds new table objects for each business rule task.
    found = {}
    for dmn_parser in parser.dmn_parsers.values():
        dmn_parser.parse()
        for table in dmn_parser.decision.decisionTables:
            found[table.id] = dmn_parser.filename
    return found


def _check_specs(specs, schemas, dmn_files, errors) -> set[str]:
    """Check every task spec; return the extra files (forms, DMN, sub-BPMN) they use."""
    used: set[str] = set()
    for spec in specs:
        if spec is None:
            continue
        used.add(spec.file)
        for task_spec in spec.task_specs.values():
            used |= _check_task_spec(spec.file, task_spec, schemas, dmn_files, errors)
    return used


def _check_task_spec(filename, task_spec, schemas, dmn_files, errors) -> set[str]:
    used: set[str] = set()
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name

    def refuse(reason):
        errors.append(DeployError(filename, element, reason))

    for label, source, mode in _expressions(task_spec):
        reason = check_source(source, mode)
        if reason:
            refuse(f"{label} refusé : {reason}")
    if isinstance(task_spec, (UserTaskMixin, ManualTaskMixin)):
        used |= _check_user_task(task_spec, schemas, refuse)
    engine = getattr(task_spec, "dmnEngine", None)
    if engine is not None and engine.decision_table.id in dmn_files:
        used.add(dmn_files[engine.decision_table.id])
    return used


def _check_user_task(task_spec, schemas, refuse) -> set[str]:
    if lane_role(task_spec.lane) is None:
        refuse(f"la tâche utilisateur est dans le couloir « {task_spec.lane or 'aucun'} », "
               "qui ne correspond à aucun rôle")
    form = form_of(task_spec)
    if form is None:
        return set()
    if form not in schemas:
        refuse(f"le formulaire « {form} » n'existe pas dans forms/ ou n'est pas valide")
        return set()
    return {form}


def form_of(task_spec) -> str | None:
    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    return properties.get(FORM_PROPERTY)


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
        parsed = parse_sources(sources)[key]
        forms = {name: json.loads(text) for name, text in sources.forms.items()}
        self._specs[version.bundle_sha256] = (parsed.spec, parsed.subprocess_specs, forms)
        return self._specs[version.bundle_sha256]

    def clear(self) -> None:
        self._specs.clear()


spec_cache = SpecCache()
