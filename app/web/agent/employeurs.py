"""Employers declared in the request against those the caisse knows (DonneesCaisse): a
mismatch is flagged in the dossier summary, for the agent to check with the assuré (the
online request takes one employer only; more than one is the paper form S4150's case)."""
from __future__ import annotations

from flask import g
from sqlalchemy import select

from app.models import DonneesCaisse, Dossier

from ..shared.services import db
from .blueprint import bp
from .taches import last_data

# What an employer entry of the paper form holds (its list has no fixed place to name here:
# the request's sections are keyed like the diagram's steps, which app/ never spells).
EMPLOYEUR = {"nom", "adresse"}


def _activites(demande: dict) -> dict:
    """The section of the request that lists the activities (« Ma situation actuelle »)."""
    return next((v for v in (demande or {}).values()
                 if isinstance(v, dict) and "activites" in v), {})


def _liste_employeurs(value) -> bool:
    return isinstance(value, list) and all(
        isinstance(e, dict) and EMPLOYEUR <= set(e) for e in value)


def employeurs_declares(demande: dict, canal: str) -> int:
    """How many employers the request declares: 0 without salaried activity; the list of
    the S4150 on paper; 1 online (« plus d'un » sends the assuré to the paper form: such a
    request never reaches the instruction)."""
    section = _activites(demande)
    if "salariee" not in (section.get("activites") or []):
        return 0
    if canal == "papier":
        return sum(len(v) for v in section.values() if _liste_employeurs(v))
    return 1


def _employeurs(n: int) -> str:
    return "aucun employeur" if n == 0 else f"{n} employeur{'s' if n > 1 else ''}"


def alerte(declares: int | None, connus: int | None, canal: str) -> str | None:
    """The sentence shown to the agent, or None when both agree (or one is unknown).
    No salaried activity declared and one employer known is not flagged (a past job)."""
    if declares is None or connus is None or declares == connus:
        return None
    if declares == 0 and connus <= 1:
        return None
    texte = (f"La demande déclare {_employeurs(declares)} ; les données de la caisse en "
             f"connaissent {connus}. Vérifiez la situation professionnelle avec l'assuré.")
    if connus > 1 and canal != "papier":
        texte += (" Avec plus d'un employeur, la demande se fait sur le formulaire papier "
                  "S4150.")
    return texte


@bp.app_template_global("alerte_employeurs")
def alerte_employeurs(dossier: Dossier) -> str | None:
    """For the summary of a task or dossier page (computed once per page)."""
    cache = g.setdefault("alertes_employeurs", {})
    if dossier.id not in cache:
        connus = db().scalar(select(DonneesCaisse.nombre_employeurs).where(
            DonneesCaisse.assure_id == dossier.assure_id))
        demande = last_data(db(), dossier).get("demande")  # as handed to the instruction
        declares = employeurs_declares(demande if isinstance(demande, dict) else {},
                                       dossier.canal)
        cache[dossier.id] = alerte(declares, connus, dossier.canal)
    return cache[dossier.id]
