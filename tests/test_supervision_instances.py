"""Supervision: the instance list (filters, counts by status, never a studio test run), the
instance view (diagram states, timers, history, variables under the secret médical,
incidents) and the superviseur's actions."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from app.engine.clock import clock
from app.engine.errors import IncidentRaised
from app.models import AuditLog, Dossier, HumanTask, Incident, ProcessInstance

from .conftest import deploy_folder, login


@pytest.fixture
def deployed(folders, session_factory):
    deploy_folder(session_factory, *folders)
    return folders


@pytest.fixture
def superviseur(app, client, users, deployed):
    assert login(client, "superviseur").status_code == 302
    return client


def open_task(session_factory, instance_id) -> HumanTask:
    with session_factory() as session:
        return session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                       HumanTask.status == "open")).one()


def start_with_dossier(runtime, users, numero, caisse="CRAMIF", limite=None,
                       key="petit_processus", data=None) -> int:
    assure = users["marie.durand"]

    def dossier(session, instance):
        session.add(Dossier(numero=numero, instance_id=instance.id, assure_id=assure.id,
                            caisse_code=caisse, statut="instruction",
                            date_limite_decision=limite, created_at=clock.now(),
                            updated_at=clock.now()))

    return runtime.start(key, user_id=users["agent.cramif"].id, owner_id=assure.id,
                         caisse_code=caisse, business_key=numero, data=data,
                         on_created=dossier)


def diagram_config(page: str, name: str) -> dict:
    return json.loads(page.split(f'id="{name}-config">')[1].split("</script>")[0])


def test_list_filters_and_counts_by_status(superviseur, runtime, users, session_factory):
    a = start_with_dossier(runtime, users, "INV-A", limite=date(2030, 1, 10))
    b = start_with_dossier(runtime, users, "INV-B", caisse="CPAM 69", limite=date(2030, 6, 1))
    runtime.set_status(b, "suspended", users["superviseur"])
    runtime.start("minuteur_simple", user_id=users["agent.cramif"].id)
    page = superviseur.get("/supervision/instances").get_data(as_text=True)
    assert "3 instance(s)" in page and "en cours : 2" in page and "suspendue : 1" in page
    cases = {"?caisse=CPAM+69": {b}, "?statut=suspended": {b}, "?dossier=inv-a": {a},
             "?processus=petit_processus&version=1": {a, b},
             "?echeance_avant=01/02/2030": {a}, "?echeance_avant=2030-12-31": {a, b},
             "?etape=Saisir": {a, b}, "?processus=petit_processus&version=2": set()}
    for query, expected in cases.items():
        page = superviseur.get("/supervision/instances" + query).get_data(as_text=True)
        found = {i for i in (a, b) if f"/supervision/instances/{i}\"" in page}
        assert found == expected, query
    # Counts follow the other filters but not the status one.
    page = superviseur.get("/supervision/instances?caisse=CPAM+69&statut=running")
    assert "suspendue : 1" in page.get_data(as_text=True)


def test_bad_filters_say_so_in_french(superviseur):
    response = superviseur.get("/supervision/instances?echeance_avant=31/02/2030&version=deux")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Date invalide" in page and "un nombre" in page


def test_instance_view_highlights_done_active_and_waiting_elements(superviseur, runtime,
                                                                   users, session_factory):
    instance = start_with_dossier(runtime, users, "INV-C")
    runtime.complete_task(open_task(session_factory, instance).id, users["agent.cramif"],
                          {"montant": 60})
    page = superviseur.get(f"/supervision/instances/{instance}").get_data(as_text=True)
    states = diagram_config(page, "diagramme-instance")["states"]
    assert states["saisie"] == "done" and states["calcul"] == "done"
    assert states["validation"] == "active" and states["delai"] == "waiting"
    assert "<bpmn:definitions" in diagram_config(page, "diagramme-instance")["xml"]
    assert "Délai dépassé" in page and "P2D" in page  # the waiting timer, with its due time
    assert "tâche terminée" in page and "Sophie Bernard" in page  # history: what, who


def test_medical_variables_are_hidden_unless_medecin_conseil(app, superviseur, runtime, users):
    instance = start_with_dossier(runtime, users, "INV-D", data={
        "medical_diagnostic": "lombalgie", "montant_demande": 3})
    page = superviseur.get(f"/supervision/instances/{instance}").get_data(as_text=True)
    assert "montant_demande" in page
    assert "lombalgie" not in page and "1 variable(s) médicale(s) masquée(s)" in page
    medecin = app.test_client()
    login(medecin, "medecin")
    page = medecin.get(f"/supervision/instances/{instance}").get_data(as_text=True)
    assert "lombalgie" in page and "Arrêter l'instance" not in page
    other = app.test_client()
    login(other, "medecin.cpam69")
    assert other.get(f"/supervision/instances/{instance}").status_code == 403


def test_fields_of_forms_filled_in_a_medical_lane_are_medical(folders, session_factory,
                                                               superviseur, runtime, users):
    path = folders[0] / "petit_processus.bpmn"
    path.write_text(path.read_text().replace('name="Service Invalidité"',
                                             'name="Service médical"'))
    deploy_folder(session_factory, *folders)
    instance = start_with_dossier(runtime, users, "INV-E")
    runtime.complete_task(open_task(session_factory, instance).id, users["medecin"],
                          {"montant": 61})
    page = superviseur.get(f"/supervision/instances/{instance}").get_data(as_text=True)
    assert "<dt>montant</dt>" not in page and "<dt>double</dt>" in page


def test_suspend_resume_and_terminate_with_a_reason(superviseur, runtime, users,
                                                    session_factory):
    instance = start_with_dossier(runtime, users, "INV-F")

    def status():
        with session_factory() as session:
            return session.get(ProcessInstance, instance).status

    assert superviseur.post(f"/supervision/instances/{instance}/suspendre").status_code == 303
    assert status() == "suspended"
    superviseur.post(f"/supervision/instances/{instance}/reprendre")
    assert status() == "running"
    response = superviseur.post(f"/supervision/instances/{instance}/arreter", data={"motif": ""})
    assert "motif" in superviseur.get(response.headers["Location"]).get_data(as_text=True)
    assert status() == "running"
    superviseur.post(f"/supervision/instances/{instance}/arreter", data={"motif": "Doublon"})
    assert status() == "terminated"
    response = superviseur.post(f"/supervision/instances/{instance}/reprendre")
    assert "Impossible" in superviseur.get(response.headers["Location"]).get_data(as_text=True)
    with session_factory() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.instance_id == instance,
                                                      AuditLog.action.like("instance_%"))
                               .order_by(AuditLog.id)).all()
    assert [r.action for r in rows] == ["instance_started", "instance_suspended",
                                        "instance_running", "instance_terminated"]
    assert rows[-1].details == {"motif": "Doublon"}


def test_retry_an_incident_with_corrected_data(superviseur, runtime, users, session_factory):
    instance = start_with_dossier(runtime, users, "INV-G", key="etape_fragile")
    with pytest.raises(IncidentRaised):
        runtime.complete_task(open_task(session_factory, instance).id, users["agent.cramif"],
                              {"diviseur": 0})
    with session_factory() as session:
        incident = session.scalars(select(Incident)).one()
    page = superviseur.get(f"/supervision/instances/{instance}").get_data(as_text=True)
    assert "ZeroDivisionError" in page or "division" in page
    assert diagram_config(page, "diagramme-instance")["incidents"] == ["calcul"]
    response = superviseur.post(
        f"/supervision/instances/{instance}/incidents/{incident.id}/relancer",
        data={"corrections": "[1]"})
    assert "objet JSON" in superviseur.get(response.headers["Location"]).get_data(as_text=True)
    superviseur.post(f"/supervision/instances/{instance}/incidents/{incident.id}/relancer",
                     data={"corrections": '{"diviseur": 4}'})
    with session_factory() as session:
        assert session.get(ProcessInstance, instance).status == "running"
        assert session.get(Incident, incident.id).resolved_at is not None
    assert open_task(session_factory, instance).title == "Suite"


def test_reassign_a_task_to_someone_of_its_role_and_caisse(superviseur, runtime, users,
                                                           session_factory):
    instance = start_with_dossier(runtime, users, "INV-H")
    task = open_task(session_factory, instance)
    page = superviseur.get(f"/supervision/instances/{instance}").get_data(as_text=True)
    assert "Yann Le Gall" in page and "Karim Haddad" not in page  # CRAMIF agents only
    superviseur.post(f"/supervision/instances/{instance}/taches/{task.id}/reattribuer",
                     data={"personne": str(users["agent2.cramif"].id)})
    assert open_task(session_factory, instance).claimed_by_id == users["agent2.cramif"].id
    response = superviseur.post(f"/supervision/instances/{instance}/taches/{task.id}/reattribuer",
                                data={"personne": str(users["agent.cpam69"].id)})
    assert "le rôle ou la caisse" in superviseur.get(
        response.headers["Location"]).get_data(as_text=True)
    assert superviseur.post(f"/supervision/instances/{instance}/taches/999/reattribuer",
                            data={"personne": "1"}).status_code == 404


def test_a_test_run_is_not_visible_in_supervision(superviseur, runtime, users, folders):
    from app.engine.deploy import read_folders
    from app.engine.sandbox import start_test_run

    run = start_test_run(runtime, read_folders(*folders), "petit_processus", users["analyste"])
    assert superviseur.get(f"/supervision/instances/{run}").status_code == 404
    page = superviseur.get("/supervision/").get_data(as_text=True)
    assert "<a href=\"/supervision/instances?statut=running\">0</a>" in page
