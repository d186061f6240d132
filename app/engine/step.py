"""The step machinery under `Runtime`: one step loads (or creates) an instance, acts on it,
runs the engine, saves state + human tasks + timers + effects + audit and runs the after-step
hooks, all in one transaction. Any exception rolls it all back.

A failing step — a script error or limit, anything the engine or an after-step hook raises,
`BaseException` included — records an incident of its instance (with what to replay) in a new
transaction. KeyboardInterrupt (the process being stopped) and database outages are not the
instance's fault: they propagate.

No lock is held while the engine runs scripts: on both databases a step reads outside any
transaction and its transaction only starts with its first write, after the engine (the
optimistic `lock_version` catches a concurrent change); a new instance is inserted after its
first engine steps. The instance, the human tasks and the audit lines a step writes wait for
its end and go out one statement each, with the COMMIT in the same round trip on PostgreSQL
(app/engine/step_writes.py).
"""
from __future__ import annotations

import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker, undefer
from sqlalchemy.orm.exc import StaleDataError

from app.models import HumanTask, Incident, ProcessInstance, ProcessVersion
from app.models.records import PENDING_AUDIT, ecrire_journal, journaliser

from . import effects as fx
from .clock import clock
from .errors import Conflict, DeadlinePassed, IncidentRaised, NotFound, RuntimeServiceError
from .incidents import INCIDENT_TEXT, CreationFailed, as_exception, incident_message
from .persistence import load_workflow, record_state, save_workflow
from .sandbox import version_sources
from .specs import SpecCache
from .step_writes import defer_writes, write_step
from .transaction import Transaction


@dataclass
class StepContext:
    """What after-step hooks receive (they run inside the step's transaction)."""

    session: Session
    instance: ProcessInstance
    workflow: BpmnWorkflow
    effects: list
    user_id: int | None


class StepRunner:
    """The steps, transactions, incidents and audit rows `Runtime` is built on."""

    # Set by `Runtime.__init__`.
    session_factory: sessionmaker
    step_session_factory: sessionmaker  # on SQLite, deferred (see app/engine/transaction.py)
    specs: SpecCache
    script_engine: object
    after_step_hooks: list  # callables(StepContext), e.g. letters, dossier sync

    def _specs(self, session, version: ProcessVersion):
        # Deployed files, or the sandbox files of a studio draft under test.
        return self.specs.get(version, lambda vid: version_sources(session, vid))

    def _transaction(self, outer: Session | None = None, step: bool = False):
        return Transaction(self.step_session_factory if step else self.session_factory,
                           outer)

    def record_failure(self, instance_id: int, err: BaseException, pending: dict,
                       outer: Session | None = None) -> int:
        """Record an incident for a failure that happened outside `_step` (timer worker)."""
        return self._record_incident(instance_id, err, pending, None, outer, phase="worker")

    def _instance(self, session, instance_id: int, with_state: bool = False) -> ProcessInstance:
        # The state column is deferred: a step asks for it in the same statement.
        instance = session.get(ProcessInstance, instance_id,
                               options=(undefer(ProcessInstance.state),) if with_state else ())
        if instance is None:
            raise NotFound("Instance introuvable.")
        return instance

    def _step(self, target, user_id, pending: dict, act, resume_incident=None,
              retried_by=None, outer: Session | None = None,
              statuses: tuple[str, ...] = ("running",)) -> int:
        """Load (or create) the instance, act, run the engine, save; return its id.

        `target` is an instance id, or a function of the session returning the instance
        (a task's instance after permission checks), or creating it with its workflow.
        `statuses`: the instance statuses the action accepts (an operator may edit a
        suspended instance's variables; nothing else runs on it).
        """
        located: list[tuple[int | None, bool]] = []  # (instance id, created in this step)
        phase = ["engine"]  # or the after-step hook running, for the incident message
        try:
            with self._transaction(outer, step=True) as session, \
                    fx.collecting() as collected, session.no_autoflush, audit_batch(session):
                writes = defer_writes(session) if outer is None else None
                instance, workflow, register = self._target(session, target, resume_incident,
                                                            statuses)
                located.append((instance.id, register is not None))
                act(session, instance, workflow)
                workflow.do_engine_steps(will_complete_task=_EngineGuard())
                if register is not None:  # a new instance: inserted now, after its scripts,
                    record_state(instance, workflow)  # with its state (no INSERT + UPDATE)
                    register(session, instance)
                    located[0] = (instance.id, True)
                if resume_incident:
                    self._resolve(session, instance, resume_incident, retried_by)
                save_workflow(session, instance, workflow, user_id,
                              recorded=register is not None, writes=writes)
                session.flush()  # hooks query rows added in this step (e.g. a new dossier)
                context = StepContext(session, instance, workflow, list(collected), user_id)
                for hook in self.after_step_hooks:
                    phase[0] = getattr(hook, "__name__", repr(hook))
                    hook(context)
                phase[0] = "enregistrement"
                if writes is None:
                    ecrire_journal(session)
                else:  # the instance, closed tasks and audit lines (hooks' too), then COMMIT
                    write_step(session, writes)
            return instance.id
        except StaleDataError as err:
            raise Conflict("Le dossier a été modifié en même temps par quelqu'un d'autre. "
                           "Rechargez la page : rien n'a été enregistré deux fois.") from err
        except (RuntimeServiceError, KeyboardInterrupt, OperationalError):
            raise  # refusals for the caller; the process stopping; the database unreachable
        except BaseException as err:  # scripts, engine, hooks: an incident of this instance
            if not located:
                raise
            if located[0][1]:  # start() records it on a saved instance
                raise CreationFailed(err, phase[0]) from as_exception(err)
            incident_id = self._record_incident(located[0][0], err, pending, user_id, outer,
                                                phase=phase[0], retried=resume_incident)
            raise IncidentRaised(incident_id, INCIDENT_TEXT) from as_exception(err)

    def _target(self, session, target, resume_incident, statuses=("running",)):
        """(instance, workflow, register): `register(session, instance)` inserts a new
        instance (None for an existing one)."""
        if isinstance(target, int):
            instance = self._instance(session, target, with_state=True)
        else:
            found = target(session)
            if isinstance(found, tuple):  # a new instance with its fresh workflow
                return found
            instance = found
        expected = ("incident",) if resume_incident else statuses
        if instance.status not in expected:
            raise Conflict(status_message(instance.status, retrying=bool(resume_incident)))
        workflow = load_workflow(instance, self._specs(session, instance.process_version),
                                 self.script_engine)
        return instance, workflow, None

    def _fire_due_timers(self, task_row_id: int) -> None:
        """Fire the instance's due timers; the task must still be open afterwards."""
        with self.session_factory() as session:
            instance_id = session.scalar(select(HumanTask.instance_id).where(
                HumanTask.id == task_row_id))
        try:
            self.fire_timers(instance_id)
        except Conflict:
            pass  # a worker fired them at the same moment: the outcome is the same
        with self.session_factory() as session:
            if session.scalar(select(HumanTask.status).where(
                    HumanTask.id == task_row_id)) != "open":
                raise DeadlinePassed("Le délai est dépassé : cette tâche a été annulée par "
                                     "l'échéance (voir l'historique du dossier).")

    def _resolve(self, session, instance, incident_id, user_id) -> None:
        """A successful retry resolves the incident retried and any other one still open on
        the instance (left by an older version of this code): the instance runs again, so no
        open incident may remain to be « retried » on a running instance."""
        now = clock.now()
        resolved = []
        for incident in session.scalars(select(Incident).where(
                Incident.instance_id == instance.id, Incident.resolved_at.is_(None))):
            incident.resolved_at, incident.resolved_by_id = now, user_id
            resolved.append(incident.id)
        instance.status = "running"
        element = getattr(session.get(Incident, incident_id), "element_id", "")
        self._audit(session, "incident_retried", instance.id, user_id, element,
                    {"incident_id": incident_id, "incidents_resolus": sorted(resolved)})

    def _record_incident(self, instance_id, err, pending, user_id, outer=None,
                         phase: str = "engine", retried: int | None = None) -> int:
        """One open incident per failing step: a failed retry, or the same element failing
        again, updates the open incident (message, trace, what to replay) instead of adding
        one; the audit log keeps every failure."""
        task_spec = getattr(err, "task_spec", None)
        element = getattr(task_spec, "bpmn_id", "") or ""
        message = incident_message(err, phase)
        with self._transaction(outer) as session:
            instance = self._instance(session, instance_id)
            instance.status = "incident"  # out of the running set: no timer retries it
            incident = self._open_incident(session, instance_id, element, retried)
            if incident is None:
                incident = Incident(instance_id=instance_id, created_at=clock.now())
                session.add(incident)
            incident.element_id, incident.message = element, message[:2000]
            incident.trace, incident.pending = traceback.format_exc()[-8000:], pending
            session.flush()
            self._audit(session, "incident_retry_failed" if retried else "incident_recorded",
                        instance_id, user_id, element,
                        {"message": message[:500], "incident_id": incident.id})
            return incident.id

    @staticmethod
    def _open_incident(session, instance_id, element, retried) -> Incident | None:
        if retried is not None:
            incident = session.get(Incident, retried)
            if incident is not None and incident.resolved_at is None:
                return incident
        return session.scalars(select(Incident).where(
            Incident.instance_id == instance_id, Incident.element_id == element,
            Incident.resolved_at.is_(None)).order_by(Incident.id).limit(1)).first()

    def audit(self, session, action, instance_id=None, user_id=None, details=None) -> None:
        """An audit line in the caller's transaction; inside a step (`on_created`, hooks),
        written with the step's own lines, in its one INSERT."""
        self._audit(session, action, instance_id, user_id, "", details)

    def _audit(self, session, action, instance_id=None, user_id=None, element_id="",
               details=None) -> None:
        journaliser(session, action, at=clock.now(), instance_id=instance_id,
                    user_id=user_id, element_id=element_id, details=details)


# A step that keeps completing automatic tasks (a call activity calling its own process,
# deployed before cycles were refused, or a loop without a user task) stops with an incident.
MAX_ENGINE_TASKS_PER_STEP = 20_000
MAX_CALL_DEPTH = 50
MAX_ENGINE_SECONDS = 60.0


class _EngineGuard:
    """`will_complete_task` callback of `do_engine_steps` bounding one step's engine run."""

    def __init__(self):
        self.count, self.started = 0, time.monotonic()

    def __call__(self, task) -> None:
        self.count += 1
        depth = _call_depth(task.workflow)
        if depth > MAX_CALL_DEPTH or self.count >= MAX_ENGINE_TASKS_PER_STEP or (
                self.count % 100 == 0 and
                time.monotonic() - self.started > MAX_ENGINE_SECONDS):
            raise WorkflowTaskException(
                f"L'étape ne s'arrête pas ({self.count} tâches automatiques, sous-processus "
                f"imbriqués sur {depth} niveaux) : boucle sans tâche utilisateur ou activité "
                "d'appel récursive", task=task)


@contextmanager
def audit_batch(session):
    """Inside: the audit lines wait to be written in one INSERT (`ecrire_journal`)."""
    session.info[PENDING_AUDIT] = []
    try:
        yield
    finally:
        session.info.pop(PENDING_AUDIT, None)  # failed: nothing written (an outer session)


def _call_depth(workflow) -> int:
    depth = 0
    while depth <= MAX_CALL_DEPTH and getattr(workflow, "parent_workflow", None) is not None:
        workflow, depth = workflow.parent_workflow, depth + 1
    return depth


class TimersDue(RuntimeServiceError):
    """A step found a due timer on its instance: the caller fires it first, then steps again
    (`Runtime.complete_task`; never seen outside the runtime)."""


def timer_due(instance: ProcessInstance) -> bool:
    """A due timer of a live instance: it wins over a click (read on the row already loaded)."""
    return (not instance.sandbox and instance.status == "running"
            and instance.next_timer_at is not None and instance.next_timer_at <= clock.now())


def status_message(status: str, retrying: bool = False) -> str:
    if retrying:
        return {
            "running": "Cet incident n'est plus bloquant : le dossier a repris son cours, "
                       "il n'y a rien à relancer.",
            "suspended": "Ce dossier est suspendu : reprenez-le avant de relancer l'incident.",
        }.get(status, status_message(status))
    return {
        "running": "Ce dossier est en cours de traitement : action impossible dans cet état.",
        "suspended": "Ce dossier est suspendu par un superviseur.",
        "incident": "Ce dossier est bloqué par un incident en cours de traitement.",
        "completed": "Ce dossier est clos.",
        "terminated": "Ce dossier a été arrêté.",
    }.get(status, "Action impossible dans l'état actuel du dossier.")
