"""SQLAlchemy 2 tables. Imports nothing of the app."""
from .base import Base, UTCDateTime
from .caisse_data import DonneesCaisse
from .deployment import DeployedFile, ProcessVersion
from .dossier import STATUTS, Dossier
from .instance import STATUSES, HumanTask, Incident, ProcessInstance
from .records import AppSetting, AuditLog, Document, Message
from .studio import SandboxFile, SandboxRun
from .user import ROLES, Caisse, User

__all__ = [
    "ROLES",
    "STATUSES",
    "STATUTS",
    "AppSetting",
    "AuditLog",
    "Base",
    "Caisse",
    "DeployedFile",
    "Document",
    "DonneesCaisse",
    "Dossier",
    "HumanTask",
    "Incident",
    "Message",
    "ProcessInstance",
    "ProcessVersion",
    "SandboxFile",
    "SandboxRun",
    "UTCDateTime",
    "User",
]
