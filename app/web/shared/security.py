"""Who may open which route: every endpoint declares its roles, anything else is refused.

Deny by default: a view without `@roles(...)` or `@public` answers 403, so a forgotten
decorator can never expose a page.
"""
from __future__ import annotations

from functools import wraps

from flask import abort, current_app, redirect, request, url_for
from flask_login import current_user

from .erreurs import API_PREFIX, error_response

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
        return error_response(400, NUL_REFUSED)  # JSON for the API, a page elsewhere
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
        if request.method == "GET" and not request.path.startswith(API_PREFIX):
            return redirect(url_for("auth.login", next=request.full_path))
        abort(401)
    if ANY_USER not in allowed and current_user.role not in allowed:
        abort(403)
    return None


# ----- security headers on every response (issue 12, point 2) --------------------------------
# One strict policy for every page. What each source list allows, and why:
# - script-src 'self': every script is a file under /static or /vendor; no inline <script>, no
#   inline handler, no eval (htmx's eval is only for hx-on / js: values / trigger filters,
#   which no template uses). `<script type="application/json">` data blocks are not run.
# - style-src 'self': style sheets are files; htmx's injected indicator <style> is switched off
#   by the `htmx-config` meta of the page that loads htmx. bpmn-js (modeler and viewer) and
#   the DSFR need nothing more: they set styles through the CSSOM (`element.style.x = …`),
#   which CSP does not restrict (tests/test_browser_csp.py: 0 violation).
# - img-src / font-src data: the DSFR and the bpmn/dmn icon fonts embed SVG and fonts as
#   `data:` URLs in their style sheets.
# - frame-ancestors 'none' (and X-Frame-Options for old browsers): no page can be framed.
_DIRECTIVES = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]
CSP = "; ".join(_DIRECTIVES)
# dmn-js builds parts of the DMN editor from HTML strings carrying `style="…"` attributes
# (`domify('<div style="…">')`, 6 violations when opening a decision table), so the view
# marked `@style_attributes` adds `style-src-attr 'unsafe-inline'`. A style attribute cannot
# run script nor select other elements (no CSS-selector exfiltration): the risk it keeps is
# layout only, and only on that analyst page, never on a page with personal data.
CSP_STYLE_ATTRIBUTES = "; ".join([*_DIRECTIVES, "style-src-attr 'unsafe-inline'"])
STYLE_ATTR = "_invalidite_style_attributes"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # dossier numbers in URLs never leave the site
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}
# Files that are the same for everyone may stay in the browser cache; anything else (pages,
# JSON, documents) may hold personal or medical data: never stored by a browser or a proxy.
CACHEABLE_ENDPOINTS = frozenset({"static", "vendor"})


def style_attributes(view):
    """The page's third-party editor needs `style="…"` attributes (see CSP_STYLE_ATTRIBUTES)."""
    setattr(view, STYLE_ATTR, True)
    return view


def security_headers(response):
    """`after_request` hook: the baseline above on every response. A header a view set itself
    is kept (a document download sets a stricter, sandboxing CSP — telechargement.py)."""
    view = current_app.view_functions.get(request.endpoint or "")
    csp = CSP_STYLE_ATTRIBUTES if getattr(view, STYLE_ATTR, False) else CSP
    response.headers.setdefault("Content-Security-Policy", csp)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint not in CACHEABLE_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
