"""SQLAlchemy 2 tables. Imports nothing of the app."""
from .base import Base, UTCDateTime
from .deployment import DeployedFile, ProcessVersion
from .dossier import STATUTS, Dossier
from .instance import STATUSES, HumanTask, Incident, ProcessInstance
from .records import AppSetting, AuditLog, Document, Message
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
    "Dossier",
    "HumanTask",
    "Incident",
    "Message",
    "ProcessInstance",
    "ProcessVersion",
    "UTCDateTime",
    "User",
]
