"""Pages of the assuré (issue 3 builds the full journey here)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from .inbox import visible_tasks
from .security import roles
from .services import db

bp = Blueprint("assure", __name__, url_prefix="/assure")


@bp.get("/")
@roles("assure")
def accueil():
    tasks = db().scalars(visible_tasks(current_user)).all()
    return render_template("simple_list.html", title="Mon espace", tasks=tasks)
