"""Login and logout (hashed passwords, Flask-Login over server-side sessions).

Login answers the same way, after the same hashing work, whether or not the e-mail is an
account (no enumeration), and is throttled per account and per address (throttle.py).
"""
from __future__ import annotations

from functools import cache
from secrets import token_hex
from urllib.parse import urlparse

from flask import flash, redirect, render_template, request, url_for
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from app.engine.clock import clock
from app.models import AuditLog, User

from ..shared.security import any_user, public
from ..shared.services import db, services
from .blueprint import bp
from .sessions import close_session, current_user_from_session, open_session
from .throttle import throttled

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Connectez-vous pour accéder à cette page."

HOME_BY_ROLE = {
    "assure": "assure.accueil",
    "agent": "agent.inbox",
    "medecin_conseil": "agent.inbox",
    "cra": "agent.inbox",
    "cmra": "agent.inbox",
    "analyste": "studio.index",
    "superviseur": "supervision.index",
}


@login_manager.user_loader
def load_user(user_id: str):
    # A live server-side session of an active account, nothing else (sessions.py).
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 9):
        return None
    return current_user_from_session(user_id)


@cache
def _decoy_hash() -> str:
    """A hash made like the real ones, checked when the e-mail is no account: the answer
    then takes as long as for a real account, so timing tells nothing."""
    return generate_password_hash(token_hex(16))


@bp.route("/connexion", methods=["GET", "POST"])
@public
@throttled
def login():
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db().scalar(select(User).where(User.email == email))
        password_ok = check_password_hash(user.password_hash if user else _decoy_hash(),
                                          request.form.get("password", ""))
        if user and user.active and password_ok:
            with services().session_factory() as write, write.begin():
                open_session(write, user.id)
                write.add(AuditLog(at=clock.now(), user_id=user.id, action="login",
                                   details={}))
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        error = "Adresse e-mail ou mot de passe incorrect."
    return render_template("login.html", error=error), (401 if error else 200)


@bp.route("/deconnexion", methods=["POST"])
@any_user
def logout():
    from flask_login import current_user

    close_session(current_user.id)
    logout_user()
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/")
@any_user
def home():
    from flask_login import current_user

    return redirect(url_for(HOME_BY_ROLE.get(current_user.role, "auth.login")))


def _safe_next(target: str | None) -> str | None:
    # Only same-site relative paths: an open redirect would help phishing.
    if not target or urlparse(target).netloc or not target.startswith("/") \
            or target.startswith("//"):
        return None
    return target

