"""Documents of a dossier: checks of the uploaded avis d'imposition, storage on disk, and the
letters (messagerie text + A4 PDF). No Flask, no SQLAlchemy: callers pass plain data."""

from .letters import (
    Lettre,
    accuse_reception,
    convocation,
    decision_recours,
    demande_pieces,
    notification_attribution,
    notification_refus,
    notification_rejet_implicite,
    recapitulatif,
)
from .storage import DocumentStore, IntegriteCompromise, NomInvalide, StoredFile, safe_download_name
from .uploads import InfoPdf, UploadRefuse, verifier_avis_imposition

__all__ = [
    "DocumentStore",
    "InfoPdf",
    "IntegriteCompromise",
    "Lettre",
    "NomInvalide",
    "StoredFile",
    "UploadRefuse",
    "accuse_reception",
    "convocation",
    "decision_recours",
    "demande_pieces",
    "notification_attribution",
    "notification_refus",
    "notification_rejet_implicite",
    "recapitulatif",
    "safe_download_name",
    "verifier_avis_imposition",
]
