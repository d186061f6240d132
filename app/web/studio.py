"""The analysts' studio: processes, decision tables and forms, edited in the browser.

Routes are split by job: this module (list, new file, export/import), `studio_editor`
(BPMN/DMN editors, save, validate, deploy), `studio_forms` (form editor and preview),
`studio_sandbox` (test runs of a draft). Every route is for the analyste role.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from lxml import etree
from sqlalchemy import func, select

from app.engine.diff import kind_of
from app.models import DeployedFile, ProcessInstance, ProcessVersion, SandboxRun

from .security import roles
from .services import db
from .studio_files import (
    BadFile,
    audit,
    current_sources,
    errors_json,
    export_zip,
    read_zip,
    save_files,
)
from .studio_templates import new_file

bp = Blueprint("studio", __name__, url_prefix="/studio")
LIVE = ("running", "suspended", "incident")
EDITOR = {"bpmn": "studio.bpmn_editor", "dmn": "studio.dmn_editor", "form": "studio.form_editor"}


@bp.get("/")
@roles("analyste")
def index():
    sources = current_sources()
    deployed = _deployed_by_file()
    return render_template(
        "studio/index.html", processes=_processes(), deployed=deployed,
        files=_files(sources, deployed), test_runs=_test_runs(),
        editor=EDITOR)


def _processes() -> list[dict]:
    """Each process key with its deployed versions and how many live instances each has."""
    running = dict(db().execute(
        select(ProcessInstance.process_version_id, func.count())
        .where(ProcessInstance.status.in_(LIVE), ProcessInstance.sandbox.is_(False))
        .group_by(ProcessInstance.process_version_id)).all())
    by_key: dict[str, list] = defaultdict(list)
    for version in db().scalars(select(ProcessVersion).where(ProcessVersion.sandbox.is_(False))
                                .order_by(ProcessVersion.process_key,
                                          ProcessVersion.version.desc())):
        by_key[version.process_key].append({"row": version, "running": running.get(version.id, 0)})
    return [{"key": key, "name": versions[0]["row"].name, "versions": versions,
             "main_file": _main_file(versions[0]["row"])}
            for key, versions in by_key.items()]


def _main_file(version: ProcessVersion) -> str:
    bpmn = [name for name in version.files if name.endswith(".bpmn")]
    for name in bpmn:
        if name.removesuffix(".bpmn") == version.process_key:
            return name
    return bpmn[0] if bpmn else ""


def _deployed_by_file() -> dict[str, list[DeployedFile]]:
    found: dict[str, list] = defaultdict(list)
    for row in db().execute(select(DeployedFile.filename, DeployedFile.version,
                                   DeployedFile.sha256, DeployedFile.deployed_at,
                                   DeployedFile.deployed_by)
                            .order_by(DeployedFile.filename, DeployedFile.version.desc())):
        found[row.filename].append(row)
    return found


def _files(sources, deployed) -> dict[str, list[dict]]:
    """Folder files by kind, each with its state against the last deployment."""
    from app.engine.specs import sha256_text

    result: dict[str, list[dict]] = {"bpmn": [], "dmn": [], "form": []}
    for filename, (kind, text) in sorted(sources.all_files().items()):
        versions = deployed.get(filename, [])
        if not versions:
            state = "jamais déployé"
        elif versions[0].sha256 == sha256_text(text):
            state = "déployé"
        else:
            state = "modifié depuis le déploiement"
        result[kind].append({"name": filename, "state": state, "versions": versions,
                             "ids": _top_ids(kind, text)})
    return result


def _top_ids(kind: str, text: str) -> list[str]:
    """Process ids of a BPMN file, decision ids of a DMN file (for the list)."""
    if kind == "form":
        return []
    try:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False,
                                                                      no_network=True))
    except etree.XMLSyntaxError:
        return []
    tag = "{*}process" if kind == "bpmn" else "{*}decision"
    return [node.get("id") for node in root.iter(tag) if node.get("id")]


def _test_runs() -> list:
    return db().execute(select(SandboxRun, ProcessInstance).join(
        ProcessInstance, ProcessInstance.id == SandboxRun.instance_id)
        .order_by(SandboxRun.created_at.desc())).all()


@bp.post("/nouveau")
@roles("analyste")
def new():
    kind = request.form.get("type", "")
    stem = request.form.get("nom", "").strip()
    extension = {"bpmn": "bpmn", "dmn": "dmn", "form": "json"}.get(kind)
    filename = f"{stem}.{extension}"
    try:
        if extension is None:
            raise BadFile("Choisissez le type de fichier.")
        if filename in current_sources().all_files():
            raise BadFile(f"« {filename} » existe déjà.")
        errors = save_files({filename: new_file(filename, request.form.get("titre", ""))},
                            action="studio_creation")
    except BadFile as err:
        flash(str(err), "error")
        return redirect(url_for("studio.index"))
    if errors:
        flash("Création refusée : " + " ; ".join(e["texte"] for e in errors_json(errors)),
              "error")
        return redirect(url_for("studio.index"))
    flash(f"« {filename} » créé.", "success")
    return redirect(url_for(EDITOR[kind_of(filename)], filename=filename))


@bp.get("/export.zip")
@roles("analyste")
def export():
    data = export_zip(current_sources())
    audit("studio_export", {"taille": len(data)})
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": "attachment; filename=invalidite-processus-formulaires.zip"})


@bp.post("/import")
@roles("analyste")
def import_zip():
    upload = request.files.get("archive")
    try:
        if upload is None or not upload.filename:
            raise BadFile("Choisissez l'archive zip à importer.")
        files = read_zip(upload.read())
        errors = save_files(files, action="studio_import")
    except BadFile as err:
        flash(str(err), "error")
        return redirect(url_for("studio.index")), 303
    if errors:
        return render_template("studio/import_refused.html", errors=errors), 422
    flash(f"Import terminé : {len(files)} fichier(s) enregistré(s) dans processes/ et forms/. "
          "Déployez-les pour créer les nouvelles versions.", "success")
    return redirect(url_for("studio.index"))


def file_or_404(filename: str, kind: str) -> str:
    from .studio_files import read_file

    try:
        if kind_of(filename) != kind:
            abort(404)
        text = read_file(filename)
    except BadFile:
        abort(404)
    if text is None:
        abort(404)
    return text


def folder_names(folder_key: str, pattern: str) -> list[str]:
    from flask import current_app

    return sorted(p.name for p in Path(current_app.config[folder_key]).glob(pattern))


# Route modules register on `bp` (imported last so `bp` exists).
from . import studio_editor, studio_forms, studio_sandbox  # noqa: F401
