"""Rules of a human task's and an instance's life that `Runtime` applies inside its steps:
holding a task to complete it, and the dossier of a terminated instance."""
from __future__ import annotations

from sqlalchemy import select

from app.models import AuditLog, HumanTask, ProcessInstance, User

from .clock import clock
from .dossier_hooks import dossier_of
from .errors import Conflict

DOSSIER_ARRETE = "dossier_arrete"


def hold_on_submit(runner, session, row: HumanTask, user: User) -> None:
    """Completing requires holding the task: a free staff task is taken by whoever submits
    it, in the same transaction (said on the task page); one held by someone else is refused
    (`_task_row`). The assuré's own tasks and studio test runs have no claims."""
    if row.role == "assure" or row.instance.sandbox or row.claimed_by_id == user.id:
        return
    if row.claimed_by_id is not None:
        raise Conflict("Cette tâche est prise par une autre personne : vous ne pouvez pas la "
                       "traiter.")
    row.claimed_by_id = user.id
    runner._audit(session, "task_claimed", row.instance_id, user.id, row.element_id,
                  {"a_l_envoi": True})


def mark_dossier_stopped(session, instance: ProcessInstance) -> None:
    """A terminated instance's dossier says so (statut « arrete »). The statut it had is
    kept in an audit row: what the assuré may still do depends on it (a refusal stays
    contestable by letter; a claim before its commission was left undecided)."""
    dossier = dossier_of(session, instance.id)
    if dossier is not None:
        session.add(AuditLog(at=clock.now(), action=DOSSIER_ARRETE, instance_id=instance.id,
                             details={"statut_avant": dossier.statut}))
        dossier.statut, dossier.updated_at = "arrete", clock.now()


def statut_avant_arret(session, instance_id: int) -> str | None:
    """The statut a stopped dossier had when its instance was terminated."""
    details = session.scalar(select(AuditLog.details).where(
        AuditLog.instance_id == instance_id, AuditLog.action == DOSSIER_ARRETE)
        .order_by(AuditLog.id.desc()).limit(1))
    return (details or {}).get("statut_avant")
