"""The analyst's studio blueprint (diagrams, decision tables, forms, test runs)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("studio", __name__, url_prefix="/studio", template_folder="templates")
