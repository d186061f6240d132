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
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from lxml import etree
from sqlalchemy import select

from app.engine.deploy import read_folders
from app.engine.diff import diff_file, kind_of
from app.engine.specs import DeployError, DeployRefused, Sources, parse_sources
from app.models import DeployedFile

from ..shared.services import audit, db

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,80}\.(bpmn|dmn|json)$")
MAX_FILE = 2 * 1024 * 1024
MAX_ZIP_FILES = 200
MAX_ZIP_TOTAL = 20 * 1024 * 1024
DRAFT_SUFFIX = ".brouillon"
# Upload names → stored extension (Camunda, Flowable and Activiti spellings included).
UPLOAD_EXTENSIONS = ((".bpmn20.xml", "bpmn"), (".bpmn2", "bpmn"), (".bpmn.xml", "bpmn"),
                     (".dmn11.xml", "dmn"), (".dmn.xml", "dmn"), (".bpmn", "bpmn"),
                     (".dmn", "dmn"))
BPMN_MODEL = "http://www.omg.org/spec/BPMN/20100524/MODEL"


class BadFile(ValueError):
    """A file name or content the studio refuses (French message)."""


def check_name(filename: str) -> str:
    if not NAME.match(filename or ""):
        raise BadFile(f"Nom de fichier refusé : « {filename} » (lettres, chiffres, points, _ et "
                      "-, extension .bpmn, .dmn ou .json).")
    return filename


def safe_name(original: str) -> str:
    """The stored name of an uploaded diagram: folders stripped, accents dropped, anything but
    letters, digits, dots, dashes and underscores turned into `_`, extension kept."""
    base = re.split(r"[\\/]", original or "")[-1].strip()
    for ending, extension in UPLOAD_EXTENSIONS:
        if base.lower().endswith(ending):
            stem = base[:-len(ending)]
            break
    else:
        raise BadFile(f"« {base or original} » n'est ni un diagramme .bpmn, ni une table de "
                      "décision .dmn, ni une archive .zip du studio.")
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9_.\-]+", "_", plain)
    plain = re.sub(r"[_\-]*\.[_\-.]*", ".", re.sub(r"_{2,}", "_", plain)).strip("._-")
    plain = plain[:80].rstrip("._-") or extension
    return check_name(f"{plain}.{extension}")


def read_diagram(filename: str, data: bytes) -> str:
    """The text of an uploaded .bpmn/.dmn, or BadFile saying in French what is wrong with it."""
    kind = "un diagramme BPMN" if filename.endswith(".bpmn") else "une table de décision DMN"
    if len(data) > MAX_FILE:
        raise BadFile(f"Le fichier « {filename} » dépasse 2 Mo : ce n'est pas {kind} "
                      "raisonnable.")
    if not data.strip():
        raise BadFile(f"Le fichier « {filename} » est vide.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise BadFile(f"Le fichier « {filename} » n'est pas du texte UTF-8 : ce n'est pas "
                      f"{kind}.") from err
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise BadFile(f"Le fichier « {filename} » contient une déclaration DOCTYPE ou ENTITY, "
                      "refusée par sécurité : enregistrez-le depuis un modeleur BPMN.")
    try:
        root = etree.fromstring(text.encode("utf-8"), xml_parser())
    except etree.XMLSyntaxError as err:
        raise BadFile(f"Le fichier « {filename} » n'est pas un XML lisible (ligne "
                      f"{err.lineno or '?'}) : ce n'est pas {kind}.") from err
    namespace, local = etree.QName(root).namespace or "", etree.QName(root).localname
    expected = (namespace == BPMN_MODEL if filename.endswith(".bpmn")
                else "/DMN/" in namespace.upper() + "/")
    if local != "definitions" or not expected:
        raise BadFile(f"Le fichier « {filename} » est du XML mais pas {kind} (élément "
                      f"racine « {local} »{f' de {namespace}' if namespace else ''}).")
    return text


def xml_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def folder_of(filename: str) -> Path:
    key = "FORMS_DIR" if kind_of(filename) == "form" else "PROCESSES_DIR"
    return Path(current_app.config[key])


def path_of(filename: str) -> Path:
    return folder_of(check_name(filename)) / filename


def read_file(filename: str) -> str | None:
    path = path_of(filename)
    return path.read_text(encoding="utf-8") if path.is_file() else None


# ----- drafts ----------------------------------------------------------------------------
# A refused upload (or lane mapping) is kept next to its file as `<name>.brouillon`: in the
# folder, reviewable, but never read by `read_folders` (so never deployed, never exported)
# and never blocking other saves. The editors open the draft; a save that passes the checks
# writes the real file and removes the draft.
def draft_path(filename: str) -> Path:
    return folder_of(check_name(filename)) / f"{filename}{DRAFT_SUFFIX}"


def read_draft(filename: str) -> str | None:
    path = draft_path(filename)
    return path.read_text(encoding="utf-8") if path.is_file() else None


def current_text(filename: str) -> str | None:
    """What the analyst is working on: the draft if there is one, else the saved file."""
    draft = read_draft(filename)
    return draft if draft is not None else read_file(filename)


def draft_names() -> list[str]:
    found = set()
    for key in ("PROCESSES_DIR", "FORMS_DIR"):
        for path in Path(current_app.config[key]).glob(f"*{DRAFT_SUFFIX}"):
            name = path.name.removesuffix(DRAFT_SUFFIX)
            if NAME.match(name) and folder_of(name) == path.parent:
                found.add(name)
    return sorted(found)


def draft_errors(filename: str) -> list[DeployError] | None:
    """The checks' errors on the draft of this file (None when there is no draft)."""
    draft = read_draft(filename)
    if draft is None:
        return None
    return check_sources(with_draft(current_sources(), {filename: draft}))


def drop_draft(filename: str) -> bool:
    path = draft_path(filename)
    if path.is_file():
        path.unlink()
        return True
    return False


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


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".studio-")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    Path(temporary).replace(path)


def write_files(files: dict[str, str]) -> None:
    """Write files atomically (a reader never sees half a diagram); their drafts are done."""
    for filename, text in files.items():
        _write_atomically(path_of(filename), text)
        drop_draft(filename)


def write_drafts(files: dict[str, str]) -> None:
    for filename, text in files.items():
        _write_atomically(draft_path(filename), text)


def save_files(files: dict[str, str], action: str = "studio_enregistrement",
               keep_draft: bool = False, details: dict | None = None) -> list[DeployError]:
    """Check the folders with these files, then write them and audit; errors block it all.

    With `keep_draft`, refused files are still kept as drafts (`<name>.brouillon`, audited),
    so the analyst can open them in the editor and fix them."""
    for filename, text in files.items():
        check_name(filename)
        if len(text.encode("utf-8")) > MAX_FILE:
            raise BadFile(f"« {filename} » dépasse 2 Mo.")
    hashes = {name: hashlib.sha256(text.encode()).hexdigest()[:16]
              for name, text in files.items()}
    errors = check_sources(with_draft(current_sources(), files))
    if errors:
        if keep_draft:
            write_drafts(files)
            audit(action, {"fichiers": hashes, "brouillon": True, "erreurs": len(errors),
                           **(details or {})})
        return errors
    write_files(files)
    audit(action, {"fichiers": hashes, **(details or {})})
    return []


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
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as err:
        raise BadFile("Le fichier envoyé n'est pas une archive zip.") from err
    files: dict[str, str] = {}
    entries = [e for e in archive.infolist() if not e.is_dir()]
    if len(entries) > MAX_ZIP_FILES:
        raise BadFile("L'archive contient trop de fichiers.")
    if sum(e.file_size for e in entries) > MAX_ZIP_TOTAL:
        raise BadFile("L'archive décompressée dépasse 20 Mo : elle n'est pas acceptée.")
    for entry in entries:
        folder, _, filename = entry.filename.partition("/")
        expected = "forms" if kind_of(filename) == "form" else "processes"
        if folder != expected or "/" in filename or not NAME.match(filename):
            raise BadFile(f"Entrée refusée dans l'archive : « {entry.filename} » (attendu : "
                          "processes/*.bpmn, processes/*.dmn, forms/*.json).")
        if entry.file_size > MAX_FILE:
            raise BadFile(f"« {entry.filename} » dépasse 2 Mo.")
        try:
            with archive.open(entry) as member:
                content = member.read(MAX_FILE + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError,
                ValueError) as err:
            raise BadFile(f"« {entry.filename} » est illisible dans l'archive (archive "
                          "endommagée, chiffrée ou compression inconnue).") from err
        if len(content) > MAX_FILE:
            raise BadFile(f"« {entry.filename} » dépasse 2 Mo.")
        try:
            files[filename] = content.decode("utf-8")
        except UnicodeDecodeError as err:
            raise BadFile(f"« {entry.filename} » n'est pas du texte UTF-8.") from err
    if not files:
        raise BadFile("L'archive ne contient aucun fichier de processus ou de formulaire.")
    return files
