"""What the caisse already knows about an assuré (career, hours, salaries), for the
instruction: the Service Invalidité checks the administrative conditions against it.

In production this comes from the caisse's information systems (carrière, DSN); here it is
seeded per demo assuré (app/seed_caisse.py). Series are JSON objects keyed by period, with
amounts as decimal strings so nothing is lost to floats:
- `heures_mensuelles` / `salaires_mensuels`: {"AAAA-MM": "151.67"};
- `salaires_annuels` (salaried years, for the SAM) and `revenus_annuels` (non-salarié):
  {"AAAA": "31200.00"}.
"""
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

STATUTS_PROFESSIONNELS = ("salarie", "non_salarie")


class DonneesCaisse(Base):
    __tablename__ = "donnees_caisse"

    id: Mapped[int] = mapped_column(primary_key=True)
    assure_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), unique=True)
    nir: Mapped[str] = mapped_column(String(15), default="")
    departement: Mapped[str] = mapped_column(String(3))
    statut: Mapped[str] = mapped_column(String(20), default="salarie")
    date_immatriculation: Mapped[date]
    # Work stoppage followed by invalidity (the conditions are assessed at this date).
    date_arret_travail: Mapped[date | None]
    nombre_employeurs: Mapped[int] = mapped_column(default=1)
    heures_mensuelles: Mapped[dict] = mapped_column(JSON, default=dict)
    salaires_mensuels: Mapped[dict] = mapped_column(JSON, default=dict)
    salaires_annuels: Mapped[dict] = mapped_column(JSON, default=dict)
    # Travailleur indépendant only.
    ij_percues: Mapped[bool] = mapped_column(default=False)
    mois_affiliation: Mapped[int | None]
    revenus_annuels: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime]

    def as_task_data(self) -> dict:
        """JSON-friendly copy for a process instance (what the agent's check relied on)."""
        return {
            "nir": self.nir,
            "departement": self.departement,
            "statut": self.statut,
            "date_immatriculation": self.date_immatriculation.isoformat(),
            "date_arret_travail": self.date_arret_travail.isoformat()
            if self.date_arret_travail else None,
            "nombre_employeurs": self.nombre_employeurs,
            "salaires_annuels": dict(self.salaires_annuels or {}),
            "ij_percues": bool(self.ij_percues),
            "mois_affiliation": self.mois_affiliation,
            "revenus_annuels": dict(self.revenus_annuels or {}),
        }
