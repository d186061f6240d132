"""The back office blueprint (agents, médecins-conseils; the superviseur reassigns)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agent", __name__, url_prefix="/agent", template_folder="templates")
