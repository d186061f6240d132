"""Tacit refusal: no decision at the deadline → « rejet implicite », exactly once."""
from __future__ import annotations

import multiprocessing
from datetime import timedelta

from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine

from app.engine.clock import clock
from app.engine.timers import fire_due_timers
from app.models import AuditLog, HumanTask

from . import test_instruction_outils as outils
from .conftest import advance_clock, needs_postgres
from .test_instruction_outils import (
    deadline_moment,
    dossier,
    dossier_recu,
    jusqu_a_la_decision,
    letter_count,
    move_clock_to,
    open_tasks,
    task,
    valider_attribution,
    verifier,
)

rt = outils.rt  # the fixture: a runtime with the app's hooks, processes deployed

REJET = "Rejet implicite de votre demande"


def _cancelled(session_factory, iid) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(HumanTask.element_id).where(
            HumanTask.instance_id == iid, HumanTask.status == "cancelled")))


def test_le_rejet_implicite_tombe_a_la_date_limite_et_une_seule_fois(rt, session_factory,
                                                                     users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"])
    due = deadline_moment(session_factory, iid)
    move_clock_to(due - timedelta(seconds=1))
    assert fire_due_timers(rt) == 0
    assert dossier(session_factory, iid).statut == "examen_medical"
    move_clock_to(due)
    assert fire_due_timers(rt) == 1
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision) == ("rejet_implicite", "rejet_implicite")
    assert _cancelled(session_factory, iid) == ["convoquer_assure"]
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["contester"]
    assert letter_count(session_factory, iid, REJET) == 1
    advance_clock(days=1)
    fire_due_timers(rt)
    assert letter_count(session_factory, iid, REJET) == 1


def test_un_lot_de_rejets_implicites_lit_ses_dossiers_en_une_requete(rt, session_factory,
                                                                     users):
    """The hooks of a batch (the dossier's status, the notification letter) find their
    dossiers read once for the whole batch, not twice per instance."""
    ids = [dossier_recu(rt, users) for _ in range(3)]
    for iid in ids:
        verifier(rt, session_factory, iid, users["agent.cramif"])
    move_clock_to(max(deadline_moment(session_factory, iid) for iid in ids))
    dossier_reads = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT") and "FROM dossier" in statement:
            dossier_reads.append(statement)

    event.listen(Engine, "before_cursor_execute", count)  # the step's engine(s) too
    try:
        assert fire_due_timers(rt) == 3
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(dossier_reads) == 1, dossier_reads
    for iid in ids:
        assert dossier(session_factory, iid).statut == "rejet_implicite"
        assert letter_count(session_factory, iid, REJET) == 1


def test_une_decision_une_seconde_avant_la_date_limite_evite_le_rejet(rt, session_factory,
                                                                      users):
    iid = dossier_recu(rt, users)
    jusqu_a_la_decision(rt, session_factory, iid, users)
    due = deadline_moment(session_factory, iid)
    move_clock_to(due - timedelta(seconds=1))
    valider_attribution(rt, session_factory, iid, users["agent.cramif"])
    move_clock_to(due + timedelta(days=1))
    assert fire_due_timers(rt) == 0
    assert dossier(session_factory, iid).statut == "accord"
    assert letter_count(session_factory, iid, REJET) == 0


def test_un_clic_tardif_de_l_agent_ne_l_emporte_pas_sur_l_echeance(rt, session_factory, users):
    """Règle : les minuteurs échus passent avant toute action. L'agent qui valide la
    vérification après la date limite (le worker n'étant pas encore passé) ne lance pas
    l'examen : le rejet implicite tombe, et l'agent est prévenu."""
    import pytest

    from app.engine.errors import DeadlinePassed

    iid = dossier_recu(rt, users)
    move_clock_to(deadline_moment(session_factory, iid) + timedelta(hours=2))
    with pytest.raises(DeadlinePassed, match="Le délai est dépassé"):
        verifier(rt, session_factory, iid, users["agent.cramif"])
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision) == ("rejet_implicite", "rejet_implicite")
    assert "convoquer_assure" not in [t.element_id for t in open_tasks(session_factory, iid)]
    assert letter_count(session_factory, iid, REJET) == 1


def test_la_prolongation_pour_pieces_rearme_le_minuteur(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    initiale = deadline_moment(session_factory, iid)
    verifier(rt, session_factory, iid, users["agent.cramif"], pieces_completes=False,
             pieces_demandees=["identite"])
    advance_clock(days=12)
    rt.complete_task(task(session_factory, iid, "fournir_pieces").id, users["marie.durand"],
                     {"documents_deposes": [{"document_id": 7, "nom": "cni.pdf"}]})
    nouvelle = deadline_moment(session_factory, iid)
    assert nouvelle - initiale == timedelta(days=12)
    move_clock_to(initiale + timedelta(minutes=1))
    assert fire_due_timers(rt) == 0
    assert dossier(session_factory, iid).statut == "instruction"
    move_clock_to(nouvelle)
    assert fire_due_timers(rt) == 1
    assert dossier(session_factory, iid).statut == "rejet_implicite"
    assert _cancelled(session_factory, iid)[-1] == "verification_administrative"
    assert letter_count(session_factory, iid, REJET) == 1


def test_le_minuteur_ne_tombe_pas_pendant_l_attente_des_pieces(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"], pieces_completes=False,
             pieces_demandees=["identite"])
    move_clock_to(deadline_moment(session_factory, iid) - timedelta(seconds=1))
    # The answer delay (30 days) ended long ago: the request goes back to the agent, with
    # a deadline moved back by those 30 days, so no tacit refusal yet.
    fire_due_timers(rt)
    assert dossier(session_factory, iid).statut == "instruction"
    assert letter_count(session_factory, iid, REJET) == 0


def test_la_notification_donne_les_deux_voies_de_recours(rt, session_factory, users):
    iid = dossier_recu(rt, users, who="julie.petit")
    move_clock_to(deadline_moment(session_factory, iid))
    fire_due_timers(rt)
    from .test_instruction_outils import letters

    corps = letters(session_factory, iid)[-1].corps_html
    assert "Commission de recours amiable de la CPAM 77" in corps
    assert "commission médicale de recours amiable (CMRA)" in corps


def _worker(database_url: str, upload_dir: str, rounds: int) -> None:
    """A timer worker in its own OS process, with the app's hooks (dossier, letters)."""
    from app.db import make_engine, make_session_factory, read_session_factory

    from .test_instruction_outils import make_runtime

    engine = make_engine(database_url)
    clock.bind(read_session_factory(database_url, engine))
    runtime = make_runtime(make_session_factory(engine), upload_dir)
    for _ in range(rounds):
        fire_due_timers(runtime, batch=5)
    engine.dispose()


@needs_postgres
def test_deux_workers_postgresql_un_seul_rejet_par_dossier(rt, session_factory, users,
                                                           database_url, tmp_path):
    ids = [dossier_recu(rt, users) for _ in range(12)]
    move_clock_to(deadline_moment(session_factory, ids[0]))
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(database_url, str(tmp_path / "up"), 4))
               for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
        assert worker.exitcode == 0
    for iid in ids:
        assert dossier(session_factory, iid).statut == "rejet_implicite"
        assert letter_count(session_factory, iid, REJET) == 1
    with session_factory() as session:
        fired = session.execute(select(AuditLog.instance_id, func.count()).where(
            AuditLog.action == "timer_fired", AuditLog.element_id == "delai_decision_depasse")
            .group_by(AuditLog.instance_id)).all()
    assert sorted(fired) == sorted((iid, 1) for iid in ids)
