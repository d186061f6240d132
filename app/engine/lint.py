"""Raw-XML checks of BPMN and DMN files, before SpiffWorkflow reads them.

SpiffWorkflow stops at the first problem of a file and speaks English; this pass reads the
XML with lxml and collects, in French, as many problems as it can: XML syntax, XSD errors
(SpiffWorkflow's own schemas), unsupported elements, non-executable processes, human tasks
outside a lane mapped to a role, unconnected elements, scripts and conditions that do not
compile under the sandbox, and for DMN: ids, hit policies, and every cell compiled exactly
as SpiffWorkflow's DMN engine will evaluate it.

Choices (documented here, applied by `specs.parse_sources`):
- a process with isExecutable="false" that holds flow elements is refused (it would not be
  deployed); an empty non-executable pool is an external participant (« boîte noire ») and is
  simply not deployed; a file with no executable process at all is refused;
- a plain `bpmn:task` and a `bpmn:manualTask` become tasks for a person (SpiffWorkflow marks
  them manual), so they follow the lane rules of user tasks;
- a DMN file may hold several decisions (a decision graph): each decision with a table can be
  called; its required decisions (informationRequirement) are evaluated first and their
  outputs are added to the task data, where the requiring decision's inputs read them.
Problems are `Problem(element_id, reason)`; `blocking` ones keep the file away from the
SpiffWorkflow parser (it would raise anyway, or, for some data references, never return).
"""
from __future__ import annotations

import ast
import copy
import os
import re
import threading
from dataclasses import dataclass, field

from lxml import etree

from .messages_fr import clean, python_fr, translate
from .scripting import check_source as _check_source


def check_source(source: str, mode: str = "exec") -> str | None:
    """The sandbox's verdict (app.engine.scripting.check_source), in French throughout."""
    return python_fr(_check_source(source, mode))

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ROLES = ("assure", "agent", "medecin_conseil", "superviseur", "analyste")
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


@dataclass
class BpmnLint:
    problems: list[Problem] = field(default_factory=list)
    loadable: bool = True
    lane_roles: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # element id → name
    process_ids: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (call activity, called)


@dataclass
class Decision:
    id: str
    name: str
    element: object
    namespace: str
    requires: list[str] = field(default_factory=list)
    ok: bool = True  # no problem at all
    parseable: bool = True  # SpiffWorkflow can build and run it (old versions stay loadable)


@dataclass
class DmnLint:
    problems: list[Problem] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


def q(tag: str, ns: str = BPMN) -> str:
    return f"{{{ns}}}{tag}"


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
            "« role » (assure, agent, medecin_conseil, superviseur, analyste)"
            + (" ; ou changez son type (tâche de script…) si personne ne doit la faire"
               if kind == "task" else ""))


_JUEL = re.compile(r"[$#]\{")
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
    if _JUEL.search(source):
        hint = (" — c'est une expression Camunda (JUEL/FEEL « ${…} ») : écrivez-la en Python, "
                "par exemple montant > 100")
    agreement = "e" if what.split()[0] in {"condition", "expression"} else ""
    return f"{what} refusé{agreement} : {reason}{hint}"


def _quoted(source: str) -> bool:
    text = source.strip()
    return len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"


# ----- BPMN --------------------------------------------------------------------------------
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


def _xsd_errors(root, key: str, path: str, imports=None) -> list[tuple[int, str]]:
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


def _bpmn_xsd(root) -> list[tuple[int, str]]:
    from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH, BpmnValidator
    from SpiffWorkflow.spiff.parser.process import SPIFF_XSD

    document = copy.deepcopy(root)
    BpmnValidator.preprocess(None, document)  # the same fix-up SpiffWorkflow applies
    return _xsd_errors(document, "bpmn", XSD_PATH, {"spiffworkflow": SPIFF_XSD})


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


def _element_at(root, line: int):
    found = None
    for element in root.iter():
        if isinstance(element.tag, str) and element.sourceline == line:
            found = element
            break
    while found is not None and not found.get("id"):
        found = found.getparent()
    return found.get("id") if found is not None else ""


def lint_bpmn(text: str, lane_role) -> BpmnLint:
    """Problems of one BPMN file; `lane_role(name)` gives the fixed role of a lane name."""
    result = BpmnLint()
    root, reason = parse_xml(text)
    if root is None:
        result.problems.append(Problem("", reason, True))
        result.loadable = False
        return result
    if root.tag != q("definitions"):
        ns = namespace(root.tag)
        kind = ("c'est un fichier DMN : enregistrez-le avec l'extension .dmn"
                if ns in DMN_NAMESPACES else
                f"l'élément racine est « {local(root.tag)} » dans l'espace de noms "
                f"« {ns or 'aucun'} » ; attendu : definitions de BPMN 2.0 ({BPMN})")
        result.problems.append(Problem("", f"ce n'est pas un fichier BPMN 2.0 : {kind}", True))
        result.loadable = False
        return result
    for line, message in _bpmn_xsd(root)[:MAX_XSD]:
        result.problems.append(Problem(_element_at(root, line),
                                       f"ligne {line} : {translate(message)}", True))
    checker = _BpmnChecker(root, lane_role, result)
    checker.run()
    if any(p.blocking for p in result.problems):
        result.loadable = False
    result.problems = _bounded(_unique(result.problems))
    return result


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, kept = set(), []
    for problem in problems:
        key = (problem.element_id, problem.reason)
        if key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


def _bounded(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS],
            Problem("", f"… et {rest} autre(s) problème(s) dans ce fichier", True)]


class _BpmnChecker:
    def __init__(self, root, lane_role, result: BpmnLint):
        self.root = root
        self.lane_role = lane_role
        self.result = result
        self.by_id = {e.get("id"): e for e in root.iter() if isinstance(e.tag, str)
                      and e.get("id")}
        result.names = {k: e.get("name").strip() for k, e in self.by_id.items()
                        if (e.get("name") or "").strip()}
        # Same rule as SpiffWorkflow: the last lane listing a node (the innermost) wins.
        self.doc_lanes: dict[str, str | None] = {}
        for ref in root.iter(q("flowNodeRef")):
            if ref.text:
                self.doc_lanes[ref.text] = ref.getparent().get("name")

    def add(self, element_or_id, reason: str, blocking: bool = False) -> None:
        ident = element_or_id if isinstance(element_or_id, str) else (
            element_or_id.get("id") or "")
        self.result.problems.append(Problem(ident, reason, blocking))

    def run(self) -> None:
        self._root_level()
        self.result.lane_roles = self._lane_roles()
        processes = self.root.findall(q("process"))
        self.result.process_ids = {p.get("id") for p in processes if p.get("id")}
        self.result.calls = [(c.get("id"), c.get("calledElement"))
                             for c in self.root.iter(q("callActivity"))
                             if c.get("id") and c.get("calledElement")]
        executable = []
        for process in processes:
            content = [c for c in process if local(c.tag) in FLOW_NODES]
            if process.get("isExecutable", "true") == "true":
                executable.append(process)
            elif content:
                self.add(process, (
                    f"le processus {label(process)} est marqué non exécutable "
                    f"(isExecutable=\"{process.get('isExecutable')}\") : il ne serait pas "
                    "déployé. Cochez « Exécutable » (isExecutable=\"true\") pour le déployer, "
                    "ou videz ce pool pour n'en faire qu'un participant externe"))
        if not processes:
            self.add("", "aucun processus dans ce fichier (seulement des participants ou un "
                         "dessin) : rien ne serait déployé. Ajoutez un processus exécutable")
        elif not executable and not self.result.problems:
            self.add("", "aucun processus exécutable dans ce fichier : rien ne serait "
                         "déployé. Marquez le processus « Exécutable » (isExecutable=\"true\")")
        for process in executable:
            self._container(process, None, process)

    def _root_level(self) -> None:
        for element in self.root.iter(q("dataStore")):
            self.add(element, f"le magasin de données {label(element)} n'est pas pris en "
                              "charge : remplacez-le par un objet de données (dataObject) ou "
                              "retirez-le", True)
        for tag in ("choreography", "globalTask", "globalUserTask", "globalScriptTask",
                    "globalManualTask", "globalBusinessRuleTask"):
            for element in self.root.iter(q(tag)):
                self.add(element, f"l'élément bpmn:{tag} {label(element)} n'est pas "
                                  "exécutable par la plateforme : retirez-le")
        for tag in ("message", "signal", "error", "escalation", "correlationProperty"):
            for element in self.root.iter(q(tag)):
                if not element.get("id"):
                    self.add("", f"un élément bpmn:{tag} (nom « {element.get('name') or '?'} »)"
                                 " n'a pas d'identifiant : ajoutez-lui un attribut id", True)
        for prop in self.root.iter(q("correlationProperty")):
            if prop.get("id") and prop.find(q("correlationPropertyRetrievalExpression")) is None:
                self.add(prop, f"la propriété de corrélation {label(prop)} n'a pas "
                               "d'expression de lecture : ajoutez-en une par message", True)

    def _lane_roles(self) -> dict[str, str]:
        roles: dict[str, str] = {}
        for lane in self.root.iter(q("lane")):
            role = None
            for prop in lane.iterfind(f"{q('extensionElements')}/{q('properties', SPIFF)}/"
                                      f"{q('property', SPIFF)}"):
                if prop.get("name") == "role":
                    role = (prop.get("value") or "").strip()
            if role is None:
                continue
            name = lane.get("name")
            if role not in ROLES:
                self.add(lane, f"le couloir {label(lane)} a le rôle « {role} », inconnu : "
                               f"choisissez parmi {', '.join(ROLES)}")
            elif not name:
                self.add(lane, "un couloir qui porte un rôle doit avoir un nom")
            elif roles.get(name, role) != role:
                self.add(lane, f"deux couloirs « {name} » portent des rôles différents "
                               f"({roles[name]} et {role}) : renommez l'un des deux")
            else:
                roles[name] = role
        return roles

    def role_of(self, lane: str | None) -> str | None:
        if not lane:
            return None
        return self.result.lane_roles.get(lane) or self.lane_role(lane)

    # --- one process or subprocess
    def _container(self, container, inherited_lane, process) -> None:
        ad_hoc = local(container.tag) == "adHocSubProcess"
        nodes = [c for c in container if local(c.tag) in FLOW_NODES]
        ids = {n.get("id") for n in nodes}
        incoming: dict[str, int] = {}
        outgoing: dict[str, list] = {}
        for flow in container.findall(q("sequenceFlow")):
            source, target = flow.get("sourceRef"), flow.get("targetRef")
            for end in (source, target):
                if end and end not in ids:
                    where = "n'existe pas" if end not in self.by_id else (
                        "n'est pas dans le même processus ou sous-processus")
                    self.add(flow, f"la flèche {label(flow)} relie « {end} », qui {where}",
                             True)
            incoming[target] = incoming.get(target, 0) + 1
            outgoing.setdefault(source, []).append(flow)
        if not ad_hoc and local(container.tag) in {"process", "subProcess", "transaction"}:
            starts = [n for n in nodes if local(n.tag) == "startEvent"]
            if not nodes and local(container.tag) == "process":
                self.add(container, f"le processus {label(container)} est vide : dessinez-le "
                                    "(début, tâches, fin) ou, s'il ne représente qu'un "
                                    "participant externe, marquez-le non exécutable "
                                    "(isExecutable=\"false\")")
            elif not starts and container.get("triggeredByEvent") != "true":
                self.add(container, f"{_kind(container)} {label(container)} n'a pas "
                                    "d'événement de début : ajoutez-en un")
        for node in nodes:
            lane = inherited_lane if inherited_lane is not None else self.doc_lanes.get(
                node.get("id"))
            self._node(node, lane, ad_hoc, incoming.get(node.get("id"), 0),
                       outgoing.get(node.get("id"), []))
            if local(node.tag) in SUBPROCESSES:
                self._container(node, lane, process)

    def _node(self, node, lane, ad_hoc, n_in: int, flows_out: list) -> None:
        tag, ident = local(node.tag), node.get("id") or ""
        if not ident:
            self.add("", f"un élément bpmn:{tag} (nom « {node.get('name') or '?'} ») n'a pas "
                         "d'identifiant : ajoutez-lui un attribut id", True)
            return
        if tag == "complexGateway":
            self.add(node, f"la passerelle complexe {label(node)} n'est pas prise en charge : "
                           "utilisez une passerelle inclusive ou exclusive")
        elif tag in CHOREOGRAPHY:
            self.add(node, f"l'élément de chorégraphie {label(node)} n'est pas exécutable : "
                           "retirez-le")
        if tag in HUMAN_KINDS and self.role_of(lane) is None:
            self.add(node, lane_reason(tag, lane))
        self._connections(node, tag, ad_hoc, n_in, flows_out)
        self._definitions(node, tag)
        self._data(node)
        self._code(node, tag, flows_out)

    def _connections(self, node, tag, ad_hoc, n_in, flows_out) -> None:
        if ad_hoc or tag == "boundaryEvent" or node.get("isForCompensation") == "true":
            return
        link = node.find(q("linkEventDefinition")) is not None
        event_sub = tag in SUBPROCESSES and node.get("triggeredByEvent") == "true"
        if event_sub:
            return
        if n_in == 0 and tag != "startEvent" and not link:
            self.add(node, f"aucune flèche n'arrive sur {label(node)} : cet élément ne serait "
                           "jamais exécuté. Reliez-le au reste du processus ou supprimez-le")
        if not flows_out and tag != "endEvent" and not link:
            self.add(node, f"aucune flèche ne sort de {label(node)} : reliez-le à la suite "
                           "du processus ou à un événement de fin")
        if len(flows_out) > 1 and tag not in MULTI_OUT:
            self.add(node, translate("Multiple outgoing flows are not supported for tasks"))
        if tag in {"exclusiveGateway", "inclusiveGateway"} and len(flows_out) > 1:
            default = node.get("default")
            for flow in flows_out:
                if flow.get("id") != default and flow.find(q("conditionExpression")) is None:
                    self.add(flow, translate(
                        "Non-default exclusive outgoing sequence flow without condition"))

    def _definitions(self, node, tag) -> None:
        if node.find(q("linkEventDefinition")) is not None:
            self.add(node, f"l'événement de lien {label(node)} n'est pas pris en charge : "
                           "remplacez la paire d'événements de lien par une flèche")
        for timer in node.iter(q("timerEventDefinition")):
            values = [c for c in timer if local(c.tag) in {"timeDate", "timeDuration",
                                                           "timeCycle"}]
            if not values:
                self.add(node, f"le minuteur {label(node)} n'a ni date, ni durée, ni cycle : "
                               "renseignez l'un des trois (expression Python entre guillemets, "
                               "par exemple \"P2D\")")
            for value in values:
                reason = expression_reason("expression du minuteur", value.text or "", "eval")
                if reason:
                    self.add(node, reason)
        for definition in node.iter(q("messageEventDefinition")):
            ref = definition.get("messageRef")
            if ref and ref not in self.by_id:
                bare = ref.split(":", 1)[-1]
                self.add(node, f"{label(node)} désigne le message « {ref} » avec un préfixe : "
                               f"écrivez messageRef=\"{bare}\"" if bare in self.by_id else
                               f"{label(node)} désigne le message « {ref} », qui n'est déclaré "
                               "nulle part dans ce fichier : déclarez-le (bpmn:message) ou "
                               "choisissez-en un")
        for definition in node.iter(q("conditionalEventDefinition")):
            condition = definition.find(q("condition"))
            if condition is None or not (condition.text or "").strip():
                self.add(node, translate("Conditional event definition with missing condition"))
        if tag == "serviceTask":
            operator = node.find(f"{q('extensionElements')}/{q('serviceTaskOperator', SPIFF)}")
            if operator is None:
                self.add(node, translate("A Service Task must have an operator"))
        if tag == "businessRuleTask":
            called = node.find(f"{q('extensionElements')}/{q('calledDecisionId', SPIFF)}")
            if called is None or not (called.text or "").strip():
                self.add(node, f"la tâche de règle métier {label(node)} n'indique pas la "
                               "décision à appeler : renseignez l'id de la décision DMN "
                               "(spiffworkflow:calledDecisionId)")
        if tag == "callActivity" and not node.get("calledElement"):
            self.add(node, translate('No "calledElement" attribute for Call Activity'))
        if tag in SUBPROCESSES and tag != "adHocSubProcess" \
                and node.get("triggeredByEvent") != "true":
            starts = node.findall(q("startEvent"))
            if len(starts) != 1:
                self.add(node, translate(f"Exactly one start event is required in a "
                                         f"SubWorkflow Task; found {len(starts)}"))
            if not node.findall(q("endEvent")):
                self.add(node, translate("A SubWorkflow Must contain an End event"))

    def _data(self, node) -> None:
        """Data associations SpiffWorkflow resolves (or, for some, would search forever)."""
        container = node.getparent()
        for association, ref_tag in (("dataInputAssociation", "sourceRef"),
                                     ("dataOutputAssociation", "targetRef")):
            for ref in node.iterfind(f"{q(association)}/{q(ref_tag)}"):
                target = self.by_id.get(ref.text or "")
                kind = local(target.tag) if target is not None else ""
                if kind == "dataObjectReference":
                    if self._data_object_visible(target.get("dataObjectRef"), container):
                        continue
                    reason = (f"l'objet de données « {target.get('dataObjectRef') or '?'} » "
                              f"utilisé par {label(node)} n'est pas déclaré dans ce "
                              "processus ou sous-processus (ni dans celui qui le contient)")
                elif kind == "dataStoreReference":
                    reason = (f"{label(node)} lit ou écrit un magasin de données "
                              f"({label(target)}) : les magasins de données ne sont pas pris "
                              "en charge, utilisez un objet de données")
                else:
                    reason = (f"l'association de données de {label(node)} désigne "
                              f"« {ref.text or ''} », qui n'est pas un objet de données : "
                              "reliez-la à un objet de données (dataObjectReference)")
                self.add(node, reason, True)

    def _data_object_visible(self, object_id, container) -> bool:
        # SpiffWorkflow looks in the task's own (sub)process, then in its direct parent only.
        for place in (container, container.getparent() if local(container.tag) != "process"
                      else None):
            if place is not None and object_id and any(
                    c.get("id") == object_id for c in place.findall(q("dataObject"))):
                return True
        return False

    def _code(self, node, tag, flows_out) -> None:
        if tag == "scriptTask":
            script = node.find(q("script"))
            if script is None or not (script.text or "").strip():
                self.add(node, f"la tâche de script {label(node)} n'a pas de script : "
                               "écrivez le calcul en Python (ou changez son type)")
            else:
                reason = expression_reason("script", script.text, "exec")
                if reason:
                    self.add(node, reason)
        extensions = node.find(q("extensionElements"))
        if extensions is not None:
            for kind in ("preScript", "postScript"):
                for script in extensions.iterfind(q(kind, SPIFF)):
                    reason = expression_reason(kind.lower(), script.text, "exec")
                    if script.text and reason:
                        self.add(node, reason)
        if tag in {"exclusiveGateway", "inclusiveGateway"}:
            for flow in flows_out:
                condition = flow.find(q("conditionExpression"))
                if condition is not None and condition.text is not None:
                    reason = expression_reason("condition", condition.text, "eval")
                    if reason:
                        self.add(node, reason)


def _kind(container) -> str:
    return "le processus" if local(container.tag) == "process" else "le sous-processus"


# ----- DMN ---------------------------------------------------------------------------------
_DMN_XSD = {
    "1.1": "DMN.xsd",
    "1.2": "DMN12.xsd",
    "1.3": "DMN13.xsd",
}
HIT_POLICIES = {"UNIQUE", "FIRST", "ANY", "COLLECT"}
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')  # as DMNEngine.evaluate


def lint_dmn(text: str) -> DmnLint:
    """Problems of one DMN file, and its decisions (`ok` ones can be parsed and run)."""
    result = DmnLint()
    root, reason = parse_xml(text)
    if root is None:
        result.problems.append(Problem("", reason, True))
        return result
    ns = namespace(root.tag)
    if local(root.tag) != "definitions" or ns not in DMN_NAMESPACES:
        known = ", ".join(f"DMN {v}" for v in DMN_NAMESPACES.values())
        what = ("c'est un fichier BPMN : enregistrez-le avec l'extension .bpmn" if ns == BPMN
                else f"élément racine « {local(root.tag)} » dans l'espace de noms "
                     f"« {ns or 'aucun'} » ; la plateforme lit {known}")
        result.problems.append(Problem("", f"ce n'est pas un fichier DMN lisible : {what}",
                                       True))
        return result
    version = DMN_NAMESPACES[ns]
    if version in _DMN_XSD:
        from SpiffWorkflow.dmn.parser.BpmnDmnParser import XSD_DIR

        errors = _xsd_errors(root, f"dmn{version}", os.path.join(XSD_DIR, _DMN_XSD[version]))
        for line, message in errors[:MAX_XSD]:
            result.problems.append(Problem(_element_at(root, line),
                                           f"ligne {line} : {translate(message)}", True))
    decisions = root.findall(q("decision", ns))
    if not decisions:
        result.problems.append(Problem("", "aucune décision dans ce fichier DMN : ajoutez une "
                                           "décision avec sa table", True))
    seen: set[str] = set()
    for element in decisions:
        ident = element.get("id") or ""
        if not ident:
            result.problems.append(Problem("", (
                f"la décision « {element.get('name') or 'sans nom'} » n'a pas d'identifiant : "
                "ajoutez-lui un attribut id (c'est lui que la tâche de règle métier appelle)"),
                True))
            continue
        if ident in seen:
            result.problems.append(Problem(ident, f"deux décisions ont l'id « {ident} »", True))
            continue
        seen.add(ident)
        decision = Decision(ident, element.get("name") or ident, element, ns)
        before = len(result.problems)
        checker = _DecisionChecker(decision, result.problems)
        checker.run()
        decision.ok = len(result.problems) == before
        decision.parseable = not checker.structural
        result.decisions.append(decision)
    _check_requirements(result)
    result.problems = _bounded(_unique(result.problems))
    return result


def _check_requirements(result: DmnLint) -> None:
    by_id = {d.id: d for d in result.decisions}
    for decision in result.decisions:
        for requirement in decision.element.iter(q("requiredDecision", decision.namespace)):
            href = requirement.get("href") or ""
            target = href.removeprefix("#")
            if target not in by_id:
                result.problems.append(Problem(decision.id, (
                    f"la décision {label(decision.element)} requiert « {href} », qui n'est pas "
                    "une décision de ce fichier : les décisions requises doivent être dans le "
                    "même fichier DMN")))
                decision.ok = decision.parseable = False
            elif target not in decision.requires:
                decision.requires.append(target)

    def visit(ident, path):
        if ident in path:
            cycle = " → ".join([*path[path.index(ident):], ident])
            result.problems.append(Problem(ident, f"les décisions se requièrent en boucle : "
                                                  f"{cycle}"))
            for member in path:
                by_id[member].ok = by_id[member].parseable = False
            return
        for required in by_id[ident].requires:
            visit(required, [*path, ident])

    for decision in result.decisions:
        visit(decision.id, [])
    # A decision is usable only if everything it requires is.
    changed = True
    while changed:
        changed = False
        for decision in result.decisions:
            if decision.ok and any(not by_id[r].ok for r in decision.requires if r in by_id):
                decision.ok, changed = False, True
            if decision.parseable and any(not by_id[r].parseable for r in decision.requires
                                          if r in by_id):
                decision.parseable, changed = False, True


class _DecisionChecker:
    def __init__(self, decision: Decision, problems: list[Problem]):
        self.decision = decision
        self.problems = problems
        self.ns = decision.namespace
        self.structural = False

    def refuse(self, reason: str, structural: bool = False) -> None:
        self.structural = self.structural or structural
        self.problems.append(Problem(self.decision.id,
                                     f"décision {label(self.decision.element)} : {reason}"))

    def run(self) -> None:
        tables = self.decision.element.findall(q("decisionTable", self.ns))
        if not tables:
            other = next((local(c.tag) for c in self.decision.element
                          if local(c.tag) in {"literalExpression", "context", "invocation",
                                              "relation", "list", "functionDefinition"}), None)
            self.refuse(("elle est écrite sous forme " + (f"« {other} »" if other else
                                                          "vide"))
                        + " : seules les tables de décision (decisionTable) sont exécutées. "
                          "Réécrivez-la en table", True)
            return
        if len(tables) > 1:
            self.refuse("une décision ne peut contenir qu'une table")
        table = tables[0]
        if not table.get("id"):
            self.refuse("sa table de décision n'a pas d'identifiant : ajoutez un attribut id "
                        "à l'élément decisionTable (le ré-enregistrer dans un modeleur DMN le "
                        "fait)", True)
            return
        self._hit_policy(table)
        inputs = self._inputs(table)
        outputs = self._outputs(table)
        if inputs is None or outputs is None:
            return
        for number, rule in enumerate(table.findall(q("rule", self.ns)), start=1):
            self._rule(rule, number, inputs, outputs)
        for child in table:
            if isinstance(child.tag, str) and local(child.tag) not in {
                    "input", "output", "rule", "annotation", "description",
                    "extensionElements"}:
                self.refuse(f"élément « {local(child.tag)} » inconnu dans la table")

    def _hit_policy(self, table) -> None:
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in HIT_POLICIES:
            self.refuse(f"la politique de résultat « {policy} » n'est pas prise en charge : "
                        "choisissez UNIQUE, FIRST, ANY ou COLLECT")
        if table.get("aggregation"):
            self.refuse(f"l'agrégation « {table.get('aggregation')} » (COLLECT avec somme, "
                        "nombre, min ou max) n'est pas prise en charge : utilisez COLLECT "
                        "sans agrégation puis un script")

    def _inputs(self, table):
        inputs = []
        for number, element in enumerate(table.findall(q("input", self.ns)), start=1):
            column = _column(element, number, "entrée")
            if not element.get("id"):
                self.refuse(f"la colonne d'entrée {column} n'a pas d'identifiant (id)", True)
                return None
            text = element.find(f"{q('inputExpression', self.ns)}/{q('text', self.ns)}")
            expression = text.text if text is not None else None
            if not (expression or "").strip():
                self.refuse(f"la colonne d'entrée {column} n'a pas d'expression : indiquez la "
                            "donnée lue, en Python (par exemple montant)")
                inputs.append((column, None))
                continue
            reason = check_source(expression, "eval")
            if reason:
                self.refuse(f"colonne d'entrée {column} : l'expression « {clean(expression, 80)}"
                            f" » est refusée : {reason}{_feel_hint(expression)}")
                inputs.append((column, None))
                continue
            inputs.append((column, expression))
        return inputs

    def _outputs(self, table):
        outputs = []
        for number, element in enumerate(table.findall(q("output", self.ns)), start=1):
            column = _column(element, number, "sortie")
            if not element.get("id"):
                self.refuse(f"la colonne de sortie {column} n'a pas d'identifiant (id)", True)
                return None
            if not (element.get("name") or element.get("label")):
                self.refuse(f"la colonne de sortie {column} n'a pas de nom : donnez-lui le "
                            "nom de la donnée qu'elle produit (attribut name)")
            outputs.append(column)
        if not outputs:
            self.refuse("la table n'a aucune colonne de sortie")
        return outputs

    def _rule(self, rule, number, inputs, outputs) -> None:
        where = f"règle {number}" + (f" ({rule.get('id')})" if rule.get("id") else "")
        if not rule.get("id"):
            self.refuse(f"{where} : la règle n'a pas d'identifiant (id)", True)
            return
        entries = rule.findall(q("inputEntry", self.ns))
        results = rule.findall(q("outputEntry", self.ns))
        if len(entries) != len(inputs) or len(results) != len(outputs):
            self.refuse(f"{where} : {len(entries)} cellule(s) d'entrée et {len(results)} de "
                        f"sortie pour {len(inputs)} colonne(s) d'entrée et {len(outputs)} de "
                        "sortie", True)
            return
        for entry, (column, expression) in zip(entries, inputs, strict=True):
            if not entry.get("id"):
                self.refuse(f"{where}, colonne {column} : la cellule n'a pas d'identifiant "
                            "(id)", True)
                continue
            text = _text(entry, self.ns)
            if text is None or text == "-" or expression is None:
                continue
            reason = input_cell_reason(expression, text)
            if reason:
                self.refuse(f"{where}, colonne {column} : cellule « {clean(text, 80)} » "
                            f"refusée : {reason}")
        for entry, column in zip(results, outputs, strict=True):
            if not entry.get("id"):
                self.refuse(f"{where}, colonne {column} : la cellule n'a pas d'identifiant "
                            "(id)", True)
                continue
            text = _text(entry, self.ns)
            if not text:
                continue
            reason = check_source(text, "eval")
            if reason:
                self.refuse(f"{where}, colonne {column} : cellule « {clean(text, 80)} » "
                            f"refusée : {reason}{_feel_hint(text)}")


def _text(entry, ns):
    node = entry.find(q("text", ns))
    return node.text if node is not None else None


def _column(element, number: int, kind: str) -> str:
    name = element.get("label") or element.get("name") or element.get("id") or ""
    return f"« {clean(name, 60)} »" if name else f"n° {number} ({kind})"


def input_cell_reason(input_expression: str, cell: str) -> str | None:
    """Compile an input cell exactly as SpiffWorkflow's DMNEngine.evaluate will build it."""
    if not cell.strip():
        return "la cellule ne contient que des espaces : videz-la ou écrivez « - » (toute valeur)"
    if re.match(r"\s*not\s*\(", cell):
        return ("« not(…) » est une négation FEEL ; ici elle comparerait la colonne à un "
                "booléen" + _feel_hint(cell))
    match = _QUESTION.sub("dmninputexpr", cell)
    if "dmninputexpr" in match:
        reason = check_source(match, "eval")
        return f"{reason}{_feel_hint(cell)}" if reason else None
    try:
        ast.parse(match)
        expression = f"({input_expression}) == ({match})"
        try:
            body = ast.parse(match.strip(), mode="eval").body
        except SyntaxError:
            body = None
        if isinstance(body, ast.Tuple) and not match.strip().startswith("("):
            return ("une liste de valeurs à la manière FEEL n'est pas comprise ici : écrivez "
                    f"in ({clean(match, 60)}) précédé de « ? », par exemple ? in ({clean(match, 60)})")
    except SyntaxError:
        try:
            ast.parse(f"v {match}")
        except SyntaxError as err:
            return f"erreur de syntaxe : {python_fr(err.msg)}{_feel_hint(cell)}"
        if input_expression.rstrip()[-1:].isalnum() and match[:1].isalpha():
            return (f"la cellule commence par un mot (« {clean(match, 40)} ») : écrivez-la avec "
                    "« ? » pour la valeur de la colonne, par exemple ? " + clean(match, 40))
        expression = input_expression + match
    reason = check_source(expression, "eval")
    return f"{reason}{_feel_hint(cell)}" if reason else None


def _feel_hint(text: str) -> str:
    if _JUEL.search(text):
        return " — expression Camunda « ${…} » : écrivez-la en Python"
    if ".." in text:
        return (" — intervalle FEEL : écrivez une comparaison Python avec « ? », par exemple "
                "1 <= ? <= 5")
    if re.match(r"\s*not\s*\(", text):
        return " — négation FEEL : écrivez par exemple ? != \"valeur\""
    if re.search(r"\b(date|time|date and time|duration)\s*\(", text):
        return " — fonction de date FEEL : comparez des textes ISO, par exemple ? >= \"2024-01-01\""
    return " — écrivez une expression Python (texte entre guillemets, nombre, True/False)"
