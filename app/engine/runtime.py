"""The runtime service: the one way web code, timers and tests touch process instances.

Every public method is one database transaction: load the instance, act, run the engine,
save state + human tasks + timers + effects + audit, commit. Any exception rolls it all back,
and a failing step records an incident of its instance: the step machinery underneath
(transactions, incidents, the engine's bounds) is in app/engine/step.py.
"""
from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException

# The spiff parser builds spiff message definitions; events only match the same class.
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session, defaultload, object_session, sessionmaker

from app.models import HumanTask, Incident, ProcessInstance, ProcessVersion, User

from .clock import clock
from .deploy import latest_version
from .errors import (
    Conflict,
    DoorFailed,
    Forbidden,
    FormInvalid,
    IncidentRaised,
    NotFound,
    door_checks,
)
from .human_tasks import a_pris_la_decision
from .incidents import INCIDENT_TEXT, CreationFailed
from .lifecycle import hold_on_submit, mark_dossier_stopped
from .persistence import load_workflow, refresh_due_timers, save_workflow
from .sandbox import shift_waiting_timers
from .scripting import make_script_engine
from .serializer import dump_state
from .specs import SpecCache, spec_cache
from .step import StepRunner, TimersDue, status_message, timer_due
from .transaction import deferred_sessions

# Refusal of an appeal task to the person who took the decision appealed.
DECIDEUR = ("Vous avez pris la décision contestée : la réclamation doit être examinée par un "
            "autre membre de la commission.")


class Runtime(StepRunner):
    def __init__(self, session_factory: sessionmaker, specs: SpecCache = spec_cache,
                 form_validator=None):
        self.session_factory = session_factory
        self.specs = specs
        self.script_engine = make_script_engine()
        self.form_validator = form_validator
        self.after_step_hooks: list = []  # callables(StepContext), e.g. letters, dossier sync
        # Sessions of steps and reads: on SQLite, deferred ones (see app/engine/transaction.py).
        self.step_session_factory = deferred_sessions(session_factory)

    # ----- starting -----------------------------------------------------------------------
    def start(self, process_key: str, *, user_id: int | None, owner_id: int | None = None,
              caisse_code: str | None = None, business_key: str | None = None,
              data: dict | None = None, sandbox: bool = False,
              version_id: int | None = None, on_created=None,
              version: ProcessVersion | None = None) -> int:
        """Start an instance; `on_created(session, instance)` adds rows in the same
        transaction (e.g. the dossier of a request). `version`: the version row, when the
        caller has read it (a deployed version never changes: not read again)."""
        def create(session) -> tuple[ProcessInstance, BpmnWorkflow, object]:
            # Nothing is written here: the row is inserted by `register`, once the first
            # engine steps have run (no lock held while scripts run).
            version_row = session.merge(version, load=False) if version is not None \
                else self._version(session, process_key, version_id)
            spec, subprocess_specs, _forms = self._specs(session, version_row)
            workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=self.script_engine)
            workflow.ready_at_load = frozenset()  # no human_task row yet (persistence.py)
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(data or {})
            now = clock.now()
            instance = ProcessInstance(
                process_version_id=version_row.id, process_key=process_key, status="running",
                business_key=business_key, sandbox=sandbox, state=dump_state(workflow),
                started_by_id=user_id, owner_id=owner_id or user_id, caisse_code=caisse_code,
                created_at=now, updated_at=now)

            def register(session, instance):
                session.add(instance)
                session.flush()
                self._audit(session, "instance_started", instance.id, user_id,
                            details={"process": process_key,
                                     "version": version_row.version})
                if on_created is not None:  # its audit lines after « instance_started »
                    on_created(session, instance)
            return instance, workflow, register

        try:
            return self._step(create, user_id, {"type": "steps"}, lambda s, i, wf: None)
        except CreationFailed as failed:
            # A first script failed: keep a started instance (not yet stepped) with its
            # incident, rather than nothing at all, so the superviseur can retry it (the
            # failing script is not run a second time).
            with self._transaction() as session:
                instance, _workflow, register = create(session)
                register(session, instance)
                instance_id = instance.id
            incident_id = self._record_incident(instance_id, failed.error, {"type": "steps"},
                                                user_id, phase=failed.phase)
            raise IncidentRaised(incident_id, INCIDENT_TEXT) from failed.__cause__

    def _version(self, session, process_key, version_id) -> ProcessVersion:
        version = session.get(ProcessVersion, version_id) if version_id else \
            latest_version(session, process_key)
        if version is None:
            raise NotFound(f"Aucun processus déployé « {process_key} ».")
        return version

    def workflow_of(self, session, instance: ProcessInstance) -> BpmnWorkflow:
        """The instance's workflow, to read (supervision, migration checks): never saved."""
        return load_workflow(instance, self._specs(session, instance.process_version),
                             self.script_engine)

    def form_schema(self, session, version: ProcessVersion, form: str) -> dict | None:
        """The JSON Schema a user task names, exactly as deployed with its version."""
        return self._specs(session, version)[2].get(form)

    # ----- human tasks --------------------------------------------------------------------
    def complete_task(self, task_row_id: int, user: User, data: dict,
                      expected_lock_version: int | None = None,
                      prepare=None) -> int:
        """Complete a READY user task with form data; return the instance id. Due timers of
        the instance fire first: a deadline always wins over a late click, whatever door the
        click came through (page or API). The step reads the task, its instance and the state
        in one statement. `prepare(session, row, task)`: the completion door's checks
        (app/web/shared/completion.py) inside the step, returning the data to store or
        raising FormInvalid (nothing written); without it, `data` is validated here."""
        rows: list[HumanTask] = []  # the row `locate` read, for `act`

        def locate(session, check_timers: bool = True) -> ProcessInstance:
            row = self._task_row(session, task_row_id, user, with_state=True)
            rows.append(row)
            if check_timers and timer_due(row.instance):
                raise TimersDue("timers")  # fired outside this step, then the step again
            schema = self.form_schema(session, row.instance.process_version,
                                      row.form) if row.form else None
            if schema is not None and self.form_validator is not None and prepare is None:
                errors = self.form_validator(schema, data, clock.today())
                if errors:
                    raise FormInvalid(errors)
            return row.instance

        def act(session, instance, workflow):
            if expected_lock_version is not None and instance.lock_version != \
                    expected_lock_version:
                raise Conflict("Ce formulaire a déjà été envoyé ou le dossier a changé "
                               "entre-temps. Rechargez la page.")
            current = rows[-1]
            if current.status != "open":
                raise Conflict("Cette tâche a déjà été traitée.")
            task = workflow.get_task_from_id(UUID(current.spiff_task_id))
            if task is None or task.state != TaskState.READY:
                raise Conflict("Cette tâche n'est plus disponible.")
            stored = data if prepare is None else door_checks(prepare, session, current, task)
            pending["data"] = stored  # what an incident's retry replays
            hold_on_submit(self, session, current, user)
            store_form_data(task, stored)
            task.run()
            self._audit(session, "task_completed", instance.id, user.id, task.task_spec.bpmn_id,
                        {"title": current.title})

        pending = {"type": "complete", "task_row_id": task_row_id, "user_id": user.id,
                   "data": data}
        try:
            try:
                return self._step(locate, user.id, pending, act)
            except TimersDue:
                self._fire_due_timers(task_row_id)
            return self._step(lambda session: locate(session, check_timers=False), user.id,
                              pending, act)
        except DoorFailed as failed:
            raise failed.error from failed.error.__cause__

    def _task_row(self, session, task_row_id: int, user: User,
                  ignore_claim: bool = False, with_state: bool = False) -> HumanTask:
        # Its instance comes in the same statement (joined); its state only for a step.
        row = session.get(HumanTask, task_row_id, options=_WITH_STATE if with_state else ())
        if row is None:
            raise NotFound("Tâche introuvable.")
        if not (may_act(user, row, ignore_claim) or _sandbox_tester(user, row)):
            if a_pris_la_decision(session, user.id, row):
                raise Forbidden(DECIDEUR)
            raise Forbidden("Cette tâche ne vous est pas destinée.")
        if row.status != "open":
            raise Conflict("Cette tâche a déjà été traitée.")
        return row

    def claim(self, task_row_id: int, user: User) -> None:
        with self._transaction() as session:
            row = self._task_row(session, task_row_id, user, ignore_claim=True)
            if row.instance.status != "running":  # a suspended dossier's tasks wait
                raise Conflict(status_message(row.instance.status))
            taken = session.execute(
                update(HumanTask).where(HumanTask.id == row.id, HumanTask.status == "open",
                                        HumanTask.claimed_by_id.is_(None))
                .values(claimed_by_id=user.id)
                .execution_options(synchronize_session=False)).rowcount
            if not taken:
                session.refresh(row)  # the in-session copy predates the other claim
            if not taken and row.claimed_by_id != user.id:
                raise Conflict("Cette tâche vient d'être prise par quelqu'un d'autre.")
            self._audit(session, "task_claimed", row.instance_id, user.id, row.element_id)

    def unclaim(self, task_row_id: int, user: User) -> None:
        with self._transaction() as session:
            row = session.get(HumanTask, task_row_id)
            if row is None or row.status != "open":
                raise NotFound("Tâche introuvable.")
            if row.claimed_by_id != user.id and user.role != "superviseur":
                raise Forbidden("Seule la personne qui a pris la tâche peut la libérer.")
            row.claimed_by_id = None
            self._audit(session, "task_released", row.instance_id, user.id, row.element_id)

    def assign(self, task_row_id: int, assignee_id: int, by: User) -> None:
        """A superviseur, or a member of the task's team (its role and caisse), gives the
        task to a member of that team."""
        if by.role == "assure":
            raise Forbidden("Seul un superviseur peut réattribuer une tâche.")
        with self._transaction() as session:
            row, assignee = session.get(HumanTask, task_row_id), session.get(User, assignee_id)
            if row is None or row.status != "open" or assignee is None:
                raise NotFound("Tâche ou personne introuvable.")
            if by.role != "superviseur" and not may_act(by, row, ignore_claim=True):
                raise Forbidden("Seuls un superviseur et l'équipe de la tâche (même rôle, même "
                                "caisse) peuvent la réattribuer.")
            if a_pris_la_decision(session, assignee.id, row):
                raise Conflict(f"{assignee.nom_complet} a pris la décision contestée : la "
                               "réclamation doit être confiée à un autre membre de la "
                               "commission.")
            if not may_act(assignee, row, ignore_claim=True):
                raise Conflict(f"{assignee.nom_complet} n'a pas le rôle ou la caisse de "
                               "cette tâche.")
            row.claimed_by_id = assignee.id
            self._audit(session, "task_assigned", row.instance_id, by.id, row.element_id,
                        {"assignee_id": assignee.id})

    # ----- events and lifecycle -----------------------------------------------------------
    def send_message(self, business_key: str, name: str, payload: dict | None = None,
                     user_id: int | None = None) -> int:
        with self.session_factory() as session:
            instance_id = session.scalar(select(ProcessInstance.id).where(
                ProcessInstance.business_key == business_key))
        if instance_id is None:
            raise NotFound(f"Aucun dossier « {business_key} ».")

        def act(session, instance, workflow):
            event = BpmnEvent(MessageEventDefinition(name), payload or {})
            try:
                workflow.send_event(event)
            except SpiffWorkflowException as err:
                raise Conflict(f"Le processus n'attend pas le message « {name} ».") from err
            self._audit(session, "message_received", instance.id, user_id, name)

        self._step(instance_id, user_id, {"type": "message", "name": name,
                                          "payload": payload or {}}, act)
        return instance_id

    def fire_timers(self, instance_id: int, session: Session | None = None) -> list[str]:
        """Fire the due timers of one instance (the timer worker passes its locking session)."""
        fired: list[str] = []

        def act(session, instance, workflow):
            for element in refresh_due_timers(workflow):
                fired.append(element)
                self._audit(session, "timer_fired", instance.id, None, element)

        self._step(instance_id, None, {"type": "timers"}, act, outer=session)
        return fired

    def shift_timers(self, instance_id: int, delta, user: User) -> list[str]:
        """Move a studio test run's own clock forward by `delta` (a timedelta): its waiting
        timers come that much closer, those now due fire (see app/engine/sandbox.py)."""
        from app.models import SandboxRun

        fired: list[str] = []

        def act(session, instance, workflow):
            run = session.get(SandboxRun, instance.id)
            if not instance.sandbox or run is None:
                raise Forbidden("Seule l'horloge d'un essai du studio peut être avancée.")
            waiting = {t.id for t in workflow.get_tasks(state=TaskState.WAITING)}
            shift_waiting_timers(workflow, delta)
            workflow.refresh_timers()
            run.clock_offset_seconds += delta.total_seconds()
            fired.extend(t.task_spec.bpmn_id for t in workflow.get_tasks(
                state=TaskState.READY | TaskState.COMPLETED)
                if t.id in waiting and hasattr(t.task_spec, "event_definition"))
            self._audit(session, "essai_horloge_avancee", instance.id, user.id,
                        details={"secondes": delta.total_seconds(), "minuteurs": fired})

        self._step(instance_id, user.id, {"type": "timers"}, act)
        return fired

    def set_status(self, instance_id: int, status: str, user: User, reason: str = "",
                   on_terminated=None) -> None:
        """Suspend (« suspended »), resume (« running ») or terminate (« terminated »).
        Terminating marks the dossier « arrete » and calls `on_terminated(session, instance)`
        in the same transaction (the web layer posts the assuré's message there)."""
        allowed = {"suspended": {"running"}, "running": {"suspended"},
                   "terminated": {"running", "suspended", "incident"}}
        with self._transaction() as session:
            instance = self._instance(session, instance_id)
            if instance.status not in allowed[status]:
                raise Conflict(f"Impossible : l'instance est « {instance.status} ».")
            if status == "terminated":
                if not reason.strip():
                    raise FormInvalid({"motif": "Indiquez le motif de l'arrêt."})
                workflow = load_workflow(instance, self._specs(session,
                                         instance.process_version), self.script_engine)
                workflow.cancel()
                instance.ended_at = clock.now()
                instance.status = status
                save_workflow(session, instance, workflow, user.id)
                mark_dossier_stopped(session, instance)
                if on_terminated is not None:
                    on_terminated(session, instance)
            instance.status = status
            self._audit(session, f"instance_{status}", instance.id, user.id,
                        details={"motif": reason})

    def retry_incident(self, incident_id: int, user: User,
                       corrections: dict | None = None) -> None:
        """Replay the failed step, optionally with corrected task data."""
        with self.session_factory() as session:
            incident = session.get(Incident, incident_id)
            if incident is None or incident.resolved_at is not None:
                raise NotFound("Incident introuvable ou déjà résolu.")
            pending, instance_id = dict(incident.pending), incident.instance_id
        if corrections:
            pending["data"] = {**pending.get("data", {}), **corrections}
        replay = self._replay(pending)
        self._step(instance_id, user.id, pending, replay, resume_incident=incident_id,
                   retried_by=user.id)

    def _replay(self, pending: dict):
        kind = pending["type"]
        if kind == "complete":
            def act(session, instance, workflow):
                row = session.get(HumanTask, pending["task_row_id"])
                task = workflow.get_task_from_id(UUID(row.spiff_task_id))
                store_form_data(task, pending["data"])
                task.run()
                self._audit(session, "task_completed", instance.id, pending["user_id"],
                            task.task_spec.bpmn_id, {"replayed": True})
            return act
        if kind == "message":
            def act(session, instance, workflow):
                workflow.send_event(BpmnEvent(MessageEventDefinition(pending["name"]),
                                              pending["payload"]))
            return act
        if kind == "timers":
            return lambda session, instance, workflow: workflow.refresh_timers()

        def resume_steps(session, instance, workflow):
            for task in workflow.get_tasks(state=TaskState.READY):
                task.data.update(pending.get("data", {}))
        return resume_steps



_WITH_STATE = (defaultload(HumanTask.instance).undefer(ProcessInstance.state),)


def store_form_data(task, data: dict) -> None:
    """A submitted form replaces the answers it carries (SpiffWorkflow would deep-merge them,
    so a box unticked on a second visit of a step would stay ticked)."""
    variable = getattr(task.task_spec, "variable", None)
    if variable:
        task.data[variable] = data
    else:
        task.data.update(data)


def _sandbox_tester(user: User, row: HumanTask) -> bool:
    """An analyst walks every task of a studio test run, whatever its lane."""
    return user.role == "analyste" and row.instance.sandbox


def may_act(user: User, row: HumanTask, ignore_claim: bool = False) -> bool:
    """Role, caisse, owner and claim rules for acting on a human task; and nobody rules on
    the appeal of a decision they took (app/engine/human_tasks.py)."""
    if user.role != row.role:
        return False
    if row.role == "assure":
        return row.assignee_id == user.id
    if row.caisse_code and user.caisse_code != row.caisse_code:
        return False
    if a_pris_la_decision(object_session(row), user.id, row):
        return False
    return ignore_claim or row.claimed_by_id in (None, user.id)
