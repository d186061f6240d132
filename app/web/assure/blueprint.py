"""The assuré's blueprints: their space (`bp`), the answer to a request for documents
(`pieces_bp`) and the contestation of a decision (`recours_bp`)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assure", __name__, url_prefix="/assure", template_folder="templates")
pieces_bp = Blueprint("assure_pieces", __name__, url_prefix="/assure/pieces",
                      template_folder="templates")
recours_bp = Blueprint("assure_recours", __name__, url_prefix="/assure/recours",
                       template_folder="templates")
