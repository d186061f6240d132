"""First pages of each area; later issues replace them with the full screens."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from app.models import HumanTask, ProcessInstance, ProcessVersion

from .inbox import visible_tasks
from .security import roles
from .services import db

assure_bp = Blueprint("assure", __name__, url_prefix="/assure")
agent_bp = Blueprint("agent", __name__, url_prefix="/agent")
studio_bp = Blueprint("studio", __name__, url_prefix="/studio")
supervision_bp = Blueprint("supervision", __name__, url_prefix="/supervision")


@assure_bp.get("/")
@roles("assure")
def accueil():
    tasks = db().scalars(visible_tasks(current_user)).all()
    return render_template("simple_list.html", title="Mon espace", tasks=tasks)


@agent_bp.get("/")
@roles("agent", "medecin_conseil")
def inbox():
    tasks = db().scalars(visible_tasks(current_user)).all()
    return render_template("simple_list.html", title="Mes tâches", tasks=tasks)


@studio_bp.get("/")
@roles("analyste")
def index():
    versions = db().scalars(select(ProcessVersion).order_by(ProcessVersion.process_key,
                                                            ProcessVersion.version)).all()
    return render_template("studio_index.html", versions=versions)


@supervision_bp.get("/", endpoint="index")
@roles("superviseur")
def index_supervision():
    counts = dict(db().execute(select(ProcessInstance.status, func.count())
                               .group_by(ProcessInstance.status)).all())
    open_tasks = db().scalar(select(func.count()).select_from(HumanTask)
                             .where(HumanTask.status == "open"))
    return render_template("supervision_index.html", counts=counts, open_tasks=open_tasks)


ALL = [assure_bp, agent_bp, studio_bp, supervision_bp]
