"""The superviseur's blueprint (instances, heat map, deadlines, demo clock)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("supervision", __name__, url_prefix="/supervision",
               template_folder="templates")
