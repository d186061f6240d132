"""Reconnaissance de l'intention de l'assuré dans ameliBot.

La phrase attendue est « faire une demande de pension invalidité », mais l'assuré l'écrit
comme il peut : sans accents, en majuscules, avec des fautes de frappe, dans le désordre.
On normalise (Unicode NFKD, sans accents, minuscules), on découpe en mots, et on rapproche
chaque mot d'un petit vocabulaire par distance d'édition (rapidfuzz, OSA : une lettre en
trop, en moins, changée ou deux lettres inversées comptent chacune pour 1).

Décisions :
- « pension » + « invalidité » (ou « invalide ») → demande de pension, quel que soit l'ordre ;
- « invalidité » seul (« invalidité », « mise en invalidité ») → demande de pension : c'est le
  nom du risque, et les questions suivantes du bot filtrent les cas ;
- sauf si un autre dispositif est nommé (« carte d'invalidité », « AAH », « MDPH »…) ;
- « invalide » seul → non : l'adjectif sert aussi à « carte vitale invalide », « code
  invalide » ;
- « pension » sans invalidité (« pension de retraite », « pension alimentaire ») → non.
"""

import re
import unicodedata

from rapidfuzz.distance import OSA

from .conversions import DonneeInvalide

# Mot normalisé → concept. Le concept d'un mot tapé est celui du mot de vocabulaire le plus
# proche (à distance égale, le plus long : « invalidte » est « invalidite », pas « invalide »).
VOCABULAIRE = {
    "pension": "pension",
    "pensions": "pension",
    "invalidite": "invalidite",
    "invalidites": "invalidite",
    "invalide": "invalide",
    "invalides": "invalide",
    "carte": "autre_dispositif",
    "mdph": "autre_dispositif",
    "aah": "autre_dispositif",
    "allocation": "autre_dispositif",
    "rente": "autre_dispositif",
    "bonjour": "salutation",
    "bonsoir": "salutation",
    "salut": "salutation",
    "coucou": "salutation",
    "hello": "salutation",
    "bjr": "salutation",
    "slt": "salutation",
}


def normaliser(texte: str) -> list[str]:
    """Mots en minuscules, sans accents ni ponctuation (« d'Invalidité » → d, invalidite)."""
    if not isinstance(texte, str):
        raise DonneeInvalide("Le message de l'assuré doit être un texte.")
    sans_accents = "".join(
        c for c in unicodedata.normalize("NFKD", texte) if not unicodedata.combining(c)
    )
    sans_accents = sans_accents.lower().replace("œ", "oe").replace("æ", "ae")
    return re.findall(r"[a-z0-9]+", sans_accents)


def _tolerance(mot: str) -> int:
    # Mots courts : aucune faute admise (« rente » ne doit pas capter « trente ») ; à partir
    # de 10 lettres, deux. « invalide » n'en admet qu'une pour ne pas capter « valide ».
    if len(mot) <= 5:
        return 0
    return 1 if len(mot) <= 9 else 2


def concept(mot: str) -> str | None:
    """Le concept du vocabulaire le plus proche de `mot`, s'il l'est assez."""
    proche = min(VOCABULAIRE, key=lambda v: (OSA.distance(mot, v), -len(v)))
    if OSA.distance(mot, proche) <= _tolerance(proche):
        return VOCABULAIRE[proche]
    return None


def _concepts(texte: str) -> set[str]:
    return {c for c in map(concept, normaliser(texte)) if c}


def _est_demande(concepts: set[str]) -> bool:
    if "pension" in concepts:
        return bool(concepts & {"invalidite", "invalide"})
    return "invalidite" in concepts and "autre_dispositif" not in concepts


def reconnait_demande_pension(texte: str) -> bool:
    """Vrai si l'assuré demande une pension d'invalidité (voir les décisions du module)."""
    return _est_demande(_concepts(texte))


def intention(texte: str) -> str:
    """« demande_pension », « salutation » ou « inconnue » ; la demande l'emporte sur un
    bonjour qui la précède."""
    concepts = _concepts(texte)
    if _est_demande(concepts):
        return "demande_pension"
    if "salutation" in concepts:
        return "salutation"
    return "inconnue"
