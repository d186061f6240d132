"""Demo is a mode, not the default of the code.

Only with `INVALIDITE_DEMO=1` (what `make run` sets) does the app accept the demo accounts, list
them on the login page and let a superviseur move the clock. Any other start refuses them —
a demo account can neither log in nor keep a session — and says so in the log.
"""
from __future__ import annotations

import logging

from flask import Flask, current_app, render_template, request
from flask_login import current_user, logout_user

from app.seed import ACCOUNTS

log = logging.getLogger(__name__)

DEMO_EMAILS = frozenset(account[0] for account in ACCOUNTS)
REFUSED = ("Les comptes de démonstration ne sont acceptés qu'en mode démonstration : "
           "ce service n'est pas lancé dans ce mode.")


def is_demo_account(email: str | None) -> bool:
    return (email or "").strip().lower() in DEMO_EMAILS


def setup(app: Flask) -> None:
    """Say in the log which mode the app runs in; outside the demo, refuse its accounts."""
    if app.config.get("DEMO_MODE"):
        log.warning("Mode démonstration (INVALIDITE_DEMO=1) : comptes de démonstration "
                    "acceptés et listés sur la page de connexion, horloge réglable par un "
                    "superviseur. Jamais en production.")
    else:
        log.info("Mode démonstration désactivé : comptes de démonstration refusés, horloge à "
                 "l'heure réelle (INVALIDITE_DEMO=1 pour une démonstration).")
    app.before_request(refuse_demo_accounts)


def refuse_demo_accounts():
    if current_app.config.get("DEMO_MODE"):
        return None
    if request.endpoint == "auth.login" and request.method == "POST" \
            and is_demo_account(request.form.get("email")):
        log.warning("Connexion d'un compte de démonstration refusée hors du mode "
                    "démonstration : %s", request.form.get("email", "").strip().lower())
        return render_template("login.html", error=REFUSED), 403
    if current_user.is_authenticated and is_demo_account(current_user.email):
        log.warning("Session d'un compte de démonstration refusée hors du mode "
                    "démonstration : %s", current_user.email)
        logout_user()
        return render_template("login.html", error=REFUSED), 403
    return None
