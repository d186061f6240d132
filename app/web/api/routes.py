"""JSON endpoints over the runtime service (the browser pages use the same calls).

Starting an instance (POST /api/processus/<key>/instances), so a whole lifecycle can run over
HTTP. Who may start a process is said by its diagram: the role of the lane holding its start
event (the same mapping as the inboxes, app/engine/human_tasks.py); the instance starts as
the signed-in person, in their caisse (an assuré's: the one competent for their address).
Two kinds of process never start here, because their start needs more than an instance:
- a journey entry point (`parcours`: ameliBot, the online request, the paper S4150) starts
  from its page, which holds the checks and rows the journey needs (the request: ameliBot's
  orientation first, one draft at a time, the dossier row; the S4150: the paper's data);
- a process another one calls (a call activity's `calledElement`, e.g. the recours) starts
  with its caller's data, never on its own.
"""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.domain import caisse_competente, departement_du_code_postal
from app.engine.callgraph import calls_in
from app.engine.deploy import latest_version, load_version_sources
from app.engine.errors import Forbidden, FormInvalid, NotFound, RuntimeServiceError
from app.engine.human_tasks import role_of_task
from app.models import Caisse, DeployedFile, HumanTask

from ..shared import completion
from ..shared.inbox import open_task_ids, visible_tasks
from ..shared.security import roles
from ..shared.services import db, release_reads, services
from .blueprint import bp

# Who completes tasks: the same roles as the task pages (cra, cmra: the commissions).
STAFF = ("agent", "medecin_conseil", "cra", "cmra")
WORKERS = ("assure", *STAFF)


class AdresseSansCaisse(RuntimeServiceError):
    status = 422


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
    # What comes next for this person on the same instance: a client goes on without
    # listing its whole inbox. The instance id is the one the step read.
    return jsonify({"ok": True, "taches": my_open_tasks(sent.instance_id)})


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


@bp.post("/processus/<key>/instances")
@roles(*WORKERS, "superviseur", "analyste")
def start_instance(key: str):
    """201 with the new instance, its n° de dossier and its open tasks; refused in French."""
    version = latest_version(db(), key)
    if version is None:
        raise NotFound(f"Aucun processus déployé « {key} ».")
    _may_start(key, version)
    caisse = _caisse_of_starter()

    created = []

    def audit(session, instance) -> None:  # in the start's own transaction
        created.append(instance)  # its n° de dossier, if the first steps give one
        services().runtime.audit(session, "instance_demarree_api", instance.id,
                                 current_user.id, {"processus": key, "version": version.version,
                                                   "role": current_user.role})

    release_reads()
    instance_id = services().runtime.start(
        key, user_id=current_user.id, owner_id=current_user.id, caisse_code=caisse,
        version=version, on_created=audit)
    return jsonify({"instance": instance_id, "dossier": created[0].business_key,
                    "taches": my_open_tasks(instance_id)}), 201


def _may_start(key: str, version) -> None:
    if version.parcours:
        raise Forbidden("Ce processus est le point d'entrée d'un parcours : il se démarre "
                        "depuis sa page, qui fait les vérifications du parcours.")
    if key in _called_processes():
        raise Forbidden("Ce processus est appelé par un autre processus : il démarre avec "
                        "lui, jamais seul.")
    spec = services().runtime.specs.get(
        version, lambda vid: load_version_sources(db(), vid))[0]
    starters = {role_of_task(event) for event in spec.start.outputs}
    if current_user.role not in starters:
        raise Forbidden("Votre rôle ne permet pas de démarrer ce processus : il démarre dans "
                        "le couloir d'un autre rôle.")


_CALLED: tuple[int, frozenset[str]] = (-1, frozenset())  # (newest file id, called keys)


def _called_processes() -> frozenset[str]:
    """Processes named by a call activity of any deployed diagram. Deployments only add
    rows, so the newest file id says whether the cached answer still holds (replaced in one
    assignment: a thread reading it meanwhile sees the old pair or the new one)."""
    global _CALLED
    newest = db().scalar(select(func.max(DeployedFile.id))) or 0
    if _CALLED[0] != newest:
        files = db().execute(select(DeployedFile.filename, DeployedFile.content).where(
            DeployedFile.kind == "bpmn")).all()
        _CALLED = (newest, frozenset(call.called for name, text in files
                                     for call in calls_in(name, text)))
    return _CALLED[1]


def _caisse_of_starter() -> str | None:
    if current_user.role != "assure":
        return current_user.caisse_code
    try:
        caisse = caisse_competente(departement_du_code_postal(current_user.code_postal or ""))
    except ValueError as err:
        raise AdresseSansCaisse("Votre adresse ne permet pas de trouver votre caisse : vérifiez "
                                "votre code postal dans « Mes informations ».") from err
    try:
        with services().session_factory() as session, session.begin():
            if session.get(Caisse, caisse) is None:  # the row the instance points to, as
                session.add(Caisse(code=caisse, libelle=caisse, adresse=""))  # the request
    except IntegrityError:
        pass  # a concurrent start created it first
    return caisse


def _task_json(row: HumanTask) -> dict:
    return {"id": row.id, "titre": row.title, "element": row.element_id,
            "dossier": row.instance.business_key, "version": row.instance.lock_version,
            "echeance": row.due_at.isoformat() if row.due_at else None,
            "pris_par": row.claimed_by_id,
            # A suspended dossier's task is listed but refused until the dossier resumes.
            "suspendue": row.instance.status == "suspended"}


def my_open_tasks(instance_id) -> list[int]:
    """Ids of the instance's open tasks that the signed-in person may see (as in their
    inbox: never another role's, so never a medical task to an assuré)."""
    return open_task_ids(db(), current_user, instance_id)
