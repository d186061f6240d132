"""Demo caisse data, one profile per demo assuré, covering every case of the instruction.

| assuré | caisse | case |
|---|---|---|
| marie.durand (Paris 75) | CRAMIF | eligible salariée, full time |
| paul.martin (Lyon 69) | CPAM 69 | under 600 hours but enough contributions; 2 employers (S4150) |
| julie.petit (Melun 77) | CPAM 77 | eligible salariée, Seine-et-Marne |
| luc.girard (Versailles 78) | CRAMIF | above the legal retirement age |
| emma.leroy (Créteil 94) | CRAMIF | neither enough hours nor enough contributions |
| hugo.michel (Meaux 77) | CPAM 77 | travailleur non salarié (artisan) receiving IJ |

Dates are relative to the day the data is seeded: the work stoppage is the first day of the
month four months earlier, and hours and salaries cover the 24 months before it, so the
demo stays meaningful whatever the date. Idempotent.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import pass_annuel
from app.domain.delais import ajouter_mois
from app.engine.clock import clock
from app.models import DonneesCaisse, User
from app.seed import CIVILITES

# Extra demo assurés (password « demo »): (email, prénom, nom, caisse, naissance, adresse,
# code postal, ville).
ASSURES = [
    ("luc.girard@demo.fr", "Luc", "Girard", "CRAMIF", date(1962, 3, 10),
     "5 avenue de Paris", "78000", "Versailles"),
    ("emma.leroy@demo.fr", "Emma", "Leroy", "CRAMIF", date(1992, 6, 5),
     "18 rue du Général Leclerc", "94000", "Créteil"),
    ("hugo.michel@demo.fr", "Hugo", "Michel", "CPAM 77", date(1979, 11, 30),
     "7 rue du Grand Cerf", "77100", "Meaux"),
]

# email → (statut, département, immatriculation, employeurs, heures/mois, salaire/mois,
#          salaire annuel de la première année, hausse annuelle, première année)
SALARIES = {
    "marie.durand@demo.fr": ("75", date(1996, 9, 1), 1, "151.67", "2650.00", 21000, 900, 2004),
    "paul.martin@demo.fr": ("69", date(1992, 10, 1), 2, "40.00", "2200.00", 19000, 600, 2006),
    "julie.petit@demo.fr": ("77", date(2001, 2, 1), 1, "130.00", "2100.00", 16000, 700, 2008),
    "luc.girard@demo.fr": ("78", date(1983, 9, 1), 1, "151.67", "3100.00", 30000, 500, 2004),
    "emma.leroy@demo.fr": ("94", date(2014, 9, 1), 1, "25.00", "350.00", 3000, 200, 2015),
}
NON_SALARIES = {
    # email → (département, immatriculation, IJ perçues, mois d'affiliation, revenus 3 ans)
    "hugo.michel@demo.fr": ("77", date(2012, 4, 1), True, 96,
                            ("28000.00", "30500.00", "26000.00")),
}
MOIS_AVANT_ARRET = 4
MOIS_HISTORIQUE = 24


def seed_caisse(session: Session, password_hash: str, today: date | None = None) -> int:
    """Create the extra demo assurés and every demo assuré's caisse data; return the number
    of accounts created."""
    today = today or clock.today()
    existing = {u.email: u for u in session.scalars(select(User))}
    created = 0
    for email, prenom, nom, caisse, naissance, adresse, cp, ville in ASSURES:
        if email not in existing:
            user = User(email=email, role="assure", prenom=prenom, nom=nom, caisse_code=caisse,
                        date_naissance=naissance, adresse=adresse, code_postal=cp, ville=ville,
                        civilite=CIVILITES.get(prenom, ""), password_hash=password_hash,
                        telephone="06 12 34 56 78")
            session.add(user)
            existing[email] = user
            created += 1
    session.flush()
    known = set(session.scalars(select(DonneesCaisse.assure_id)))
    arret = date_arret(today)
    for email, profile in SALARIES.items():
        user = existing.get(email)
        if user is not None and user.id not in known:
            session.add(_salarie(user, arret, *profile))
    for email, profile in NON_SALARIES.items():
        user = existing.get(email)
        if user is not None and user.id not in known:
            session.add(_non_salarie(user, arret, *profile))
    return created


def _mois(arret: date) -> list[str]:
    """« AAAA-MM » of the MOIS_HISTORIQUE months before the stoppage."""
    return [ajouter_mois(arret, -n).strftime("%Y-%m") for n in range(MOIS_HISTORIQUE, 0, -1)]


def _annees(premiere: int, arret: date) -> list[int]:
    """Complete years before the stoppage for which a PASS is known (to cap the salary)."""
    years = []
    for year in range(premiere, arret.year):
        try:
            pass_annuel(year)
        except ValueError:
            continue
        years.append(year)
    return years


def nir(user: User, departement: str) -> str:
    """A well-formed demo NIR (sex, birth year and month, département, order, key)."""
    naissance = user.date_naissance or date(1980, 1, 1)
    sexe = "2" if user.prenom in ("Marie", "Julie", "Emma") else "1"
    base = f"{sexe}{naissance:%y%m}{departement[:2]}{100 + user.id % 900:03d}{user.id:03d}"
    return f"{base}{97 - int(base) % 97:02d}"


def _salarie(user, arret, departement, immatriculation, employeurs, heures, salaire,
             premier_annuel, hausse, premiere_annee) -> DonneesCaisse:
    mois = _mois(arret)
    return DonneesCaisse(
        assure_id=user.id, nir=nir(user, departement), departement=departement,
        statut="salarie", date_immatriculation=immatriculation, date_arret_travail=arret,
        nombre_employeurs=employeurs,
        heures_mensuelles={m: heures for m in mois},
        salaires_mensuels={m: salaire for m in mois},
        salaires_annuels={str(y): str(Decimal(premier_annuel + hausse * i).quantize(
            Decimal("0.01"))) for i, y in enumerate(_annees(premiere_annee, arret))},
        ij_percues=False, mois_affiliation=None, revenus_annuels={},
        updated_at=clock.now())


def _non_salarie(user, arret, departement, immatriculation, ij, mois_affiliation,
                 revenus) -> DonneesCaisse:
    years = [arret.year - 3, arret.year - 2, arret.year - 1]
    return DonneesCaisse(
        assure_id=user.id, nir=nir(user, departement), departement=departement,
        statut="non_salarie", date_immatriculation=immatriculation,
        date_arret_travail=arret, nombre_employeurs=0,
        heures_mensuelles={}, salaires_mensuels={},
        salaires_annuels=dict(zip(map(str, years), revenus, strict=True)),
        ij_percues=ij, mois_affiliation=mois_affiliation,
        revenus_annuels=dict(zip(map(str, years), revenus, strict=True)),
        updated_at=clock.now())



def date_arret(today: date) -> date:
    """The work stoppage date the seed gives every profile for `today`."""
    return ajouter_mois(today.replace(day=1), -MOIS_AVANT_ARRET)
