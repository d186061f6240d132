"""Supervision: the superviseur's repairs on one instance (move the token, fire or re-date a
timer, edit a non-medical variable — app/engine/operations.py) and the same kind of actions
in bulk on a filtered list (suspend, resume, retry the open incidents, migrate to the latest
version). Every action asks for a reason and leaves audit rows; refusals come back in French."""
from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.engine import operations
from app.engine.clock import PARIS
from app.engine.deploy import latest_version
from app.engine.errors import FormInvalid, IncidentRaised, RuntimeServiceError
from app.engine.migration import migrate_instances
from app.models import Incident, ProcessInstance

from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import audit, db, services
from .blueprint import bp
from .instance import _run
from .routes import filtered_instances

MAX_LOT = 500
BULK_ACTIONS = {"suspendre": "suspension", "reprendre": "reprise",
                "relancer": "relance des incidents", "migrer": "migration de version"}


def _form(name: str) -> str:
    return request.form.get(name, "").strip()


@bp.post("/instances/<int:instance_id>/jeton")
@roles("superviseur")
def move_token(instance_id: int):
    return _run(instance_id, lambda: operations.move_token(
        services().runtime, instance_id, _form("annuler"), _form("cible"), current_user,
        _form("motif")), "Jeton déplacé : l'instance repart avant l'élément choisi.")


@bp.post("/instances/<int:instance_id>/minuteurs/declencher")
@roles("superviseur")
def fire_timer(instance_id: int):
    return _run(instance_id, lambda: operations.fire_timer_now(
        services().runtime, instance_id, _form("minuteur"), current_user, _form("motif")),
        "Minuteur déclenché.")


@bp.post("/instances/<int:instance_id>/minuteurs/redater")
@roles("superviseur")
def redate_timer(instance_id: int):
    def action():
        due = _parse_moment(_form("echeance"))
        operations.redate_timer(services().runtime, instance_id, _form("minuteur"), due,
                                current_user, _form("motif"))
    return _run(instance_id, action, "Minuteur redaté.")


def _parse_moment(text: str) -> datetime:
    """JJ/MM/AAAA HH:MM (or the browser's AAAA-MM-JJTHH:MM), Paris time."""
    for pattern in ("%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=PARIS)
        except ValueError:
            continue
    raise FormInvalid({"echeance": "Échéance invalide : utilisez le format JJ/MM/AAAA HH:MM."})


@bp.post("/instances/<int:instance_id>/variable")
@roles("superviseur")
def edit_variable(instance_id: int):
    return _run(instance_id, lambda: operations.edit_variable(
        services().runtime, instance_id, _form("nom"), request.form.get("valeur", ""),
        current_user, _form("motif")), "Variable modifiée.")


# ----- bulk ---------------------------------------------------------------------------------
@bp.post("/instances/lot")
@roles("superviseur")
def bulk():
    action, motif = _form("action"), _form("motif")
    back = redirect(url_for("supervision.instances", **_filters()), 303)
    if action not in BULK_ACTIONS:
        flash("Choisissez l'action à appliquer.", "error")
        return back
    if not motif:
        flash("Indiquez le motif de l'action groupée.", "error")
        return back
    ids = _chosen_ids()
    if not ids:
        flash("Cochez au moins une instance, ou choisissez « toutes les instances du "
              "filtre ».", "error")
        return back
    done, refused = _apply(action, ids, motif)
    audit("action_lot", {"action": action, "motif": motif, "faites": done,
                         "refusees": {str(k): v for k, v in refused.items()}})
    flash(f"{BULK_ACTIONS[action].capitalize()} : {len(done)} instance(s) traitée(s)"
          + (f", {len(refused)} refusée(s) : " + " ; ".join(
              f"n° {k} ({v})" for k, v in list(refused.items())[:10]) if refused else "")
          + ".", "success" if not refused else "warning")
    return back


def _filters() -> dict:
    return {k: v for k, v in request.form.items()
            if k in ("processus", "version", "statut", "caisse", "etape", "dossier",
                     "echeance_avant") and v}


def _chosen_ids() -> list[int]:
    if request.form.get("portee") == "filtre":
        query, errors = filtered_instances(_filters(), with_status=True)
        if errors:
            return []
        return list(db().scalars(query.with_only_columns(ProcessInstance.id)
                                 .order_by(ProcessInstance.id).limit(MAX_LOT)))
    ids = [i for i in map(parse_id, request.form.getlist("instances")) if i is not None]
    real = set(db().scalars(select(ProcessInstance.id).where(
        ProcessInstance.id.in_(ids), ProcessInstance.sandbox.is_(False))))
    return [i for i in ids if i in real][:MAX_LOT]


def _apply(action: str, ids: list[int], motif: str) -> tuple[list[int], dict[int, str]]:
    if action == "migrer":
        return _migrate(ids)
    runtime, done, refused = services().runtime, [], {}
    for instance_id in ids:
        try:
            if action == "suspendre":
                runtime.set_status(instance_id, "suspended", current_user, motif)
            elif action == "reprendre":
                runtime.set_status(instance_id, "running", current_user, motif)
            else:
                _retry(runtime, instance_id)
        except IncidentRaised as err:
            refused[instance_id] = f"nouvel échec, incident n° {err.incident_id}"
        except RuntimeServiceError as err:
            refused[instance_id] = err.message
        else:
            done.append(instance_id)
    return done, refused


def _retry(runtime, instance_id: int) -> None:
    from app.engine.errors import Conflict

    incident_id = db().scalar(select(Incident.id).where(
        Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
        .order_by(Incident.id).limit(1))
    if incident_id is None:
        raise Conflict("aucun incident ouvert")
    runtime.retry_incident(incident_id, current_user)


def _migrate(ids: list[int]) -> tuple[list[int], dict[int, str]]:
    """Each instance to the latest version of its own process."""
    done, refused = [], {}
    by_process: dict[str, list[int]] = {}
    for instance_id, key in db().execute(select(ProcessInstance.id, ProcessInstance.process_key)
                                         .where(ProcessInstance.id.in_(ids))):
        by_process.setdefault(key, []).append(instance_id)
    for key, members in by_process.items():
        target = latest_version(db(), key)
        if target is None:
            refused.update({i: "aucune version déployée" for i in members})
            continue
        behind = set(db().scalars(select(ProcessInstance.id).where(
            ProcessInstance.id.in_(members),
            ProcessInstance.process_version_id != target.id)))
        refused.update({i: "déjà sur la dernière version" for i in members if i not in behind})
        report = migrate_instances(services().runtime, sorted(behind), target.id, current_user)
        done += report.moved
        refused.update({i: " ; ".join(r) for i, r in report.refused.items()})
    return done, refused
