"""The administrative conditions, pre-computed for « Vérification administrative ».

The agent sees, before deciding, each condition of CSS art. R313-5 (or of the travailleur
indépendant) computed by `app.domain` from what the caisse knows (DonneesCaisse), with the
figures used. On submission, the same data goes into the task (`donnees_caisse`,
`conditions_calculees`) so the process records exactly what the decision relied on.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.documents.formats import date_courte, montant, nombre
from app.domain import (
    conditions_administratives,
    conditions_non_salarie,
    date_age_legal,
    valeur,
)
from app.domain.conditions import periode_reference
from app.models import DonneesCaisse, Dossier, User


def jj_mm_aaaa(jour: date | str | None) -> str:
    if not jour:
        return ""
    return date_courte(jour)


def departement_de(user: User) -> str:
    code = (user.code_postal or "").strip()
    return code[:3] if code.startswith("97") else code[:2]


def _age(naissance: date, le: date) -> str:
    ans = le.year - naissance.year - ((le.month, le.day) < (naissance.month, naissance.day))
    return f"{ans} ans"


def _age_legal(annees: int, mois: int) -> str:
    return f"{annees} ans" + (f" et {mois} mois" if mois else "")


def declarations_papier(demande: dict | None) -> dict:
    """What a paper S4150 declares: yearly salaries (all employers of a year summed, in
    euros to the cent), hours over the 12 months before the stoppage, employers, stoppage."""
    demande = demande if isinstance(demande, dict) else {}
    employeurs = champ(demande, "situation.employeurs") or []
    salaires: dict[str, Decimal] = {}
    for ligne in champ(demande, "situation.salaires") or []:
        annee = str(int(ligne["annee"]))
        salaires[annee] = salaires.get(annee, Decimal(0)) + Decimal(str(ligne["montant"]))
    heures = [Decimal(str(e["heures_12_mois"])) for e in employeurs
              if e.get("heures_12_mois") is not None]
    return {"salaires_annuels": {a: str(m.quantize(Decimal("0.01")))
                                 for a, m in sorted(salaires.items())},
            "heures_12_mois": str(sum(heures)) if heures else None,
            "nombre_employeurs": len(employeurs) or None,
            "date_arret_travail": demande.get("date_arret_travail")}


def champ(donnees: dict, chemin: str):
    """The value at a dotted path of the form's data (« situation.salaires », as the field's
    HTML name), None when a step is missing."""
    for nom in chemin.split("."):
        donnees = donnees.get(nom) if isinstance(donnees, dict) else None
    return donnees


def donnees_caisse(session, dossier: Dossier,
                   demande: dict | None = None) -> tuple[dict, DonneesCaisse | None]:
    """JSON-friendly caisse data of the dossier's assuré (task data), and the row.
    `demande`: a paper S4150, whose declared salaries fill the years the caisse does not
    know (its own records win year by year), so the SAM is never computed on nothing."""
    user = dossier.assure
    row = session.scalar(select(DonneesCaisse).where(DonneesCaisse.assure_id == user.id))
    if row is not None:
        data = row.as_task_data()
    else:
        data = {"nir": "", "departement": departement_de(user), "statut": None,
                "date_immatriculation": None, "date_arret_travail": None,
                "nombre_employeurs": None, "salaires_annuels": {}, "ij_percues": False,
                "mois_affiliation": None, "revenus_annuels": {}}
    data["date_naissance"] = user.date_naissance.isoformat() if user.date_naissance else None
    data["disponibles"] = row is not None
    declares = declarations_papier(demande)
    if row is None:
        data["nombre_employeurs"] = declares["nombre_employeurs"]
        data["date_arret_travail"] = declares["date_arret_travail"]
    if declares["salaires_annuels"] or declares["heures_12_mois"]:
        data["salaires_annuels"] = {**declares["salaires_annuels"], **data["salaires_annuels"]}
        data["declarations"] = declares
    return data, row


def _somme(series: dict, debut: date, fin: date) -> Decimal:
    total = Decimal(0)
    for mois, quantite in (series or {}).items():
        premier = date.fromisoformat(f"{mois}-01")
        if debut <= premier <= fin:
            total += Decimal(str(quantite))
    return total


def _critere(libelle: str, constate: str, exige: str, ok: bool) -> dict:
    return {"libelle": libelle, "constate": constate, "exige": exige, "ok": bool(ok)}


def conditions_calculees(row: DonneesCaisse | None, user: User,
                         date_reception: date | None) -> dict:
    """Each condition with what was found, what is required and the verdict, plus the
    figures used and, when they are not met, the motifs a refusal letter would give."""
    if row is None or user.date_naissance is None:
        return {"disponibles": False, "remplies": False, "criteres": [], "chiffres": [],
                "motifs": [], "statut": None}
    constat = row.date_arret_travail or date_reception
    origine = "arrêt de travail" if row.date_arret_travail else "réception de la demande"
    if row.statut == "non_salarie":
        result = _non_salarie(row, user, constat, origine)
    else:
        result = _salarie(row, user, constat, origine)
    return {"disponibles": True, "statut": row.statut, "date_constat": constat.isoformat(),
            "origine_constat": origine, **result}


def _salarie(row: DonneesCaisse, user: User, constat: date, origine: str) -> dict:
    debut, fin = periode_reference(constat)
    heures = _somme(row.heures_mensuelles, debut, fin)
    salaires = _somme(row.salaires_mensuels, debut, fin)
    res = conditions_administratives(user.date_naissance, row.date_immatriculation, constat,
                                     heures, salaires)
    coefficient = valeur("coefficient_smic_cotisations", constat)
    mois_immat = int(valeur("mois_immatriculation_minimum", constat))
    periode = f"du {jj_mm_aaaa(res.debut_periode)} au {jj_mm_aaaa(res.fin_periode)}"
    age_legal = _age_legal(*res.age_legal)
    criteres = [
        _criere_age(user.date_naissance, constat, origine, age_legal, res.date_age_legal,
                    res.age_ok),
        _critere("Immatriculation", f"depuis le {jj_mm_aaaa(row.date_immatriculation)}",
                 f"au plus tard le {jj_mm_aaaa(res.immatriculation_au_plus_tard)} "
                 f"({mois_immat} mois au 1er jour du mois de l'{origine})",
                 res.immatriculation_ok),
        _critere(f"Heures de travail salarié {periode}", f"{nombre(heures)} h",
                 f"au moins {nombre(res.seuil_heures, 0)} h", res.heures_ok),
        _critere(f"Salaires soumis à cotisation {periode}", montant(salaires),
                 f"au moins {montant(res.seuil_cotisations)} "
                 f"({nombre(coefficient, 0)} × SMIC horaire)", res.cotisations_ok),
    ]
    chiffres = [
        (f"SMIC horaire au {jj_mm_aaaa(res.debut_periode)}", montant(res.smic_horaire)),
        ("Seuil de cotisations", montant(res.seuil_cotisations)),
        ("Seuil d'heures", f"{nombre(res.seuil_heures, 0)} h"),
        ("Âge légal de départ", f"{age_legal} (atteint le {jj_mm_aaaa(res.date_age_legal)})"),
        ("Nombre d'employeurs connus", str(row.nombre_employeurs)),
    ]
    motifs = []
    if not res.age_ok:
        motifs.append(_motif_age(constat, origine, age_legal, res.date_age_legal))
    if not res.immatriculation_ok:
        motifs.append(
            f"Vous n'étiez pas immatriculé(e) depuis au moins {mois_immat} mois au 1er jour du "
            f"mois de votre {origine} : votre immatriculation date du "
            f"{jj_mm_aaaa(row.date_immatriculation)}, elle devait dater au plus tard du "
            f"{jj_mm_aaaa(res.immatriculation_au_plus_tard)}.")
    if not res.activite_ok:
        motifs.append(
            f"Au cours de la période de référence ({periode}), vous avez travaillé "
            f"{nombre(heures)} heures (il en faut au moins {nombre(res.seuil_heures, 0)}) "
            f"et cotisé sur {montant(salaires)} de salaires (il faut au moins "
            f"{montant(res.seuil_cotisations)}, soit {nombre(coefficient, 0)} fois le SMIC "
            f"horaire de {montant(res.smic_horaire)}).")
    return {"remplies": res.remplies, "criteres": criteres, "chiffres": chiffres,
            "motifs": motifs, "heures": str(heures), "salaires": str(salaires)}


def _criere_age(naissance, constat, origine, age_legal, date_legale, ok) -> dict:
    return _critere(f"Âge à la date de l'{origine} ({jj_mm_aaaa(constat)})",
                    _age(naissance, constat),
                    f"moins que l'âge légal de départ ({age_legal})", ok)


def _motif_age(constat, origine, age_legal, date_legale) -> str:
    return (f"À la date de votre {origine}, le {jj_mm_aaaa(constat)}, vous aviez atteint "
            f"l'âge légal de départ à la retraite ({age_legal}, atteint le "
            f"{jj_mm_aaaa(date_legale)}) : une pension d'invalidité ne peut pas vous être "
            "attribuée. Vous pouvez demander votre retraite pour inaptitude au travail.")


def _non_salarie(row: DonneesCaisse, user: User, constat: date, origine: str) -> dict:
    nombre_annees = int(valeur("annees_revenus_independant", constat))
    annees = range(constat.year - nombre_annees, constat.year)
    revenus = [Decimal(str((row.revenus_annuels or {}).get(str(a), "0"))) for a in annees]
    res = conditions_non_salarie(bool(row.ij_percues), row.mois_affiliation or 0, revenus,
                                 constat)
    date_legale = date_age_legal(user.date_naissance)
    age_ok = constat < date_legale
    taux_revenus = valeur("taux_revenu_independant", constat)
    age_legal = f"atteint le {jj_mm_aaaa(date_legale)}"
    criteres = [
        _criere_age(user.date_naissance, constat, origine, age_legal, date_legale, age_ok),
        _critere("Indemnités journalières perçues", "oui" if res.ij_ok else "non",
                 "oui, ou bien affiliation et revenus suffisants", res.ij_ok),
        _critere("Affiliation", f"{row.mois_affiliation or 0} mois",
                 f"au moins {res.mois_affiliation_requis} mois", res.affiliation_ok),
        _critere(f"Revenu moyen {res.annees[0]}–{res.annees[-1]}", montant(res.revenu_moyen),
                 f"au moins {montant(res.seuil_revenus)}", res.revenus_ok),
    ]
    chiffres = [
        (f"PASS moyen {res.annees[0]}–{res.annees[-1]}", montant(res.pass_moyen)),
        ("Seuil de revenus",
         f"{montant(res.seuil_revenus)} ({nombre(taux_revenus * 100, 0)} % du PASS moyen)"),
        ("Âge légal de départ", age_legal),
    ]
    motifs = []
    if not age_ok:
        motifs.append(_motif_age(constat, origine, "âge", date_legale))
    if not res.remplies:
        motifs.append(
            "Vous ne percevez pas d'indemnités journalières et vous ne justifiez pas à la fois "
            f"de {res.mois_affiliation_requis} mois d'affiliation et d'un revenu moyen d'au "
            f"moins {montant(res.seuil_revenus)} sur les années {res.annees[0]} à "
            f"{res.annees[-1]} (revenu moyen : {montant(res.revenu_moyen)}).")
    return {"remplies": res.remplies and age_ok, "criteres": criteres, "chiffres": chiffres,
            "motifs": motifs}


def preparer_verification(session, dossier: Dossier, demande: dict | None = None) -> dict:
    """What the page shows and what goes into the task data on submission (`demande`: the
    request as keyed in from a paper S4150, see `donnees_caisse`)."""
    data, row = donnees_caisse(session, dossier, demande)
    conditions = conditions_calculees(row, dossier.assure, dossier.date_reception)
    return {"donnees_caisse": data, "conditions_calculees": _json(conditions)}


def _json(conditions: dict) -> dict:
    # Tuples become lists: task data round-trips through JSON.
    return {**conditions, "chiffres": [list(c) for c in conditions.get("chiffres", [])]}
