"""Studio: the BPMN and DMN editors, save, validate and deploy (with the diff first)."""
from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.cli import deploy_folders
from app.engine.diff import all_role_changes, kind_of
from app.engine.specs import LANE_ROLES, DeployRefused

from ..shared.security import roles, style_attributes
from ..shared.services import audit
from .blueprint import bp
from .files import (
    BadFile,
    check_sources,
    current_sources,
    draft_errors,
    errors_json,
    folder_fingerprint,
    pending_changes,
    save_files,
    with_draft,
)
from .routes import file_or_404, folder_names

ROLE_LABELS = {"assure": "assuré", "agent": "agent", "medecin_conseil": "médecin-conseil",
               "cra": "commission de recours amiable", "cmra": "commission médicale",
               "analyste": "analyste", "superviseur": "superviseur"}


@bp.get("/bpmn/<filename>")
@roles("analyste")
def bpmn_editor(filename: str):
    text = file_or_404(filename, "bpmn")
    from .lanes import ROLE_LABELS as PLATFORM_ROLES

    return render_template("studio/bpmn_editor.html", filename=filename, config=_config(
        filename, text, forms=folder_names("FORMS_DIR", "*.json"),
        decisions=_decision_ids(), lanes=_lane_names(),
        roles=[{"value": value, "label": label} for value, label in PLATFORM_ROLES.items()]))


@bp.get("/dmn/<filename>")
@roles("analyste")
@style_attributes  # dmn-js writes style="…" attributes (app/web/shared/security.py)
def dmn_editor(filename: str):
    text = file_or_404(filename, "dmn")
    return render_template("studio/dmn_editor.html", filename=filename,
                           config=_config(filename, text))


def _config(filename: str, text: str, **extra) -> dict:
    """The editor's settings; a draft (refused import or lane mapping) comes with its errors,
    also flashed so they show without JavaScript."""
    errors = draft_errors(filename)
    if errors:
        flash("Brouillon non déployable, à corriger puis enregistrer : "
              + " ; ".join(str(e) for e in errors), "error")
    elif errors is not None:
        flash("Ce brouillon passe maintenant les vérifications : enregistrez-le pour qu'il "
              "remplace le fichier.", "info")
    return {"filename": filename, "xml": text, "draft": errors is not None,
            "draftErrors": errors_json(errors or []),
            "urls": {"save": url_for("studio.save", filename=filename),
                     "validate": url_for("studio.validate"),
                     "deploy": url_for("studio.deploy_preview"),
                     "testRun": url_for("studio.start_test_run"),
                     **({"lanes": url_for("studio.lanes", filename=filename)}
                        if kind_of(filename) == "bpmn" else {})},
            **extra}


def _decision_ids() -> list[str]:
    from .routes import _top_ids

    return sorted({i for name, text in current_sources().dmn.items()
                   for i in _top_ids("dmn", text)})


def _lane_names() -> list[dict]:
    """Lane names the platform maps to a role (shown as a hint in the lane panel)."""
    names = {"assure": "Assuré", "service invalidite": "Service Invalidité",
             "service medical": "Service médical",
             "commission de recours amiable": "Commission de recours amiable",
             "commission medicale de recours amiable": "Commission médicale de recours amiable"}
    return [{"name": names.get(key, key.capitalize()), "role": ROLE_LABELS.get(role, role)}
            for key, role in LANE_ROLES.items()]


@bp.get("/fichiers/<filename>")
@roles("analyste")
def download(filename: str):
    text = file_or_404(filename, kind_of(filename) or "?")
    return Response(text, mimetype="application/octet-stream", headers={
        "Content-Disposition": f"attachment; filename={filename}"})


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _posted_content() -> str:
    if request.is_json:
        return str(_json_object().get("contenu", ""))
    return request.form.get("contenu", "")


def _json_object() -> dict:
    """The JSON body when it is an object; {} for a list, a string or broken JSON (then the
    caller answers « contenu vide » in French, as for an empty form)."""
    payload = request.get_json(silent=True)
    return payload if isinstance(payload, dict) else {}


@bp.post("/fichiers/<filename>")
@roles("analyste")
def save(filename: str):
    """Save one file: refused (422, errors with element ids) unless the folders still pass
    every deployment check with it."""
    content = _posted_content()
    try:
        if not content.strip():
            raise BadFile("Le contenu est vide.")
        errors = save_files({filename: content})
    except BadFile as err:
        return _answer({"ok": False, "erreurs": [{"fichier": filename, "element": "",
                                                  "message": str(err), "texte": str(err)}]},
                       400, filename)
    if errors:
        return _answer({"ok": False, "erreurs": errors_json(errors)}, 422, filename)
    return _answer({"ok": True, "message": f"« {filename} » enregistré."}, 200, filename)


def _answer(body: dict, status: int, filename: str):
    if _wants_json():
        return jsonify(body), status
    if body["ok"]:
        flash(body["message"], "success")
    else:
        flash("Enregistrement refusé : " + " ; ".join(e["texte"] for e in body["erreurs"]),
              "error")
    editor = {"bpmn": "studio.bpmn_editor", "dmn": "studio.dmn_editor",
              "form": "studio.form_editor"}.get(kind_of(filename), "studio.index")
    return redirect(url_for(editor, filename=filename) if kind_of(filename)
                    else url_for("studio.index"), 303)


@bp.post("/valider")
@roles("analyste")
def validate():
    """The deployment checks on the folders with this draft: errors name file and element."""
    payload = _json_object() if request.is_json else request.form
    filename, content = str(payload.get("fichier", "")), str(payload.get("contenu", ""))
    try:
        errors = check_sources(with_draft(current_sources(), {filename: content}))
    except BadFile as err:
        return jsonify({"ok": False, "erreurs": [{"fichier": filename, "element": "",
                                                  "message": str(err), "texte": str(err)}]}), 400
    return jsonify({"ok": not errors, "erreurs": errors_json(errors)})


@bp.get("/deployer")
@roles("analyste")
def deploy_preview():
    sources = current_sources()
    return _deploy_page(sources, check_sources(sources))


def _deploy_page(sources, errors, refusal: str = ""):
    """The deploy page: role changes first (in words), errors, then each file's diff."""
    diffs = pending_changes(sources)
    return render_template("studio/deploy.html", diffs=diffs, errors=errors,
                           role_changes=all_role_changes(diffs), refusal=refusal,
                           fingerprint=folder_fingerprint(sources))


@bp.post("/deployer")
@roles("analyste")
def deploy():
    sources = current_sources()
    if request.form.get("empreinte") != folder_fingerprint(sources):
        flash("Les fichiers ont changé depuis l'aperçu : vérifiez les différences avant de "
              "déployer.", "error")
        return redirect(url_for("studio.deploy_preview"), 303)
    changes = all_role_changes(pending_changes(sources))
    if changes and request.form.get("confirmer_roles") != "oui":
        return _deploy_page(sources, check_sources(sources), refusal=(
            "Déploiement refusé : cette version change le rôle de tâches existantes "
            f"({len(changes)}). Relisez les changements de rôle et cochez la case de "
            "confirmation pour déployer.")), 422
    try:
        report = deploy_folders(current_app, deployed_by=current_user.email)
    except DeployRefused as refused:
        return _deploy_page(sources, refused.errors), 422
    audit("studio_deploiement", {"versions": report.new_versions, "fichiers": report.new_files,
                                 "inchanges": report.unchanged,
                                 "roles_confirmes": [c.sentence for c in changes]})
    if report.new_versions:
        flash("Déployé : " + ", ".join(f"{key} version {version}" for key, version in
                                       report.new_versions.items()) + ".", "success")
    elif report.new_files:
        flash("Fichiers déployés (aucun processus ne change de version) : "
              + ", ".join(report.new_files) + ".", "success")
    else:
        flash("Rien à déployer : tout est déjà à jour.", "info")
    return redirect(url_for("studio.index"), 303)
