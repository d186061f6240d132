"""Studio: the form editor — JSON Schema text beside a live preview rendered by the same
code as the assuré's and agents' pages (`app.forms.render_form`).

Without JavaScript, « Prévisualiser » posts the text and the page comes back with its
preview; with it, the preview follows the typing (fetch of `studio.form_preview`).
"""
from __future__ import annotations

import json

from flask import render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from markupsafe import Markup

from app.engine.clock import clock
from app.forms import parse_submission, render_form, schema_problems, validate

from ..shared.security import roles
from .blueprint import bp
from .editor import save
from .files import BadFile
from .routes import file_or_404


def preview(text: str, values: dict | None = None, errors: dict | None = None,
            action_url: str = "") -> dict:
    """{"title", "html", "problems"}: the rendered form, or why it cannot be rendered."""
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as err:
        return {"title": "", "html": "", "problems": [
            f"JSON invalide ligne {err.lineno}, colonne {err.colno} : {err.msg}"]}
    except RecursionError:
        return {"title": "", "html": "", "problems": [
            "JSON invalide : trop de niveaux imbriqués les uns dans les autres."]}
    if not isinstance(schema, dict):
        return {"title": "", "html": "", "problems": ["Le formulaire doit être un objet JSON."]}
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        return {"title": "", "html": "", "problems": [f"JSON Schema invalide : {err.message}"]}
    problems = schema_problems(schema)
    try:
        html = render_form(schema, values or {}, errors or {}, action_url=action_url,
                           submit_label="Continuer", csrf_token=generate_csrf())
    except (KeyError, TypeError, ValueError) as err:
        return {"title": "", "html": "", "problems": [*problems, f"Rendu impossible : {err}"]}
    return {"title": str(schema.get("title", "")), "html": Markup(html), "problems": problems}


@bp.route("/formulaires/<filename>", methods=["GET", "POST"])
@roles("analyste")
def form_editor(filename: str):
    saved = file_or_404(filename, "form")
    text = request.form.get("contenu", saved) if request.method == "POST" else saved
    if request.method == "POST" and request.form.get("action") == "enregistrer":
        return save(filename)
    return render_template("studio/form_editor.html", filename=filename, text=text,
                           preview=preview(text, action_url=url_for(
                               "studio.form_try", filename=filename)),
                           changed=text != saved)


@bp.post("/formulaires/apercu")
@roles("analyste")
def form_preview():
    """The preview fragment for the live update (HTML)."""
    filename = request.form.get("fichier", "")
    action = url_for("studio.form_try", filename=filename) if filename else ""
    result = preview(request.form.get("contenu", ""), action_url=action)
    return render_template("studio/_form_preview.html", preview=result)


@bp.post("/formulaires/<filename>/essai")
@roles("analyste")
def form_try(filename: str):
    """Submit the preview of the saved form: the same French errors as users get."""
    saved = file_or_404(filename, "form")
    try:
        schema = json.loads(saved)
    except json.JSONDecodeError as err:
        raise BadFile("Formulaire illisible.") from err
    raw = parse_submission(schema, request.form)
    _clean, errors = validate(schema, raw, clock.today())
    result = preview(saved, values=raw, errors=errors,
                     action_url=url_for("studio.form_try", filename=filename))
    return render_template("studio/form_editor.html", filename=filename, text=saved,
                           preview=result, changed=False, tried=True, try_errors=errors)
