"""Shared tools of the instruction tests: a runtime with the app's after-step hooks, the
« dossier reçu » fixture and one helper per step of processes/instruction_invalidite.bpmn.
(No test here: the other test_instruction_*, test_decision_*, test_recours and
test_rejet_implicite modules import these.)"""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.documents.delivery import LetterDelivery, corps_des_messages, load_builders
from app.documents.storage import DocumentStore
from app.domain import echeance
from app.engine.clock import clock
from app.engine.dossier_hooks import apply_dossier_effects
from app.engine.runtime import Runtime
from app.models import Dossier, HumanTask, Message, ProcessInstance
from app.web.agent.conditions import preparer_verification
from app.web.agent.dossiers import ouvrir_instruction

from .conftest import ROOT, deploy_folder, validate_form

DEMANDE = {
    "coordonnees": {"nationalite": "francaise"},
    "situation": {"activites": ["salariee"]},
    "informations": {"aucune": True},
}
AVIS = {"document_id": None, "sha256": "0" * 64, "nom": "avis.pdf", "pages": 2}


def make_runtime(session_factory, upload_dir) -> Runtime:
    """The runtime as the app builds it: dossier updates and letters after each step."""
    runtime = Runtime(session_factory, form_validator=validate_form)
    load_builders()
    runtime.after_step_hooks += [apply_dossier_effects,
                                 LetterDelivery(DocumentStore(upload_dir), clock.today,
                                                clock.now)]
    return runtime


@pytest.fixture
def rt(session_factory, tmp_path):
    deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")
    return make_runtime(session_factory, tmp_path / "uploads")


def dossier_recu(rt, users, who="marie.durand", caisse=None, canal="en_ligne"):
    """A request received today, as the online request hands it over; → instance id."""
    assure = users[who]
    instance_id, _numero = ouvrir_instruction(
        rt, assure, caisse or assure.caisse_code, date_reception=clock.today(),
        demande=DEMANDE, canal=canal, avis_imposition=AVIS)
    return instance_id


def open_tasks(session_factory, instance_id) -> list[HumanTask]:
    with session_factory() as session:
        return list(session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")
            .order_by(HumanTask.id)))


def task(session_factory, instance_id, element) -> HumanTask:
    found = [t for t in open_tasks(session_factory, instance_id) if t.element_id == element]
    assert found, (element, [t.element_id for t in open_tasks(session_factory, instance_id)])
    return found[0]


def dossier(session_factory, instance_id) -> Dossier:
    with session_factory() as session:
        row = session.scalar(select(Dossier).where(Dossier.instance_id == instance_id))
        session.expunge_all()
        return row


def instance(session_factory, instance_id) -> ProcessInstance:
    with session_factory() as session:
        return session.get(ProcessInstance, instance_id)


def letters(session_factory, instance_id) -> list[Message]:
    """The dossier's letters, oldest first, each with the text the messagerie shows (a
    letter's is rendered from its values on read: its row stores none, see delivery.py)."""
    with session_factory() as session:
        rows = list(session.scalars(select(Message).where(Message.instance_id == instance_id)
                                    .order_by(Message.id)))
        corps = corps_des_messages(session, rows)
        session.expunge_all()  # the text filled in below is read, never written back
    for row in rows:
        row.corps_html = str(corps[row.id])
    return rows


def letter_count(session_factory, instance_id, starts_with: str) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Message).where(
            Message.instance_id == instance_id, Message.objet.startswith(starts_with)))


def verifier(rt, session_factory, instance_id, agent, **form):
    """Complete « Vérification administrative » as the page does (pre-computed data)."""
    values = {"avis_conditions": "confirme", "pieces_completes": True, **form}
    with session_factory() as session:
        row = session.scalar(select(Dossier).where(Dossier.instance_id == instance_id))
        values.update(preparer_verification(session, row))
    rt.complete_task(task(session_factory, instance_id, "verification_administrative").id,
                     agent, values)


def convoquer(rt, session_factory, instance_id, medecin):
    jour = clock.today() + timedelta(days=14)
    rt.complete_task(task(session_factory, instance_id, "convoquer_assure").id, medecin, {
        "convocation_date": jour.isoformat(), "convocation_heure": "09:30",
        "convocation_lieu": "Service médical de Paris",
        "convocation_adresse": "10 rue de la Santé\n75014 Paris",
        "convocation_medecin": medecin.nom_complet})


def examiner(rt, session_factory, instance_id, medecin, categorie=2, invalide=True, **extra):
    data = {"date_examen": clock.today().isoformat(), "capacite_reduite": invalide,
            "date_constat": clock.today().isoformat(),
            "constatations": "Lombalgie chronique invalidante, périmètre de marche 200 m.",
            "notes_medicales": "NOTE-SECRETE-XYZ suivi rhumatologique", **extra}
    if invalide:
        data.update(categorie=categorie, tierce_personne=categorie == 3)
    rt.complete_task(task(session_factory, instance_id, "examiner_assure").id, medecin, data)


def valider_attribution(rt, session_factory, instance_id, agent, date_effet=None):
    row = task(session_factory, instance_id, "valider_attribution")
    data = {"calcul_verifie": True}
    data["date_effet"] = date_effet or _data_of(session_factory, instance_id,
                                                "valider_attribution")["date_effet"]
    rt.complete_task(row.id, agent, data)


def _data_of(session_factory, instance_id, element) -> dict:
    """Task data of the open user task `element` (read from the workflow state)."""
    from uuid import UUID

    row = task(session_factory, instance_id, element)
    workflow = workflow_of(session_factory, instance_id)
    return dict(workflow.get_task_from_id(UUID(row.spiff_task_id)).data)


def workflow_of(session_factory, instance_id: int):
    """The instance's workflow, as its stored state says."""
    from app.engine.deploy import load_version_sources
    from app.engine.persistence import load_workflow
    from app.engine.scripting import make_script_engine
    from app.engine.specs import spec_cache

    with session_factory() as session:
        inst = session.get(ProcessInstance, instance_id)
        specs = spec_cache.get(inst.process_version,
                               lambda vid: load_version_sources(session, vid))
        return load_workflow(inst, specs, make_script_engine())


def jusqu_a_la_decision(rt, session_factory, instance_id, users, categorie=2,
                        agent="agent.cramif", medecin="medecin"):
    verifier(rt, session_factory, instance_id, users[agent])
    convoquer(rt, session_factory, instance_id, users[medecin])
    examiner(rt, session_factory, instance_id, users[medecin], categorie=categorie)


def deadline_moment(session_factory, instance_id):
    """The instant the tacit refusal is due (midnight Paris after the deadline day)."""
    from app.domain import moment_echeance

    return moment_echeance(dossier(session_factory, instance_id).date_limite_decision)


def move_clock_to(moment) -> None:
    """Set the app clock so that now == `moment` (plus the few ms the test then takes)."""
    from datetime import UTC, datetime

    clock.set_offset(moment - datetime.now(UTC))


__all__ = [
    "AVIS",
    "DEMANDE",
    "convoquer",
    "deadline_moment",
    "dossier",
    "dossier_recu",
    "echeance",
    "examiner",
    "instance",
    "jusqu_a_la_decision",
    "letter_count",
    "letters",
    "make_runtime",
    "move_clock_to",
    "open_tasks",
    "rt",
    "task",
    "valider_attribution",
    "verifier",
]
