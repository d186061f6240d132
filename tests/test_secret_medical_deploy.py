"""Secret médical as an invariant of every version: the incident of the lost lanes.

An analyst dropped a task in the instruction flow; the editor's save lost the lane of every
element nested in the « Instruction du dossier » sub-process, and the deploy sent « Examen
médical » and « Convoquer l'assuré » to the agents. Now: such a version is refused (deploy,
studio save), a change of role of an existing task is said in words and needs an explicit
confirmation, and a running dossier cannot be migrated onto a version that changes who sees
its current task."""
from __future__ import annotations

import json
import shutil

import pytest
from lxml import etree
from sqlalchemy import select

from app.engine import invariants
from app.engine.deploy import deploy, latest_version, read_folders
from app.engine.diff import diff_file
from app.engine.migration import check_instances, migrate_instances
from app.engine.specs import DeployRefused, parse_sources, spec_cache
from app.models import HumanTask, ProcessInstance, ProcessVersion

from .conftest import ROOT, deploy_folder, html, login
from .test_instruction_outils import convoquer, dossier_recu, examiner, rt, task, verifier

__all__ = ["rt"]  # the fixture, imported for these tests

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN}
INSTRUCTION = "instruction_invalidite.bpmn"


# ----- the editor's edit -------------------------------------------------------------------
def _tree(text: str):
    return etree.fromstring(text.encode("utf-8"))


def _text(root) -> str:
    return etree.tostring(root, encoding="unicode")


def strip_nested_lanes(text: str, sub_process: str = "instruire_dossier") -> str:
    """What the editor did: every flowNodeRef of an element nested in the sub-process gone."""
    root = _tree(text)
    nested = {e.get("id") for e in root.xpath(f"//bpmn:subProcess[@id='{sub_process}']//*[@id]",
                                              namespaces=NS)}
    assert {"examiner_assure", "convoquer_assure"} <= nested
    for ref in root.xpath("//bpmn:flowNodeRef", namespaces=NS):
        if (ref.text or "").strip() in nested:
            ref.getparent().remove(ref)
    return _text(root)


def add_task_after_verification(text: str) -> str:
    """The task the analyst dropped: « Contrôler les pièces » between the administrative check
    and the caisse decision, in the Service Invalidité lane."""
    root = _tree(text)
    (flow,) = root.xpath("//bpmn:sequenceFlow[@id='s05']", namespaces=NS)
    flow.set("targetRef", "controle_pieces")
    sub = flow.getparent()
    new_task = etree.SubElement(sub, f"{{{BPMN}}}userTask", id="controle_pieces",
                                name="Contrôler les pièces")
    etree.SubElement(new_task, f"{{{BPMN}}}incoming").text = "s05"
    etree.SubElement(new_task, f"{{{BPMN}}}outgoing").text = "s05b"
    etree.SubElement(sub, f"{{{BPMN}}}sequenceFlow", id="s05b", sourceRef="controle_pieces",
                     targetRef="caisse_dmn")
    for incoming in root.xpath("//bpmn:businessRuleTask[@id='caisse_dmn']/bpmn:incoming",
                               namespaces=NS):
        if incoming.text == "s05":
            incoming.text = "s05b"
    (lane,) = root.xpath("//bpmn:lane[@name='Service Invalidité']", namespaces=NS)
    etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = "controle_pieces"
    return _text(root)


def put_in_lane(text: str, element_id: str, lane_name: str) -> str:
    root = _tree(text)
    for ref in root.xpath("//bpmn:flowNodeRef", namespaces=NS):
        if (ref.text or "").strip() == element_id:
            ref.getparent().remove(ref)
    lanes = root.xpath(f"//bpmn:lane[@name=\"{lane_name}\"]", namespaces=NS)
    if not lanes:  # a new lane, as the editor adds one
        (lane_set,) = root.xpath("//bpmn:laneSet", namespaces=NS)
        lanes = [etree.SubElement(lane_set, f"{{{BPMN}}}lane", id="Lane_nouveau",
                                  name=lane_name)]
    etree.SubElement(lanes[0], f"{{{BPMN}}}flowNodeRef").text = element_id
    return _text(root)


def project_sources():
    return read_folders(ROOT / "processes", ROOT / "forms")


def with_instruction(text: str):
    sources = project_sources()
    sources.bpmn[INSTRUCTION] = text
    return sources


def original() -> str:
    return (ROOT / "processes" / INSTRUCTION).read_text()


def refusal_texts(err: DeployRefused) -> list[str]:
    return [f"{e.element_id} : {e.reason}" for e in err.errors]


# ----- deployment refuses ------------------------------------------------------------------
def test_the_project_as_it_is_passes():
    assert INSTRUCTION.removesuffix(".bpmn") in parse_sources(project_sources())


def test_the_exact_edit_of_the_incident_is_refused_naming_examen_medical(session_factory):
    edited = add_task_after_verification(strip_nested_lanes(original()))
    with (session_factory() as session, session.begin(),
          pytest.raises(DeployRefused) as refused):
        deploy(session, with_instruction(edited), "analyste@demo.fr")
    texts = refusal_texts(refused.value)
    medical = [t for t in texts if "secret médical" in t]
    assert any(t.startswith("examiner_assure : ") and "« Examen médical » (examiner_assure)" in t
               and "couloir du médecin-conseil" in t for t in medical), texts
    assert any("« Convoquer l'assuré » (convoquer_assure)" in t for t in medical), texts
    with session_factory() as session:  # nothing written
        assert session.scalars(select(ProcessVersion)).all() == []


def test_the_same_edit_with_the_sub_process_in_the_agents_lane_is_refused(session_factory):
    """The sub-process placed in « Service Invalidité »: SpiffWorkflow gives that lane to all
    it contains, every task has a role — only the secret médical check stands in the way."""
    edited = put_in_lane(add_task_after_verification(strip_nested_lanes(original())),
                         "instruire_dossier", "Service Invalidité")
    with pytest.raises(DeployRefused) as refused:
        parse_sources(with_instruction(edited))
    texts = refusal_texts(refused.value)
    assert all("secret médical" in t for t in texts), texts
    exam = next(t for t in texts if t.startswith("examiner_assure : "))
    assert "« Examen médical » (examiner_assure)" in exam and "rôle Agent" in exam
    assert "« Service Invalidité »" in exam


def test_moving_the_exam_to_the_agents_lane_is_refused():
    edited = put_in_lane(original(), "examiner_assure", "Service Invalidité")
    with pytest.raises(DeployRefused) as refused:
        parse_sources(with_instruction(edited))
    assert [e.element_id for e in refused.value.errors] == ["examiner_assure"]
    assert "« Examen médical »" in refused.value.errors[0].reason


def test_a_medical_field_shown_in_an_agent_form_is_refused():
    sources = project_sources()
    form = json.loads(sources.forms["instruction_verification.json"])
    form["properties"]["notes_medicales"] = {"type": "string", "title": "Notes"}
    sources.forms["instruction_verification.json"] = json.dumps(form, ensure_ascii=False)
    with pytest.raises(DeployRefused) as refused:
        parse_sources(sources)
    (error,) = refused.value.errors
    assert error.element_id == "verification_administrative"
    assert "« notes_medicales »" in error.reason and "« Examen médical » (examiner_assure)" \
        in error.reason


def test_the_avis_the_service_invalidite_receives_is_not_medical():
    """Fields marked `x-secret-medical: false` (avis, catégorie) may reach an agent form."""
    schema = json.loads((ROOT / "forms" / "medical_examen.json").read_text())
    assert invariants.is_medical_form(schema)
    assert invariants.medical_variables(schema) == {"constatations", "notes_medicales"}
    sources = project_sources()
    form = json.loads(sources.forms["decision_attribution.json"])
    form["properties"]["categorie"] = {"type": "integer", "title": "Catégorie"}
    sources.forms["decision_attribution.json"] = json.dumps(form, ensure_ascii=False)
    parse_sources(sources)  # no error


def test_a_field_marked_medical_makes_its_form_medecin_conseil_only():
    sources = project_sources()
    form = json.loads(sources.forms["decision_attribution.json"])
    first = next(iter(form["properties"]))
    form["properties"][first]["x-secret-medical"] = True
    sources.forms["decision_attribution.json"] = json.dumps(form, ensure_ascii=False)
    with pytest.raises(DeployRefused) as refused:
        parse_sources(sources)
    assert any(e.element_id == "valider_attribution" and "« Valider l'attribution »" in e.reason
               for e in refused.value.errors)


def test_run_time_never_defaults_a_role():
    spec = parse_sources(project_sources())[INSTRUCTION.removesuffix(".bpmn")]
    exam = spec.subprocess_specs["instruire_dossier"].task_specs["examiner_assure"]
    assert invariants.role_for_task(exam) == "medecin_conseil"
    exam.lane = None
    with pytest.raises(invariants.RoleUnresolved, match="Examen médical"):
        invariants.role_for_task(exam)
    exam.lane = "Service Invalidité"
    forms = {"medical_examen.json": json.loads((ROOT / "forms" /
                                                "medical_examen.json").read_text())}
    with pytest.raises(invariants.RoleUnresolved, match="Secret médical"):
        invariants.role_for_task(exam, forms)


# ----- the studio: save refused, role change confirmed -------------------------------------
@pytest.fixture
def studio(app, client, users, tmp_path, session_factory):
    """The analyst, on private copies of the project's processes and forms (deployed)."""
    processes, forms = tmp_path / "p", tmp_path / "f"
    shutil.copytree(ROOT / "processes", processes)
    shutil.copytree(ROOT / "forms", forms)
    app.config.update(PROCESSES_DIR=processes, FORMS_DIR=forms)
    deploy_folder(session_factory, processes, forms)
    assert login(client, "analyste").status_code == 302
    return client, processes


def versions(session_factory) -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(ProcessVersion.version).where(
            ProcessVersion.process_key == "instruction_invalidite")
            .order_by(ProcessVersion.version)))


def test_the_studio_refuses_to_save_the_edit(studio):
    client, processes = studio
    edited = add_task_after_verification(strip_nested_lanes(original()))
    response = client.post(f"/studio/fichiers/{INSTRUCTION}", json={"contenu": edited})
    assert response.status_code == 422
    assert any("« Examen médical »" in e["texte"] for e in response.json["erreurs"])
    assert (processes / INSTRUCTION).read_text() == original()


def test_a_role_change_is_said_first_and_needs_an_explicit_confirmation(studio,
                                                                        session_factory):
    client, processes = studio
    (processes / INSTRUCTION).write_text(
        put_in_lane(original(), "verification_administrative", "Service médical"))
    page = html(client.get("/studio/deployer"))
    sentence = ("La tâche « Vérification administrative » (verification_administrative) "
                "passerait du rôle Agent (couloir « Service Invalidité ») au rôle "
                "Médecin-conseil (couloir « Service médical »).")
    assert "Changements de rôle" in page and sentence in page
    assert page.index("Changements de rôle") < page.index("studio-diff")  # shown first
    checkbox = page[page.index('name="confirmer_roles"'):].split(">", 1)[0]
    assert "checked" not in checkbox  # nothing pre-ticked
    fingerprint = page.split('name="empreinte" value="')[1].split('"')[0]

    refused = client.post("/studio/deployer", data={"empreinte": fingerprint})
    assert refused.status_code == 422
    assert "Déploiement refusé" in html(refused) and sentence in html(refused)
    assert versions(session_factory) == [1]

    done = client.post("/studio/deployer", data={"empreinte": fingerprint,
                                                 "confirmer_roles": "oui"})
    assert done.status_code == 303
    assert versions(session_factory) == [1, 2]


def test_a_change_without_role_change_needs_no_confirmation(studio, session_factory):
    client, processes = studio
    (processes / INSTRUCTION).write_text(original().replace(
        'name="Valider l\'attribution"', 'name="Valider l\'attribution de la pension"'))
    page = html(client.get("/studio/deployer"))
    assert "Changements de rôle" not in page and 'name="confirmer_roles"' not in page
    fingerprint = page.split('name="empreinte" value="')[1].split('"')[0]
    assert client.post("/studio/deployer", data={"empreinte": fingerprint}).status_code == 303
    assert versions(session_factory) == [1, 2]


def test_the_diff_names_the_role_lost_by_the_editor():
    diff = diff_file(INSTRUCTION, original(), strip_nested_lanes(original()))
    sentences = [c.sentence for c in diff.roles]
    assert ("La tâche « Examen médical » (examiner_assure) passerait du rôle Médecin-conseil "
            "(couloir « Service médical ») à aucun rôle (aucun couloir).") in sentences


# ----- migration -----------------------------------------------------------------------------
@pytest.fixture
def at_exam(rt, users, session_factory):
    """A dossier on version 1 waiting for the médecin-conseil's exam."""
    instance_id = dossier_recu(rt, users)
    verifier(rt, session_factory, instance_id, users["agent.cramif"])
    convoquer(rt, session_factory, instance_id, users["medecin"])
    assert task(session_factory, instance_id, "examiner_assure").role == "medecin_conseil"
    return instance_id


def deploy_instruction(session_factory, text: str, forms: dict | None = None) -> ProcessVersion:
    sources = with_instruction(text)
    sources.forms.update(forms or {})
    with session_factory() as session, session.begin():
        deploy(session, sources, "test")
    with session_factory() as session:
        return latest_version(session, "instruction_invalidite")


def reasons_for(rt, session_factory, instance_id, target) -> list[str]:
    with session_factory() as session:
        (check,) = check_instances(rt, session, [instance_id], session.get(ProcessVersion,
                                                                             target.id))
    return check.reasons


def version_of(session_factory, instance_id) -> int:
    with session_factory() as session:
        return session.get(ProcessInstance, instance_id).process_version.version


def test_a_dossier_at_the_exam_cannot_move_to_a_version_giving_it_to_the_agents(
        rt, users, session_factory, at_exam, monkeypatch):
    moved_exam = put_in_lane(original(), "examiner_assure", "Service Invalidité")
    # A version deployed before the invariant existed (the check switched off to make it).
    monkeypatch.setattr(invariants, "check_medical_secret", lambda *_args: [])
    target = deploy_instruction(session_factory, moved_exam)
    reasons = reasons_for(rt, session_factory, at_exam, target)
    assert any("« Examen médical » (examiner_assure) changerait de rôle" in r
               and "Médecin-conseil" in r and "Agent" in r for r in reasons), reasons
    report = migrate_instances(rt, [at_exam], target.id, users["superviseur"])
    assert report.moved == [] and at_exam in report.refused
    assert version_of(session_factory, at_exam) == 1
    assert task(session_factory, at_exam, "examiner_assure").role == "medecin_conseil"
    # With today's checks, that version does not even load: still refused, never moved.
    monkeypatch.undo()
    spec_cache.clear()
    reasons = reasons_for(rt, session_factory, at_exam, target)
    assert reasons and "secret médical" in " ".join(reasons)
    assert migrate_instances(rt, [at_exam], target.id, users["superviseur"]).moved == []


def test_a_dossier_at_the_exam_cannot_move_when_its_lane_or_form_changes(
        rt, session_factory, at_exam):
    # Another lane of the same role (the platform reads « Service Médical » as the médecin's).
    other_lane = deploy_instruction(session_factory, put_in_lane(
        original(), "examiner_assure", "Service Médical"))
    assert any("changerait de couloir" in r and "Examen médical" in r
               for r in reasons_for(rt, session_factory, at_exam, other_lane))
    schema = json.loads((ROOT / "forms" / "medical_examen.json").read_text())
    schema["properties"]["antecedents"] = {"type": "string", "title": "Antécédents"}
    other_form = deploy_instruction(session_factory, original(), {
        "medical_examen.json": json.dumps(schema, ensure_ascii=False, indent=2)})
    assert any("formulaire « medical_examen.json »" in r
               for r in reasons_for(rt, session_factory, at_exam, other_form))


def test_a_dossier_cannot_move_when_a_variable_the_next_steps_read_disappears(
        rt, session_factory, at_exam):
    text = original().replace("age_ok_constat = conditions_reconnues_par_cra or",
                              "age_ok_constat = conditions_reconnues_par_cra or "
                              "date_consolidation is None or")
    target = deploy_instruction(session_factory, text)
    reasons = reasons_for(rt, session_factory, at_exam, target)
    assert any("« date_consolidation »" in r for r in reasons), reasons


def test_a_harmless_version_lets_the_dossier_move_and_the_medecin_finish(
        rt, users, session_factory, at_exam):
    target = deploy_instruction(session_factory, original().replace(
        'name="Valider l\'attribution"', 'name="Valider l\'attribution de la pension"'))
    assert reasons_for(rt, session_factory, at_exam, target) == []
    report = migrate_instances(rt, [at_exam], target.id, users["superviseur"])
    assert report.moved == [at_exam] and version_of(session_factory, at_exam) == 2
    assert task(session_factory, at_exam, "examiner_assure").role == "medecin_conseil"
    examiner(rt, session_factory, at_exam, users["medecin"])
    with session_factory() as session:
        opened = session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == at_exam, HumanTask.status == "open")).all()
    assert "valider_attribution" in opened


def test_the_migration_page_ticks_nothing(client, web, users, session_factory):
    instance_id = dossier_recu(web, users)
    deploy_instruction(session_factory, original().replace(
        'name="Valider l\'attribution"', 'name="Valider l\'attribution de la pension"'))
    login(client, "superviseur")
    page = html(client.get("/supervision/migration?processus=instruction_invalidite"))
    box = page[page.index(f'value="{instance_id}"'):].split(">", 1)[0]
    assert "peut migrer" in page and "checked" not in box
