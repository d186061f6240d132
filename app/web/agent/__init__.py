"""Back office: inbox, task pages, dossier pages, the paper S4150 form."""
from . import routes  # noqa: F401, I001 - first, as before the split: the inbox
from . import s4150, taches  # noqa: F401 - they add routes to `bp`
from . import messagerie  # noqa: F401 - the shared inbox of messages, on `bp`
from . import employeurs, equipe, export, notes  # noqa: F401 - inbox tools, notes, flags
from .blueprint import bp

__all__ = ["bp"]
