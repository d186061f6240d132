"""Back-office pages: agents and médecins-conseils (issue 4 builds them here)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from .inbox import visible_tasks
from .security import roles
from .services import db

bp = Blueprint("agent", __name__, url_prefix="/agent")


@bp.get("/")
@roles("agent", "medecin_conseil")
def inbox():
    tasks = db().scalars(visible_tasks(current_user)).all()
    return render_template("simple_list.html", title="Mes tâches", tasks=tasks)
