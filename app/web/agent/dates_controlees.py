"""Checks of the dates an agent or a médecin-conseil types, against the dossier: receipt,
convocation, today, the legal deadline and the validity of the figures.

Each check returns `{field: French message}` shown beside the field (empty: accepted), so a
date no rule can use is refused on the page and never reaches a script as an incident.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from app.documents.formats import date_courte
from app.domain import echeance, montant_pension
from app.domain.delais import ajouter_mois
from app.domain.figures import en_vigueur_depuis, entier, noms
from app.engine.clock import clock

from .conditions import champ


def _jour(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def convocation(clean: dict, today: date, date_limite_decision: date | None) -> dict:
    """The exam is after today (the letter must reach the assuré) and before the decision
    deadline (after it the request would be tacitly refused)."""
    jour = _jour(clean.get("convocation_date"))
    if jour is None:
        return {}
    if jour <= today:
        return {"convocation_date": "Choisissez une date postérieure à aujourd'hui "
                                    f"({date_courte(today)}) : l'assuré doit recevoir sa "
                                    "convocation avant l'examen."}
    if date_limite_decision is not None and jour > date_limite_decision:
        return {"convocation_date": "L'examen doit avoir lieu au plus tard le "
                                    f"{date_courte(date_limite_decision)}, date limite de "
                                    "décision : au-delà, la demande serait rejetée "
                                    "implicitement."}
    return {}


def examen(clean: dict, convocation_date, today: date) -> dict:
    """An exam is dated on or after its convocation, not in the future; the medical finding
    is not after the exam. A report (exam not held) has no date to check."""
    if clean.get("examen_realise") is False:
        return {}
    errors = {}
    prevue, jour = _jour(convocation_date), _jour(clean.get("date_examen"))
    constat = _jour(clean.get("date_constat"))
    if prevue is not None and jour is not None and jour < prevue:
        errors["date_examen"] = (
            f"L'assuré est convoqué le {date_courte(prevue)} : l'examen ne peut pas être daté "
            "d'avant. S'il n'a pas eu lieu, répondez « Non » à « L'examen a-t-il eu lieu ? » "
            "pour reporter la convocation.")
    elif jour is not None and jour > today:
        errors["date_examen"] = "La date de l'examen ne peut pas être dans le futur."
    if constat is not None and jour is not None and constat > jour:
        errors["date_constat"] = (f"Le constat médical ne peut pas être postérieur à "
                                  f"l'examen du {date_courte(jour)}.")
    return errors


def date_effet(clean: dict, data: dict) -> dict:
    """The date of effect: not before the medical finding, before the legal retirement age,
    and on a date where every figure of the amount is known."""
    effet = _jour(clean.get("date_effet"))
    avis, calcul = data.get("avis_medical") or {}, data.get("calcul") or {}
    if effet is None or not avis.get("categorie"):
        return {}
    constat, fin = _jour(avis.get("date_constat")), _jour(data.get("date_fin_droits"))
    if constat is not None and effet < constat:
        return {"date_effet": "La date d'effet ne peut pas précéder le constat médical de "
                              f"l'invalidité, le {date_courte(constat)}."}
    if fin is not None and effet >= fin:
        return {"date_effet": "À cette date, l'assuré a atteint l'âge légal de départ à la "
                              f"retraite (le {date_courte(fin)}) : choisissez une date "
                              "antérieure."}
    def calculable(jour: date) -> bool:
        try:
            montant_pension(int(avis["categorie"]), Decimal(str(calcul.get("sam") or 0)), jour,
                            taux=calcul.get("taux"))
        except (ValueError, ArithmeticError):
            return False
        return True

    if calculable(effet):
        return {}
    premier = premiere_date_calculable(effet, calculable)
    suite = (f" : choisissez une date à partir du {date_courte(premier)}." if premier
             else ".")
    return {"date_effet": "Le barème de la pension (minimum, maximum, majoration) n'est pas "
                          f"connu au {date_courte(effet)}" + suite}


def premiere_date_calculable(apres: date, calculable) -> date | None:
    """The first day after `apres` when a rule works: figures change only on their dates."""
    candidats = sorted({en_vigueur_depuis(nom) for nom in noms()} - {apres})
    return next((jour for jour in candidats if jour > apres and calculable(jour)), None)


def seance(clean: dict, date_reclamation, today: date) -> dict:
    """A commission sits after the claim was received, and not in the future."""
    jour, recue = _jour(clean.get("date_seance")), _jour(date_reclamation)
    if jour is None:
        return {}
    if jour > today:
        return {"date_seance": "La date de la séance ne peut pas être dans le futur."}
    if recue is not None and jour < recue:
        return {"date_seance": "La commission ne peut pas avoir siégé avant la réception de "
                               f"la réclamation, le {date_courte(recue)}."}
    return {}


def reception_papier(jour: date | None, today: date) -> dict:
    """A paper form whose decision delay already ran out cannot be keyed in as new: its
    instruction would open on a tacit refusal."""
    if jour is None:
        return {}
    limite = echeance("decision", jour)
    if limite < today:
        return {"date_reception": f"Le délai de décision de ce formulaire a expiré le "
                                  f"{date_courte(limite)} : vérifiez la date de réception "
                                  "(un formulaire reçu avant le "
                                  f"{date_courte(_il_y_a_un_delai(today))} ne peut plus être "
                                  "saisi comme une nouvelle demande)."}
    return {}


def _il_y_a_un_delai(today: date) -> date:
    # The earliest receipt whose decision delay still runs today.
    jour = ajouter_mois(today, -entier("delai_decision", today))
    while echeance("decision", jour) < today:
        jour = date.fromordinal(jour.toordinal() + 1)
    return jour


def s4150(clean: dict) -> dict:
    """A paper form's dates against each other: receipt (its decision delay still runs),
    birth (an adult), employments, salaries and stoppage inside the working life."""
    recu = _jour(clean.get("date_reception"))
    naissance = _jour((clean.get("identite") or {}).get("date_naissance"))
    errors = reception_papier(recu, clock.today())
    if recu is None or naissance is None:
        return errors
    if ajouter_mois(naissance, 16 * 12) > recu:
        errors["identite.date_naissance"] = ("L'assuré aurait moins de 16 ans à la réception "
                                             "du formulaire : vérifiez la date de naissance.")
        return errors
    arret = _jour(clean.get("date_arret_travail"))
    if arret is not None and not naissance < arret <= recu:
        errors["date_arret_travail"] = ("L'arrêt de travail doit dater d'avant la réception du "
                                        f"formulaire ({date_courte(recu)}) et d'après la "
                                        "naissance de l'assuré.")
    for i, employeur in enumerate(champ(clean, "situation.employeurs") or []):
        du = _jour((employeur.get("periode") or {}).get("du"))
        if du is not None and not naissance < du <= recu:
            errors[f"situation.employeurs.{i}.periode.du"] = (
                "L'emploi doit commencer après la naissance de l'assuré et avant la réception "
                f"du formulaire ({date_courte(recu)}).")
    for i, ligne in enumerate(champ(clean, "situation.salaires") or []):
        if not naissance.year + 14 <= int(ligne["annee"]) <= recu.year:
            errors[f"situation.salaires.{i}.annee"] = (
                f"Indiquez une année de {naissance.year + 14} (14 ans) à {recu.year} (année "
                "de réception du formulaire).")
    return errors
