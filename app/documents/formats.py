"""French formatting of dates, money, sizes and rates for letters and messages.

Written by hand rather than with Babel so that the output is identical on every machine
(Babel's CLDR data changes the thousands separator between releases) and so that the
first day of the month reads « 1er », as French administrative letters write it.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

# A no-break space keeps « 1 234,56 € » on one line; the narrow one (U+202F) recommended by
# French typography is missing from some PDF fonts, so the ordinary no-break space is used.
NBSP = "\u00a0"

MOIS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
JOURS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")


def en_date(valeur: date | datetime | str) -> date:
    """Accept a ``date``, a ``datetime`` or an ISO string (workflow data is JSON)."""
    if isinstance(valeur, datetime):
        return valeur.date()
    if isinstance(valeur, date):
        return valeur
    if isinstance(valeur, str):
        return datetime.fromisoformat(valeur).date() if "T" in valeur else date.fromisoformat(
            valeur
        )
    raise TypeError(f"date attendue, reçu {type(valeur).__name__}")


def en_datetime(valeur: datetime | str) -> datetime:
    if isinstance(valeur, datetime):
        return valeur
    if isinstance(valeur, str):
        return datetime.fromisoformat(valeur)
    raise TypeError(f"date et heure attendues, reçu {type(valeur).__name__}")


def date_longue(valeur: date | datetime | str) -> str:
    """« 21 novembre 2026 », « 1er mars 2027 »."""
    d = en_date(valeur)
    jour = "1er" if d.day == 1 else str(d.day)
    return f"{jour} {MOIS[d.month - 1]} {d.year}"


def date_jour_longue(valeur: date | datetime | str) -> str:
    """« lundi 7 décembre 2026 » — used where the assuré must be somewhere on that day."""
    d = en_date(valeur)
    return f"{JOURS[d.weekday()]} {date_longue(d)}"


def heure(valeur: datetime | str) -> str:
    """« 9 h 30 », « 14 h » (French administrative style)."""
    dt = en_datetime(valeur)
    return f"{dt.hour}{NBSP}h" + (f"{NBSP}{dt.minute:02d}" if dt.minute else "")


def date_heure_longue(valeur: datetime | str) -> str:
    """« lundi 7 décembre 2026 à 9 h 30 »."""
    dt = en_datetime(valeur)
    return f"{date_jour_longue(dt)} à {heure(dt)}"


def _grouper(entier: str) -> str:
    groupes = []
    while len(entier) > 3:
        groupes.insert(0, entier[-3:])
        entier = entier[:-3]
    groupes.insert(0, entier)
    return NBSP.join(groupes)


def en_decimal(valeur: Decimal | float | str) -> Decimal:
    # str() first so that a float such as 0.1 is not carried with its binary noise.
    return valeur if isinstance(valeur, Decimal) else Decimal(str(valeur))


def nombre(valeur: Decimal | float | str, decimales: int = 2) -> str:
    """« 1 234,56 » — rounded half-up, as the amounts of a pension are."""
    d = en_decimal(valeur)
    quantum = Decimal(1).scaleb(-decimales)
    d = d.quantize(quantum, rounding=ROUND_HALF_UP)
    signe = "-" if d < 0 else ""
    texte = f"{abs(d):.{decimales}f}"
    entier, _, fraction = texte.partition(".")
    return signe + _grouper(entier) + (f",{fraction}" if fraction else "")


def montant(valeur: Decimal | float | str) -> str:
    """« 1 234,56 € »."""
    return f"{nombre(valeur)}{NBSP}€"


def taux(valeur: Decimal | float | str) -> str:
    """A rate given as a fraction (0.30) or as a percentage (30) → « 30 % »."""
    d = en_decimal(valeur)
    if d <= 1:
        d *= 100
    d = d.normalize()
    texte = nombre(d, 0) if d == d.to_integral_value() else nombre(d, 2).rstrip("0")
    return f"{texte}{NBSP}%"


def taille(octets: int) -> str:
    """« 3,0 Mo », « 512 Ko », « 2 Mo » (1 Mo = 1 048 576 octets).

    Rounded *up* to the tenth, so that a file one byte over a 2 Mo limit never reads
    « 2,0 Mo » in a message saying it is too large.
    """
    mo = 1024 * 1024
    if octets >= mo:
        dixiemes = math.ceil(octets * 10 / mo)
        return f"{dixiemes // 10},{dixiemes % 10}{NBSP}Mo"
    if octets >= 1024:
        return f"{math.ceil(octets / 1024)}{NBSP}Ko"
    return f"{octets}{NBSP}octet" + ("s" if octets > 1 else "")


def taille_limite(octets: int) -> str:
    """A configured limit reads without a useless decimal: « 2 Mo », « 1,5 Mo »."""
    texte = taille(octets)
    return texte.replace(f",0{NBSP}", NBSP)
