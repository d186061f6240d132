"""Every feature blueprint, in one list (the auth blueprint is registered by the factory)."""
from .agent import bp as agent_bp
from .api import bp as api_bp
from .assure import bp as assure_bp
from .assure import pieces_bp as assure_pieces_bp
from .assure import recours_bp as assure_recours_bp
from .sante import bp as sante_bp
from .studio import bp as studio_bp
from .supervision import bp as supervision_bp

ALL = [api_bp, assure_bp, agent_bp, studio_bp, supervision_bp]
ALL += [assure_pieces_bp, assure_recours_bp]  # issue 4: pièces manquantes, contestation
ALL += [sante_bp]  # issue 12: health and readiness probes
