"""Letters are data; their PDF is made after commit (the outbox of `models/courrier.py`).

A step that writes a letter calls `enregistrer` in its own transaction: the letter's template,
the template's version, the values (canonical JSON) and their SHA-256. No WeasyPrint there —
it takes 0.1 to 0.3 s a letter and would hold the step's transaction (and, on SQLite, the
write lock) for that long. The PDF is then made, outside any step:

- by `drain`, which the worker of `flask run-timers` (`CourrierWorker`) runs in a thread of
  its own, so firing timers never waits for a PDF;
- or by `contenu_document` on the first download of a letter still waiting for it.

Rendering a letter takes three short transactions and WeasyPrint between them, never inside
one: claim the row (an attempt is counted and the row leased for `BAIL`, so two workers do
not render the same letter, and a worker that dies mid-way leaves it to another once the
lease ends), render, then fill the `Document` in and mark the row done — only if it is still
pending: whoever comes second drops their copy (the store keeps nothing of a transaction
that does not commit). A failure is written on the row (`last_error`) and tried again later,
backing off up to an hour: a letter is never lost, and the first download still tries at
once. The same values and templates give the same bytes (rendu.html_vers_pdf), so a PDF made
twice is the same PDF.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from markupsafe import Markup
from sqlalchemy import or_, select, update

from app.engine.clock import clock
from app.models import Courrier, Document
from app.models.courrier import DONE, PENDING

from .rendu import Lettre, corps_lettre, page_pdf, version_modele

log = logging.getLogger(__name__)
BAIL = timedelta(minutes=5)  # a claimed letter is another worker's again after this
ATTENTE_MAX = timedelta(hours=1)  # longest wait between two failed attempts


class CourrierIndisponible(Exception):
    """A letter's PDF could not be made on its first download (it stays to be made)."""

    message = ("Ce courrier est en cours de préparation : réessayez dans quelques minutes. "
               "Son texte est déjà dans votre messagerie.")


# ----- the letter as data ---------------------------------------------------------------------
def valeurs_json(variables: dict[str, Any]) -> str:
    """Canonical JSON of a letter's values: dates, moments and amounts tagged so that they
    come back as they were (a `Decimal` stays exact, a date is not read as text)."""
    return json.dumps(variables, default=_tag, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def valeurs_de(texte: str) -> dict[str, Any]:
    return json.loads(texte, object_hook=_untag)


def _tag(value: Any) -> dict:
    if isinstance(value, datetime):  # before date: a datetime is a date
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    raise TypeError(f"valeur de courrier non enregistrable : {type(value).__name__}")


UNTAG = {"$datetime": datetime.fromisoformat, "$date": date.fromisoformat, "$decimal": Decimal}


def _untag(obj: dict) -> Any:
    if len(obj) == 1:
        key, value = next(iter(obj.items()))
        if key in UNTAG:
            return UNTAG[key](value)
    return obj


def empreinte(modele: str, version: str, valeurs: str) -> str:
    return hashlib.sha256(f"{modele}\0{version}\0{valeurs}".encode()).hexdigest()


def enregistrer(session, document: Document, lettre: Lettre, now: datetime) -> Courrier:
    """Record `lettre` as data, to be rendered into `document` after commit."""
    version = version_modele(lettre.modele)
    valeurs = valeurs_json(lettre.variables)
    courrier = Courrier(document=document, instance_id=document.instance_id,
                        modele=lettre.modele, version_modele=version, valeurs=valeurs,
                        empreinte=empreinte(lettre.modele, version, valeurs), status=PENDING,
                        attempts=0, created_at=now)
    session.add(courrier)
    return courrier


def pdf_du_courrier(modele: str, version: str, valeurs: str, attendue: str) -> bytes:
    """The PDF of a recorded letter; refuses values that no longer have their SHA-256."""
    if empreinte(modele, version, valeurs) != attendue:
        raise ValueError("les valeurs du courrier ne correspondent plus à leur empreinte")
    if version != version_modele(modele):  # templates redeployed since the step: said, kept
        log.warning("courrier %s rendu avec des modèles plus récents que l'étape", modele)
    return page_pdf(modele, valeurs_de(valeurs))


@lru_cache(maxsize=512)
def corps_du_courrier(modele: str, valeurs: str) -> Markup:
    """The messagerie's text of a recorded letter, from its template and values (the same
    escaping as when it was sent: `rendu.corps_lettre`). Cached: a letter is read far more
    often than written, and the same template and values always give the same text."""
    return Markup(corps_lettre(modele, valeurs_de(valeurs)))


# ----- rendering after commit -----------------------------------------------------------------
@dataclass(frozen=True)
class _Reclame:
    id: int
    document_id: int
    modele: str
    version: str
    valeurs: str
    empreinte: str
    attempts: int


def rendre(session_factory, store, courrier_id: int, now: Callable[[], datetime] = clock.now,
           *, forcer: bool = False) -> bool:
    """Make the PDF of one pending letter; False if there was nothing to do (done already, or
    leased to another worker unless `forcer`). A failure is recorded, then raised."""
    claimed = _reclamer(session_factory, courrier_id, now(), forcer)
    if claimed is None:
        return False
    try:
        pdf = pdf_du_courrier(claimed.modele, claimed.version, claimed.valeurs,
                              claimed.empreinte)
        _terminer(session_factory, store, claimed, pdf, now())
    except Exception as err:
        _echec(session_factory, claimed, err, now())
        raise
    return True


def _reclamer(session_factory, courrier_id: int, at: datetime, forcer: bool):
    due = Courrier.status == PENDING
    if not forcer:
        due = due & or_(Courrier.retry_at.is_(None), Courrier.retry_at <= at)
    with session_factory() as session, session.begin():
        claimed = session.execute(
            update(Courrier).where(Courrier.id == courrier_id, due)
            .values(attempts=Courrier.attempts + 1, retry_at=at + BAIL)).rowcount
        if not claimed:
            return None
        row = session.get(Courrier, courrier_id)
        return _Reclame(row.id, row.document_id, row.modele, row.version_modele, row.valeurs,
                        row.empreinte, row.attempts)


def _terminer(session_factory, store, claimed: _Reclame, pdf: bytes, at: datetime) -> None:
    with session_factory() as session, session.begin():
        if not session.execute(
                update(Courrier).where(Courrier.id == claimed.id, Courrier.status == PENDING)
                .values(status=DONE, rendered_at=at, retry_at=None, last_error=None)).rowcount:
            return  # another worker made it first: this copy is not kept
        _remplir(session, store, claimed.document_id, pdf)


def _remplir(session, store, document_id: int, pdf: bytes) -> None:
    # With the session, the store keeps the bytes only if this transaction commits.
    stored = store.save(pdf, session=session)
    document = session.get(Document, document_id)
    document.stored_name, document.sha256, document.size = (stored.stored_name, stored.sha256,
                                                             stored.size)


def _echec(session_factory, claimed: _Reclame, err: Exception, at: datetime) -> None:
    attente = min(timedelta(seconds=30) * 2 ** (claimed.attempts - 1), ATTENTE_MAX)
    log.warning("courrier %s : PDF non fait (tentative %s) : %s", claimed.id, claimed.attempts,
                err)
    try:
        with session_factory() as session, session.begin():
            session.execute(update(Courrier).where(Courrier.id == claimed.id,
                                                   Courrier.status == PENDING)
                            .values(last_error=f"{type(err).__name__}: {err}"[:1000],
                                    retry_at=at + attente))
    except Exception:  # the lease then ends by itself: the letter is tried again anyway
        log.exception("échec du courrier %s non enregistré", claimed.id)


def a_rendre(session, at: datetime, limit: int) -> list[int]:
    """Ids of the letters due for rendering, oldest first."""
    return list(session.scalars(
        select(Courrier.id).where(Courrier.status == PENDING,
                                  or_(Courrier.retry_at.is_(None), Courrier.retry_at <= at))
        .order_by(Courrier.id).limit(limit)))


def drain(session_factory, store, now: Callable[[], datetime] = clock.now,
          limit: int = 20) -> int:
    """Render up to `limit` due letters; the number tried (made or failed)."""
    with session_factory() as session:
        ids = a_rendre(session, now(), limit)
    tried = 0
    for courrier_id in ids:
        try:
            tried += rendre(session_factory, store, courrier_id, now)
        except Exception:  # noqa: BLE001 - recorded on the row by `rendre`, tried later
            tried += 1
    return tried


def contenu_document(session_factory, store, document: Document,
                     now: Callable[[], datetime] = clock.now) -> bytes:
    """The bytes of a stored document; a letter still waiting for its PDF gets it now."""
    stored_name, sha256 = document.stored_name, document.sha256
    if stored_name is None:
        stored_name, sha256 = _rendre_document(session_factory, store, document.id, now)
    return store.read(stored_name, sha256)


def _rendre_document(session_factory, store, document_id: int, now) -> tuple[str, str]:
    with session_factory() as session:
        courrier_id = session.scalar(select(Courrier.id).where(
            Courrier.document_id == document_id))
    if courrier_id is None:
        raise CourrierIndisponible(f"document {document_id} sans fichier ni courrier")
    try:
        rendre(session_factory, store, courrier_id, now, forcer=True)
    except Exception as err:
        raise CourrierIndisponible(str(err)) from err
    with session_factory() as session:
        document = session.get(Document, document_id)
        if document.stored_name is None:  # made by another process, not committed yet
            raise CourrierIndisponible(f"document {document_id} en cours de rendu")
        return document.stored_name, document.sha256


def rendre_en_attente(session, store, instance_id: int) -> int:
    """Render, inside the caller's transaction, the pending letters of an instance: how
    letters were made before the outbox (kept for bench/courriers.py's « avant »)."""
    session.flush()  # steps run their hooks without autoflush
    rows = list(session.scalars(select(Courrier).where(Courrier.instance_id == instance_id,
                                                       Courrier.status == PENDING)))
    for row in rows:
        _remplir(session, store, row.document_id,
                 pdf_du_courrier(row.modele, row.version_modele, row.valeurs, row.empreinte))
        row.status, row.attempts = DONE, row.attempts + 1
    return len(rows)


# ----- the worker -----------------------------------------------------------------------------
class CourrierWorker:
    """A thread that drains the outbox every `poll_seconds` (started by `flask run-timers`
    beside the timers, and by the demo's embedded timers). A plain thread, not a scheduler
    job: a long drain simply delays the next one, with nothing to warn about."""

    def __init__(self, session_factory, store, now: Callable[[], datetime] = clock.now,
                 poll_seconds: float = 2.0, batch: int = 20):
        self.session_factory, self.store, self.now = session_factory, store, now
        self.poll_seconds, self.batch = poll_seconds, batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> int:
        try:
            return drain(self.session_factory, self.store, self.now, self.batch)
        except Exception:  # database away: the next pass tries again
            log.exception("passage des courriers en échec")
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            if self.tick() < self.batch:  # a full batch: more may wait, go on at once
                self._stop.wait(self.poll_seconds)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="courriers", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
