"""Storage of uploaded and generated documents, behind one interface with two homes.

- `DocumentStore`: the local folder (embedded default, one machine), under a root outside
  any web root.
- `DatabaseStore`: a `document_contenu` row per file, in the database every app machine
  shares (chosen when DATABASE_URL points at PostgreSQL; see `store_for`).

Both give the same methods — ``save(data, session=None)``, ``read(name, sha256=None,
session=None)``, ``delete(name, session=None)`` — and both are transactional with the
caller's step when it passes its ``session``: the content is kept only if that transaction
commits (database: the row is in the same transaction; folder: a file written for a
rolled-back transaction is removed, a deletion waits for the commit). Without a session, the
content is saved or deleted at once (what a caller outside any transaction wants).

Files are stored under a random name that says nothing about the assuré or the content, so a
leaked name reveals nothing and nobody can guess another dossier's file. The original name
is kept by the caller (database) for display only. The SHA-256 is returned so the caller can
record it, and `read` checks it when given: tampering or corruption is a French error.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete as sql_delete
from sqlalchemy import event, select

from app.models import DocumentContenu

# token_urlsafe(24) → 32 characters of [A-Za-z0-9_-]: 192 random bits.
_OCTETS_ALEATOIRES = 24
_NOM_VALIDE = re.compile(r"[A-Za-z0-9_-]{32}")
# Where a store is chosen explicitly (`INVALIDITE_DOCUMENTS`): « dossier » or « base ».
DOSSIER, BASE = "dossier", "base"


class NomInvalide(ValueError):
    """A stored name that this store could not have generated (tampering, path traversal)."""


class IntegriteCompromise(Exception):
    """The stored bytes no longer have the SHA-256 recorded when they were saved."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    sha256: str
    size: int


def _valide(stored_name: str) -> str:
    # Only names of the generated shape are accepted: no « / », « .. », NUL or backslash
    # can reach the file system or a query, whatever a request or a database row contains.
    if not isinstance(stored_name, str) or not _NOM_VALIDE.fullmatch(stored_name):
        raise NomInvalide(f"nom de fichier stocké invalide : {stored_name!r}")
    return stored_name


def _verifier(stored_name: str, data: bytes, sha256: str | None) -> bytes:
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256.lower():
        raise IntegriteCompromise(
            f"Le document {stored_name} a été altéré : son empreinte SHA-256 ne correspond "
            "plus à celle enregistrée lors de son dépôt.")
    return data


def _empreinte(nom: str, data: bytes) -> StoredFile:
    return StoredFile(stored_name=nom, sha256=hashlib.sha256(data).hexdigest(), size=len(data))


# ----- the folder's transaction hooks -------------------------------------------------------
_ECRITS, _A_SUPPRIMER = "documents_ecrits", "documents_a_supprimer"


def _suivre(session) -> dict:
    """The files this session's transaction wrote or will delete; hooks registered once per
    session: at commit the deletions happen, at the end of a transaction that did not commit
    (rollback, or closed without commit) the files it wrote are removed."""
    if _ECRITS not in session.info:
        session.info[_ECRITS], session.info[_A_SUPPRIMER] = [], []
        event.listen(session, "after_commit", _apres_commit)
        event.listen(session, "after_transaction_end", _fin_transaction)
    return session.info


def _apres_commit(session) -> None:
    session.info[_ECRITS].clear()  # kept: the rows that name them are committed
    for supprimer in session.info[_A_SUPPRIMER]:
        supprimer()
    session.info[_A_SUPPRIMER].clear()


def _fin_transaction(session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint: the outer transaction decides
        return
    for chemin in session.info[_ECRITS]:  # not committed: no row names them
        Path(chemin).unlink(missing_ok=True)
    session.info[_ECRITS].clear()
    session.info[_A_SUPPRIMER].clear()


class DocumentStore:
    """Files live at ``root/<2 first chars>/<name>``: the fan-out keeps directories small.

    A process killed between the file's write and its transaction's end leaves a file no
    row names (never the reverse): harmless, and found by comparing the folder with the
    `document` table."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def save(self, data: bytes, session=None) -> StoredFile:
        while True:
            nom = secrets.token_urlsafe(_OCTETS_ALEATOIRES)
            cible = self.path(nom)
            if not cible.exists():  # a collision is astronomically unlikely; never overwrite
                break
        cible.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Write to a temporary file in the same directory, then rename: readers never see a
        # half-written file, and a crash leaves at worst a stray « .tmp- » file, never a
        # truncated document under a valid name.
        fd, temporaire = tempfile.mkstemp(dir=cible.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fichier:
                fichier.write(data)
                fichier.flush()
                os.fsync(fichier.fileno())
            os.replace(temporaire, cible)
        except BaseException:
            Path(temporaire).unlink(missing_ok=True)
            raise
        if session is not None:
            _suivre(session)[_ECRITS].append(cible)
        return _empreinte(nom, data)

    def path(self, stored_name: str) -> Path:
        return self.root / _valide(stored_name)[:2] / stored_name

    def read(self, stored_name: str, sha256: str | None = None, session=None) -> bytes:
        return _verifier(stored_name, self.path(stored_name).read_bytes(), sha256)

    def delete(self, stored_name: str, session=None) -> bool:
        """Remove the file (once `session` commits, if given); False if it was already gone
        (deleting twice is harmless)."""
        chemin = self.path(stored_name)
        if session is not None:
            _suivre(session)[_A_SUPPRIMER].append(lambda: chemin.unlink(missing_ok=True))
            return chemin.exists()
        try:
            chemin.unlink()
        except FileNotFoundError:
            return False
        return True


class DatabaseStore:
    """The bytes in `document_contenu`, shared by every app machine on the same database.

    With the caller's ``session`` the row is part of its transaction (a rolled-back step
    leaves nothing); without one, each call is its own short transaction."""

    def __init__(self, session_factory: Callable, now: Callable[[], datetime] | None = None):
        self.session_factory = session_factory
        self.now = now or (lambda: datetime.now(UTC))

    def save(self, data: bytes, session=None) -> StoredFile:
        # 192 random bits: a collision would fail the primary key, never overwrite a file.
        stored = _empreinte(secrets.token_urlsafe(_OCTETS_ALEATOIRES), bytes(data))
        row = DocumentContenu(stored_name=stored.stored_name, sha256=stored.sha256,
                              size=stored.size, contenu=bytes(data), created_at=self.now())
        if session is not None:
            session.add(row)
            return stored
        with self.session_factory() as own, own.begin():
            own.add(row)
        return stored

    def read(self, stored_name: str, sha256: str | None = None, session=None) -> bytes:
        query = select(DocumentContenu.contenu).where(
            DocumentContenu.stored_name == _valide(stored_name))
        if session is not None:
            session.flush()  # bytes saved earlier in this same transaction are found
            data = session.scalar(query)
        else:
            with self.session_factory() as own:
                data = own.scalar(query)
        if data is None:
            raise FileNotFoundError(f"document stocké introuvable : {stored_name}")
        return _verifier(stored_name, bytes(data), sha256)

    def delete(self, stored_name: str, session=None) -> bool:
        query = sql_delete(DocumentContenu).where(
            DocumentContenu.stored_name == _valide(stored_name))
        if session is not None:
            return session.execute(query).rowcount > 0
        with self.session_factory() as own, own.begin():
            return own.execute(query).rowcount > 0


def store_for(database_url: str, upload_dir: Path | str, session_factory: Callable,
              choix: str | None = None, now: Callable[[], datetime] | None = None):
    """The store an app process uses: in the database on PostgreSQL (every machine sees the
    same documents), the local folder otherwise; `choix` (INVALIDITE_DOCUMENTS) forces one."""
    choix = (choix or "").strip().lower()
    if choix not in ("", DOSSIER, BASE):
        raise ValueError(f"INVALIDITE_DOCUMENTS doit valoir « {DOSSIER} » ou « {BASE} », "
                         f"pas « {choix} ».")
    en_base = choix == BASE or (not choix and database_url.startswith("postgresql"))
    return DatabaseStore(session_factory, now) if en_base else DocumentStore(upload_dir)


# The extension a served document gets from its real type (the bytes decided it at upload):
# the first one is forced, the others are accepted spellings kept as typed.
EXTENSIONS = {"application/pdf": ("pdf",), "image/jpeg": ("jpg", "jpeg"), "image/png": ("png",)}
PDF = "application/pdf"


def _sans_controles(nom: str) -> str:
    """Every control or format character (bidi overrides such as U+202E, isolates, zero-width
    joiners, line breaks) becomes « _ »: dropped silently, « avis\u202efdp.exe » (shown as
    « avisexe.pdf ») would become « avisfdp.exe » and hide where the name was tampered with."""
    return "".join("_" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
                   for c in nom)


def nom_affichable(original: str, longueur: int = 255) -> str:
    """The name as typed, for display: accents kept, control and bidi characters shown as
    « _ » (a page listing « avis\u202efdp.exe » must not read « avisexe.pdf »)."""
    return _sans_controles((original or "").replace("\\", "/").rsplit("/", 1)[-1])[:longueur]


def safe_download_name(original: str, defaut: str = "document",
                       content_type: str | None = None) -> str:
    """An ASCII file name safe in ``Content-Disposition: attachment; filename="..."``.

    Accents are dropped (« Avis d'impôt 2025.pdf » → « Avis_d_impot_2025.pdf »), any directory
    part is removed, control and bidi characters become « _ », and only letters, digits,
    « . », « - » and « _ » remain, so no quote, semicolon or line break can break the header.
    A name with nothing usable left becomes ``defaut`` (extension kept).

    With ``content_type`` (the type the bytes were found to be), the extension is forced from
    it: « page.html », « facture.exe », « image.svg » holding a PDF are served as
    « page_html.pdf », « facture_exe.pdf », « image_svg.pdf » — the typed extension stays
    visible in the name but can no longer decide which program opens the file. Any type
    other than JPEG or PNG is served as a PDF.
    """
    nom = _sans_controles((original or "").replace("\\", "/").rsplit("/", 1)[-1])
    nom = unicodedata.normalize("NFKD", nom).encode("ascii", "ignore").decode("ascii")
    base, point, ext = nom.rpartition(".")
    if not point:
        base, ext = nom, ""
    ext = re.sub(r"[^A-Za-z0-9]", "", ext)[:10]
    if content_type is not None:
        permises = EXTENSIONS.get(content_type, EXTENSIONS[PDF])
        if ext.lower() in permises:
            ext = ext.lower()
        else:
            base, ext = (f"{base}_{ext}" if ext else base), permises[0]
        defaut = defaut.rpartition(".")[0] or defaut
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)
    base = re.sub(r"_{2,}", "_", base).strip("._-")[:90]  # no hidden « .file »
    return (base or defaut) + (f".{ext}" if ext else "")
