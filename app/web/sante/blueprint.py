"""The operators' probes: health and readiness (no login, JSON)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sante", __name__, url_prefix="/sante")
