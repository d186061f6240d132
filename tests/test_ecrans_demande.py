"""The diagram drives the assuré's screens: proof by change.

Each test edits a private copy of processes/ and forms/ the way an analyst would in the
studio (a sixth step with its own form, a step removed, every element id renamed), deploys
it, and walks the request through its pages: the stepper, the récapitulatif with its pencils
and its PDF follow the diagram, without any BPMN element id in the web layer (checked for the
whole of app/ by test_aucun_identifiant_bpmn.py). A dossier keeps the screens of the version
it started on.
"""
from __future__ import annotations

import html
import io
import json
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from app.engine import screens
from app.models import Dossier, HumanTask

from .assure_aide import (
    AUCUNE,
    COORDONNEES,
    SALARIE,
    dossier_of,
    fill_until_recap,
    form_action,
    page_text,
    pdf_bytes,
    start_request,
    step,
    submit_recap,
    submit_step,
    upload,
)
from .conftest import ROOT, deploy_folder

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "spiffworkflow": SPIFF}
DEMANDE_FILE = "demande_pension_invalidite.bpmn"
TRIAGE_FILE = "triage_amelibot.bpmn"
REF_ATTRIBUTES = ("sourceRef", "targetRef", "attachedToRef", "default", "bpmnElement",
                  "messageRef", "processRef")
REF_ELEMENTS = ("flowNodeRef", "incoming", "outgoing")

BANQUE_FORM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Mes coordonnées bancaires",
    "type": "object",
    "required": ["titulaire", "iban"],
    "properties": {
        "titulaire": {"type": "string", "title": "Titulaire du compte", "maxLength": 100,
                      "x-messages": {"required": "Indiquez le titulaire du compte"}},
        "iban": {"type": "string", "title": "IBAN", "pattern": "^FR[0-9]{2}[0-9A-Z]{23}$",
                 "x-messages": {"required": "Indiquez votre IBAN",
                                "pattern": "L'IBAN commence par FR suivi de 25 caractères"}},
        "bic": {"type": "string", "title": "BIC", "pattern": "^[A-Z0-9]{8}([A-Z0-9]{3})?$"},
    },
}
BANQUE = {"titulaire": "Marie Durand", "iban": "FR7630006000011234567890189",
          "bic": "AGRIFRPP"}


# ----- editing a private copy of the diagrams, as the studio would --------------------------------
@pytest.fixture
def bundle(tmp_path):
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(ROOT / "processes", processes)
    shutil.copytree(ROOT / "forms", forms)
    return processes, forms


class Diagram:
    """A BPMN file edited with lxml: elements found by id, references kept consistent."""

    def __init__(self, path: Path):
        self.path = path
        self.tree = etree.parse(str(path))
        self.root = self.tree.getroot()
        self.process = self.root.find(f"{{{BPMN}}}process")

    def save(self) -> None:
        self.tree.write(str(self.path), xml_declaration=True, encoding="UTF-8")

    def by_id(self, element_id: str):
        found = self.root.xpath("//*[@id=$i]", i=element_id)
        assert found, element_id
        return found[0]

    def find_user_task(self, form: str):
        """The user task showing this form (found by its form, not by its id)."""
        prop = self.root.xpath(
            "//bpmn:userTask[.//spiffworkflow:property[@name='formJsonSchemaFilename' "
            "and @value=$f]]", namespaces=NS, f=form)
        assert prop, form
        return prop[0]

    def flow(self, source: str, target: str):
        found = self.process.xpath("bpmn:sequenceFlow[@sourceRef=$s and @targetRef=$t]",
                                   namespaces=NS, s=source, t=target)
        return found

    def add(self, tag: str, attrib: dict, parent=None):
        element = etree.SubElement(parent if parent is not None else self.process,
                                   f"{{{BPMN}}}{tag}", attrib)
        return element

    def add_ref(self, element, tag: str, text: str) -> None:
        child = etree.Element(f"{{{BPMN}}}{tag}")
        child.text = text
        # schema order: extensionElements, incoming…, outgoing…, then the rest
        before = ("extensionElements", "incoming") if tag == "incoming" else \
            ("extensionElements", "incoming", "outgoing")
        position = len([c for c in element if isinstance(c.tag, str)
                        and etree.QName(c).localname in before])
        element.insert(position, child)

    def retarget(self, flow_id: str, new_target: str) -> None:
        flow = self.by_id(flow_id)
        old = self.by_id(flow.get("targetRef"))
        for ref in old.findall(f"{{{BPMN}}}incoming"):
            if ref.text == flow_id:
                old.remove(ref)
        flow.set("targetRef", new_target)
        self.add_ref(self.by_id(new_target), "incoming", flow_id)

    def connect(self, flow_id: str, source: str, target: str, condition: str | None = None,
                name: str | None = None) -> None:
        attrib = {"id": flow_id, "sourceRef": source, "targetRef": target}
        if name:
            attrib["name"] = name
        flow = self.add("sequenceFlow", attrib)
        if condition:
            etree.SubElement(flow, f"{{{BPMN}}}conditionExpression").text = condition
        self.add_ref(self.by_id(source), "outgoing", flow_id)
        self.add_ref(self.by_id(target), "incoming", flow_id)
        self.edge(flow_id, [(0, 0), (10, 10)])

    def shape(self, element_id: str, x: int, y: int, w: int = 100, h: int = 80) -> None:
        plane = self.root.find(f".//{{{BPMNDI}}}BPMNPlane")
        shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape",
                                 {"id": f"{element_id}_di", "bpmnElement": element_id})
        etree.SubElement(shape, f"{{{DC}}}Bounds", {"x": str(x), "y": str(y), "width": str(w),
                                                   "height": str(h)})

    def edge(self, flow_id: str, points) -> None:
        plane = self.root.find(f".//{{{BPMNDI}}}BPMNPlane")
        edge = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNEdge",
                                {"id": f"{flow_id}_di", "bpmnElement": flow_id})
        for x, y in points:
            etree.SubElement(edge, f"{{{DI}}}waypoint", {"x": str(x), "y": str(y)})

    def remove(self, element_id: str) -> None:
        """An element with its DI, its lane reference and the refs of its neighbours."""
        element = self.by_id(element_id)
        element.getparent().remove(element)
        for ref in self.root.xpath("//bpmn:flowNodeRef|//bpmn:incoming|//bpmn:outgoing",
                                   namespaces=NS):
            if ref.text == element_id:
                ref.getparent().remove(ref)
        for di in self.root.xpath("//*[@bpmnElement=$i]", i=element_id):
            di.getparent().remove(di)

    def rename_all(self, prefix: str) -> dict[str, str]:
        """Every element id, the process's included (the web layer asks for the journey its
        `parcours` property declares, never for a process id), gets a prefix, and every
        reference follows: flows, boundary events, defaults, lanes, participants, DI."""
        mapping = {el.get("id"): prefix + el.get("id") for el in self.root.iter()
                   if isinstance(el.tag, str) and el.get("id")}
        for el in self.root.iter():
            if not isinstance(el.tag, str):
                continue
            if el.get("id") in mapping:
                el.set("id", mapping[el.get("id")])
            for attr in REF_ATTRIBUTES:
                if el.get(attr) in mapping:
                    el.set(attr, mapping[el.get(attr)])
            if etree.QName(el).localname in REF_ELEMENTS and el.text in mapping:
                el.text = mapping[el.text]
        return mapping


def set_property(task, name: str, value: str) -> None:
    props = task.find(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties")
    for prop in props.findall(f"{{{SPIFF}}}property"):
        if prop.get("name") == name:
            prop.set("value", value)
            return
    etree.SubElement(props, f"{{{SPIFF}}}property", {"name": name, "value": value})


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


def add_bank_step(processes: Path, forms: Path) -> None:
    """A sixth step « Mes coordonnées bancaires » between « Informations complémentaires »
    and the récapitulatif, with its own form, its « Retour », and its pencil."""
    (forms / "demande_coordonnees_bancaires.json").write_text(
        json.dumps(BANQUE_FORM, ensure_ascii=False, indent=2), encoding="utf-8")
    edit_json(forms / "demande_recapitulatif.json", lambda d: (
        d["properties"]["choix_recapitulatif"]["enum"].append("banque"),
        d["properties"]["choix_recapitulatif"]["x-enumLabels"].update(
            {"banque": "Modifier mes coordonnées bancaires"})))
    bpmn = Diagram(processes / DEMANDE_FILE)
    infos = bpmn.find_user_task("demande_informations.json")
    recap = bpmn.find_user_task("demande_recapitulatif.json")
    infos_id, recap_id = infos.get("id"), recap.get("id")
    after_infos = bpmn.by_id(bpmn.process.xpath("bpmn:sequenceFlow[@sourceRef=$s]/@targetRef",
                                                namespaces=NS, s=infos_id)[0])
    editor = bpmn.by_id(bpmn.process.xpath("bpmn:sequenceFlow[@sourceRef=$s]/@targetRef",
                                           namespaces=NS, s=recap_id)[0])
    task = bpmn.add("userTask", {"id": "etape_banque", "name": "Mes coordonnées bancaires"})
    ext = etree.SubElement(task, f"{{{BPMN}}}extensionElements")
    props = etree.SubElement(ext, f"{{{SPIFF}}}properties")
    for name, value in (("formJsonSchemaFilename", "demande_coordonnees_bancaires.json"),
                        ("ecran", "formulaire"), ("etape_groupe", "demande"),
                        ("etape_ordre", "35"), ("etape_libelle", "Mes coordonnées bancaires"),
                        ("recap_section", "Mon compte bancaire :")):
        etree.SubElement(props, f"{{{SPIFF}}}property", {"name": name, "value": value})
    etree.SubElement(ext, f"{{{SPIFF}}}variableName").text = "banque"
    lane = bpmn.root.xpath("//bpmn:lane[bpmn:flowNodeRef=$t]", namespaces=NS, t=infos_id)[0]
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = "etape_banque"
    bpmn.shape("etape_banque", 1380, 460)
    # Everything that went from « Informations complémentaires » to the récapitulatif now
    # goes through the new step; the new step goes on to the récapitulatif.
    for flow in bpmn.flow(after_infos.get("id"), recap_id):
        bpmn.retarget(flow.get("id"), "etape_banque")
    bpmn.connect("flux_banque_recap", "etape_banque", recap_id)
    bpmn.connect("flux_recap_banque", editor.get("id"), "etape_banque",
                 condition='choix_recapitulatif == "banque"', name="banque")
    # « Retour »: an interrupting message boundary event back to the previous step.
    message = bpmn.root.find(f"{{{BPMN}}}message")
    event = bpmn.add("boundaryEvent", {"id": "retour_banque", "name": "Retour",
                                       "attachedToRef": "etape_banque"})
    etree.SubElement(event, f"{{{BPMN}}}messageEventDefinition",
                     {"id": "retour_banque_def", "messageRef": message.get("id")})
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = "retour_banque"
    bpmn.shape("retour_banque", 1382, 442, 36, 36)
    bpmn.connect("flux_retour_banque", "retour_banque", infos_id)
    # the submission script keeps the new data with the request
    script = bpmn.process.xpath("bpmn:scriptTask/bpmn:script[contains(., 'demande = ')]",
                                namespaces=NS)[0]
    script.text = script.text.replace('"informations": informations',
                                      '"informations": informations, "banque": banque')
    bpmn.save()


def remove_information_step(processes: Path, forms: Path) -> None:
    """« Informations complémentaires » removed: situation goes on to the récapitulatif."""
    edit_json(forms / "demande_recapitulatif.json", lambda d: (
        d["properties"]["choix_recapitulatif"]["enum"].remove("informations"),
        d["properties"]["choix_recapitulatif"]["x-enumLabels"].pop("informations")))
    bpmn = Diagram(processes / DEMANDE_FILE)
    infos = bpmn.find_user_task("demande_informations.json")
    infos_id = infos.get("id")
    recap_id = bpmn.find_user_task("demande_recapitulatif.json").get("id")
    gateway = bpmn.process.xpath("bpmn:sequenceFlow[@sourceRef=$s]/@targetRef",
                                 namespaces=NS, s=infos_id)[0]
    events = bpmn.process.xpath("bpmn:boundaryEvent[@attachedToRef=$t]/@id", namespaces=NS,
                                t=infos_id)
    doomed = {infos_id, gateway, *events}
    for flow in list(bpmn.process.findall(f"{{{BPMN}}}sequenceFlow")):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in doomed:
            bpmn.remove(flow.get("id"))
        elif target in doomed:
            if bpmn.by_id(source).tag == f"{{{BPMN}}}exclusiveGateway" and \
                    flow.find(f"{{{BPMN}}}conditionExpression") is None:
                bpmn.retarget(flow.get("id"), recap_id)  # the default path
            else:
                bpmn.remove(flow.get("id"))
    for element_id in doomed:
        bpmn.remove(element_id)
    script = bpmn.process.xpath("bpmn:scriptTask/bpmn:script[contains(., 'demande = ')]",
                                namespaces=NS)[0]
    script.text = script.text.replace(', "informations": informations', "")
    bpmn.save()


def rename_every_id(processes: Path) -> dict[str, str]:
    bpmn = Diagram(processes / DEMANDE_FILE)
    mapping = bpmn.rename_all("z9_")
    bpmn.save()
    return mapping


def open_elements(session_factory, numero: str) -> list[str]:
    with session_factory() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
        return list(session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == dossier.instance_id, HumanTask.status == "open")))


def stepper_state(response) -> str:
    found = re.search(r'fr-stepper__state">([^<]+)<', response.get_data(as_text=True))
    assert found, page_text(response)[-2000:]
    return found.group(1).strip()


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# ----- a sixth step -------------------------------------------------------------------------------
def test_a_sixth_step_appears_in_the_stepper_the_recap_and_its_pdf(client, users,
                                                                  session_factory, bundle):
    processes, forms = bundle
    add_bank_step(processes, forms)
    deploy_folder(session_factory, processes, forms)
    numero = start_request(client)
    assert stepper_state(step(client, numero)) == "Étape 1 sur 6"
    assert submit_step(client, numero, COORDONNEES).status_code == 303
    assert stepper_state(step(client, numero)) == "Étape 2 sur 6"
    assert submit_step(client, numero, SALARIE).status_code == 303
    text = page_text(step(client, numero))
    assert "Étape 3 sur 6" in text and "Mes coordonnées bancaires" in text  # the next step
    assert submit_step(client, numero, AUCUNE).status_code == 303

    # The new step: its form, its label, its « Retour » from the diagram, its validation.
    page = step(client, numero)
    text = page_text(page)
    assert stepper_state(page) == "Étape 4 sur 6"
    assert "Mes coordonnées bancaires" in text and "IBAN" in text
    assert "formaction=" in page.get_data(as_text=True)  # « Retour » through its event
    refused = client.post(form_action(page), data={"titulaire": "Marie Durand",
                                                   "iban": "123"})
    assert refused.status_code == 422
    assert "L'IBAN commence par FR" in page_text(refused)
    assert submit_step(client, numero, BANQUE).status_code == 303

    # The récapitulatif: a new section with its pencil, between « J'ai » and the buttons.
    recap = step(client, numero)
    text = page_text(recap)
    assert stepper_state(recap) == "Étape 5 sur 6"
    assert "Mon compte bancaire :" in text and "FR7630006000011234567890189" in text
    assert text.index("J'ai :") < text.index("Mon compte bancaire :")
    body = recap.get_data(as_text=True)
    assert 'name="choix_recapitulatif" value="banque"' in body
    assert body.count("fr-icon-edit-line fr-btn--icon-left") == 4  # four pencils
    # its pencil leads back to the new step, with the saved answers
    assert submit_recap(client, numero, "banque").status_code == 303
    page = step(client, numero)
    assert stepper_state(page) == "Étape 4 sur 6"
    assert 'value="FR7630006000011234567890189"' in page.get_data(as_text=True)
    assert submit_step(client, numero, {**BANQUE, "bic": "BNPAFRPP"}).status_code == 303
    assert "BNPAFRPP" in page_text(step(client, numero))
    # the récapitulatif's « Retour » goes to the step before it: the new one
    retour = re.search(r'<button type="submit" name="choix_recapitulatif" value="([^"]+)" '
                       r'class="fr-btn fr-btn--secondary">Retour', body)
    assert retour and retour.group(1) == "banque"

    assert submit_recap(client, numero).status_code == 303
    assert stepper_state(step(client, numero)) == "Étape 6 sur 6"
    response = upload(client, numero, pdf_bytes())
    assert response.status_code == 303, page_text(response)[-2000:]
    assert dossier_of(session_factory, numero).date_reception is not None

    pdf = client.get(f"/assure/dossiers/{numero}/recapitulatif.pdf")
    assert pdf.status_code == 200
    content = pdf_text(pdf.data)
    assert "Mon compte bancaire" in content and "FR7630006000011234567890189" in content
    assert "BNPAFRPP" in content and "Marie Durand" in content


def test_retour_from_the_new_step_goes_back_through_its_boundary_event(client, users,
                                                                      session_factory, bundle):
    processes, forms = bundle
    add_bank_step(processes, forms)
    deploy_folder(session_factory, processes, forms)
    numero = start_request(client)
    fill_until_recap(client, numero)  # three steps: now on the new one
    page = step(client, numero)
    assert stepper_state(page) == "Étape 4 sur 6"
    url = re.search(r'formaction="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(html.unescape(url), data={}).status_code == 303
    assert stepper_state(step(client, numero)) == "Étape 3 sur 6"


# ----- a step removed ------------------------------------------------------------------------------
def test_a_removed_step_leaves_four_steps(client, users, session_factory, bundle):
    processes, forms = bundle
    remove_information_step(processes, forms)
    deploy_folder(session_factory, processes, forms)
    numero = start_request(client)
    assert stepper_state(step(client, numero)) == "Étape 1 sur 4"
    assert submit_step(client, numero, COORDONNEES).status_code == 303
    assert stepper_state(step(client, numero)) == "Étape 2 sur 4"
    assert submit_step(client, numero, SALARIE).status_code == 303
    recap = step(client, numero)
    text = page_text(recap)
    assert stepper_state(recap) == "Étape 3 sur 4"
    assert "Ma situation actuelle :" in text and "J'ai :" not in text
    body = recap.get_data(as_text=True)
    assert body.count("fr-icon-edit-line fr-btn--icon-left") == 2
    assert re.search(r'value="situation" class="fr-btn fr-btn--secondary">Retour', body)
    assert submit_recap(client, numero).status_code == 303
    assert stepper_state(step(client, numero)) == "Étape 4 sur 4"
    assert upload(client, numero, pdf_bytes()).status_code == 303
    assert dossier_of(session_factory, numero).date_reception is not None


# ----- every element id renamed -------------------------------------------------------------------
def test_renaming_every_element_id_changes_nothing_for_the_assure(client, users,
                                                                 session_factory, bundle):
    processes, forms = bundle
    mapping = rename_every_id(processes)
    assert len(mapping) > 50
    deploy_folder(session_factory, processes, forms)
    numero = start_request(client)
    page = step(client, numero)
    assert stepper_state(page) == "Étape 1 sur 5"
    assert "Marie DURAND" in page_text(page)  # the identity box of step 1
    assert open_elements(session_factory, numero)[0].startswith("z9_")
    with session_factory() as session:  # started by its journey, whatever its process id
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
        assert dossier.instance.process_key == "z9_demande_pension_invalidite"
    assert submit_step(client, numero, COORDONNEES).status_code == 303
    # « Retour » still goes back through the (renamed) boundary event
    page = step(client, numero)
    url = re.search(r'formaction="([^"]+)"', page.get_data(as_text=True)).group(1)
    assert client.post(html.unescape(url), data={}).status_code == 303
    assert stepper_state(step(client, numero)) == "Étape 1 sur 5"
    assert submit_step(client, numero, COORDONNEES).status_code == 303
    assert submit_step(client, numero, SALARIE).status_code == 303
    assert submit_step(client, numero, AUCUNE).status_code == 303
    recap = step(client, numero)
    text = page_text(recap)
    assert stepper_state(recap) == "Étape 4 sur 5"
    for expected in ("Je suis :", "Marie DURAND", "Ma situation actuelle :", "J'ai :"):
        assert expected in text
    assert submit_recap(client, numero, "situation").status_code == 303
    assert stepper_state(step(client, numero)) == "Étape 2 sur 5"
    assert submit_step(client, numero, SALARIE).status_code == 303
    assert submit_recap(client, numero).status_code == 303
    page = step(client, numero)
    assert stepper_state(page) == "Étape 5 sur 5" and "Je valide ma demande" in page_text(page)
    assert upload(client, numero, pdf_bytes()).status_code == 303
    assert dossier_of(session_factory, numero).date_reception is not None
    pdf = client.get(f"/assure/dossiers/{numero}/recapitulatif.pdf")
    assert pdf.status_code == 200 and "Société Lelièvre" in pdf_text(pdf.data)
    dossier = client.get(f"/assure/dossiers/{numero}")
    assert dossier.status_code == 200


def test_the_paper_form_page_keeps_its_box_and_button_after_renaming(client, users,
                                                                     session_factory, bundle):
    processes, forms = bundle
    rename_every_id(processes)
    deploy_folder(session_factory, processes, forms)
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    assert submit_step(client, numero, {**SALARIE, "salariee.plusieurs_employeurs": "true"}
                       ).status_code == 303
    text = page_text(step(client, numero))
    assert "La demande en ligne n'est pas possible avec plus d'un employeur" in text
    assert "Valider mon choix" in text and "Étape" not in text


# ----- running dossiers keep their version's screens ---------------------------------------------
def test_a_running_dossier_keeps_the_steps_of_its_version(client, users, session_factory,
                                                         bundle):
    processes, forms = bundle
    deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")  # version 1: 5 steps
    ancien = start_request(client)
    assert submit_step(client, ancien, COORDONNEES).status_code == 303
    add_bank_step(processes, forms)
    report = deploy_folder(session_factory, processes, forms)  # version 2: 6 steps
    assert "demande_pension_invalidite" in report.new_versions
    assert stepper_state(step(client, ancien)) == "Étape 2 sur 5"
    submit_step(client, ancien, SALARIE)
    submit_step(client, ancien, AUCUNE)
    recap = step(client, ancien)
    assert stepper_state(recap) == "Étape 4 sur 5"
    assert "Mon compte bancaire" not in page_text(recap)
    client.post("/deconnexion")
    nouveau = start_request(client, "paul.martin")
    assert stepper_state(step(client, nouveau)) == "Étape 1 sur 6"


# ----- the screens module itself ------------------------------------------------------------------
def test_the_request_diagram_describes_its_five_steps(bundle):
    from app.engine.deploy import read_folders
    from app.engine.specs import parse_sources

    processes, forms = bundle
    spec = parse_sources(read_folders(processes, forms))["demande_pension_invalidite"].spec
    parcours = screens.build(spec).groupe("demande")
    assert [e.libelle for e in parcours.etapes] == [
        "Mes coordonnées", "Ma situation professionnelle", "Informations complémentaires",
        "Récapitulatif", "Avis d'imposition"]
    assert [e.ecran for e in parcours.etapes] == ["formulaire"] * 3 + [
        "recapitulatif", "depot_document"]
    assert [e.recap_section for e in parcours.sections()] == [
        "Je suis :", "Ma situation actuelle :", "J'ai :"]
    with_retour = [e.numero for e in parcours.etapes if e.message_retour]
    assert with_retour == [2, 3, 5]
    assert {e.message_retour for e in parcours.etapes if e.message_retour} == {
        "retour_etape_precedente"}
    assert len(parcours.ecrans) == 6  # and the paper-form side page, outside the stepper
    assert sorted(e.numero is None for e in parcours.ecrans.values()) == [False] * 5 + [True]
