"""People who log in, and the caisses they belong to."""
from datetime import date

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base

# `cra`: a member of the caisse's commission de recours amiable (administrative disputes);
# `cmra`: a médecin of the commission médicale de recours amiable (medical disputes). Each
# is a role of its own so that appeals never land in the inbox of those who decided.
ROLES = ("assure", "agent", "medecin_conseil", "cra", "cmra", "analyste", "superviseur")
# Roles bound by the secret médical who may read medical content (exams, medical forms).
MEDICAL_ROLES = ("medecin_conseil", "cmra")
# Kinds of documents under the secret médical: what the assuré attaches to a medical
# contestation (certificates, reports) is for the CMRA's médecins, not the agents.
MEDICAL_DOCUMENT_KINDS = ("piece_contestation_medicale",)
# The back office of a caisse: the roles whose inboxes hold the caisse's tasks.
STAFF_ROLES = ("agent", "medecin_conseil", "cra", "cmra")
ROLE_LABELS = {"assure": "Assuré", "agent": "Agent", "medecin_conseil": "Médecin-conseil",
               "cra": "Commission de recours amiable (CRA)",
               "cmra": "Commission médicale de recours amiable (CMRA)",
               "analyste": "Analyste", "superviseur": "Superviseur"}


class Caisse(Base):
    """A CPAM of one département, or the CRAMIF (Île-de-France except 77)."""

    __tablename__ = "caisse"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)  # "CRAMIF", "CPAM 69"
    libelle: Mapped[str] = mapped_column(String(120))
    adresse: Mapped[str] = mapped_column(String(255), default="")


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(30), index=True)
    # « M. » or « Mme », as the téléservice's identity block shows it; empty when unknown.
    civilite: Mapped[str] = mapped_column(String(10), default="")
    nom: Mapped[str] = mapped_column(String(100))
    prenom: Mapped[str] = mapped_column(String(100))
    caisse_code: Mapped[str | None] = mapped_column(ForeignKey("caisse.code"), index=True)
    date_naissance: Mapped[date | None]
    adresse: Mapped[str] = mapped_column(String(255), default="")
    code_postal: Mapped[str] = mapped_column(String(10), default="")
    ville: Mapped[str] = mapped_column(String(100), default="")
    telephone: Mapped[str] = mapped_column(String(30), default="")
    active: Mapped[bool] = mapped_column(default=True)

    caisse: Mapped[Caisse | None] = relationship(lazy="joined")

    @property
    def nom_complet(self) -> str:
        return f"{self.prenom} {self.nom}"

    # Flask-Login protocol, kept here so the web layer needs no wrapper class.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)
