"""The login / logout blueprint."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")
