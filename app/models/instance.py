"""Running processes and the human tasks they wait on."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, EncodedJSON
from .deployment import ProcessVersion

STATUSES = ("running", "suspended", "incident", "completed", "terminated")


class ProcessInstance(Base):
    """One workflow: SpiffWorkflow's serialized state (without the spec) and what we index."""

    __tablename__ = "process_instance"
    __table_args__ = (
        # The due-timer queue (app/engine/timers.py; migration 0011): only running instances
        # waiting on a timer, outside studio test runs. Partial, so fired and closed instances
        # leave it; the worker's query repeats this predicate word for word to use it.
        Index("ix_instance_due_queue", "next_timer_at",
              postgresql_where=text("status = 'running' AND sandbox = false "
                                    "AND next_timer_at IS NOT NULL"),
              sqlite_where=text("status = 'running' AND sandbox = 0 "
                                "AND next_timer_at IS NOT NULL")),
        Index("ix_instance_process_status", "process_key", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    business_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Tens of KB: read only when asked (a step undefers it; lists and inboxes never pay for
    # it), written as the bytes the serializer encoded once (base.EncodedJSON).
    state: Mapped[dict] = mapped_column(EncodedJSON, deferred=True)
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)
    next_timer_at: Mapped[datetime | None]
    current_step: Mapped[str] = mapped_column(String(200), default="")
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # The assuré this instance is about (gets its user tasks, messages, and sees it).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    caisse_code: Mapped[str | None] = mapped_column(ForeignKey("caisse.code"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    process_version: Mapped[ProcessVersion] = relationship(lazy="joined")

    # Optimistic locking: every UPDATE carries "WHERE lock_version = <read value>", so two
    # concurrent steps on one instance give one success and one StaleDataError.
    __mapper_args__ = {"version_id_col": lock_version}


class HumanTask(Base):
    """A READY user task, copied out of the workflow so inboxes are plain index lookups."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_task_inbox", "status", "role", "caisse_code", "due_at"),
        Index("ix_task_claimed", "status", "claimed_by_id", "due_at"),
        Index("ix_task_assignee", "status", "assignee_id"),
        Index("ix_task_instance", "instance_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    spiff_task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(100))  # BPMN id of the user task
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(30))
    caisse_code: Mapped[str | None] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    form: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, completed, cancelled
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    # From the task's `decision` / `recours` properties: who completed a decision task of
    # an instance may not act on its appeal tasks (app/engine/human_tasks.py).
    decision: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    recours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    instance: Mapped[ProcessInstance] = relationship(lazy="joined")


class Incident(Base):
    """A failed step, rolled back; `pending` holds what to replay on retry so nothing is lost."""

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    element_id: Mapped[str] = mapped_column(String(100), default="")
    message: Mapped[str] = mapped_column(Text)
    trace: Mapped[str] = mapped_column(Text, default="")
    pending: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
