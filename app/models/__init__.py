"""SQLAlchemy 2 tables. Imports nothing of the app."""
from .base import Base, UTCDateTime
from .caisse_data import DonneesCaisse
from .courrier import Courrier
from .deployment import DeployedFile, ProcessVersion
from .document_contenu import DocumentContenu
from .dossier import STATUTS, Dossier
from .instance import STATUSES, HumanTask, Incident, ProcessInstance
from .messagerie import AUTEURS, SERVICES, STATUTS_CONVERSATION, Conversation, PieceJointe
from .notes import NoteInterne
from .records import AppSetting, AuditLog, Document, Message
from .session import SessionUtilisateur
from .studio import SandboxFile, SandboxRun
from .user import ROLES, Caisse, User

__all__ = [
    "AUTEURS",
    "ROLES",
    "SERVICES",
    "STATUSES",
    "STATUTS",
    "STATUTS_CONVERSATION",
    "AppSetting",
    "AuditLog",
    "Base",
    "Caisse",
    "Conversation",
    "Courrier",
    "DeployedFile",
    "Document",
    "DocumentContenu",
    "DonneesCaisse",
    "Dossier",
    "HumanTask",
    "Incident",
    "Message",
    "NoteInterne",
    "PieceJointe",
    "ProcessInstance",
    "ProcessVersion",
    "SandboxFile",
    "SandboxRun",
    "SessionUtilisateur",
    "UTCDateTime",
    "User",
]
