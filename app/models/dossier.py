"""The business view of a request: one row per dossier, kept in step by BPMN scripts."""
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, joinedload, lazyload, mapped_column, relationship

from .base import Base
from .instance import ProcessInstance
from .user import User

STATUTS = (
    "brouillon",          # the assuré is filling the online request
    "recue",              # submitted, accusé de réception sent
    "instruction",        # Service Invalidité checks administrative conditions
    "pieces_demandees",   # waiting for the assuré's documents
    "examen_medical",     # médecin-conseil
    "decision",           # amount computed, waiting for the agent's signature
    "accord",
    "refus",
    "rejet_implicite",
    "recours",
    "clos",
    "arrete",             # a superviseur terminated its instance (the assuré is told why)
)


class Dossier(Base):
    __tablename__ = "dossier"
    __table_args__ = (
        Index("ix_dossier_deadline", "caisse_code", "statut", "date_limite_decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    numero: Mapped[str] = mapped_column(String(40), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), unique=True)
    assure_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    caisse_code: Mapped[str | None] = mapped_column(ForeignKey("caisse.code"))
    canal: Mapped[str] = mapped_column(String(20), default="en_ligne")  # en_ligne, papier
    statut: Mapped[str] = mapped_column(String(30), default="brouillon")
    etape: Mapped[str] = mapped_column(String(200), default="")
    date_reception: Mapped[date | None]
    date_limite_decision: Mapped[date | None]
    jours_prolongation: Mapped[int] = mapped_column(default=0)
    categorie: Mapped[int | None]
    decision: Mapped[str | None] = mapped_column(String(30))
    decision_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    instance: Mapped[ProcessInstance] = relationship(lazy="joined")
    assure: Mapped[User] = relationship(foreign_keys=[assure_id])


# session.info key: the dossiers of a batch of instances fired together, read in one query
# (app/engine/timers_batch.py), so the after-step hooks do not read them one by one.
DOSSIERS_DU_LOT = "dossiers_du_lot"


def dossier_de_l_instance(session: Session, instance_id: int) -> Dossier | None:
    """The dossier of an instance, with its assuré (the step has the instance already)."""
    lot = session.info.get(DOSSIERS_DU_LOT)
    if lot is not None and instance_id in lot:
        return lot[instance_id]
    return session.scalar(_avec_assure(select(Dossier).where(Dossier.instance_id == instance_id)))


def lire_dossiers_du_lot(session: Session, instance_ids: list[int]) -> None:
    """Read the dossiers of `instance_ids` in one query for `dossier_de_l_instance` (an
    instance without a dossier is remembered as such); `oublier_dossiers_du_lot` after."""
    lot: dict[int, Dossier | None] = dict.fromkeys(instance_ids)
    for dossier in session.scalars(_avec_assure(select(Dossier).where(
            Dossier.instance_id.in_(instance_ids)))):
        lot[dossier.instance_id] = dossier
    session.info[DOSSIERS_DU_LOT] = lot


def oublier_dossiers_du_lot(session: Session) -> None:
    session.info.pop(DOSSIERS_DU_LOT, None)


def _avec_assure(query):
    return query.options(lazyload(Dossier.instance), joinedload(Dossier.assure))
