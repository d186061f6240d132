"""Studio: « Couloirs et rôles » — map a diagram's own lane names to the platform's roles.

The role is stored in the diagram (so it is versioned and deployed with it), on the lane:

    <bpmn:lane id="Lane_1" name="Équipe médicale">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="role" value="medecin_conseil" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
      …

The XML is edited as text at the exact places lxml points to (the rest of the file stays
byte for byte what the modeler wrote), then saved like every studio save (checks, audit; a
diagram still refused is kept as a draft).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, url_for
from lxml import etree

from app.engine.specs import lane_role
from app.models.user import MEDICAL_ROLES

from ..shared.security import roles
from .blueprint import bp
from .files import BadFile, draft_errors, save_files, xml_parser
from .routes import file_or_404

SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
ROLE_PROPERTY = "role"
ROLE_LABELS = {"assure": "Assuré", "agent": "Agent (Service Invalidité)",
               "medecin_conseil": "Médecin-conseil",
               "cra": "Commission de recours amiable (CRA)",
               "cmra": "Médecin de la commission médicale de recours amiable (CMRA)",
               "superviseur": "Superviseur", "analyste": "Analyste"}
MEDICAL = MEDICAL_ROLES  # roles bound by the secret médical (médecin-conseil, CMRA)
TASKS = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
         "receiveTask", "businessRuleTask", "callActivity", "subProcess"}
HUMAN = {"userTask", "manualTask"}


class LaneEditError(ValueError):
    """The diagram cannot be edited safely (French message)."""


@dataclass
class Lane:
    id: str
    name: str
    process: str
    tasks: int
    human_tasks: int
    property_role: str | None  # from the diagram's role property
    fixed_role: str | None  # from the platform's fixed lane names

    @property
    def role(self) -> str | None:
        return self.property_role or self.fixed_role

    @property
    def source(self) -> str:
        if self.property_role:
            return "propriété du diagramme"
        return "nom du couloir" if self.fixed_role else ""


# ----- reading ---------------------------------------------------------------------------
def parse(text: str) -> etree._Element:
    try:
        return etree.fromstring(text.encode("utf-8"), xml_parser())
    except etree.XMLSyntaxError as err:
        raise LaneEditError(f"le diagramme n'est pas un XML lisible (ligne {err.lineno}) : "
                            "corrigez-le dans l'éditeur d'abord") from err


def _children(element, namespace: str, local: str) -> list:
    return [c for c in element if isinstance(c.tag, str)
            and etree.QName(c).namespace == namespace and etree.QName(c).localname == local]


def _role_property(lane) -> tuple | None:
    """(extensionElements, properties, property) of the lane's role property, or Nones."""
    for ext in _children(lane, BPMN, "extensionElements"):
        for props in _children(ext, SPIFF, "properties"):
            for prop in _children(props, SPIFF, "property"):
                if prop.get("name") == ROLE_PROPERTY:
                    return ext, props, prop
    return None


def lanes_of(text: str) -> list[Lane]:
    root = parse(text)
    found = []
    for process in root.iter(f"{{{BPMN}}}process"):
        by_id = {e.get("id"): etree.QName(e).localname for e in process.iter()
                 if isinstance(e.tag, str) and e.get("id")}
        for lane in process.iter(f"{{{BPMN}}}lane"):
            refs = [(r.text or "").strip() for r in _children(lane, BPMN, "flowNodeRef")]
            kinds = [by_id.get(ref, "") for ref in refs]
            prop = _role_property(lane)
            value = prop[2].get("value") if prop else None
            found.append(Lane(
                id=lane.get("id") or "", name=(lane.get("name") or "").strip(),
                process=process.get("name") or process.get("id") or "",
                tasks=sum(k in TASKS for k in kinds), human_tasks=sum(k in HUMAN for k in kinds),
                property_role=value if value in ROLE_LABELS else None,
                fixed_role=lane_role(lane.get("name"))))
    return found


# ----- writing ---------------------------------------------------------------------------
TOKEN = re.compile(
    r"<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<!DOCTYPE[^>]*>"
    r"|</(?P<end>[^\s>]+)\s*>"
    r"|<(?P<start>[^\s/>!?]+)(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*\s*(?P<close>/?)>",
    re.DOTALL)


@dataclass
class Span:
    name: str
    start: int  # of the start tag
    tag_end: int  # end of the start tag
    end: int = -1  # end of the element
    close_start: int = -1  # start of the end tag (-1 when self-closing)


def _spans(text: str, root) -> dict:
    """lxml element → where it is in the text (elements come in the same document order)."""
    spans: list[Span] = []
    stack: list[Span] = []
    for match in TOKEN.finditer(text):
        if match.group("start"):
            span = Span(match.group("start"), match.start(), match.end())
            spans.append(span)
            if match.group("close"):
                span.end = match.end()
            else:
                stack.append(span)
        elif match.group("end"):
            if not stack or stack[-1].name != match.group("end"):
                raise LaneEditError("le XML n'a pas pu être relu pour y écrire les rôles")
            span = stack.pop()
            span.end, span.close_start = match.end(), match.start()
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    if stack or len(elements) != len(spans) or any(
            etree.QName(e).localname != s.name.rpartition(":")[2]
            for e, s in zip(elements, spans, strict=True)):
        raise LaneEditError("le XML n'a pas pu être relu pour y écrire les rôles")
    return dict(zip(elements, spans, strict=True))


def _indent(text: str, position: int) -> str:
    line_start = text.rfind("\n", 0, position) + 1
    before = text[line_start:position]
    return before if not before.strip() else ""


def _prefix(element) -> str:
    return f"{element.prefix}:" if element.prefix else ""


def _spiff_prefix(lane, root_span: Span, text: str, edits: list) -> str:
    for prefix, uri in lane.nsmap.items():
        if uri == SPIFF and prefix:
            return prefix
    prefix, number = "spiffworkflow", 1
    while prefix in lane.nsmap:
        prefix, number = f"spiffworkflow{number}", number + 1
    at = root_span.tag_end - 1 - (text[root_span.tag_end - 2] == "/")
    edits.append((at, at, f' xmlns:{prefix}="{SPIFF}"'))
    return prefix


def set_lane_roles(text: str, changes: dict[str, str | None]) -> str:
    """The diagram with these lanes' role property set (or removed, for None)."""
    root = parse(text)
    spans = _spans(text, root)
    lanes = {lane.get("id"): lane for lane in root.iter(f"{{{BPMN}}}lane") if lane.get("id")}
    edits: list[tuple[int, int, str]] = []
    namespace_prefix = None
    for lane_id, role in changes.items():
        lane = lanes.get(lane_id)
        if lane is None:
            raise LaneEditError(f"le couloir « {lane_id} » n'existe pas dans le diagramme")
        found = _role_property(lane)
        if found and role:
            edits.append(_set_value(text, spans[found[2]], role))
        elif found:
            edits.append(_removal(text, spans, found))
        elif role:
            if namespace_prefix is None:
                namespace_prefix = _spiff_prefix(lane, spans[root], text, edits)
            edits.append(_insertion(text, spans, lane, namespace_prefix, role))
    result = text
    for start, end, replacement in sorted(edits, reverse=True):
        result = result[:start] + replacement + result[end:]
    written = {lane.id: lane.property_role for lane in lanes_of(result)}
    if any(written.get(lane_id) != role for lane_id, role in changes.items()):
        raise LaneEditError("les rôles n'ont pas pu être écrits dans le diagramme")
    return result


def _set_value(text: str, span: Span, role: str) -> tuple[int, int, str]:
    tag = text[span.start:span.tag_end]
    value = re.search(r"(\svalue\s*=\s*)(\"[^\"]*\"|'[^']*')", tag)
    if value:
        tag = f'{tag[:value.start(2)]}"{role}"{tag[value.end(2):]}'
    else:
        cut = len("<" + span.name)
        tag = f'{tag[:cut]} value="{role}"{tag[cut:]}'
    return span.start, span.tag_end, tag


def _removal(text: str, spans: dict, found: tuple) -> tuple[int, int, str]:
    ext, props, prop = found
    alone = [c for c in props if isinstance(c.tag, str)] == [prop]
    target = prop
    if alone:
        target = ext if [c for c in ext if isinstance(c.tag, str)] == [props] else props
    span = spans[target]
    start = span.start
    if _indent(text, start) or text[start - 1:start] == "\n":
        start = text.rfind("\n", 0, span.start)
    return max(start, 0), span.end, ""


def _insertion(text: str, spans: dict, lane, spiff: str, role: str) -> tuple[int, int, str]:
    span = spans[lane]
    lane_indent = _indent(text, span.start)
    kids = [c for c in lane if isinstance(c.tag, str)]
    child_indent = _indent(text, spans[kids[0]].start) if kids else ""
    unit = (child_indent[len(lane_indent):] if child_indent.startswith(lane_indent)
            and len(child_indent) > len(lane_indent) else "  ")
    bpmn = _prefix(lane)
    prop = f'<{spiff}:property name="{ROLE_PROPERTY}" value="{role}" />'
    ext, props = (_children(lane, BPMN, "extensionElements") or [None])[0], None
    if ext is not None:
        props = (_children(ext, SPIFF, "properties") or [None])[0]
    if props is not None and spans[props].close_start >= 0:
        inner = _indent(text, spans[props].close_start)
        return spans[props].close_start, spans[props].close_start, f"{unit}{prop}\n{inner}"
    if ext is not None and spans[ext].close_start >= 0 and props is None:
        inner = _indent(text, spans[ext].close_start)
        block = (f"{unit}<{spiff}:properties>\n{inner}{unit * 2}{prop}\n{inner}{unit}"
                 f"</{spiff}:properties>\n{inner}")
        return spans[ext].close_start, spans[ext].close_start, block
    if ext is not None:  # self-closing extensionElements or properties: rare, rewrite it
        raise LaneEditError(f"le couloir « {lane.get('name') or lane.get('id')} » a des "
                            "extensions vides à corriger dans l'éditeur")
    inner = lane_indent + unit
    block = (f"<{bpmn}extensionElements>\n{inner}{unit}<{spiff}:properties>\n{inner}{unit * 2}"
             f"{prop}\n{inner}{unit}</{spiff}:properties>\n{inner}</{bpmn}extensionElements>")
    docs = _children(lane, BPMN, "documentation")
    if span.close_start < 0:  # <bpmn:lane … />
        tag = re.sub(r"\s*/>$", ">", text[span.start:span.tag_end])
        return (span.start, span.end,
                f"{tag}\n{inner}{block}\n{lane_indent}</{bpmn}lane>")
    at = spans[docs[-1]].end if docs else span.tag_end
    return at, at, f"\n{inner}{block}"


# ----- routes ----------------------------------------------------------------------------
def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _page(filename: str, text: str, status: int = 200, problems: dict | None = None,
          chosen: dict | None = None):
    try:
        lanes, unreadable = lanes_of(text), ""
    except LaneEditError as err:
        lanes, unreadable = [], str(err)
    return render_template("studio/lanes.html", filename=filename, lanes=lanes,
                           unreadable=unreadable, roles=ROLE_LABELS, medical=MEDICAL,
                           draft_errors=draft_errors(filename), problems=problems or {},
                           chosen=chosen or {}, fingerprint=_fingerprint(text)), status


@bp.get("/couloirs/<filename>")
@roles("analyste")
def lanes(filename: str):
    return _page(filename, file_or_404(filename, "bpmn"))


@bp.post("/couloirs/<filename>")
@roles("analyste")
def save_lanes(filename: str):
    text = file_or_404(filename, "bpmn")
    if request.form.get("empreinte") != _fingerprint(text):
        flash("Le diagramme a changé depuis l'affichage de cette page : vérifiez les couloirs "
              "et recommencez.", "error")
        return redirect(url_for("studio.lanes", filename=filename), 303)
    try:
        current = lanes_of(text)
    except LaneEditError:
        abort(422)
    chosen = {lane.id: request.form.get(f"role-{lane.id}") for lane in current if lane.id}
    problems = {lane_id: "Rôle inconnu : choisissez un rôle de la liste."
                for lane_id, value in chosen.items()
                if value is not None and value != "" and value not in ROLE_LABELS}
    if problems:
        return _page(filename, text, 400, problems, chosen)
    changes, moved = {}, []
    for lane in current:
        value = chosen.get(lane.id)
        if value is None or value == (lane.role or "") or (value == "" and
                                                            not lane.property_role):
            continue
        new_role = value or None
        changes[lane.id] = new_role
        after = new_role or lane.fixed_role
        moved.append({"couloir": lane.id, "nom": lane.name, "avant": lane.role,
                      "apres": after})
    if not changes:
        flash("Aucun changement de rôle.", "info")
        return redirect(url_for("studio.lanes", filename=filename), 303)
    try:
        edited = set_lane_roles(text, changes)
        errors = save_files({filename: edited}, action="studio_couloirs", keep_draft=True,
                            details={"couloirs": moved})
    except (LaneEditError, BadFile) as err:
        flash(f"Rôles non enregistrés : {err}.", "error")
        return redirect(url_for("studio.lanes", filename=filename), 303)
    for move in moved:
        if {move["avant"], move["apres"]} & set(MEDICAL) and move["avant"] != move["apres"]:
            flash(_medical_warning(move), "warning")
    if errors:
        flash(f"Rôles enregistrés dans le brouillon de « {filename} » seulement : le diagramme "
              "ne passe pas encore les vérifications (voir ci-dessous).", "error")
    else:
        flash(f"Rôles des couloirs enregistrés dans « {filename} ». Déployez pour qu'ils "
              "s'appliquent aux nouveaux dossiers.", "success")
    return redirect(url_for("studio.lanes", filename=filename), 303)


def _label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", "aucun rôle")


def _medical_warning(move: dict) -> str:
    name = move["nom"] or move["couloir"]
    if move["apres"] in MEDICAL and move["avant"] not in MEDICAL:
        return (f"Secret médical : le couloir « {name} » devient {_label(move['apres'])}. "
                "Ses tâches "
                "pourront montrer des données médicales : vérifiez qu'il ne contient que des "
                "étapes réservées au service médical. Le déploiement demandera de confirmer ce "
                "changement de rôle.")
    if move["apres"] in MEDICAL:
        return (f"Secret médical : le couloir « {name} » passe de « {_label(move['avant'])} » "
                f"à « {_label(move['apres'])} », deux rôles tenus au secret médical. Le "
                "déploiement demandera de confirmer ce changement de rôle.")
    return (f"Secret médical : le couloir « {name} » n'est plus {_label(move['avant'])} (il "
            "passe à "
            f"« {_label(move['apres'])} »). Ses tâches ne doivent montrer aucune donnée "
            "médicale à ce rôle : vérifiez les formulaires de ces tâches. Le déploiement "
            "demandera de confirmer ce changement de rôle.")
