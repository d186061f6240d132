"""Who may open which route: every endpoint declares its roles, anything else is refused.

Deny by default: a view without `@roles(...)` or `@public` answers 403, so a forgotten
decorator can never expose a page.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user

ACCESS_ATTR = "_invalidite_roles"
PUBLIC = "public"
ANY_USER = "any"


def roles(*allowed: str):
    def decorate(view):
        setattr(view, ACCESS_ATTR, frozenset(allowed))

        @wraps(view)
        def wrapper(*args, **kwargs):
            return view(*args, **kwargs)

        setattr(wrapper, ACCESS_ATTR, frozenset(allowed))
        return wrapper

    return decorate


def public(view):
    setattr(view, ACCESS_ATTR, frozenset({PUBLIC}))
    return view


def any_user(view):
    setattr(view, ACCESS_ATTR, frozenset({ANY_USER}))
    return view


NUL_REFUSED = ("Les caractères nuls (\\0) ne sont pas acceptés dans une adresse ou un "
               "formulaire : retirez-les et recommencez. Rien n'a été enregistré.")


def refuse_nul_bytes():
    """`before_request` hook: a NUL character is never meaningful in text, and PostgreSQL
    refuses it in text and JSON columns — answer 400 here rather than fail in a query."""
    fields = [request.path, *request.args.keys(), *request.args.values()]
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        fields += [*request.form.keys(), *request.form.values()]
    body = request.get_data(cache=True) if request.is_json else b""
    if any("\x00" in field for field in fields) or b"\\u0000" in body or b"\x00" in body:
        return render_template("error.html", code=400, message=NUL_REFUSED), 400
    return None


def check_access():
    """`before_request` hook applying each endpoint's declared roles."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    allowed = getattr(view, ACCESS_ATTR, None)
    if allowed is None:
        abort(403)
    if PUBLIC in allowed:
        return None
    if not current_user.is_authenticated:
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path))
        abort(401)
    if ANY_USER not in allowed and current_user.role not in allowed:
        abort(403)
    return None
