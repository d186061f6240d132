"""Bulk actions on the inbox: take, release or give to a member of the team the tasks ticked
in the list. Each task goes through the runtime like a single action (its own checks, its
own audit row); the page says how many were done and why the others were not."""
from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_login import current_user

from app.engine.errors import RuntimeServiceError
from app.models import User

from ..shared.security import roles
from ..shared.services import audit, db, services
from .blueprint import bp
from .routes import IDENTIFIANT, back_to

ACTIONS = {"prendre": "prise", "liberer": "libérée", "attribuer": "attribuée"}
SELECTION_MAX = 200  # ticked rows of one page (the inbox shows at most 500)


def _selection() -> list[int]:
    """The ticked task ids, in order, without repeats or anything that is not an id."""
    ids: list[int] = []
    for value in request.form.getlist("taches")[:SELECTION_MAX]:
        if IDENTIFIANT.fullmatch(value) and int(value) not in ids:
            ids.append(int(value))
    return ids


def _act(action: str, task_id: int, assignee: User | None) -> None:
    runtime = services().runtime
    if action == "prendre":
        runtime.claim(task_id, current_user)
    elif action == "liberer":
        runtime.unclaim(task_id, current_user)
    else:
        runtime.assign(task_id, assignee.id, current_user)


def _assignee(action: str) -> tuple[User | None, str | None]:
    """(the person to give the tasks to, or an error message)."""
    if action != "attribuer":
        return None, None
    value = request.form.get("assignee_id", "")
    person = db().get(User, int(value)) if IDENTIFIANT.fullmatch(value) else None
    if person is None:
        return None, "Choisissez la personne à qui attribuer les tâches cochées."
    return person, None


def _compte(n: int) -> str:
    return f"{n} tâche{'s' if n > 1 else ''}"


@bp.post("/taches/groupees")
@roles("agent", "medecin_conseil", "superviseur")
def actions_groupees():
    retour = back_to(url_for("agent.inbox"))
    action = request.form.get("action", "")
    if action not in ACTIONS or (action == "prendre" and current_user.role == "superviseur"):
        flash("Choisissez une action : prendre, libérer ou attribuer.", "error")
        return redirect(retour)
    ids = _selection()
    if not ids:
        flash("Cochez au moins une tâche dans la liste.", "error")
        return redirect(retour)
    assignee, error = _assignee(action)
    if error:
        flash(error, "error")
        return redirect(retour)
    done, refus = [], []
    for task_id in ids:
        try:
            _act(action, task_id, assignee)
        except RuntimeServiceError as err:
            refus.append(err.message)
        else:
            done.append(task_id)
    _audit(action, done, len(refus), assignee)
    _report(action, done, refus, assignee)
    return redirect(retour)


def _audit(action: str, done: list[int], refused: int, assignee: User | None) -> None:
    """One row for the bulk action itself (each task has its own row from the runtime)."""
    audit("taches_groupees", {"action": action, "taches": done, "refusees": refused,
                              "assignee_id": assignee.id if assignee else None})


def _report(action: str, done: list[int], refus: list[str], assignee: User | None) -> None:
    if done:
        qui = f" à {assignee.nom_complet}" if assignee else ""
        participe = ACTIONS[action] + ("s" if len(done) > 1 else "")
        flash(f"{_compte(len(done))} {participe}{qui}.", "success")
    if refus:
        raisons = " ; ".join(dict.fromkeys(refus))  # each reason once
        flash(f"{_compte(len(refus))} n'{'ont' if len(refus) > 1 else 'a'} pas pu l'être : "
              f"{raisons}", "error")
