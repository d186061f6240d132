"""What changes between a deployed file and its draft: elements added, removed and changed.

BPMN elements are compared by id on what this platform executes or shows (type, name, lane,
form and other spiff properties, script, pre/post-script, condition, timer, message, called
decision or process, flow ends); DMN elements by id on their labels, expressions and rule
entries; forms on their fields (JSON Schema properties, by dotted path). A change of layout
only (positions in the diagram) is reported as such, without element changes.

Above the element changes, `FileDiff.roles` says in words which existing human task would
change role (whose inbox it goes to), from the lane each task really gets when executed: a
sub-process placed in a lane gives that lane to everything nested in it, an element in no lane
gets none. The studio asks for an explicit confirmation before deploying such a change.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from lxml import etree

from .lint.common import spiff_property
from .specs import lane_role

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}

TYPE_LABELS = {
    "process": "processus", "participant": "participant", "lane": "couloir",
    "startEvent": "événement de début", "endEvent": "événement de fin",
    "intermediateCatchEvent": "événement intermédiaire", "intermediateThrowEvent":
    "événement émis", "boundaryEvent": "événement attaché", "userTask": "tâche utilisateur",
    "manualTask": "tâche manuelle", "scriptTask": "tâche script", "serviceTask":
    "tâche de service", "businessRuleTask": "tâche de décision (DMN)", "sendTask":
    "tâche d'envoi", "receiveTask": "tâche de réception", "task": "tâche", "callActivity":
    "activité appelée", "subProcess": "sous-processus", "exclusiveGateway": "branchement exclusif",
    "parallelGateway": "branchement parallèle", "inclusiveGateway": "branchement inclusif",
    "eventBasedGateway": "branchement sur événement", "sequenceFlow": "flux", "message":
    "message", "decision": "décision", "decisionTable": "table de décision", "input": "entrée",
    "output": "sortie", "rule": "règle", "textAnnotation": "annotation",
}
# Structural or decorative BPMN parts folded into their parent element or ignored.
SKIPPED = {"definitions", "collaboration", "laneSet", "extensionElements", "documentation",
           "association", "incoming", "outgoing", "flowNodeRef", "conditionExpression",
           "timerEventDefinition", "messageEventDefinition", "signalEventDefinition",
           "errorEventDefinition", "escalationEventDefinition", "terminateEventDefinition",
           "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "property",
           "dataInputAssociation", "dataOutputAssociation", "ioSpecification"}
TIMER_KINDS = {"timeDuration": "durée", "timeDate": "date", "timeCycle": "cycle"}


@dataclass
class ElementChange:
    element_id: str
    change: str  # "ajouté", "supprimé", "modifié"
    label: str  # « tâche utilisateur « Saisir un montant » »
    details: list[tuple[str, str, str]] = field(default_factory=list)  # (what, before, after)


@dataclass
class RoleChange:
    """An existing human task whose role (inbox) changes."""

    filename: str
    element_id: str
    name: str
    before_role: str | None
    after_role: str | None
    before_lane: str | None
    after_lane: str | None

    @property
    def sentence(self) -> str:
        """« La tâche « Examen médical » (examen_medical) passerait du rôle Médecin-conseil
        (couloir « Service médical ») au rôle Agent (couloir « Service Invalidité »). »"""
        return (f"La tâche « {self.name} » ({self.element_id}) passerait "
                f"{_role_words(self.before_role, self.before_lane, 'du', 'd')} "
                f"{_role_words(self.after_role, self.after_lane, 'au', 'à')}.")


def _role_words(role: str | None, lane: str | None, article: str, none_article: str) -> str:
    where = f"couloir « {lane} »" if lane else "aucun couloir"
    if role is None:
        joined = "d'aucun" if none_article == "d" else "à aucun"
        return f"{joined} rôle ({where})"
    return f"{article} rôle {ROLE_LABELS.get(role, role)} ({where})"


ROLE_LABELS = {"assure": "Assuré", "agent": "Agent", "medecin_conseil": "Médecin-conseil",
               "cra": "Commission de recours amiable (CRA)",
               "cmra": "Commission médicale de recours amiable (CMRA)",
               "analyste": "Analyste", "superviseur": "Superviseur"}
HUMAN_TASKS = ("userTask", "manualTask")


@dataclass
class FileDiff:
    filename: str
    kind: str  # bpmn, dmn, form
    status: str  # "nouveau", "modifié", "inchangé", "retiré"
    elements: list[ElementChange] = field(default_factory=list)
    layout_only: bool = False
    error: str = ""
    roles: list[RoleChange] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        found = {"ajouté": 0, "supprimé": 0, "modifié": 0}
        for element in self.elements:
            found[element.change] += 1
        return found


def kind_of(filename: str) -> str:
    return {"bpmn": "bpmn", "dmn": "dmn", "json": "form"}.get(filename.rsplit(".", 1)[-1], "")


def diff_file(filename: str, before: str | None, after: str | None) -> FileDiff:
    """Compare one file's deployed content (`before`, None if never deployed) with its draft
    (`after`, None if the file left the folder)."""
    kind = kind_of(filename)
    if after is None:
        return FileDiff(filename, kind, "retiré")
    if before == after:
        return FileDiff(filename, kind, "inchangé")
    status = "nouveau" if before is None else "modifié"
    try:
        old, new = _elements(kind, before), _elements(kind, after)
    except (etree.XMLSyntaxError, json.JSONDecodeError, ValueError) as err:
        return FileDiff(filename, kind, status, error=f"illisible : {err}")
    elements = compare(old, new, name_label="libellé" if kind == "form" else "nom")
    roles = role_changes(filename, before, after) if kind == "bpmn" and before else []
    return FileDiff(filename, kind, status, elements,
                    layout_only=bool(before) and not elements and kind != "form" and not roles,
                    roles=roles)


def role_changes(filename: str, before: str, after: str) -> list[RoleChange]:
    """Human tasks present in both versions whose executed role differs."""
    old, new = task_lanes(before), task_lanes(after)
    found = []
    for element_id, (name, lane, role) in new.items():
        if element_id not in old:
            continue
        old_name, old_lane, old_role = old[element_id]
        if old_role != role:
            found.append(RoleChange(filename, element_id, name or old_name or element_id,
                                    old_role, role, old_lane, lane))
    return found


def all_role_changes(diffs: list[FileDiff]) -> list[RoleChange]:
    return [change for diff in diffs for change in diff.roles]


def task_lanes(text: str) -> dict[str, tuple[str, str | None, str | None]]:
    """Human task id → (name, lane it runs in, role of that lane), the way SpiffWorkflow
    assigns lanes: the outermost enclosing sub-process that sits in a lane gives it to
    everything inside. A lane's role is its `role` property in the diagram, else its name's."""
    root = _parse(text)
    lanes, roles = {}, {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        name = lane.get("name") or lane.get("id")
        roles[name] = spiff_property(lane, "role") or lane_role(name)
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = name
    found = {}
    for local in HUMAN_TASKS:
        for node in root.iter(f"{{{BPMN}}}{local}"):
            element_id = node.get("id")
            if not element_id:
                continue
            lane = lanes.get(element_id)
            for ancestor in node.iterancestors(f"{{{BPMN}}}subProcess",
                                               f"{{{BPMN}}}transaction"):
                if ancestor.get("id") in lanes:  # iterancestors goes outwards: keep the last
                    lane = lanes[ancestor.get("id")]
            found[element_id] = (node.get("name") or "", lane, roles.get(lane))
    return found


def _elements(kind: str, text: str | None) -> dict[str, dict]:
    if text is None:
        return {}
    if kind == "bpmn":
        return bpmn_elements(text)
    if kind == "dmn":
        return dmn_elements(text)
    return form_fields(text)


def compare(old: dict[str, dict], new: dict[str, dict],
            name_label: str = "nom") -> list[ElementChange]:
    """Each element: {"_type": label, "_name": name, what: value…}."""
    changes = []
    for element_id, props in new.items():
        if element_id not in old:
            changes.append(ElementChange(element_id, "ajouté", _label(props)))
    for element_id, props in old.items():
        if element_id not in new:
            changes.append(ElementChange(element_id, "supprimé", _label(props)))
            continue
        after = new[element_id]
        details = [(what, str(props.get(what, "")), str(after.get(what, "")))
                   for what in dict.fromkeys([*props, *after])
                   if what != "_type" and props.get(what) != after.get(what)]
        if props.get("_type") != after.get("_type"):
            details.insert(0, ("type", props.get("_type", ""), after.get("_type", "")))
        details = [((name_label if w == "_name" else w), b, a) for w, b, a in details]
        if details:
            changes.append(ElementChange(element_id, "modifié", _label(after), details))
    return changes


def _label(props: dict) -> str:
    name = props.get("_name")
    return f"{props.get('_type', '')} « {name} »" if name else props.get("_type", "")


# ----- BPMN ----------------------------------------------------------------------------
def _parse(text: str):
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
    return etree.fromstring(text.encode("utf-8"), parser)


def bpmn_elements(text: str) -> dict[str, dict]:
    root = _parse(text)
    lanes = {}
    for lane in root.iter(f"{{{BPMN}}}lane"):
        for ref in lane.findall(f"{{{BPMN}}}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    messages = {m.get("id"): m.get("name") or m.get("id")
                for m in root.iter(f"{{{BPMN}}}message")}
    found = {}
    for node in root.iter(f"{{{BPMN}}}*"):
        local = etree.QName(node).localname
        element_id = node.get("id")
        if not element_id or local in SKIPPED or local.endswith("EventDefinition"):
            continue
        props = {"_type": TYPE_LABELS.get(local, local), "_name": node.get("name") or ""}
        if element_id in lanes:
            props["couloir"] = lanes[element_id]
        props.update(_executable(node, messages))
        found[element_id] = {k: v for k, v in props.items() if v not in ("", None)}
    return found


def _executable(node, messages: dict) -> dict:
    props: dict[str, str] = {}

    def text(path):
        child = node.find(path, NS)
        return (child.text or "").strip() if child is not None else ""

    props["script"] = text("bpmn:script")
    for prop in node.findall("bpmn:extensionElements/spiffworkflow:properties/"
                             "spiffworkflow:property", NS):
        label = "formulaire" if prop.get("name") == "formJsonSchemaFilename" else \
            f"propriété {prop.get('name')}"
        props[label] = prop.get("value") or ""
    for extension in node.findall("bpmn:extensionElements/spiffworkflow:*", NS):
        local = etree.QName(extension).localname
        if local != "properties":
            props[{"preScript": "pré-script", "postScript": "post-script",
                   "calledDecisionId": "décision appelée"}.get(local, local)] = \
                (extension.text or "").strip()
    props["condition"] = text("bpmn:conditionExpression")
    for attr, label in (("sourceRef", "source"), ("targetRef", "cible"),
                        ("attachedToRef", "attaché à"), ("default", "flux par défaut"),
                        ("calledElement", "processus appelé"),
                        ("cancelActivity", "interrompt la tâche")):
        props[label] = node.get(attr) or ""
    timer = node.find("bpmn:timerEventDefinition", NS)
    if timer is not None:
        for tag, kind in TIMER_KINDS.items():
            value = timer.find(f"bpmn:{tag}", NS)
            if value is not None:
                props["minuteur"] = f"{kind} : {(value.text or '').strip()}"
    message = node.find("bpmn:messageEventDefinition", NS)
    ref = message.get("messageRef") if message is not None else node.get("messageRef")
    if ref:
        props["message"] = messages.get(ref, ref)
    return props


# ----- DMN -------------------------------------------------------------------------------
def dmn_elements(text: str) -> dict[str, dict]:
    root = _parse(text)
    found = {}
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        element_id = node.get("id")
        if not element_id or local in ("definitions", "inputExpression", "inputEntry",
                                       "outputEntry", "text", "dmnDI", "DMNDiagram",
                                       "DMNShape", "DMNEdge") or local.startswith("DMN"):
            continue
        props = {"_type": TYPE_LABELS.get(local, local),
                 "_name": node.get("name") or node.get("label") or ""}
        for attr, label in (("hitPolicy", "politique"), ("typeRef", "type de valeur")):
            props[label] = node.get(attr) or ""
        if local == "output":
            props["variable"] = node.get("name") or ""
        expression = node.find("{*}inputExpression/{*}text")
        if expression is not None:
            props["expression"] = (expression.text or "").strip()
        if local == "rule":
            props["conditions"] = " | ".join((e.findtext("{*}text") or "").strip() or "-"
                                             for e in node.findall("{*}inputEntry"))
            props["résultats"] = " | ".join((e.findtext("{*}text") or "").strip() or "-"
                                            for e in node.findall("{*}outputEntry"))
            props["description"] = (node.findtext("{*}description") or "").strip()
        found[element_id] = {k: v for k, v in props.items() if v not in ("", None)}
    return found


# ----- forms -----------------------------------------------------------------------------
def form_fields(text: str) -> dict[str, dict]:
    """The form itself (title, required…) and each field by dotted path."""
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise ValueError("le formulaire doit être un objet JSON")  # noqa: TRY004 - caught as bad input
    found = {"(formulaire)": {"_type": "formulaire", "_name": str(schema.get("title", "")),
                              **_field_props(schema)}}
    _walk(schema, "", found)
    return found


def _walk(schema: dict, prefix: str, found: dict) -> None:
    properties = schema.get("properties") or {}
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        path = f"{prefix}{name}"
        found[path] = {"_type": "champ", "_name": str(sub.get("title", "")),
                       "obligatoire": "oui" if name in (schema.get("required") or []) else "non",
                       **_field_props(sub)}
        _walk(sub, f"{path}.", found)
        items = sub.get("items")
        if isinstance(items, dict):
            _walk(items, f"{path}[].", found)


def _field_props(schema: dict) -> dict:
    return {key: json.dumps(value, ensure_ascii=False, sort_keys=True)
            for key, value in schema.items()
            if key not in ("properties", "title") and not (key == "items" and isinstance(
                value, dict) and "properties" in value)}
