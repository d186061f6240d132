"""Login throttling (Flask-Limiter): failed attempts counted per account and per address.

Only failures count (`deduct_when`: the 401 of a wrong password), so a user who logs in
does not use up anything. Past the limit every attempt — even with the right password — is
refused with a 429 saying in French when to retry. Unknown e-mails are counted like known
ones: the answer never tells whether an account exists. Limits and storage come from the
config (`LOGIN_LIMIT_ACCOUNT`, `LOGIN_LIMIT_ADDRESS`, `RATELIMIT_STORAGE_URI`): memory://
for one process, a shared storage (redis://…) when several processes serve — gunicorn.conf.py
warns at startup when several workers run on memory:// (`memory_storage_warning`).

The password change is limited the same way (its wrong current passwords count), so that a
stolen session cannot be used to guess the password.
"""
from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app, g, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user

limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _failed(response) -> bool:
    return response.status_code == 401


def _account_key() -> str:
    email = request.form.get("email", "").strip().lower()
    return "compte:" + hashlib.sha256(email.encode("utf-8", "replace")).hexdigest()


def _address_key() -> str:
    return "adresse:" + get_remote_address()


def throttled(view):
    """The login view, limited per account and per address (POST only)."""
    for setting, key in (("LOGIN_LIMIT_ACCOUNT", _account_key),
                         ("LOGIN_LIMIT_ADDRESS", _address_key)):
        view = limiter.limit(lambda s=setting: current_app.config[s], key_func=key,
                             methods=["POST"], deduct_when=_failed)(view)
    return view


# Changing the password asks for the current one: a stolen session must not be a way to
# guess it. Only a wrong current password counts (`WRONG_CURRENT`, set by the page).
WRONG_CURRENT = "mot_de_passe_actuel_faux"


def _wrong_current(response) -> bool:
    return bool(g.get(WRONG_CURRENT))


def _user_key() -> str:
    return f"changement:{current_user.get_id()}"


def _change_address_key() -> str:
    return "changement-adresse:" + get_remote_address()


def throttled_password_change(view):
    """The password-change view, limited like the login (POST only, the same settings)."""
    for setting, key in (("LOGIN_LIMIT_ACCOUNT", _user_key),
                         ("LOGIN_LIMIT_ADDRESS", _change_address_key)):
        view = limiter.limit(lambda s=setting: current_app.config[s], key_func=key,
                             methods=["POST"], deduct_when=_wrong_current)(view)
    return view


def _delay(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute" + ("s" if minutes > 1 else "")


def retry_message(seconds: int) -> str:
    return (f"Trop de tentatives de connexion infructueuses. Par sécurité, la connexion est "
            f"suspendue : réessayez dans {_delay(seconds)}.")


def change_retry_message(seconds: int) -> str:
    return (f"Trop de tentatives avec un mot de passe actuel incorrect. Par sécurité, le "
            f"changement de mot de passe est suspendu : réessayez dans {_delay(seconds)}.")


def memory_storage_warning(uri: str, workers: int) -> str | None:
    """What to log when several processes serve with a per-process (memory://) storage:
    each would count on its own, the limits multiplied by the number of workers."""
    if workers > 1 and uri.strip().lower().startswith("memory://"):
        return (f"Limites de connexion : stockage {uri} propre à chaque processus, avec "
                f"{workers} workers chaque limite est multipliée d'autant. Partagez-le : "
                "RATELIMIT_STORAGE_URI=redis://127.0.0.1:6379 (par exemple).")
    return None


def init_throttling(app: Flask) -> None:
    limiter.init_app(app)  # a new storage per app: memory:// is per process

    @app.errorhandler(RateLimitExceeded)
    def too_many(err):
        limit = limiter.current_limit
        seconds = max(1, int(limit.reset_at - time.time())) if limit else 60
        if request.endpoint == "auth.login":
            page = ("login.html", {"error": retry_message(seconds)})
        elif request.endpoint == "auth.mot_de_passe":
            page = ("mot_de_passe.html", {"errors": {"actuel": change_retry_message(seconds)}})
        else:
            page = ("error.html", {"code": 429, "message": retry_message(seconds)})
        response = current_app.make_response((render_template(page[0], **page[1]), 429))
        response.headers["Retry-After"] = str(seconds)
        return response
