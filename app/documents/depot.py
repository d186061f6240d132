"""One way to keep a file someone sent: its bytes in the document store, a `Document` row and
the audit row that says who deposited it (the pièces, a contestation, the messagerie, the
scanned S4150), all in the caller's transaction: the store keeps the bytes only if it
commits (app/documents/storage.py). The callers have checked the file first
(app/documents/uploads.py)."""
from __future__ import annotations

from app.engine.clock import clock
from app.models import AuditLog, Document


def garder_document(session, store, *, nom: str, content: bytes, content_type: str, kind: str,
            owner_id: int, instance_id: int | None, user_id: int, action: str,
            element_id: str = "", details: dict | None = None) -> Document:
    saved = store.save(content, session=session)
    document = Document(owner_id=owner_id, instance_id=instance_id, kind=kind,
                        original_name=nom, stored_name=saved.stored_name, sha256=saved.sha256,
                        size=saved.size, content_type=content_type, created_at=clock.now())
    session.add(document)
    session.flush()
    session.add(AuditLog(at=clock.now(), user_id=user_id, action=action,
                         instance_id=instance_id, element_id=element_id,
                         details={"document_id": document.id, **(details or {})}))
    return document
