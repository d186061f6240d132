"""JSON API (tasks of the signed-in user)."""
from . import routes  # noqa: F401 - adds routes to `bp`
from .blueprint import bp

__all__ = ["bp"]
