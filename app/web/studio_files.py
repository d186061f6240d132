"""The studio's files: `processes/*.bpmn|dmn` and `forms/*.json` stay the source of truth.

Saving writes the file in PROCESSES_DIR / FORMS_DIR (only when the whole folder still passes
the deployment checks, so the folders are always deployable and reviewable in git); deploying
deploys those folders; the export/import zip carries the same two folders.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_login import current_user
from sqlalchemy import select

from app.engine.clock import clock
from app.engine.deploy import read_folders
from app.engine.diff import diff_file, kind_of
from app.engine.specs import DeployError, DeployRefused, Sources, parse_sources
from app.models import AuditLog, DeployedFile

from .services import db, services

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{0,80}\.(bpmn|dmn|json)$")
MAX_FILE = 2 * 1024 * 1024
MAX_ZIP_FILES = 200


class BadFile(ValueError):
    """A file name or content the studio refuses (French message)."""


def check_name(filename: str) -> str:
    if not NAME.match(filename or ""):
        raise BadFile(f"Nom de fichier refusé : « {filename} » (lettres, chiffres, _ et -, "
                      "extension .bpmn, .dmn ou .json).")
    return filename


def folder_of(filename: str) -> Path:
    key = "FORMS_DIR" if kind_of(filename) == "form" else "PROCESSES_DIR"
    return Path(current_app.config[key])


def path_of(filename: str) -> Path:
    return folder_of(check_name(filename)) / filename


def read_file(filename: str) -> str | None:
    path = path_of(filename)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def current_sources() -> Sources:
    return read_folders(Path(current_app.config["PROCESSES_DIR"]),
                        Path(current_app.config["FORMS_DIR"]))


def with_draft(sources: Sources, drafts: dict[str, str]) -> Sources:
    """The folders as they would be with these drafts saved."""
    merged = Sources(dict(sources.bpmn), dict(sources.dmn), dict(sources.forms))
    buckets = {"bpmn": merged.bpmn, "dmn": merged.dmn, "form": merged.forms}
    for filename, text in drafts.items():
        buckets[kind_of(check_name(filename))][filename] = text
    return merged


def check_sources(sources: Sources) -> list[DeployError]:
    """The deployment checks; [] when everything would deploy."""
    try:
        parse_sources(sources)
    except DeployRefused as refused:
        return refused.errors
    return []


def errors_json(errors: list[DeployError]) -> list[dict]:
    return [{"fichier": e.filename, "element": e.element_id, "message": e.reason,
             "texte": str(e)} for e in errors]


def folder_fingerprint(sources: Sources) -> str:
    files = {name: text for name, (_kind, text) in sources.all_files().items()}
    return hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()


def write_files(files: dict[str, str]) -> None:
    """Write files atomically (a reader never sees half a diagram)."""
    for filename, text in files.items():
        path = path_of(filename)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".studio-")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        Path(temporary).replace(path)


def save_files(files: dict[str, str], action: str = "studio_enregistrement") -> list[DeployError]:
    """Check the folders with these files, then write them and audit; errors block it all."""
    for filename, text in files.items():
        check_name(filename)
        if len(text.encode("utf-8")) > MAX_FILE:
            raise BadFile(f"« {filename} » dépasse 2 Mo.")
    errors = check_sources(with_draft(current_sources(), files))
    if errors:
        return errors
    write_files(files)
    audit(action, {"fichiers": {name: hashlib.sha256(text.encode()).hexdigest()[:16]
                                for name, text in files.items()}})
    return []


def audit(action: str, details: dict) -> None:
    with services().session_factory() as session, session.begin():
        session.add(AuditLog(at=clock.now(), user_id=current_user.id, action=action,
                             details=details))


def deployed_content(filename: str) -> str | None:
    return db().scalar(select(DeployedFile.content).where(DeployedFile.filename == filename)
                       .order_by(DeployedFile.version.desc()).limit(1))


def deployed_files() -> dict[str, DeployedFile]:
    """The latest deployed version of every file."""
    latest: dict[str, DeployedFile] = {}
    for row in db().scalars(select(DeployedFile).order_by(DeployedFile.filename,
                                                          DeployedFile.version)):
        latest[row.filename] = row
    return latest


def pending_changes(sources: Sources) -> list:
    """Diff of every folder file against its latest deployed content (changed ones only)."""
    deployed = deployed_files()
    diffs = []
    for filename, (_kind, text) in sorted(sources.all_files().items()):
        before = deployed[filename].content if filename in deployed else None
        found = diff_file(filename, before, text)
        if found.status != "inchangé":
            diffs.append(found)
    for filename in sorted(set(deployed) - set(sources.all_files())):
        diffs.append(diff_file(filename, deployed[filename].content, None))
    return diffs


# ----- export / import -----------------------------------------------------------------
def export_zip(sources: Sources) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for filename, (kind, text) in sorted(sources.all_files().items()):
            folder = "forms" if kind == "form" else "processes"
            archive.writestr(f"{folder}/{filename}", text)
    return buffer.getvalue()


@dataclass
class ImportResult:
    files: dict[str, str]
    errors: list[DeployError]


def read_zip(data: bytes) -> dict[str, str]:
    """`processes/x.bpmn|dmn` and `forms/y.json` entries of an export; anything else refused."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise BadFile("Le fichier envoyé n'est pas une archive zip.") from err
    files: dict[str, str] = {}
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > MAX_ZIP_FILES:
        raise BadFile("L'archive contient trop de fichiers.")
    for entry in entries:
        folder, _, filename = entry.filename.partition("/")
        expected = "forms" if kind_of(filename) == "form" else "processes"
        if folder != expected or "/" in filename or not NAME.match(filename):
            raise BadFile(f"Entrée refusée dans l'archive : « {entry.filename} » (attendu : "
                          "processes/*.bpmn, processes/*.dmn, forms/*.json).")
        if entry.file_size > MAX_FILE:
            raise BadFile(f"« {entry.filename} » dépasse 2 Mo.")
        try:
            files[filename] = archive.read(entry).decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadFile(f"« {entry.filename} » n'est pas du texte UTF-8.") from err
    if not files:
        raise BadFile("L'archive ne contient aucun fichier de processus ou de formulaire.")
    return files
