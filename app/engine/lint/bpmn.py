"""Raw-XML checks of one BPMN file: its structure (processes, lanes, connections).

What a flow node holds (event definitions, data, code) is checked by `bpmn_content`.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..messages_fr import translate
from .bpmn_content import NodeContentChecks
from .common import (
    BPMN,
    CHOREOGRAPHY,
    DMN_NAMESPACES,
    FLOW_NODES,
    HUMAN_KINDS,
    MULTI_OUT,
    ROLES,
    SUBPROCESSES,
    Problem,
    bounded,
    label,
    lane_reason,
    local,
    namespace,
    parse_xml,
    q,
    spiff_property,
    unique,
    xsd_errors,
    xsd_problems,
)


@dataclass
class BpmnLint:
    problems: list[Problem] = field(default_factory=list)
    loadable: bool = True
    lane_roles: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # element id → name
    process_ids: set[str] = field(default_factory=set)
    calls: list[tuple[str, str]] = field(default_factory=list)  # (call activity, called)


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
    result.problems.extend(xsd_problems(root, _bpmn_xsd(root)))
    checker = BpmnChecker(root, lane_role, result)
    checker.run()
    if any(p.blocking for p in result.problems):
        result.loadable = False
    result.problems = bounded(unique(result.problems))
    return result


def _bpmn_xsd(root) -> list[tuple[int, str]]:
    from SpiffWorkflow.bpmn.parser.BpmnParser import XSD_PATH, BpmnValidator
    from SpiffWorkflow.spiff.parser.process import SPIFF_XSD

    document = copy.deepcopy(root)
    BpmnValidator.preprocess(None, document)  # the same fix-up SpiffWorkflow applies
    return xsd_errors(document, "bpmn", XSD_PATH, {"spiffworkflow": SPIFF_XSD})


class BpmnChecker(NodeContentChecks):
    """Walks the processes of one file, adding a Problem per finding to `result`."""

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
            role = spiff_property(lane, "role")
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


def _kind(container) -> str:
    return "le processus" if local(container.tag) == "process" else "le sous-processus"
