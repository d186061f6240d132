"""Login and logout for the demo accounts (hashed passwords, Flask-Login sessions)."""
from __future__ import annotations

from urllib.parse import urlparse

from flask import flash, redirect, render_template, request, url_for
from flask_login import LoginManager, login_user, logout_user
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.engine.clock import clock
from app.models import AuditLog, User

from ..shared.security import any_user, public
from ..shared.services import db
from .blueprint import bp

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
    ok = user_id.isascii() and user_id.isdigit() and len(user_id) <= 9  # an id, nothing else
    user = db().get(User, int(user_id)) if ok else None
    # A deactivated account loses the sessions it already has, not only its next login.
    return user if user is not None and user.active else None


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login():
    error = None
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()
        user = db().scalar(select(User).where(User.email == email))
        if user and user.active and check_password_hash(user.password_hash,
                                                        request.form.get("password", "")):
            login_user(user)
            _audit(user.id, "login")
            return redirect(_safe_next(request.args.get("next")) or url_for("auth.home"))
        error = "Adresse e-mail ou mot de passe incorrect."
    return render_template("login.html", error=error), (401 if error else 200)


@bp.route("/deconnexion", methods=["POST"])
@any_user
def logout():
    from flask_login import current_user

    _audit(current_user.id, "logout")
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


def _audit(user_id: int, action: str) -> None:
    session = db()
    session.add(AuditLog(at=clock.now(), user_id=user_id, action=action, details={}))
    session.commit()
