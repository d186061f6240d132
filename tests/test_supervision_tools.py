"""Supervision tools: heat map per version, batch migration from the browser, deadlines at
risk per caisse, and the demo clock."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.clock import clock
from app.models import AuditLog, Dossier, HumanTask, ProcessInstance, ProcessVersion

from .conftest import deploy_folder, login


@pytest.fixture
def superviseur(app, client, users, folders, session_factory):
    deploy_folder(session_factory, *folders)
    assert login(client, "superviseur").status_code == 302
    return client


def open_task(session_factory, instance_id) -> HumanTask:
    with session_factory() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.status == "open")).one()


def version_id(session_factory, key="petit_processus", number=1) -> int:
    with session_factory() as session:
        return session.scalar(select(ProcessVersion.id).where(
            ProcessVersion.process_key == key, ProcessVersion.version == number))


def test_heat_map_counts_instances_waiting_at_each_element(superviseur, runtime, users,
                                                           session_factory):
    agent = users["agent.cramif"]
    for _ in range(3):
        runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    moved = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, moved).id, agent, {"montant": 80})
    done = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, done).id, agent, {"montant": 1})
    page = superviseur.get(f"/supervision/carte?version={version_id(session_factory)}")
    text = page.get_data(as_text=True)
    counts = json.loads(text.split('id="carte-config">')[1].split("</script>")[0])["counts"]
    assert counts == {"saisie": 3, "validation": 1, "delai": 1}
    assert "4 instance(s) en cours" in text


def test_migration_page_prechecks_then_moves_the_compatible_instances(superviseur, runtime,
                                                                      users, folders,
                                                                      session_factory):
    agent = users["agent.cramif"]
    waiting_input = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    validating = runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
    runtime.complete_task(open_task(session_factory, validating).id, agent, {"montant": 80})
    path = folders[0] / "petit_processus.bpmn"
    text = path.read_text()
    # Version 2 replaces « validation » by another task id.
    path.write_text(text.replace('id="validation"', 'id="validation_v2"')
                    .replace('targetRef="validation"', 'targetRef="validation_v2"')
                    .replace('sourceRef="validation"', 'sourceRef="validation_v2"')
                    .replace('attachedToRef="validation"', 'attachedToRef="validation_v2"')
                    .replace("<bpmn:flowNodeRef>validation</bpmn:flowNodeRef>",
                             "<bpmn:flowNodeRef>validation_v2</bpmn:flowNodeRef>")
                    .replace('bpmnElement="validation"', 'bpmnElement="validation_v2"'))
    deploy_folder(session_factory, *folders)
    target = version_id(session_factory, number=2)
    page = superviseur.get(f"/supervision/migration?processus=petit_processus&cible={target}")
    text = page.get_data(as_text=True)
    assert "1 instance(s) peuvent migrer, 1 ne le peuvent pas." in text
    assert f'value="{waiting_input}">' in text and "validation" in text
    response = superviseur.post("/supervision/migration", data={
        "cible": str(target), "instances": [str(waiting_input), str(validating)]})
    text = response.get_data(as_text=True)
    assert "1 instance(s) migrée(s) vers la version 2" in text
    with session_factory() as session:
        versions = {i: session.get(ProcessInstance, i).process_version.version
                    for i in (waiting_input, validating)}
        batch = session.scalars(select(AuditLog).where(AuditLog.action == "migration_lot")).one()
    assert versions == {waiting_input: 2, validating: 1}
    assert batch.user_id == users["superviseur"].id
    assert superviseur.post("/supervision/migration", data={"cible": str(target)}).status_code \
        == 303


def dossier(runtime, users, numero, caisse, days, statut="instruction", decision=None):
    assure = users["marie.durand"]

    def add(session, instance):
        session.add(Dossier(numero=numero, instance_id=instance.id, assure_id=assure.id,
                            caisse_code=caisse, statut=statut, decision=decision,
                            date_limite_decision=clock.today() + timedelta(days=days),
                            created_at=clock.now(), updated_at=clock.now()))

    return runtime.start("petit_processus", user_id=users["agent.cramif"].id, owner_id=assure.id,
                         caisse_code=caisse, business_key=numero, on_created=add)


def test_deadlines_at_risk_within_15_days_per_caisse(superviseur, runtime, users):
    dossier(runtime, users, "INV-SOON", "CRAMIF", 3)
    dossier(runtime, users, "INV-EDGE", "CPAM 69", 15)
    dossier(runtime, users, "INV-LATE", "CPAM 69", -2)
    dossier(runtime, users, "INV-FAR", "CRAMIF", 16)
    dossier(runtime, users, "INV-DONE", "CRAMIF", 2, statut="accord", decision="accord")
    page = superviseur.get("/supervision/echeances").get_data(as_text=True)
    for shown in ("INV-SOON", "INV-EDGE", "INV-LATE"):
        assert shown in page
    assert "INV-FAR" not in page and "INV-DONE" not in page
    assert "CRAMIF — 1 dossier(s)" in page and "CPAM 69 — 2 dossier(s)" in page
    assert "dépassée de 2 jour(s)" in page
    assert "3</a>" in superviseur.get("/supervision/").get_data(as_text=True)


def test_demo_clock_moves_forward_fires_due_timers_and_is_audited(superviseur, runtime,
                                                                  users, session_factory):
    waiting = runtime.start("minuteur_simple", user_id=users["agent.cramif"].id)
    before = clock.now()
    response = superviseur.post("/supervision/horloge", data={"avance": "1j"})
    assert response.status_code == 303
    assert clock.now() - before >= timedelta(days=1)
    with session_factory() as session:
        assert session.get(ProcessInstance, waiting).status == "completed"
        row = session.scalars(select(AuditLog).where(AuditLog.action == "horloge_avancee")).one()
    assert row.user_id == users["superviseur"].id and row.details["instances"] == 1
    superviseur.post("/supervision/horloge", data={"avance": "2m"})
    assert clock.now() - before >= timedelta(days=59)
    superviseur.post("/supervision/horloge", data={"avance": "libre", "jours": "0",
                                                   "heures": "5"})
    superviseur.post("/supervision/horloge", data={"avance": "reinitialiser"})
    assert clock.offset == timedelta(0)


def test_demo_clock_refuses_bad_input_and_exists_only_in_demo_mode(app, superviseur):
    for data in ({"avance": "libre", "jours": "-1"}, {"avance": "libre", "jours": "x"},
                 {"avance": "libre", "jours": "99999"}):
        response = superviseur.post("/supervision/horloge", data=data)
        assert "Indiquez une avance positive" in superviseur.get(
            response.headers["Location"]).get_data(as_text=True)
    assert clock.offset == timedelta(0)
    app.config["DEMO_MODE"] = False
    # Outside demo mode this demo account's session is refused and ended (403, then 401) before
    # the page is even looked for; a real superviseur gets 404 (tests/test_mode_demo.py).
    assert superviseur.get("/supervision/horloge").status_code == 403
    assert superviseur.post("/supervision/horloge", data={"avance": "1j"}).status_code == 401
    assert clock.offset == timedelta(0)
