"""The analyst's studio: files, editors, lanes, deployment, test runs."""
from . import routes  # noqa: F401, I001 - first, as before the split
from . import editor, forms, lanes, sandbox  # noqa: F401 - they add routes to `bp`
from .blueprint import bp

__all__ = ["bp"]
