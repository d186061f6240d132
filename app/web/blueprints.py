"""Every feature blueprint, in one list (the auth blueprint is registered by the factory)."""
from .api import bp as api_bp
from .placeholders import ALL as PLACEHOLDERS

ALL = [api_bp, *PLACEHOLDERS]
