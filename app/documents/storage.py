"""Storage of uploaded documents on the local disk, under a root outside any web root.

Files are stored under a random name that says nothing about the assuré or the content, so a
leaked path reveals nothing and nobody can guess another dossier's file. The original name
is kept by the caller (database) for display only. The SHA-256 is returned so the caller can
record it and detect later tampering or corruption on read.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# token_urlsafe(24) → 32 characters of [A-Za-z0-9_-]: 192 random bits.
_OCTETS_ALEATOIRES = 24
_NOM_VALIDE = re.compile(r"[A-Za-z0-9_-]{32}")


class NomInvalide(ValueError):
    """A stored name that this store could not have generated (tampering, path traversal)."""


class IntegriteCompromise(Exception):
    """The file on disk no longer has the SHA-256 recorded when it was saved."""


@dataclass(frozen=True)
class StoredFile:
    stored_name: str
    sha256: str
    size: int


class DocumentStore:
    """Files live at ``root/<2 first chars>/<name>``: the fan-out keeps directories small."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def save(self, data: bytes) -> StoredFile:
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
        return StoredFile(stored_name=nom, sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    def path(self, stored_name: str) -> Path:
        # Only names of the generated shape are accepted: no « / », « .. », NUL or backslash
        # can reach the file system, whatever a request or a database row contains.
        if not isinstance(stored_name, str) or not _NOM_VALIDE.fullmatch(stored_name):
            raise NomInvalide(f"nom de fichier stocké invalide : {stored_name!r}")
        return self.root / stored_name[:2] / stored_name

    def read(self, stored_name: str, sha256: str | None = None) -> bytes:
        data = self.path(stored_name).read_bytes()
        if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256.lower():
            raise IntegriteCompromise(f"empreinte SHA-256 différente pour {stored_name}")
        return data

    def delete(self, stored_name: str) -> bool:
        """Remove the file; return False if it was already gone (deleting twice is harmless)."""
        try:
            self.path(stored_name).unlink()
        except FileNotFoundError:
            return False
        return True


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
