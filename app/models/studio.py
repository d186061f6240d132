"""Studio test runs: the files of a draft being tried out, and each run's own clock."""
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class SandboxFile(Base):
    """One file of a draft bundle (a `process_version` row with `sandbox=True`).

    Drafts never go into `deployed_file`: that table is the history of real deployments.
    """

    __tablename__ = "sandbox_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_version.id"),
                                                    index=True)
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # bpmn, dmn, form
    content: Mapped[str] = mapped_column(Text)


class SandboxRun(Base):
    """A studio test run: who started it and how far its own clock was moved forward."""

    __tablename__ = "sandbox_run"

    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"),
                                             primary_key=True)
    source_file: Mapped[str] = mapped_column(String(200), default="")
    clock_offset_seconds: Mapped[float] = mapped_column(default=0.0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
