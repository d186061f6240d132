"""What has been deployed: files by content, and process versions built from them."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DeployedFile(Base):
    """One version of one file of `processes/` or `forms/` (a new row only when content changes)."""

    __tablename__ = "deployed_file"
    __table_args__ = (UniqueConstraint("filename", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # bpmn, dmn, form
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(255), default="system")


class ProcessVersion(Base):
    """An executable process: its BPMN file plus the DMN and forms it uses, frozen by hash."""

    __tablename__ = "process_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)  # BPMN process id
    name: Mapped[str] = mapped_column(String(200), default="")
    version: Mapped[int]
    bundle_sha256: Mapped[str] = mapped_column(String(64))
    # {filename: sha256} of every file the process needs, to rebuild the spec exactly.
    files: Mapped[dict] = mapped_column(JSON)
    deployed_at: Mapped[datetime]
    deployed_by: Mapped[str] = mapped_column(String(255), default="system")
    # A studio draft under test (negative version numbers); never the "latest" version.
    sandbox: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The journey this process is the entry point of, declared by the diagram (parcours.py).
    parcours: Mapped[str | None] = mapped_column(String(40), index=True, nullable=True)

    __table_args__ = (
        UniqueConstraint("process_key", "version"),
        Index("ix_process_version_key_bundle", "process_key", "bundle_sha256"),
    )
