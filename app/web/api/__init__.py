"""JSON API (tasks of the signed-in user) and its OpenAPI 3.1 contract."""
from . import openapi, routes  # noqa: F401 - adds routes to `bp`
from .blueprint import bp

__all__ = ["bp"]
