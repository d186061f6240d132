"""The diagram drives the back-office screens: each user task of the instruction and of the
recours says, in its `spiffworkflow:properties`, the page it needs (`ecran`, `panneau`,
`bouton_envoyer`); the agent's pages read them from the instance's own deployed version and
never name a BPMN element id.

Proof by change, on private copies of processes/ and forms/: every element id renamed →
the instruction still runs through its panels and the tacit refusal still fires; a review
task added with a new form → it reaches the agents' inbox, no code change; a dossier
started on the old version keeps its screens. (No element id of processes/ is written
anywhere in app/: test_aucun_identifiant_bpmn.py.)"""
from __future__ import annotations

import json
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select

from app.engine import screens
from app.engine.clock import clock
from app.engine.timers import fire_due_timers
from app.models import Dossier, HumanTask
from app.web.agent.conditions import preparer_verification
from app.web.agent.dossiers import ouvrir_instruction
from app.web.agent.panneaux import PANNEAUX

from .conftest import ROOT, deploy_folder, html, login
from .test_instruction_outils import AVIS, DEMANDE, deadline_moment, dossier, move_clock_to

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "bpmndi": BPMNDI, "spiffworkflow": SPIFF}
FILES = ("instruction_invalidite.bpmn", "recours.bpmn")
PREFIX = "z9_"
# Attributes and element texts that name another element by its id.
REF_ATTRIBUTES = ("sourceRef", "targetRef", "default", "attachedToRef", "bpmnElement")
REF_TEXTS = ("flowNodeRef", "incoming", "outgoing", "sourceRef", "targetRef")


# ----- helpers: private copies of processes/ and forms/ -----------------------------------
@pytest.fixture
def dossiers(tmp_path):
    """Private copies of the project's processes and forms that a test may edit."""
    processes, forms = tmp_path / "processes", tmp_path / "forms"
    shutil.copytree(ROOT / "processes", processes)
    shutil.copytree(ROOT / "forms", forms)
    return processes, forms


def process_ids(tree) -> set[str]:
    return {p.get("id") for p in tree.iter(f"{{{BPMN}}}process")}


def element_ids(*paths: Path) -> set[str]:
    """Every id of the files but their processes' (those are what call activities call,
    and a call activity may bear the id of the process it calls)."""
    trees = [etree.parse(str(path)) for path in paths]
    ids = {e.get("id") for tree in trees for e in tree.iter() if e.get("id")}
    return ids - {pid for tree in trees for pid in process_ids(tree)}


def rename_all_ids(path: Path, prefix: str) -> dict[str, str]:
    """Prefix every element id of a BPMN file (lanes, tasks, events, flows, timer
    definitions, collaboration, DI), updating every reference; process ids stay (callers
    name them in `calledElement`)."""
    tree = etree.parse(str(path))
    keep = process_ids(tree)
    mapping = {e.get("id"): prefix + e.get("id") for e in tree.iter()
               if e.get("id") and e.get("id") not in keep}
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get("id") in mapping:
            element.set("id", mapping[element.get("id")])
        for name in REF_ATTRIBUTES:
            if element.get(name) in mapping:
                element.set(name, mapping[element.get(name)])
        if etree.QName(element).localname in REF_TEXTS and \
                (element.text or "").strip() in mapping:
            element.text = mapping[element.text.strip()]
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return mapping


def user_task(tree, name: str):
    found = [t for t in tree.iter(f"{{{BPMN}}}userTask") if t.get("name") == name]
    assert len(found) == 1, name
    return found[0]


def set_property(task, name: str, value: str | None) -> None:
    properties = task.find("bpmn:extensionElements/spiffworkflow:properties", NS)
    for prop in properties.findall("spiffworkflow:property", NS):
        if prop.get("name") == name:
            properties.remove(prop)
    if value is not None:
        etree.SubElement(properties, f"{{{SPIFF}}}property", name=name, value=value)


CONTROLE_QUALITE = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Contrôle qualité",
    "description": "Relisez la vérification administrative avant l'examen médical.",
    "type": "object",
    "required": ["controle_avis"],
    "properties": {
        "controle_avis": {"type": "string", "title": "Avis du contrôleur",
                          "enum": ["conforme", "a_reprendre"],
                          "x-enumLabels": {"conforme": "Conforme",
                                           "a_reprendre": "À reprendre"}},
        "controle_observations": {"type": "string", "title": "Observations du contrôleur",
                                  "maxLength": 500},
    },
}


def add_review_task(processes: Path, forms: Path) -> None:
    """« Contrôle qualité » in the Service Invalidité lane, right after the administrative
    check, with its own form: a change made in the diagram and forms only."""
    (forms / "controle_qualite.json").write_text(json.dumps(CONTROLE_QUALITE,
                                                           ensure_ascii=False))
    path = processes / "instruction_invalidite.bpmn"
    tree = etree.parse(str(path))
    verification = user_task(tree, "Vérification administrative")
    flow_id = verification.find("bpmn:outgoing", NS).text
    flow = tree.xpath(f"//bpmn:sequenceFlow[@id='{flow_id}']", namespaces=NS)[0]
    container = verification.getparent()
    review = etree.SubElement(container, f"{{{BPMN}}}userTask", id="revue_qualite_ajoutee",
                              name="Contrôle qualité")
    extensions = etree.SubElement(review, f"{{{BPMN}}}extensionElements")
    properties = etree.SubElement(extensions, f"{{{SPIFF}}}properties")
    etree.SubElement(properties, f"{{{SPIFF}}}property", name="formJsonSchemaFilename",
                     value="controle_qualite.json")
    etree.SubElement(properties, f"{{{SPIFF}}}property", name="bouton_envoyer",
                     value="Valider le contrôle")
    etree.SubElement(review, f"{{{BPMN}}}incoming").text = flow_id
    etree.SubElement(review, f"{{{BPMN}}}outgoing").text = "flux_revue_qualite"
    after = flow.get("targetRef")
    flow.set("targetRef", "revue_qualite_ajoutee")
    etree.SubElement(container, f"{{{BPMN}}}sequenceFlow", id="flux_revue_qualite",
                     sourceRef="revue_qualite_ajoutee", targetRef=after)
    target = tree.xpath(f"//*[@id='{after}']", namespaces=NS)[0]
    target.find("bpmn:incoming", NS).text = "flux_revue_qualite"
    lane = next(lane for lane in tree.iter(f"{{{BPMN}}}lane")
                if lane.get("name") == "Service Invalidité")
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = "revue_qualite_ajoutee"
    plane = tree.find(".//bpmndi:BPMNPlane", NS)
    shape = etree.SubElement(plane, f"{{{BPMNDI}}}BPMNShape", id="revue_qualite_ajoutee_di",
                             bpmnElement="revue_qualite_ajoutee")
    etree.SubElement(shape, f"{{{DC}}}Bounds", x="600", y="600", width="100", height="80")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


# ----- helpers: the back office through HTTP ------------------------------------------------
def open_dossier(app, users, who="marie.durand") -> int:
    assure = users[who]
    instance_id, _numero = ouvrir_instruction(
        app.extensions["invalidite"].runtime, assure, assure.caisse_code,
        date_reception=clock.today(),
        demande=DEMANDE, canal="en_ligne", avis_imposition=AVIS)
    return instance_id


def open_rows(session_factory, instance_id) -> list[HumanTask]:
    with session_factory() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")
            .order_by(HumanTask.id)))


def only_open(session_factory, instance_id) -> HumanTask:
    rows = open_rows(session_factory, instance_id)
    assert len(rows) == 1, [r.element_id for r in rows]
    return rows[0]


def as_user(client, who: str) -> None:
    client.post("/deconnexion")
    login(client, who)


def value_of(page: str, field: str) -> str:
    return re.search(rf'name="{field}" value="([^"]*)"', page).group(1)


SUBMIT = re.compile(r'<button[^>]*type="submit"[^>]*>\s*([^<]+?)\s*</button>')


def submit_labels(page: str) -> list[str]:
    return [unescape(label) for label in SUBMIT.findall(page)]


def date_of(typed: str):
    from datetime import datetime

    return datetime.strptime(typed, "%d/%m/%Y").date()


def through_the_panels(client, session_factory, iid: int) -> list[HumanTask]:
    """Vérification, convocation, examen, attribution: each page shows its panel (read from
    the diagram) and is completed by posting its form. → the rows completed."""
    done = []
    as_user(client, "agent.cramif")
    row = only_open(session_factory, iid)
    page = html(client.get(f"/agent/taches/{row.id}"))
    assert "Conditions administratives calculées" in page  # panneau « verification »
    assert "Enregistrer la vérification" in submit_labels(page)
    assert client.post(f"/agent/taches/{row.id}", data={
        "avis_conditions": "confirme", "pieces_completes": "true"}).status_code == 302
    done.append(row)

    as_user(client, "medecin")
    row = only_open(session_factory, iid)
    page = html(client.get(f"/agent/taches/{row.id}"))
    assert "L'assuré est convoqué par le service médical" in page  # « convocation_examen »
    assert "Envoyer la convocation" in submit_labels(page)
    jour = value_of(page, "convocation_date")
    assert client.post(f"/agent/taches/{row.id}", data={
        "convocation_date": jour, "convocation_heure": "09:30", "convocation_lieu": "Paris",
        "convocation_adresse": "17-19 avenue de Flandre"}).status_code == 302
    done.append(row)
    # The exam is recorded on the convocation day, never before it.
    clock.advance(date_of(jour) - clock.today())

    row = only_open(session_factory, iid)
    page = html(client.get(f"/agent/taches/{row.id}"))
    assert "Assuré convoqué le" in page  # panneau « examen »
    assert "Enregistrer l'avis médical" in submit_labels(page)
    today = value_of(page, "date_examen")
    assert client.post(f"/agent/taches/{row.id}", data={
        "date_examen": today, "capacite_reduite": "true", "categorie": "2",
        "tierce_personne": "false", "date_constat": today,
        "constatations": "CONSTAT-SECRET"}).status_code == 302
    done.append(row)
    # Secret médical: the exam is found by its panel kind, shown to médecins only.
    dossier_page = html(client.get(f"/agent/dossiers/{dossier(session_factory, iid).numero}"))
    assert "CONSTAT-SECRET" in dossier_page

    as_user(client, "agent.cramif")
    row = only_open(session_factory, iid)
    page = html(client.get(f"/agent/taches/{row.id}"))
    assert "Montant calculé" in page  # panneau « attribution »
    assert "Valider l'attribution et notifier" in submit_labels(page)
    assert "CONSTAT-SECRET" not in page
    effet = value_of(page, "date_effet")
    assert client.post(f"/agent/taches/{row.id}", data={
        "date_effet": effet, "calcul_verifie": "true"}).status_code == 302
    done.append(row)
    return done


# ----- the tests ----------------------------------------------------------------------------
def test_les_proprietes_des_taches_nomment_des_panneaux_connus():
    """Every user task asking for a panel names a kind the back office knows, and every
    kind is used: the diagram and PANNEAUX agree."""
    used = set()
    for name in FILES:
        tree = etree.parse(str(ROOT / "processes" / name))
        for task in tree.iter(f"{{{BPMN}}}userTask"):
            props = {p.get("name"): p.get("value") for p in task.iterfind(
                "bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property", NS)}
            if props.get("ecran") == "panneau":
                assert props.get("panneau") in PANNEAUX, (name, task.get("id"))
                used.add(props["panneau"])
    assert used == set(PANNEAUX) == set(screens.PANEL_KINDS)
    ids = element_ids(*(ROOT / "processes" / name for name in FILES))
    assert not set(PANNEAUX) & ids  # panel kinds are not element ids


def test_tous_les_identifiants_renommes_l_instruction_suit_ses_panneaux(
        app, client, users, session_factory, dossiers):
    processes, forms = dossiers
    mapping = {}
    for name in FILES:
        mapping.update(rename_all_ids(processes / name, PREFIX))
    assert len(mapping) > 150
    deploy_folder(session_factory, processes, forms)

    iid = open_dossier(app, users)
    done = through_the_panels(client, session_factory, iid)
    assert all(r.element_id.startswith(PREFIX) for r in done)
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision, row.categorie) == ("accord", "accord", 2)
    assert open_rows(session_factory, iid) == []


def test_ids_renommes_le_rejet_implicite_tombe_et_fixe_le_statut(
        app, client, users, session_factory, dossiers):
    processes, forms = dossiers
    for name in FILES:
        rename_all_ids(processes / name, PREFIX)
    deploy_folder(session_factory, processes, forms)
    runtime = app.extensions["invalidite"].runtime

    iid = open_dossier(app, users)
    values = {"avis_conditions": "confirme", "pieces_completes": True}
    with session_factory() as session:
        values.update(preparer_verification(session, session.scalar(
            select(Dossier).where(Dossier.instance_id == iid))))
    runtime.complete_task(only_open(session_factory, iid).id, users["agent.cramif"], values)
    assert dossier(session_factory, iid).statut == "examen_medical"
    move_clock_to(deadline_moment(session_factory, iid))
    assert fire_due_timers(runtime) == 1
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision) == ("rejet_implicite", "rejet_implicite")
    contest = only_open(session_factory, iid)
    assert contest.element_id.startswith(PREFIX) and contest.role == "assure"
    # The history tells the timer by the name the diagram gives it.
    login(client, "agent.cramif")
    page = html(client.get(f"/agent/dossiers/{row.numero}"))
    assert "Échéance de la décision" in page


def test_une_tache_de_revue_ajoutee_au_diagramme_arrive_dans_la_corbeille(
        app, client, users, session_factory, dossiers):
    processes, forms = dossiers
    add_review_task(processes, forms)
    deploy_folder(session_factory, processes, forms)

    iid = open_dossier(app, users)
    login(client, "agent.cramif")
    row = only_open(session_factory, iid)
    client.post(f"/agent/taches/{row.id}", data={"avis_conditions": "confirme",
                                                 "pieces_completes": "true"})
    review = only_open(session_factory, iid)
    assert (review.title, review.role, review.form) == (
        "Contrôle qualité", "agent", "controle_qualite.json")
    inbox = html(client.get("/agent/?vue=a_prendre"))
    assert "Contrôle qualité" in inbox and f"/agent/taches/{review.id}" in inbox
    page = html(client.get(f"/agent/taches/{review.id}"))
    assert "Observations du contrôleur" in page and 'name="controle_avis"' in page
    assert submit_labels(page)[-1] == "Valider le contrôle"
    assert "Conditions administratives calculées" not in page  # a plain form page
    # Required field missing: French error, nothing completed.
    assert client.post(f"/agent/taches/{review.id}", data={}).status_code == 422
    assert client.post(f"/agent/taches/{review.id}", data={
        "controle_avis": "conforme", "controle_observations": "RAS"}).status_code == 302
    following = only_open(session_factory, iid)
    assert following.role == "medecin_conseil" and following.id != review.id


def test_un_dossier_deja_lance_garde_les_ecrans_de_sa_version(
        app, client, users, session_factory, dossiers):
    processes, forms = dossiers
    deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")
    ancien = open_dossier(app, users)

    path = processes / "instruction_invalidite.bpmn"
    tree = etree.parse(str(path))
    verification = user_task(tree, "Vérification administrative")
    set_property(verification, "ecran", None)
    set_property(verification, "bouton_envoyer", "Contrôler le dossier")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    deploy_folder(session_factory, processes, forms)
    nouveau = open_dossier(app, users)

    login(client, "agent.cramif")
    old_page = html(client.get(f"/agent/taches/{only_open(session_factory, ancien).id}"))
    new_page = html(client.get(f"/agent/taches/{only_open(session_factory, nouveau).id}"))
    assert "Conditions administratives calculées" in old_page
    assert "Enregistrer la vérification" in submit_labels(old_page)
    assert "Conditions administratives calculées" not in new_page
    assert "Contrôler le dossier" in submit_labels(new_page)


def test_ids_renommes_le_recours_montre_la_commission_et_son_silence_vaut_rejet(
        app, client, users, session_factory, dossiers):
    processes, forms = dossiers
    for name in FILES:
        rename_all_ids(processes / name, PREFIX)
    deploy_folder(session_factory, processes, forms)
    runtime = app.extensions["invalidite"].runtime

    iid = open_dossier(app, users, who="emma.leroy")  # too few hours: refusal
    login(client, "agent.cramif")
    client.post(f"/agent/taches/{only_open(session_factory, iid).id}", data={
        "avis_conditions": "confirme", "pieces_completes": "true"})
    assert dossier(session_factory, iid).statut == "refus"
    runtime.complete_task(only_open(session_factory, iid).id, users["emma.leroy"], {
        "nature_contestation": "administrative",
        "motifs_contestation": "Je conteste cette décision."})
    cra = only_open(session_factory, iid)
    assert cra.element_id.startswith(PREFIX) and cra.role == "cra"
    as_user(client, "cra.cramif")  # the commission, never the agent who refused
    page = html(client.get(f"/agent/taches/{cra.id}"))
    assert "Réclamation de l'assuré" in page  # panneau « commission »
    assert "Enregistrer la décision et notifier" in submit_labels(page)
    # The CRA stays silent: its renamed timer still fires and closes the dossier.
    move_clock_to(cra.due_at)
    assert fire_due_timers(runtime) == 1
    assert dossier(session_factory, iid).statut == "clos"
    assert open_rows(session_factory, iid) == []


# ----- deploy-time check of the screen properties -------------------------------------------
def _refusals(processes: Path, forms: Path) -> list[str]:
    from app.engine.deploy import read_folders
    from app.engine.specs import DeployRefused, parse_sources

    with pytest.raises(DeployRefused) as refused:
        parse_sources(read_folders(processes, forms))
    return [str(e) for e in refused.value.errors]


@pytest.mark.parametrize(("task_name", "prop", "value", "expected"), [
    ("Examen médical", "panneau", "examen_complet",
     ("« Examen médical » demande le panneau « examen_complet », que la plateforme ne connaît "
     "pas : la propriété « panneau » vaut l'une de ces valeurs : verification, ")),
    ("Fournir les pièces demandées", "ecran", "pieces_jointes",
     ("« Fournir les pièces demandées » demande l'écran « pieces_jointes », que la plateforme "
     "ne connaît pas : la propriété « ecran » vaut l'une de ces valeurs : formulaire, ")),
    ("Contester la décision", "etape_ordre", "dix",
     ("« Contester la décision » a la propriété « etape_ordre » = « dix », qui n'est pas un "
     "nombre entier")),
])
def test_une_propriete_d_ecran_inconnue_est_refusee_au_deploiement(dossiers, task_name, prop,
                                                                    value, expected):
    processes, forms = dossiers
    path = processes / "instruction_invalidite.bpmn"
    tree = etree.parse(str(path))
    set_property(user_task(tree, task_name), prop, value)
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    errors = _refusals(processes, forms)
    assert len(errors) == 1, errors
    assert errors[0].startswith("instruction_invalidite.bpmn › ")
    assert expected in errors[0], errors


def test_les_pages_de_l_assure_sont_des_types_d_ecran_connus():
    """The assuré's special pages are found by the `ecran` of the task, not by its id."""
    from app.web.assure import pages as assure_pages

    assert set(assure_pages.TASK_PAGES) == {screens.PIECES, screens.CONTESTATION}
    assert set(assure_pages.TASK_PAGES) <= set(screens.PAGE_KINDS)
