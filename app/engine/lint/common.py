"""What the BPMN and DMN checks share: the `Problem`, reading the XML, XSD validation,
element labels, and the reasons the spec pass of specs.py words the same way."""
from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lxml import etree

from ..messages_fr import clean, python_fr, translate
from ..scripting import check_source as _check_source


def check_source(source: str, mode: str = "exec") -> str | None:
    """The sandbox's verdict (app.engine.scripting.check_source), in French throughout."""
    return python_fr(_check_source(source, mode))


BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ROLES = ("assure", "agent", "medecin_conseil", "cra", "cmra", "superviseur", "analyste")
DMN_NAMESPACES = {
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd": "1.1",
    "http://www.omg.org/spec/DMN/20180521/MODEL/": "1.2",
    "https://www.omg.org/spec/DMN/20191111/MODEL/": "1.3",
    "https://www.omg.org/spec/DMN/20211108/MODEL/": "1.4",
    "https://www.omg.org/spec/DMN/20230324/MODEL/": "1.5",
}
MAX_PROBLEMS = 40  # per file: beyond, one line says how many more
MAX_XSD = 15

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class Problem:
    element_id: str
    reason: str
    blocking: bool = False


# ----- reading the XML ---------------------------------------------------------------------
def q(tag: str, ns: str = BPMN) -> str:
    return f"{{{ns}}}{tag}"


def spiff_property(element, name: str) -> str | None:
    """The value of a `spiffworkflow:property` in an element's extension (stripped; "" when
    present but empty), or None when the element has no such property."""
    for prop in element.iterfind(f"{q('extensionElements')}/{q('properties', SPIFF)}/"
                                 f"{q('property', SPIFF)}"):
        if prop.get("name") == name:
            return (prop.get("value") or "").strip()
    return None


def local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def namespace(tag) -> str:
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def label(element) -> str:
    """« Nom » (id) of an element, for messages."""
    name, ident = (element.get("name") or "").strip(), element.get("id") or ""
    if name and ident:
        return f"« {clean(name, 80)} » ({ident})"
    return f"« {clean(name, 80)} »" if name else f"« {ident} »"


def parse_xml(text: str):
    """(root, None) or (None, French reason)."""
    try:
        return etree.fromstring(text.encode("utf-8"), _XML_PARSER), None
    except etree.XMLSyntaxError as err:
        line = err.lineno or (err.position[0] if getattr(err, "position", None) else "?")
        reason = translate(err.msg or str(err))
        if reason.startswith("le moteur signale"):
            reason = "le texte n'est pas du XML bien formé à cet endroit (balise, guillemet ou "\
                     "caractère spécial « & » ou « < » mal écrit ?)"
        return None, f"XML mal formé ligne {line} : {reason}"
    except ValueError as err:
        return None, f"fichier illisible : {translate(str(err))}"


def element_at(root, line: int):
    found = None
    for element in root.iter():
        if isinstance(element.tag, str) and element.sourceline == line:
            found = element
            break
    while found is not None and not found.get("id"):
        found = found.getparent()
    return found.get("id") if found is not None else ""


# ----- BPMN element kinds ------------------------------------------------------------------
TASKS = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
         "receiveTask", "businessRuleTask", "callActivity"}
SUBPROCESSES = {"subProcess", "transaction", "adHocSubProcess"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
            "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
          "boundaryEvent"}
CHOREOGRAPHY = {"choreographyTask", "subChoreography", "callChoreography"}
FLOW_NODES = TASKS | SUBPROCESSES | GATEWAYS | EVENTS | CHOREOGRAPHY
MULTI_OUT = {"startEvent"} | GATEWAYS


# ----- shared reasons (the spec pass of specs.py uses the same words, so both dedupe) -----
HUMAN_KINDS = {
    "userTask": "la tâche utilisateur",
    "manualTask": "la tâche manuelle",
    "task": "la tâche sans type (bpmn:task), qui deviendra une tâche à faire par une personne,",
}


def lane_reason(kind: str, lane: str | None) -> str:
    return (f"{HUMAN_KINDS[kind]} est dans le couloir « {lane or 'aucun'} », qui ne correspond "
            "à aucun rôle : placez-la dans un couloir nommé comme un service connu (Assuré, "
            "Service invalidité, Service médical…) ou donnez au couloir la propriété "
            "« role » (assure, agent, medecin_conseil, cra, cmra, superviseur, analyste)"
            + (" ; ou changez son type (tâche de script…) si personne ne doit la faire"
               if kind == "task" else ""))


JUEL = re.compile(r"[$#]\{")
_ISO = re.compile(r"^\s*(R\d*/)?(P(\d|T\d)|\d{4}-\d{2}-\d{2})")


def expression_reason(what: str, source: str | None, mode: str) -> str | None:
    """Why this script/condition/timer expression is refused (French), or None."""
    if source is None:
        return None
    if what == "expression du minuteur" and _ISO.match(source) and not _quoted(source):
        return (f"{what} refusée : « {clean(source, 60)} » doit être écrit entre guillemets "
                f"(expression Python), par exemple \"{clean(source, 60)}\"")
    reason = check_source(source, mode)
    if not reason:
        return None
    hint = ""
    if JUEL.search(source):
        hint = (" — c'est une expression Camunda (JUEL/FEEL « ${…} ») : écrivez-la en Python, "
                "par exemple montant > 100")
    agreement = "e" if what.split()[0] in {"condition", "expression"} else ""
    return f"{what} refusé{agreement} : {reason}{hint}"


def _quoted(source: str) -> bool:
    text = source.strip()
    return len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"


# ----- XSD validation (SpiffWorkflow's own schemas) ---------------------------------------
_validators: dict[str, etree.XMLSchema | None] = {}
_validator_lock = threading.Lock()


def _schema(key: str, path: str, imports: dict[str, str] | None = None):
    # Our own schema objects (not SpiffWorkflow's shared VALIDATOR), read under a lock: an
    # error_log belongs to the last validation, and requests run in threads.
    if key in _validators:
        return _validators[key]
    if key not in _validators:
        schema = etree.parse(path)
        for ns, location in (imports or {}).items():
            schema.getroot().insert(0, etree.Element(
                "{http://www.w3.org/2001/XMLSchema}import", namespace=ns,
                schemaLocation=location))
        _validators[key] = etree.XMLSchema(schema)
    return _validators[key]


def xsd_errors(root, key: str, path: str, imports=None) -> list[tuple[int, str]]:
    with _validator_lock:
        try:
            schema = _schema(key, path, imports)
        except (etree.XMLSchemaParseError, OSError):
            _validators[key] = None  # this schema cannot be read here: structural checks only
            schema = None
        if schema is None:
            return []
        schema.validate(root)
        return [(entry.line, entry.message) for entry in schema.error_log]


def xsd_problems(root, errors: list[tuple[int, str]]) -> list[Problem]:
    """The first MAX_XSD schema errors, each on the nearest element with an id."""
    return [Problem(element_at(root, line), f"ligne {line} : {translate(message)}", True)
            for line, message in errors[:MAX_XSD]]


# ----- the list of problems of a file ------------------------------------------------------
def unique(problems: list[Problem]) -> list[Problem]:
    """Without repeats: several checks may reach the same element for the same reason."""
    seen, kept = set(), []
    for problem in problems:
        key = (problem.element_id, problem.reason)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def bounded(problems: list[Problem]) -> list[Problem]:
    """At most MAX_PROBLEMS, so a broken file does not flood the studio's page."""
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS],
            Problem("", f"… et {rest} autre(s) problème(s) dans ce fichier", True)]

