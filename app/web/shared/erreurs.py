"""An error answered in French: a page for the browser, JSON for the API (/api/…), so that the
API keeps to its OpenAPI contract (app/web/api/openapi.py) even for a 404 the router gives."""
from __future__ import annotations

from flask import jsonify, render_template, request
from flask_login import current_user

API_PREFIX = "/api/"


def error_response(code: int, message: str):
    if request.path.startswith(API_PREFIX):
        return jsonify({"erreur": message}), code
    return render_template("error.html", code=code, message=message), code


CSRF_REFUSED = ("Le formulaire a expiré ou n'est pas valide. Rechargez la page et recommencez : "
                "rien n'a été enregistré.")
NOT_SIGNED_IN = "Vous devez être connecté pour faire cela."


def csrf_error_response():
    """A refused CSRF token. For the API without a session, the truth is « not signed in »
    (401): the token is checked before the roles, and no session means no valid token."""
    if request.path.startswith(API_PREFIX) and not current_user.is_authenticated:
        return error_response(401, NOT_SIGNED_IN)
    return error_response(400, CSRF_REFUSED)
