"""Login, logout, server-side sessions, login throttling and the password change."""
from . import password, routes  # noqa: F401 - adds routes to `bp`
from .blueprint import bp
from .routes import login_manager
from .throttle import init_throttling

__all__ = ["bp", "init_throttling", "login_manager"]
