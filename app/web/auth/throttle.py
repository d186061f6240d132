"""Login throttling (Flask-Limiter): failed attempts counted per account and per address.

Only failures count (`deduct_when`: the 401 of a wrong password), so a user who logs in
does not use up anything. Past the limit every attempt — even with the right password — is
refused with a 429 saying in French when to retry. Unknown e-mails are counted like known
ones: the answer never tells whether an account exists. Limits and storage come from the
config (`LOGIN_LIMIT_ACCOUNT`, `LOGIN_LIMIT_ADDRESS`, `RATELIMIT_STORAGE_URI`): memory://
for one process, a shared storage (redis://…) when several processes serve.
"""
from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, current_app, render_template, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

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


def retry_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    delay = f"{minutes} minute" + ("s" if minutes > 1 else "")
    return (f"Trop de tentatives de connexion infructueuses. Par sécurité, la connexion est "
            f"suspendue : réessayez dans {delay}.")


def init_throttling(app: Flask) -> None:
    limiter.init_app(app)  # a new storage per app: memory:// is per process

    @app.errorhandler(RateLimitExceeded)
    def too_many(err):
        limit = limiter.current_limit
        seconds = max(1, int(limit.reset_at - time.time())) if limit else 60
        page = ("login.html", {"error": retry_message(seconds)}) \
            if request.endpoint == "auth.login" else \
            ("error.html", {"code": 429, "message": retry_message(seconds)})
        response = current_app.make_response((render_template(page[0], **page[1]), 429))
        response.headers["Retry-After"] = str(seconds)
        return response
