"""Caisse compétente selon le département, et voies de recours amiable.

En Île-de-France, l'invalidité des départements 75, 78, 91, 92, 93, 94 et 95 est gérée par la
CRAMIF ; la Seine-et-Marne (77) et tous les autres départements relèvent de leur caisse locale.
"""

import re
from datetime import date

from . import figures
from .conversions import DonneeInvalide

DEPARTEMENTS_CRAMIF = frozenset({"75", "78", "91", "92", "93", "94", "95"})

# Outre-mer : la caisse locale n'est pas une CPAM. Guadeloupe, Martinique, Guyane et La Réunion
# ont une caisse générale de sécurité sociale (CGSS), Saint-Pierre-et-Miquelon sa caisse de
# prévoyance sociale (CPS), Mayotte sa caisse de sécurité sociale (CSSM).
CAISSES_OUTRE_MER = {
    "971": "CGSS 971",
    "972": "CGSS 972",
    "973": "CGSS 973",
    "974": "CGSS 974",
    "975": "CPS 975",
    "976": "CSSM 976",
}

ADRESSE_CRA_CRAMIF = (
    "Secrétariat de la Commission de recours amiable du Conseil d'administration de la CRAMIF",
    "17-19 avenue de Flandre",
    "75954 Paris cedex 19",
)
NOTE_ADRESSE_LOCALE = (
    "Adresse postale sur ameli.fr > Adresses et contacts, et sur les courriers de votre caisse."
)
NOTE_CMRA = (
    "Le recours porte sur l'avis médical ; son adresse figure sur la notification de décision."
)


def _departement(departement: str) -> str:
    """Forme canonique du département : « 01 »…« 95 » (sauf « 20 »), « 2A », « 2B »,
    « 971 »…« 976 ». Espaces ignorés, « 2a » accepté, et un seul chiffre complété par un
    zéro (« 1 » → « 01 ») car c'est ce que donne un champ numérique qui perd le zéro."""
    if not isinstance(departement, str):
        raise DonneeInvalide(f"Département invalide : « {departement} » (une chaîne est attendue).")
    code = re.sub(r"\s+", "", departement).upper()
    if re.fullmatch(r"[1-9]", code):
        code = "0" + code
    valide = (
        (re.fullmatch(r"[0-9]{2}", code) and code not in ("00", "20") and int(code) <= 95)
        or code in ("2A", "2B")
        or code in CAISSES_OUTRE_MER
    )
    if not valide:
        aide = " (la Corse s'écrit 2A ou 2B)" if code == "20" else ""
        raise DonneeInvalide(f"Département inconnu : « {departement.strip()} »{aide}.")
    return code


def caisse_competente(departement: str) -> str:
    """« CRAMIF » pour Paris et la petite et grande couronne hors 77, sinon la caisse locale
    (« CPAM 69 », « CPAM 2A », « CGSS 971 »…). ValueError si le département n'existe pas."""
    code = _departement(departement)
    if code in DEPARTEMENTS_CRAMIF:
        return "CRAMIF"
    return CAISSES_OUTRE_MER.get(code, f"CPAM {code}")


def departement_du_code_postal(code_postal: str) -> str:
    """Département d'un code postal (Corse 20xxx → 2A/2B, outre-mer 97x → 971…).
    ValueError si ce n'est pas un code postal à 5 chiffres."""
    code = (code_postal or "").strip()
    if not re.fullmatch(r"\d{5}", code):
        raise DonneeInvalide(f"Code postal invalide : « {code} ».")
    if code.startswith("97"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def _verifier_caisse(caisse: str) -> str:
    if not isinstance(caisse, str):
        raise DonneeInvalide(f"Caisse invalide : « {caisse} ».")
    caisse = caisse.strip()
    if caisse == "CRAMIF":
        return caisse
    sigle, _, code = caisse.partition(" ")
    if sigle in ("CPAM", "CGSS", "CPS", "CSSM") and code:
        try:
            if caisse_competente(code) == caisse:
                return caisse
        except ValueError:
            pass
    raise DonneeInvalide(f"Caisse inconnue : « {caisse} ».")


def coordonnees_recours(caisse: str, le: date | None = None) -> dict:
    """Où et dans quels délais contester une décision de la `caisse`.

    `le` choisit les délais en vigueur à cette date (par défaut les plus récents connus) ;
    les délais sont en mois, comptés selon `date_limite`."""
    caisse = _verifier_caisse(caisse)
    intitule = f"Commission de recours amiable de la {caisse}"
    if caisse == "CRAMIF":
        adresse, note = ", ".join((intitule, *ADRESSE_CRA_CRAMIF[1:])), None
        lignes = ADRESSE_CRA_CRAMIF
    else:
        adresse, note, lignes = None, NOTE_ADRESSE_LOCALE, (intitule,)
    return {
        "caisse": caisse,
        "cra": {
            "intitule": intitule,
            "objet": "contestation d'ordre administratif",
            "adresse": adresse,
            "lignes_adresse": list(lignes),
            "note": note,
            "delai_saisine_mois": figures.entier("delai_contestation", le),
            "silence_vaut_rejet_mois": figures.entier("delai_silence_cra", le),
        },
        "cmra": {
            "intitule": f"Commission médicale de recours amiable (service médical, {caisse})",
            "objet": "contestation d'ordre médical",
            "note": NOTE_CMRA,
            "delai_saisine_mois": figures.entier("delai_contestation", le),
            "silence_vaut_rejet_mois": figures.entier("delai_silence_cmra", le),
        },
        "suite": "Tribunal judiciaire (pôle social), après la décision ou le rejet implicite.",
    }
