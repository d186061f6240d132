"""Login and logout."""
from . import routes  # noqa: F401 - adds routes to `bp`
from .blueprint import bp
from .routes import login_manager

__all__ = ["bp", "login_manager"]
