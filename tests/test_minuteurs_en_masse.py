"""Timers in bulk: a worker fires due instances by batches, one transaction and a few
statements per batch; one failing instance of a batch becomes an incident and the others
commit; two workers never fire the same instance; the due queue has its partial index; the
APScheduler job never stacks passes (no « maximum number of running instances » warning)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, inspect, select, text

from app.engine.timers import TimerWorker, due_instance_ids, fire_due_timers
from app.engine.timers_batch import claim, due_query
from app.models import AuditLog, Incident, ProcessInstance

from .conftest import ON_POSTGRES, advance_clock, needs_postgres
from .test_cout_d_une_etape import counted


def started(runtime, users, count: int) -> list[int]:
    return [runtime.start("minuteur_simple", user_id=users["superviseur"].id)
            for _ in range(count)]


def fired(session_factory) -> dict[int, int]:
    """timer_fired audit rows per instance."""
    with session_factory() as session:
        return dict(session.execute(select(AuditLog.instance_id, func.count())
                                    .where(AuditLog.action == "timer_fired")
                                    .group_by(AuditLog.instance_id)).all())


def statuses(session_factory, ids) -> dict[str, int]:
    with session_factory() as session:
        return dict(session.execute(select(ProcessInstance.status, func.count()).where(
            ProcessInstance.id.in_(ids)).group_by(ProcessInstance.status)).all())


def test_un_lot_de_minuteurs_s_ecrit_en_une_transaction_et_peu_de_requetes(
        session_factory, runtime, deployed_fixtures, users, engine):
    ids = started(runtime, users, 40)
    advance_clock(days=1, minutes=1)
    with counted() as statements:  # every engine (SQLite: the worker's deferred one)
        assert fire_due_timers(runtime, batch=100) == 40
    assert fired(session_factory) == dict.fromkeys(ids, 1)
    assert statuses(session_factory, ids) == {"completed": 40}
    # One instance at a time took ≥ 5 statements each (200 here) and a savepoint each; a
    # batch reads in 2 queries, inserts all its audit rows in one statement and updates all
    # its instances in one (executemany): a fixed count, whatever the size of the batch.
    kinds = statements.kinds()
    assert not any(kind.upper().startswith("SAVEPOINT") for kind in kinds)
    assert 0 < len(statements) <= 8, kinds
    assert kinds.count("UPDATE process_instance SET") == 1, kinds
    assert sum(kind.startswith("INSERT INTO audit_log") for kind in kinds) == 1


def test_une_instance_en_echec_devient_un_incident_et_le_reste_du_lot_part(
        session_factory, runtime, deployed_fixtures, users):
    ids = started(runtime, users, 30)
    poison = ids[13]

    def courrier_en_echec(context):  # an after-step hook failing for one instance only
        if context.instance.id == poison:
            raise RuntimeError("courrier impossible")

    runtime.after_step_hooks.append(courrier_en_echec)
    advance_clock(days=1, minutes=1)
    assert fire_due_timers(runtime, batch=50) == 30
    healthy = [i for i in ids if i != poison]
    assert fired(session_factory) == dict.fromkeys(healthy, 1)  # the rest, once each
    assert statuses(session_factory, healthy) == {"completed": 29}
    assert statuses(session_factory, [poison]) == {"incident": 1}
    with session_factory() as session:
        message = session.scalars(select(Incident.message).where(
            Incident.instance_id == poison)).one()
    assert "courrier_en_echec" in message and "courrier impossible" in message
    assert fire_due_timers(runtime, batch=50) == 0  # the incident left the queue


def test_les_hooks_voient_chaque_instance_de_son_lot(session_factory, runtime,
                                                      deployed_fixtures, users):
    """Règle : les actions après étape (courriers, dossier) tournent pour chaque instance
    d'un lot, avec son propre état, dans la transaction du lot."""
    ids = started(runtime, users, 12)
    seen = []
    runtime.after_step_hooks.append(
        lambda context: seen.append((context.instance.id, context.instance.status)))
    advance_clock(days=1, minutes=1)
    assert fire_due_timers(runtime, batch=5) == 12
    assert sorted(seen) == sorted((i, "completed") for i in ids)


@needs_postgres
def test_deux_workers_prennent_des_lots_disjoints(session_factory, runtime,
                                                  deployed_fixtures, users):
    started(runtime, users, 8)
    advance_clock(days=2)
    with session_factory() as first, first.begin():
        held = [i.id for i in claim(first, 5, (), lock=True)]
        with session_factory() as second, second.begin():
            second.execute(text("SET LOCAL lock_timeout = '2s'"))
            other = [i.id for i in claim(second, 8, (), lock=True)]
    assert len(held) == 5 and len(other) == 3
    assert set(held).isdisjoint(other)


@needs_postgres
def test_deux_workers_en_parallele_tirent_chaque_minuteur_une_fois(
        session_factory, runtime, deployed_fixtures, users):
    ids = started(runtime, users, 300)
    advance_clock(days=2)
    barrier, handled, errors = threading.Barrier(2), [], []

    def worker():
        barrier.wait()
        try:
            handled.append(fire_due_timers(runtime, batch=40))
        except Exception as err:  # noqa: BLE001 - reported by the assertion below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(handled) == 300  # no instance handled by both workers
    assert fired(session_factory) == dict.fromkeys(ids, 1)
    assert statuses(session_factory, ids) == {"completed": 300}


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite: no row locks, the lock_version decides")
def test_sur_sqlite_une_instance_tiree_ailleurs_pendant_le_lot_ne_l_est_pas_deux_fois(
        session_factory, runtime, deployed_fixtures, users):
    """Règle : sans verrou de ligne, un autre worker peut tirer une instance du lot entre sa
    lecture et son écriture ; le lot est alors refusé (lock_version) et repris instance par
    instance : chacune n'est tirée qu'une fois."""
    ids = started(runtime, users, 10)
    other_worker = []

    def fired_elsewhere(context):  # while this batch runs, another worker fires ids[7]
        if not other_worker:
            other_worker.append("tiré ailleurs")
            other_worker.append(runtime.fire_timers(ids[7]))

    runtime.after_step_hooks.append(fired_elsewhere)
    advance_clock(days=1, minutes=1)
    fire_due_timers(runtime, batch=20)
    assert other_worker == ["tiré ailleurs", ["attente"]]
    assert fired(session_factory) == dict.fromkeys(ids, 1)
    assert statuses(session_factory, ids) == {"completed": 10}


def test_la_file_des_minuteurs_a_son_index_partiel(engine, session_factory, runtime,
                                                   deployed_fixtures, users):
    indexes = {i["name"] for i in inspect(engine).get_indexes("process_instance")}
    assert "ix_instance_due_queue" in indexes
    assert "ix_instance_timer_due" not in indexes  # the whole-table index is gone
    started(runtime, users, 3)
    query = due_query([ProcessInstance.id], 10)
    with session_factory() as session:
        if ON_POSTGRES:
            definition = session.scalar(text(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_instance_due_queue'"))
            session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join(session.scalars(text("EXPLAIN " + _literal(query, engine))))
        else:
            definition = session.scalar(text(
                "SELECT sql FROM sqlite_master WHERE name = 'ix_instance_due_queue'"))
            # INDEXED BY: SQLite refuses the query (« no query solution ») if the index's
            # predicate does not cover it; on a tiny table it would pick any index.
            sql = _literal(query, engine).replace(
                "FROM process_instance", "FROM process_instance INDEXED BY ix_instance_due_queue")
            plan = "\n".join(str(row) for row in session.execute(
                text("EXPLAIN QUERY PLAN " + sql)))
    assert "WHERE" in definition and "running" in definition
    assert "ix_instance_due_queue" in plan, plan  # the worker's query matches its predicate


def _literal(query, engine) -> str:
    return str(query.compile(engine, compile_kwargs={"literal_binds": True}))


def test_le_worker_ne_prend_que_les_instances_echues(session_factory, runtime,
                                                     deployed_fixtures, users):
    ids = started(runtime, users, 3)
    with session_factory() as session:
        assert due_instance_ids(session, 10) == []
    advance_clock(days=1, minutes=1)
    with session_factory() as session:
        assert sorted(due_instance_ids(session, 10)) == ids


def test_le_job_apscheduler_ne_s_empile_jamais(session_factory, runtime, caplog,
                                              monkeypatch):
    """Règle : une passe longue ne fait pas écrire « maximum number of running instances »
    toutes les 0,5 s : pendant une passe aucun autre passage n'est programmé ; le suivant
    l'est à la fin de la passe."""
    from app.engine import timers

    entered = [threading.Event(), threading.Event()]
    release, pending = threading.Event(), []
    worker = TimerWorker(runtime, poll_seconds=0.01)

    def long_pass(_runtime):
        pending.append(list(worker.scheduler.get_jobs()))
        entered[min(len(pending), 2) - 1].set()
        release.wait(timeout=30)
        return 0

    monkeypatch.setattr(timers, "fire_due_timers", long_pass)
    worker.start()
    try:
        assert entered[0].wait(timeout=30)
        release.set()
        assert entered[1].wait(timeout=30)  # the next pass came after the first one ended
    finally:
        release.set()
        worker.stop()
    assert pending[0] == [] and pending[1] == []  # nothing to run (or skip) during a pass
    assert "maximum number of running instances" not in caplog.text


def test_le_passage_suivant_est_programme_une_fois(runtime):
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    from app.engine.timers import clock_now

    worker = TimerWorker(runtime)
    worker.scheduler = BackgroundScheduler()
    worker._schedule(clock_now())
    (job,) = worker.scheduler.get_jobs()
    assert isinstance(job.trigger, DateTrigger)
    assert (job.name, job.max_instances, job.coalesce) == ("bpmn-timers", 1, True)
