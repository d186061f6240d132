"""Jinja filters: French dates and money, in Paris time."""
from __future__ import annotations

from datetime import date, datetime

from flask import Flask

from app.documents.formats import date_longue, heure
from app.engine.clock import PARIS


def datetime_fr(value) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        local = value.astimezone(PARIS)
        return f"{date_longue(local.date())} à {heure(local.replace(tzinfo=None))}"
    return date_longue(value)


def date_fr(value) -> str:
    if not value:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(PARIS).date()
    if isinstance(value, (str, date)):
        return date_longue(value)
    return str(value)


def register_filters(app: Flask) -> None:
    app.jinja_env.filters["datetime_fr"] = datetime_fr
    app.jinja_env.filters["date_fr"] = date_fr
