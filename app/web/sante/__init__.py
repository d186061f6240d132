"""Health and readiness probes for the load balancer and the operators (issue 12)."""
from . import routes  # noqa: F401 - adds routes to `bp`
from .blueprint import bp
from .routes import code_heads

__all__ = ["bp", "code_heads"]
