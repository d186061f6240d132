"""Supervision: instances, one instance on its diagram, heat map, deadlines, demo clock."""
from . import routes  # noqa: F401, I001 - first, as before the split
from . import instance, maps, deadlines, actions, journal  # noqa: F401 - they add routes
from .blueprint import bp

__all__ = ["bp"]
