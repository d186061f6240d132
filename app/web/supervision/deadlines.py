"""Supervision: deadlines at risk (decision due within N days, per caisse) and, in demo
mode, the app clock a superviseur may move forward (so the 2-month tacit refusal can be
shown in seconds)."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.domain.delais import ajouter_mois
from app.engine.clock import PARIS, clock
from app.engine.timers import fire_due_timers
from app.models import Dossier

from ..shared.filters import datetime_fr
from ..shared.security import roles
from ..shared.services import audit, db, services
from .blueprint import bp
from .routes import deadlines_at_risk_query, risk_days

CLOCK_STEPS = {"1h": ("+1 heure", timedelta(hours=1)), "1j": ("+1 jour", timedelta(days=1)),
               "7j": ("+7 jours", timedelta(days=7)), "15j": ("+15 jours", timedelta(days=15))}
MONTH_STEPS = {"1m": ("+1 mois", 1), "2m": ("+2 mois", 2)}
MAX_ADVANCE = timedelta(days=3660)


@bp.get("/echeances", endpoint="echeances")
@roles("superviseur")
def echeances():
    today = clock.today()
    by_caisse = defaultdict(list)
    for dossier, instance in db().execute(deadlines_at_risk_query(today).order_by(
            Dossier.caisse_code, Dossier.date_limite_decision)).all():
        by_caisse[dossier.caisse_code or "(sans caisse)"].append(
            {"dossier": dossier, "instance": instance,
             "days": (dossier.date_limite_decision - today).days})
    return render_template("supervision/echeances.html", by_caisse=dict(sorted(
        by_caisse.items())), today=today, risk_days=risk_days())


def _demo_only() -> None:
    if not current_app.config.get("DEMO_MODE"):
        abort(404)


@bp.get("/horloge")
@roles("superviseur")
def clock_page():
    _demo_only()
    return render_template("supervision/horloge.html", now=clock.now(), offset=clock.offset,
                           steps=CLOCK_STEPS, months=MONTH_STEPS)


@bp.post("/horloge")
@roles("superviseur")
def move_clock():
    _demo_only()
    before = clock.now()
    choice = request.form.get("avance", "")
    if choice == "reinitialiser":
        clock.set_offset(timedelta(0))
        audit("horloge_reinitialisee", {"avant": before.isoformat(),
                                        "apres": clock.now().isoformat()})
        flash("Horloge revenue à l'heure réelle.", "success")
        return redirect(url_for("supervision.clock_page"), 303)
    delta = _delta(choice, before)
    if delta is None:
        flash("Indiquez une avance positive en jours et/ou en heures (au plus dix ans).",
              "error")
        return redirect(url_for("supervision.clock_page"), 303)
    clock.advance(delta)
    fired = fire_due_timers(services().runtime)
    audit("horloge_avancee", {"avant": before.isoformat(), "apres": clock.now().isoformat(),
                              "secondes": delta.total_seconds(), "instances": fired,
                              "par": current_user.email})
    flash(f"Horloge avancée au {datetime_fr(clock.now())}. "
          f"{fired} instance(s) dont un minuteur était échu ont avancé.", "success")
    return redirect(url_for("supervision.clock_page"), 303)


def _delta(choice: str, now) -> timedelta | None:
    if choice in CLOCK_STEPS:
        return CLOCK_STEPS[choice][1]
    if choice in MONTH_STEPS:
        today = now.astimezone(PARIS).date()
        return timedelta(days=(ajouter_mois(today, MONTH_STEPS[choice][1]) - today).days)
    try:
        delta = timedelta(days=float(request.form.get("jours") or 0),
                          hours=float(request.form.get("heures") or 0))
    except (ValueError, OverflowError):  # « abc », « nan », « 1e400 », « -9999…9 »
        return None
    return delta if timedelta(0) < delta <= MAX_ADVANCE else None
