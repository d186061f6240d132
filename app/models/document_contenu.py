"""The bytes of stored documents, when they live in the database (PostgreSQL, several app
machines): one row per stored file, keyed by the same random name as `document.stored_name`.

Written in the transaction of the step that keeps the document (app/documents/storage.py
`DatabaseStore`), so a rolled-back step leaves no content behind. No foreign key to
`document`: a letter's PDF may be saved before its `Document` row exists, and the row of the
accusé de réception may point to bytes kept by another process.
"""
from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base


class DocumentContenu(Base):
    __tablename__ = "document_contenu"

    stored_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    contenu: Mapped[bytes] = mapped_column(LargeBinary)  # BYTEA on PostgreSQL, BLOB on SQLite
    created_at: Mapped[datetime]
