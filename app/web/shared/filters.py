"""Jinja filters for the pages: French dates, deadlines and money, in Paris time.

Thin wrappers over app/documents/formats.py (Babel), the one formatter of pages and letters:
a template never formats a date by hand.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from app.documents.formats import date_longue, echeance_fr, heure, montant
from app.engine.clock import PARIS

from .libelles import register_libelles


def datetime_fr(value) -> str:
    """« 7 décembre 2026 à 9 h 30 » (a moment, shown in Paris time)."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        local = value.astimezone(PARIS)
        return f"{date_longue(local.date())} à {heure(local.replace(tzinfo=None))}"
    return date_longue(value)


def date_fr(value) -> str:
    """« 7 décembre 2026 », « 1er mars 2027 » (the day, in Paris time for a moment)."""
    if not value:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    if isinstance(value, (str, date)):
        return date_longue(value)
    return str(value)


def echeance_filter(value) -> str:
    """« au plus tard le 30 décembre 2026 » from a last day (date) or a due moment (midnight
    that ends the last day); empty when there is no deadline."""
    return echeance_fr(value) if value else ""


def euros(value) -> str:
    """« 1 234,56 € »; « — » when there is no amount."""
    return montant(value) if value not in (None, "") else "—"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["datetime_fr"] = datetime_fr
    app.jinja_env.filters["date_fr"] = date_fr
    app.jinja_env.filters["echeance_fr"] = echeance_filter
    app.jinja_env.filters["euros"] = euros
    register_libelles(app)  # statuts, decisions, kinds of document: never a raw code
