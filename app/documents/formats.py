"""French formatting of dates, deadlines, money, sizes and rates: one implementation, on Babel.

Every page, message and PDF letter goes through these functions (the Jinja filters
`date_fr`, `datetime_fr`, `echeance_fr`, the letters' `date_longue`, `montant`…), so a date
or an amount reads the same everywhere. Babel (pinned in pyproject.toml, outputs pinned in
tests/test_formats_fr.py) supplies the French month and day names and where the separators
go; two house rules are added on top:

- the first day of a month reads « 1er », as French administrative letters write it;
- every space Babel puts in a value (U+202F between thousands, U+00A0 before « € » and « % »)
  is written as one kind of no-break space, U+00A0. Both glyphs exist in the fonts used
  (Marianne on the pages, DejaVu Sans in the PDF letters); one character means the text does
  not change when the CLDR data changes its mind again (it did, from U+00A0 to U+202F), and
  tests, copy-paste and search see the same character in every value.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date, format_time
from babel.numbers import format_currency, format_decimal

from app.domain.delais import PARIS

LOCALE = "fr_FR"
NBSP = "\u00a0"
_ESPACES = str.maketrans({"\u202f": NBSP, " ": NBSP, "\u2009": NBSP})


def _insecable(texte: str) -> str:
    return texte.translate(_ESPACES)


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
    return f"{jour} {format_date(d, 'MMMM y', locale=LOCALE)}"


def date_jour_longue(valeur: date | datetime | str) -> str:
    """« lundi 7 décembre 2026 » — used where the assuré must be somewhere on that day."""
    d = en_date(valeur)
    return f"{format_date(d, 'EEEE', locale=LOCALE)} {date_longue(d)}"


def date_courte(valeur: date | datetime | str) -> str:
    """« 07/12/2026 » — tables and tooltips where a long date does not fit."""
    return format_date(en_date(valeur), "dd/MM/y", locale=LOCALE)


def heure(valeur: datetime | str) -> str:
    """« 9 h 30 », « 14 h » (French administrative style)."""
    dt = en_datetime(valeur)
    motif = "H' h 'mm" if dt.minute else "H' h'"
    return _insecable(format_time(dt.replace(tzinfo=None), motif, locale=LOCALE))


def date_heure_longue(valeur: datetime | str) -> str:
    """« lundi 7 décembre 2026 à 9 h 30 »."""
    dt = en_datetime(valeur)
    return f"{date_jour_longue(dt)} à {heure(dt)}"


def dernier_jour(valeur: date | datetime | str) -> date:
    """The last day of a deadline. A date is already that day; a due *moment* (a task's due
    date, a timer) falls at midnight, Paris time, once its last day is over, so the day
    shown is the one before (app/domain/delais.py `moment_echeance` is the inverse)."""
    if isinstance(valeur, str) and "T" in valeur:
        valeur = datetime.fromisoformat(valeur)
    if not isinstance(valeur, datetime):
        return en_date(valeur)
    local = valeur.astimezone(PARIS)
    if local.time() == time(0):
        return (local - timedelta(microseconds=1)).date()
    return local.date()


def echeance_fr(valeur: date | datetime | str) -> str:
    """« au plus tard le 30 décembre 2026 »: the last day on which the assuré (or the caisse)
    can still act. Every deadline of every page and letter is written this way."""
    return f"au plus tard le {date_longue(dernier_jour(valeur))}"


def en_decimal(valeur: Decimal | float | str) -> Decimal:
    # str() first so that a float such as 0.1 is not carried with its binary noise.
    return valeur if isinstance(valeur, Decimal) else Decimal(str(valeur))


def _arrondi(valeur: Decimal | float | str, decimales: int) -> Decimal:
    # Half-up, as pension amounts are rounded; Babel alone would round half-even.
    return en_decimal(valeur).quantize(Decimal(1).scaleb(-decimales), rounding=ROUND_HALF_UP)


def nombre(valeur: Decimal | float | str, decimales: int = 2) -> str:
    """« 1 234,56 » — rounded half-up, as the amounts of a pension are."""
    motif = "#,##0" + ("." + "0" * decimales if decimales else "")
    return _insecable(format_decimal(_arrondi(valeur, decimales), motif, locale=LOCALE))


def montant(valeur: Decimal | float | str) -> str:
    """« 1 234,56 € »."""
    return _insecable(format_currency(_arrondi(valeur, 2), "EUR", locale=LOCALE))


def taux(valeur: Decimal | float | str) -> str:
    """A rate given as a fraction (0.30) or as a percentage (30) → « 30 % », « 30,5 % »."""
    d = en_decimal(valeur)
    if d <= 1:
        d *= 100
    return _insecable(format_decimal(d, "#,##0.##", locale=LOCALE)) + f"{NBSP}%"


def taille(octets: int) -> str:
    """« 3,0 Mo », « 512 Ko », « 2 Mo » (1 Mo = 1 048 576 octets).

    Rounded *up* to the tenth, so that a file one byte over a 2 Mo limit never reads
    « 2,0 Mo » in a message saying it is too large.
    """
    mo = 1024 * 1024
    if octets >= mo:
        return f"{nombre(Decimal(math.ceil(octets * 10 / mo)).scaleb(-1), 1)}{NBSP}Mo"
    if octets >= 1024:
        return f"{nombre(math.ceil(octets / 1024), 0)}{NBSP}Ko"
    return f"{octets}{NBSP}octet" + ("s" if octets > 1 else "")


def taille_limite(octets: int) -> str:
    """A configured limit reads without a useless decimal: « 2 Mo », « 1,5 Mo »."""
    texte = taille(octets)
    return texte.replace(f",0{NBSP}", NBSP)


def date_heure_courte(valeur: datetime | str) -> str:
    """« 31/12/2026 00:00 » — the due times drawn on a diagram, where space is short."""
    return format_date(en_datetime(valeur), "dd/MM/y", locale=LOCALE) + " " + format_time(
        en_datetime(valeur).replace(tzinfo=None), "HH:mm", locale=LOCALE)
