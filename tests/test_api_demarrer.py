"""Starting an instance through the JSON API (POST /api/processus/<key>/instances), so a whole
lifecycle runs over HTTP: the role of the start event's lane starts it, as the signed-in
person and in their caisse, with an audit row; a journey's entry point starts from its page
and a called process with its caller, never here; CSRF as the rest of the API."""
from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from app.models import AuditLog, HumanTask, ProcessInstance, User

from .conftest import FIXTURES, deploy_folder, login
from .test_schemathesis import signed_in

URL = "/api/processus/{}/instances"


def demarrer(client, key="petit_processus"):
    return client.post(URL.format(key))


@pytest.fixture
def petit_assure(tmp_path, session_factory):
    """The small process with its start in the assuré's lane (and no journey)."""
    processes, forms = tmp_path / "p", tmp_path / "f"
    processes.mkdir()
    shutil.copytree(FIXTURES / "forms", forms)
    text = (FIXTURES / "processes/petit_processus.bpmn").read_text()
    (processes / "petit_assure.bpmn").write_text(
        text.replace("petit_processus", "petit_assure").replace("Service Invalidité", "Assuré"))
    deploy_folder(session_factory, processes, forms)
    return "petit_assure"


def test_un_agent_demarre_puis_termine_un_cycle_entier_par_l_api(client, users,
                                                                  session_factory,
                                                                  deployed_fixtures):
    login(client, "agent.cramif")
    response = demarrer(client)
    assert response.status_code == 201
    body = response.get_json()
    with session_factory() as session:
        instance = session.get(ProcessInstance, body["instance"])
        tasks = session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "open")).all()
        audit = session.scalar(select(AuditLog).where(
            AuditLog.action == "instance_demarree_api"))
    assert body["taches"] == list(tasks) and len(tasks) == 1
    agent = users["agent.cramif"]
    assert (instance.started_by_id, instance.caisse_code, instance.sandbox) == (
        agent.id, "CRAMIF", False)
    assert (audit.user_id, audit.instance_id, audit.details["processus"]) == (
        agent.id, instance.id, "petit_processus")
    # Its tasks, through the same API: each completion says what comes next on the same
    # instance, and the lifecycle ends over HTTP.
    answer = client.post(f"/api/taches/{body['taches'][0]}/completer",
                         json={"donnees": {"montant": 60}})
    assert answer.status_code == 200
    with session_factory() as session:
        suivante = session.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance.id, HumanTask.status == "open"))
    assert answer.get_json() == {"ok": True, "taches": [suivante]}
    fin = client.post(f"/api/taches/{suivante}/completer", json={})
    assert fin.get_json() == {"ok": True, "taches": []}
    with session_factory() as session:
        assert session.get(ProcessInstance, instance.id).status == "completed"


def test_un_role_autre_que_celui_du_couloir_de_debut_est_refuse(client, users,
                                                                 session_factory,
                                                                 deployed_fixtures):
    for who in ("marie.durand", "medecin", "cra.cramif"):
        login(client, who)
        response = demarrer(client)
        assert response.status_code == 403, who
        assert "Votre rôle ne permet pas de démarrer ce processus" in \
            response.get_json()["erreur"]
        client.post("/deconnexion")
    with session_factory() as session:
        assert session.scalar(select(ProcessInstance.id)) is None  # nothing started


def test_un_assure_demarre_en_son_nom_dans_sa_caisse(client, users, session_factory,
                                                     petit_assure):
    login(client, "paul.martin")  # Lyon → CPAM 69
    response = demarrer(client, petit_assure)
    assert response.status_code == 201
    paul = users["paul.martin"]
    with session_factory() as session:
        instance = session.get(ProcessInstance, response.get_json()["instance"])
        task = session.get(HumanTask, response.get_json()["taches"][0])
    assert (instance.started_by_id, instance.owner_id, instance.caisse_code) == (
        paul.id, paul.id, "CPAM 69")
    assert (task.role, task.assignee_id) == ("assure", paul.id)  # his own task
    client.post("/deconnexion")
    login(client, "agent.cramif")
    assert demarrer(client, petit_assure).status_code == 403


def test_un_processus_inconnu_est_un_404_en_francais(client, users, deployed_fixtures):
    login(client, "agent.cramif")
    response = demarrer(client, "inconnu")
    assert response.status_code == 404
    assert response.get_json() == {"erreur": "Aucun processus déployé « inconnu »."}


def test_les_points_d_entree_d_un_parcours_demarrent_depuis_leur_page(client, web, users,
                                                                      session_factory):
    """The request needs ameliBot's orientation, one draft at a time and its dossier row:
    the API would skip them, so the request (and ameliBot, and the S4150) starts only from
    its page."""
    login(client, "marie.durand")
    for key in ("demande_pension_invalidite", "triage_amelibot"):
        response = demarrer(client, key)
        assert response.status_code == 403, key
        assert "se démarre depuis sa page" in response.get_json()["erreur"]
    client.post("/deconnexion")
    login(client, "agent.cramif")
    assert demarrer(client, "instruction_invalidite").status_code == 403
    with session_factory() as session:
        assert session.scalar(select(ProcessInstance.id)) is None


def test_un_processus_appele_demarre_avec_son_appelant_jamais_seul(client, web, users):
    login(client, "cra.cramif")  # the recours starts in the commission's lane
    response = demarrer(client, "recours_amiable")
    assert response.status_code == 403
    assert "appelé par un autre processus" in response.get_json()["erreur"]


def test_sans_session_401_et_sans_jeton_csrf_refuse(app, client, users, session_factory,
                                                    deployed_fixtures):
    anonymous = demarrer(client)
    assert anonymous.status_code == 401
    assert anonymous.get_json() == {"erreur": "Vous devez être connecté pour faire cela."}
    navigateur, _cookies, headers = signed_in(app, "agent.cramif")
    assert demarrer(navigateur).status_code == 400  # signed in, but no CSRF token
    assert navigateur.post(URL.format("petit_processus"), headers=headers).status_code == 201
    with session_factory() as session:
        assert len(session.scalars(select(ProcessInstance.id)).all()) == 1


def test_get_n_est_pas_prevu(client, users, deployed_fixtures):
    login(client, "agent.cramif")
    response = client.get(URL.format("petit_processus"))
    assert response.status_code == 405 and "erreur" in response.get_json()


def test_une_adresse_sans_caisse_est_un_422_en_francais(client, users, session_factory,
                                                        petit_assure):
    with session_factory() as session, session.begin():
        session.get(User, users["marie.durand"].id).code_postal = "00000"
    login(client, "marie.durand")
    response = demarrer(client, petit_assure)
    assert response.status_code == 422
    assert "ne permet pas de trouver votre caisse" in response.get_json()["erreur"]
