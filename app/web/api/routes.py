"""JSON endpoints over the runtime service (the browser pages use the same calls)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import select

from app.engine.errors import FormInvalid, RuntimeServiceError
from app.models import HumanTask

from ..shared import completion
from ..shared.inbox import visible_tasks
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp

# Who completes tasks: the same roles as the task pages (cra, cmra: the commissions).
STAFF = ("agent", "medecin_conseil", "cra", "cmra")
WORKERS = ("assure", *STAFF)


@bp.errorhandler(RuntimeServiceError)
def runtime_error(err: RuntimeServiceError):
    body = {"erreur": err.message}
    if isinstance(err, FormInvalid):
        body["champs"] = err.errors
    return jsonify(body), err.status


@bp.get("/taches")
@roles(*WORKERS)
def list_tasks():
    rows = db().scalars(visible_tasks(current_user)).all()
    return jsonify([_task_json(row) for row in rows])


@bp.post("/taches/<int:task_id>/completer")
@roles(*WORKERS)
def complete(task_id: int):
    payload = request.get_json(silent=True) if request.get_data().strip() else {}
    if not isinstance(payload, dict):
        return jsonify({"erreur": "Le corps de la requête doit être un objet JSON, par exemple "
                                  "{\"donnees\": {…}, \"version\": 3}."}), 400
    data, version = payload.get("donnees", {}), payload.get("version")
    if not isinstance(data, dict):
        return jsonify({"erreur": "« donnees » doit être un objet JSON : les champs du "
                                  "formulaire et leurs valeurs."}), 400
    if isinstance(version, float) and version.is_integer():
        version = int(version)  # 3.0 is the integer 3 (JSON Schema's `integer` says so too)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        return jsonify({"erreur": "« version » doit être un nombre entier."}), 400
    # The same door as the task pages: timers first, readOnly kept, the form's and the
    # screen's checks, the screen's extras (app/web/shared/completion.py).
    sent = completion.complete(task_id, current_user, data=data, version=version)
    if not sent.done:
        raise FormInvalid(sent.errors)
    return jsonify({"ok": True})


@bp.post("/taches/<int:task_id>/prendre")
@roles(*STAFF)
def claim(task_id: int):
    services().runtime.claim(task_id, current_user)
    return jsonify({"ok": True})


@bp.post("/taches/<int:task_id>/liberer")
@roles(*STAFF, "superviseur")
def release(task_id: int):
    services().runtime.unclaim(task_id, current_user)
    return jsonify({"ok": True})


def _task_json(row: HumanTask) -> dict:
    return {"id": row.id, "titre": row.title, "element": row.element_id,
            "dossier": row.instance.business_key, "version": row.instance.lock_version,
            "echeance": row.due_at.isoformat() if row.due_at else None,
            "pris_par": row.claimed_by_id,
            # A suspended dossier's task is listed but refused until the dossier resumes.
            "suspendue": row.instance.status == "suspended"}


def open_task_ids(instance_id: int) -> list[int]:
    return list(db().scalars(select(HumanTask.id).where(HumanTask.instance_id == instance_id,
                                                        HumanTask.status == "open")))
