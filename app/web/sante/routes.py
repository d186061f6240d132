"""Health and readiness, for the load balancer and the operators (JSON, reasons in French).

- `GET /sante`: the process answers (liveness; touches nothing else).
- `GET /sante/pret`: ready to serve — database reachable and its migrations at the code's
  head(s); also reports the timer worker's last pass. 503 with the reasons when not ready.
- `GET /sante/minuteurs`: the timer worker is alive — its last pass is recent (503 if not).

The timer worker does not decide whether a web process is ready: a stopped worker must not
take every web process out of the load balancer; it has its own probe.
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import cache

from flask import current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.config import ROOT
from app.engine.clock import clock
from app.engine.timers import last_pass

from ..shared.security import public
from ..shared.services import services
from .blueprint import bp

log = logging.getLogger(__name__)

DB_DOWN = "Base de données injoignable : aucune requête ne peut aboutir."
NO_SCHEMA = ("Schéma de base absent : lancez « flask init-db » (migrations Alembic) avant de "
             "servir.")
NO_PASS = "Aucun passage du processus des minuteurs n'a été enregistré (flask run-timers)."


@cache
def code_heads() -> frozenset[str]:
    """The head revision(s) of migrations/ in this code (read once per process)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


@bp.get("")
@public
def vivant():
    return jsonify({"statut": "vivant"})


@bp.get("/pret")
@public
def pret():
    raisons: list[str] = []
    report: dict = {"base": "injoignable", "migrations": None, "minuteurs": None}
    try:
        with services().read_factory() as session:
            session.execute(text("SELECT 1"))
            report["base"] = "joignable"
            versions = _database_versions(session)
            report["migrations"] = _migrations(versions, raisons)
            if versions is not None:
                report["minuteurs"] = _timers(session)
    except Exception:  # any driver error: unreachable, refused, wrong credentials…
        log.exception("readiness: database")
        raisons.append(DB_DOWN)
    report["pret"] = not raisons
    report["raisons"] = raisons
    return jsonify(report), (200 if not raisons else 503)


@bp.get("/minuteurs")
@public
def minuteurs():
    try:
        with services().read_factory() as session:
            report = _timers(session)
    except Exception:
        log.exception("readiness: timers")
        return jsonify({"vivant": False, "raisons": [DB_DOWN]}), 503
    return jsonify(report), (200 if report["vivant"] else 503)


def _database_versions(session) -> set[str] | None:
    try:
        rows = session.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:  # no alembic_version table: the schema was never created
        session.rollback()
        return None
    return {row[0] for row in rows}


def _migrations(versions: set[str] | None, raisons: list[str]) -> dict:
    heads = code_heads()
    if versions is None:
        raisons.append(NO_SCHEMA)
        return {"a_jour": False, "base": [], "code": sorted(heads)}
    if versions != heads:
        raisons.append(
            f"Migrations de la base pas à jour : base {', '.join(sorted(versions)) or '(aucune)'}"
            f", code {', '.join(sorted(heads))} — lancez « flask init-db ».")
    return {"a_jour": versions == heads, "base": sorted(versions), "code": sorted(heads)}


def _timers(session) -> dict:
    at: datetime | None = last_pass(session)
    limit = int(current_app.config.get("TIMERS_STALE_SECONDS", 60))
    if at is None:
        return {"vivant": False, "derniere_passe": None, "il_y_a_secondes": None,
                "raisons": [NO_PASS]}
    age = (clock.now() - at).total_seconds()
    report = {"vivant": age <= limit, "derniere_passe": at.isoformat(),
              "il_y_a_secondes": round(age, 1)}
    if age > limit:
        report["raisons"] = [(f"Dernier passage des minuteurs il y a {round(age)} s (plus de "
                              f"{limit} s) : le processus des minuteurs semble arrêté.")]
    return report
