"""Supervision: instances, one instance on its diagram, heat map, deadlines, demo clock."""
from . import routes  # noqa: F401, I001 - first, as before the split
from . import instance, maps, deadlines  # noqa: F401 - they add routes to `bp`
from .blueprint import bp

__all__ = ["bp"]
