"""The analysts' studio: processes, decision tables and forms, edited in the browser.

Routes are split by job: this module (list, new file, export/import), `editor`
(BPMN/DMN editors, save, validate, deploy), `forms` (form editor and preview), `lanes`
(lanes and their roles), `sandbox` (test runs of a draft). Every route is for the analyste role.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from flask import Response, abort, flash, redirect, render_template, request, url_for
from lxml import etree
from sqlalchemy import func, select

from app.engine.diff import kind_of
from app.models import DeployedFile, ProcessInstance, ProcessVersion, SandboxRun

from ..shared.security import roles
from ..shared.services import audit, db
from .blueprint import bp
from .files import (
    MAX_FILE,
    BadFile,
    current_sources,
    draft_names,
    drop_draft,
    errors_json,
    export_zip,
    read_diagram,
    read_draft,
    read_zip,
    safe_name,
    save_files,
)
from .starters import new_file

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
    """Folder files by kind, each with its state against the last deployment; drafts (kept
    after a refused import or lane mapping) are listed too, to be opened and fixed."""
    from app.engine.specs import sha256_text

    result: dict[str, list[dict]] = {"bpmn": [], "dmn": [], "form": []}
    saved = sources.all_files()
    drafts = set(draft_names())
    for filename in sorted(set(saved) | drafts):
        kind = kind_of(filename)
        versions = deployed.get(filename, [])
        if filename not in saved:
            state, text = "brouillon à corriger", read_draft(filename) or ""
        else:
            text = saved[filename][1]
            if not versions:
                state = "jamais déployé"
            elif versions[0].sha256 == sha256_text(text):
                state = "déployé"
            else:
                state = "modifié depuis le déploiement"
        result[kind].append({"name": filename, "state": state, "versions": versions,
                             "ids": _top_ids(kind, text), "draft": filename in drafts})
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
    """Import a studio zip, or a single `.bpmn`/`.dmn` (from any modeler, any file name).

    A diagram or archive the checks refuse is kept as a draft (`<name>.brouillon`, never
    deployed) so it can be opened in the editor and fixed; the folders stay deployable."""
    upload = request.files.get("fichier") or request.files.get("archive")
    try:
        if upload is None or not upload.filename:
            raise BadFile("Choisissez l'archive zip ou le diagramme (.bpmn, .dmn) à importer.")
        data = upload.read(2 * MAX_FILE + 1)
        if not (upload.filename.lower().endswith(".zip") or data[:4] == b"PK\x03\x04"):
            return _import_one(upload.filename, data)
        if len(data) > 2 * MAX_FILE:
            raise BadFile("L'archive dépasse 4 Mo.")
        files = read_zip(data)
        changed = _changed(files)  # only these can be refused: the folder passes the checks
        errors = save_files(changed or files, action="studio_import", keep_draft=True)
    except BadFile as err:
        flash(str(err), "error")
        return redirect(url_for("studio.index")), 303
    if errors:
        return render_template("studio/import_refused.html", errors=errors,
                               drafts=sorted(changed), editor=EDITOR, kind_of=kind_of), 422
    flash(f"Import terminé : {len(files)} fichier(s) enregistré(s) dans processes/ et forms/. "
          "Déployez-les pour créer les nouvelles versions.", "success")
    return redirect(url_for("studio.index"))


def _changed(files: dict[str, str]) -> dict[str, str]:
    saved = {name: text for name, (_kind, text) in current_sources().all_files().items()}
    return {name: text for name, text in files.items() if saved.get(name) != text}


def _import_one(original: str, data: bytes):
    """One diagram: normalised name, content checked, saved (or kept as a draft), and what
    its Camunda attributes mean here."""
    from app.engine.camunda import explain_camunda

    filename = safe_name(original)
    text = read_diagram(filename, data)
    replaced = filename in current_sources().all_files()
    errors = save_files({filename: text}, action="studio_import_fichier", keep_draft=True,
                        details={"nom_envoye": original[-200:]})
    already = {str(e) for e in errors}
    notes = [n for n in explain_camunda(filename, text) if str(n) not in already]
    saved_as = (f"« {original} » a été enregistré sous « {filename} »" if original != filename
                else f"« {filename} » a été enregistré")
    if not errors and not notes:
        flash(f"{saved_as}{' (il remplace le fichier existant)' if replaced else ''}. "
              "Déployez-le pour créer la nouvelle version.", "success")
        return redirect(url_for(EDITOR[kind_of(filename)], filename=filename), 303)
    return render_template("studio/import_file.html", filename=filename, original=original,
                           saved_as=saved_as, replaced=replaced, errors=errors, notes=notes,
                           editor=EDITOR[kind_of(filename)]), 422 if errors else 200


@bp.post("/brouillons/<filename>/abandonner")
@roles("analyste")
def drop(filename: str):
    """Throw a draft away (the saved file, if any, is untouched)."""
    try:
        dropped = drop_draft(filename)
    except BadFile:
        abort(404)
    if not dropped:
        abort(404)
    audit("studio_brouillon_abandonne", {"fichier": filename})
    flash(f"Brouillon de « {filename} » abandonné.", "success")
    return redirect(url_for("studio.index"), 303)


def file_or_404(filename: str, kind: str) -> str:
    """The text the analyst works on: the file's draft if it has one, else the saved file."""
    from .files import current_text

    try:
        if kind_of(filename) != kind:
            abort(404)
        text = current_text(filename)
    except BadFile:
        abort(404)
    if text is None:
        abort(404)
    return text


def folder_names(folder_key: str, pattern: str) -> list[str]:
    from flask import current_app

    return sorted(p.name for p in Path(current_app.config[folder_key]).glob(pattern))
