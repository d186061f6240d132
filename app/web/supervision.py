"""Supervision of running dossiers (issue 5 builds it here)."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from app.models import HumanTask, ProcessInstance

from .security import roles
from .services import db

bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@bp.get("/", endpoint="index")
@roles("superviseur")
def index():
    counts = dict(db().execute(select(ProcessInstance.status, func.count())
                               .group_by(ProcessInstance.status)).all())
    open_tasks = db().scalar(select(func.count()).select_from(HumanTask)
                             .where(HumanTask.status == "open"))
    return render_template("supervision_index.html", counts=counts, open_tasks=open_tasks)
