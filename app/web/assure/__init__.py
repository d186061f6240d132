"""The assuré's space: home, dossiers, the online request, Amelibot, messages, the answer
to a request for documents and the contestation of a decision."""
from . import routes  # noqa: F401, I001 - first, as before the split
from . import chat, demande, demande_extras  # noqa: F401 - they add routes to `bp`
from . import messagerie  # noqa: F401 - the messagerie's routes, on `bp`
from . import pieces, recours  # noqa: F401 - routes of `pieces_bp`, `recours_bp`
from .blueprint import bp, pieces_bp, recours_bp

__all__ = ["bp", "pieces_bp", "recours_bp"]
