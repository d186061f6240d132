"""The analysts' studio (issue 5 builds it here)."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from app.models import ProcessVersion

from .security import roles
from .services import db

bp = Blueprint("studio", __name__, url_prefix="/studio")


@bp.get("/")
@roles("analyste")
def index():
    versions = db().scalars(select(ProcessVersion).order_by(ProcessVersion.process_key,
                                                            ProcessVersion.version)).all()
    return render_template("studio_index.html", versions=versions)
