"""Dates as people type them (JJ/MM/AAAA) and as they are stored (ISO YYYY-MM-DD)."""
from __future__ import annotations

import re
from datetime import date

from babel.dates import format_date

# Lenient on separators and leading zeros (« 1/2/2025 », « 01.02.2025 », « 01-02-2025 »): the
# person should not fail on typography. The year must have four digits, so « 01/01/200 »
# (a typo seen in the téléservice's own screenshots) is refused rather than guessed.
_FR = re.compile(r"^(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

# Earlier years are almost always typos (« 01/01/0985 »); no date in these forms predates 1900.
MIN_YEAR = 1900


def parse_date(text: str) -> date | None:
    """A real calendar date from JJ/MM/AAAA (or ISO, as stored), else None."""
    text = text.strip()
    match = _FR.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    else:
        match = _ISO.match(text)
        if not match:
            return None
        year, month, day = (int(g) for g in match.groups())
    if year < MIN_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:  # 31/02, 29/02 of a common year, month 13…
        return None


def display_date(value: object) -> str:
    """ISO dates shown as JJ/MM/AAAA (Babel, French locale, as app/documents/formats.py
    `date_courte`); anything else (what was typed) shown untouched."""
    text = "" if value is None else str(value)
    match = None if isinstance(value, date) else _ISO.match(text)
    if match:
        try:
            value = date.fromisoformat(text)
        except ValueError:  # « 2025-02-31 »: no such day, shown in the order it is read
            year, month, day = match.groups()
            return f"{day}/{month}/{year}"
    if isinstance(value, date):
        return format_date(value, "dd/MM/y", locale="fr_FR")
    return text
