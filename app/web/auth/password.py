"""« Changer mon mot de passe », for every role: the current password, then the new one
twice. A change closes every other session of the account (a stolen cookie stops working)
and gives this browser a fresh one. Wrong current passwords are limited like failed logins
(throttle.py): past the limit, a 429 saying in French when to retry."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.security import check_password_hash, generate_password_hash

from app.engine.clock import clock
from app.models import AuditLog, User

from ..shared.security import any_user
from ..shared.services import services
from .blueprint import bp
from .sessions import open_session, revoke_all
from .throttle import WRONG_CURRENT, throttled_password_change

MIN_LENGTH = 12  # ANSSI: at least 12 characters for a password guarding personal data


def errors_for(form, password_hash: str) -> dict[str, str]:
    current, new = form.get("actuel", ""), form.get("nouveau", "")
    errors = {}
    if not check_password_hash(password_hash, current):
        errors["actuel"] = "Le mot de passe actuel est incorrect."
    if len(new) < MIN_LENGTH:
        errors["nouveau"] = (f"Le nouveau mot de passe doit compter au moins {MIN_LENGTH} "
                             "caractères.")
    elif new == current:
        errors["nouveau"] = "Le nouveau mot de passe doit être différent de l'actuel."
    if form.get("confirmation", "") != new:
        errors["confirmation"] = "La confirmation ne correspond pas au nouveau mot de passe."
    return errors


@bp.route("/mon-compte/mot-de-passe", methods=["GET", "POST"])
@any_user
@throttled_password_change
def mot_de_passe():
    errors: dict[str, str] = {}
    if request.method == "POST":
        errors = errors_for(request.form, current_user.password_hash)
        setattr(g, WRONG_CURRENT, "actuel" in errors)  # counted by the throttle
        if not errors:
            with services().session_factory() as write, write.begin():
                user = write.get(User, current_user.id)
                user.password_hash = generate_password_hash(request.form["nouveau"])
                closed = revoke_all(write, user.id)
                open_session(write, user.id)
                write.add(AuditLog(at=clock.now(), user_id=user.id, action="password_changed",
                                   details={"sessions_fermees": closed}))
            flash("Votre mot de passe a été changé. Vos autres sessions ont été fermées.",
                  "success")
            return redirect(url_for("auth.home"))
    return render_template("mot_de_passe.html", errors=errors), (400 if errors else 200)
