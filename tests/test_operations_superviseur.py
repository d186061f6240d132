"""The superviseur's repairs on an instance (Camunda's process instance modification): move the
token back or forward with a reason, fire or re-date a waiting timer, edit a non-medical
variable — each audited, each refused in French when unsafe — and the same actions in bulk on
a filtered list of instances."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.engine.clock import clock
from app.engine.errors import Conflict, FormInvalid
from app.engine.operations import edit_variable, fire_timer_now, move_token, redate_timer
from app.models import AuditLog, HumanTask, Incident, ProcessInstance

from .conftest import deploy_folder, login


@pytest.fixture
def agent(users):
    return users["agent.cramif"]


@pytest.fixture
def chef(users):
    return users["superviseur"]


@pytest.fixture
def petit(runtime, deployed_fixtures, agent):
    """The small process waiting at « Saisir un montant »."""
    return runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")


def open_tasks(session_factory, instance_id) -> list[HumanTask]:
    with session_factory() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")))


def the_task(session_factory, instance_id) -> HumanTask:
    tasks = open_tasks(session_factory, instance_id)
    assert len(tasks) == 1, [t.element_id for t in tasks]
    return tasks[0]


def audit(session_factory, action) -> list[AuditLog]:
    with session_factory() as session:
        return list(session.scalars(select(AuditLog).where(AuditLog.action == action)))


def instance(session_factory, instance_id) -> ProcessInstance:
    with session_factory() as session:
        return session.get(ProcessInstance, instance_id)


def validating(runtime, session_factory, petit, agent) -> int:
    runtime.complete_task(the_task(session_factory, petit).id, agent, {"montant": 80})
    assert the_task(session_factory, petit).element_id == "validation"
    return petit


# ----- moving the token ---------------------------------------------------------------------
def test_token_moves_back_to_an_element_already_passed(runtime, session_factory, petit, agent,
                                                       chef):
    validating(runtime, session_factory, petit, agent)
    assert instance(session_factory, petit).next_timer_at is not None
    move_token(runtime, petit, "validation", "saisie", chef, "montant saisi par erreur")
    assert the_task(session_factory, petit).element_id == "saisie"
    # The boundary timer of the cancelled task is gone with it.
    assert instance(session_factory, petit).next_timer_at is None
    (row,) = audit(session_factory, "jeton_deplace")
    assert row.user_id == chef.id and row.details["motif"] == "montant saisi par erreur"
    assert (row.details["annulee"], row.details["demarre_avant"], row.details["sens"]) == (
        "validation", "saisie", "retour")


def test_token_moves_forward_skipping_the_elements_between(runtime, session_factory, petit,
                                                           agent, chef):
    move_token(runtime, petit, "saisie", "validation", chef, "pièce déjà validée")
    task = the_task(session_factory, petit)
    assert task.element_id == "validation"
    # Started before the task: its boundary timer waits again.
    assert instance(session_factory, petit).next_timer_at is not None
    runtime.complete_task(task.id, agent, {})
    assert instance(session_factory, petit).status == "completed"
    assert audit(session_factory, "jeton_deplace")[0].details["sens"] == "saut"


def test_token_move_refusals_are_french_and_change_nothing(runtime, session_factory, petit,
                                                           agent, chef):
    before = instance(session_factory, petit).lock_version
    cases = [("validation", "saisie", "motif"), ("saisie", "inconnu", "motif"),
             ("saisie", "fin_petit", "motif")]
    with pytest.raises(Conflict, match="n'est pas une étape active"):
        move_token(runtime, petit, *cases[0][:2], chef, "motif")
    with pytest.raises(Conflict, match="n'existe pas"):
        move_token(runtime, petit, *cases[1][:2], chef, "motif")
    with pytest.raises(FormInvalid) as invalid:
        move_token(runtime, petit, "saisie", "validation", chef, "  ")
    assert invalid.value.errors == {"motif": "Indiquez le motif de cette intervention."}
    assert instance(session_factory, petit).lock_version == before
    assert not audit(session_factory, "jeton_deplace")


def test_token_is_not_moved_out_of_its_sub_process(runtime, session_factory,
                                                   deployed_fixtures, agent, chef):
    """The fixture waits at « w » inside the embedded sub-process « sp »: an element of the
    main process, before or after it, is refused."""
    iid = runtime.start("sous_processus", user_id=agent.id, caisse_code="CRAMIF")
    for target in ("fin", "s"):
        with pytest.raises(Conflict, match="autre sous-processus"):
            move_token(runtime, iid, "w", target, chef, "essai")
    move_token(runtime, iid, "w", "t", chef, "rejouer le script")  # inside: allowed
    assert audit(session_factory, "jeton_deplace")[0].details["sens"] == "retour"


# ----- timers -------------------------------------------------------------------------------
def test_waiting_timer_fires_now_with_a_reason(runtime, session_factory, petit, agent, chef):
    validating(runtime, session_factory, petit, agent)
    fire_timer_now(runtime, petit, "delai", chef, "l'assuré a renoncé")
    assert instance(session_factory, petit).status == "completed"
    assert not open_tasks(session_factory, petit)
    (row,) = audit(session_factory, "minuteur_declenche")
    assert (row.element_id, row.details["motif"]) == ("delai", "l'assuré a renoncé")


def test_waiting_timer_is_redated_and_fires_at_its_new_date(runtime, session_factory, petit,
                                                            agent, chef):
    from app.engine.timers import fire_due_timers

    validating(runtime, session_factory, petit, agent)
    due = instance(session_factory, petit).next_timer_at
    later = clock.now() + timedelta(days=40)
    redate_timer(runtime, petit, "delai", later, chef, "prolongation accordée")
    moved = instance(session_factory, petit).next_timer_at
    assert moved != due and abs((moved.replace(tzinfo=None) - later.replace(tzinfo=None)
                                 ).total_seconds()) < 1
    clock.advance(timedelta(days=39))
    fire_due_timers(runtime)
    assert instance(session_factory, petit).status == "running"
    clock.advance(timedelta(days=2))
    fire_due_timers(runtime)
    assert instance(session_factory, petit).status == "completed"
    assert audit(session_factory, "minuteur_redate")[0].details["motif"] == \
        "prolongation accordée"


def test_timer_refusals(runtime, session_factory, petit, agent, chef):
    with pytest.raises(Conflict, match="Aucun minuteur"):
        fire_timer_now(runtime, petit, "delai", chef, "motif")
    validating(runtime, session_factory, petit, agent)
    with pytest.raises(FormInvalid) as invalid:
        redate_timer(runtime, petit, "delai", clock.now() - timedelta(days=1), chef, "motif")
    assert "échéance future" in invalid.value.errors["echeance"]


# ----- variables ----------------------------------------------------------------------------
def test_non_medical_variable_is_edited_with_its_reason(runtime, session_factory, petit, agent,
                                                        chef):
    edit_variable(runtime, petit, "plafond", "1200", chef, "erreur de saisie")
    with session_factory() as session:
        wf = runtime.workflow_of(session, session.get(ProcessInstance, petit))
    assert [t.data["plafond"] for t in wf.get_tasks() if t.task_spec.bpmn_id == "saisie"] == \
        [1200]
    (row,) = audit(session_factory, "variable_modifiee")
    assert row.details == {"variable": "plafond", "avant": "null", "apres": "1200",
                           "motif": "erreur de saisie"}


def test_medical_variable_is_never_edited_by_the_superviseur(runtime, session_factory, petit,
                                                             chef):
    for name in ("capacite_reduite", "tierce_personne", "avis_medical_detail"):
        with pytest.raises(Conflict, match="variable médicale"):
            edit_variable(runtime, petit, name, "true", chef, "motif")
    assert not audit(session_factory, "variable_modifiee")


def test_medical_fields_of_the_real_forms_are_refused(session_factory, chef, tmp_path, users):
    from .test_instruction_outils import dossier_recu, make_runtime

    deploy_folder(session_factory, *_real_folders())
    rt = make_runtime(session_factory, tmp_path / "uploads")
    iid = dossier_recu(rt, users)
    for name in ("constatations", "notes_medicales"):
        with pytest.raises(Conflict, match="variable médicale"):
            edit_variable(rt, iid, name, "\"x\"", chef, "motif")


def _real_folders():
    from .conftest import ROOT

    return ROOT / "processes", ROOT / "forms"


# ----- from the browser ---------------------------------------------------------------------
@pytest.fixture
def superviseur(app, client, users, session_factory):
    assert login(client, "superviseur").status_code == 302
    return client


def test_instance_page_offers_the_operations_and_they_are_audited(superviseur, runtime,
                                                                  session_factory, petit,
                                                                  agent):
    validating(runtime, session_factory, petit, agent)
    page = superviseur.get(f"/supervision/instances/{petit}").get_data(as_text=True)
    assert "Déplacer le jeton" in page and "Déclencher maintenant" in page
    assert "Modifier une variable" in page
    response = superviseur.post(f"/supervision/instances/{petit}/jeton", data={
        "annuler": "validation", "cible": "saisie", "motif": ""})
    assert response.status_code == 303
    page = superviseur.get(f"/supervision/instances/{petit}").get_data(as_text=True)
    assert "Indiquez le motif de cette intervention." in page
    superviseur.post(f"/supervision/instances/{petit}/jeton", data={
        "annuler": "validation", "cible": "saisie", "motif": "erreur"})
    assert the_task(session_factory, petit).element_id == "saisie"
    superviseur.post(f"/supervision/instances/{petit}/variable", data={
        "nom": "capacite_reduite", "valeur": "true", "motif": "essai"})
    page = superviseur.get(f"/supervision/instances/{petit}").get_data(as_text=True)
    assert "variable médicale" in page
    assert [r.action for r in audit(session_factory, "jeton_deplace")] == ["jeton_deplace"]


def test_bulk_actions_apply_to_the_filtered_list(superviseur, runtime, session_factory,
                                                 deployed_fixtures, agent, chef):
    cramif = [runtime.start("petit_processus", user_id=agent.id, caisse_code="CRAMIF")
              for _ in range(2)]
    other = runtime.start("petit_processus", user_id=agent.id, caisse_code="CPAM 69")
    response = superviseur.post("/supervision/instances/lot", data={
        "action": "suspendre", "portee": "filtre", "caisse": "CRAMIF",
        "motif": "contrôle de la caisse"})
    assert response.status_code == 303
    statuses = {i: instance(session_factory, i).status for i in [*cramif, other]}
    assert statuses == {cramif[0]: "suspended", cramif[1]: "suspended", other: "running"}
    assert len(audit(session_factory, "instance_suspended")) == 2
    (lot,) = audit(session_factory, "action_lot")
    assert lot.user_id == chef.id and sorted(lot.details["faites"]) == sorted(cramif)
    # Only the ticked ones are resumed; one already running is reported, not an error.
    superviseur.post("/supervision/instances/lot", data={
        "action": "reprendre", "instances": [str(cramif[0]), str(other)], "motif": "fin"})
    assert instance(session_factory, cramif[0]).status == "running"
    assert instance(session_factory, cramif[1]).status == "suspended"
    page = superviseur.get("/supervision/instances").get_data(as_text=True)
    assert "1 instance(s) traitée(s)" in page and "refusée" in page


def test_bulk_retry_resolves_the_incidents_of_the_list(superviseur, runtime, session_factory,
                                                       deployed_fixtures, agent):
    from app.engine.errors import IncidentRaised

    ids = []
    for _ in range(2):
        iid = runtime.start("etape_fragile", user_id=agent.id, caisse_code="CRAMIF")
        with pytest.raises(IncidentRaised):
            runtime.complete_task(the_task(session_factory, iid).id, agent, {"diviseur": 0})
        ids.append(iid)
    # The cause is corrected by hand (a variable), then every incident of the list is retried.
    with session_factory() as session:
        for incident in session.scalars(select(Incident)):
            incident.pending = {**incident.pending, "data": {"diviseur": 5}}
        session.commit()
    superviseur.post("/supervision/instances/lot", data={
        "action": "relancer", "portee": "filtre", "statut": "incident", "motif": "corrigé"})
    assert {instance(session_factory, i).status for i in ids} == {"running"}
    with session_factory() as session:
        assert session.scalar(select(Incident).where(Incident.resolved_at.is_(None))) is None


def test_hostile_input_on_the_operator_routes_never_gives_a_500(superviseur, runtime,
                                                                session_factory, petit,
                                                                agent):
    validating(runtime, session_factory, petit, agent)
    hostile = ["", "\x00", "' OR 1=1 --", "9" * 400, "[[[[", "{\"a\":", "31/02/2026 25:61"]
    for value in hostile:
        fields = {"annuler": value, "cible": value, "motif": value, "minuteur": value,
                  "echeance": value, "nom": value, "valeur": value, "action": value,
                  "portee": value, "instances": value, "caisse": value, "version": value}
        for path in ("jeton", "minuteurs/declencher", "minuteurs/redater", "variable"):
            response = superviseur.post(f"/supervision/instances/{petit}/{path}", data=fields)
            assert response.status_code in (303, 400, 404), (path, value)
        assert superviseur.post("/supervision/instances/lot", data=fields).status_code in (303, 400)
        assert superviseur.get("/supervision/journal", query_string={
            "qui": value, "du": value, "au": value, "dossier": value, "action": value,
            "page": value}).status_code in (200, 400, 422)
    assert superviseur.post("/supervision/instances/999999/jeton", data={}).status_code == 404
