"""Demo caisses and accounts. Password for every demo account: « demo »."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from app.models import Caisse, User

CAISSES = [
    ("CRAMIF", "Caisse régionale d'assurance maladie d'Île-de-France",
     "17-19 avenue de Flandre, 75954 Paris cedex 19"),
    ("CPAM 69", "CPAM du Rhône", "276 cours Émile Zola, 69100 Villeurbanne"),
    ("CPAM 77", "CPAM de Seine-et-Marne", "Rue des Meuniers, 77950 Rubelles"),
]

# (email, role, prénom, nom, caisse, naissance, adresse, code postal, ville)
ACCOUNTS = [
    ("marie.durand@demo.fr", "assure", "Marie", "Durand", "CRAMIF", date(1975, 3, 14),
     "12 rue de la Roquette", "75011", "Paris"),
    ("paul.martin@demo.fr", "assure", "Paul", "Martin", "CPAM 69", date(1970, 9, 1),
     "8 quai Claude Bernard", "69007", "Lyon"),
    ("julie.petit@demo.fr", "assure", "Julie", "Petit", "CPAM 77", date(1980, 1, 31),
     "3 place Saint-Jean", "77000", "Melun"),
    ("agent.cramif@demo.fr", "agent", "Sophie", "Bernard", "CRAMIF", None, "", "", ""),
    ("agent2.cramif@demo.fr", "agent", "Yann", "Le Gall", "CRAMIF", None, "", "", ""),
    ("agent.cpam69@demo.fr", "agent", "Karim", "Haddad", "CPAM 69", None, "", "", ""),
    ("agent.cpam77@demo.fr", "agent", "Léa", "Moreau", "CPAM 77", None, "", "", ""),
    ("medecin@demo.fr", "medecin_conseil", "Dr Anne", "Lefèvre", "CRAMIF", None, "", "", ""),
    ("medecin.cpam69@demo.fr", "medecin_conseil", "Dr Hugo", "Roux", "CPAM 69", None, "", "",
     ""),
    ("medecin.cpam77@demo.fr", "medecin_conseil", "Dr Inès", "Blanc", "CPAM 77", None, "", "",
     ""),
    # The commissions of each caisse: never the agents or médecins-conseils who decided.
    ("cra.cramif@demo.fr", "cra", "Claire", "Fontaine", "CRAMIF", None, "", "", ""),
    ("cmra.cramif@demo.fr", "cmra", "Dr Marc", "Aubert", "CRAMIF", None, "", "", ""),
    ("cra.cpam69@demo.fr", "cra", "Rémi", "Chevalier", "CPAM 69", None, "", "", ""),
    ("cmra.cpam69@demo.fr", "cmra", "Dr Lucie", "Perrin", "CPAM 69", None, "", "", ""),
    ("cra.cpam77@demo.fr", "cra", "Odile", "Masson", "CPAM 77", None, "", "", ""),
    ("cmra.cpam77@demo.fr", "cmra", "Dr Alain", "Girard", "CPAM 77", None, "", "", ""),
    ("analyste@demo.fr", "analyste", "Nadia", "Garcia", None, None, "", "", ""),
    ("superviseur@demo.fr", "superviseur", "Thomas", "Robert", None, None, "", "", ""),
]

DEMO_PASSWORD = "demo"
CIVILITES = {"Marie": "Mme", "Paul": "M.", "Julie": "Mme", "Luc": "M.", "Emma": "Mme",
             "Hugo": "M."}


def seed_demo_accounts(session: Session, password_hash: str | None = None) -> int:
    for code, libelle, adresse in CAISSES:
        if session.get(Caisse, code) is None:
            session.add(Caisse(code=code, libelle=libelle, adresse=adresse))
    session.flush()
    hashed = password_hash or generate_password_hash(DEMO_PASSWORD)
    existing = set(session.scalars(select(User.email)))
    created = 0
    for email, role, prenom, nom, caisse, naissance, adresse, cp, ville in ACCOUNTS:
        if email in existing:
            continue
        session.add(User(email=email, role=role, prenom=prenom, nom=nom, caisse_code=caisse,
                         date_naissance=naissance, adresse=adresse, code_postal=cp, ville=ville,
                         civilite=CIVILITES.get(prenom, ""),
                         password_hash=hashed, telephone="06 12 34 56 78" if cp else ""))
        created += 1
    session.flush()
    from app.seed_caisse import seed_caisse  # issue 4: caisse data per demo assuré

    return created + seed_caisse(session, hashed)
