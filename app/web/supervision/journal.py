"""Supervision: the audit log searched across instances — who (name or e-mail), what (the
action), when (from, to), which dossier — newest first, paginated. Studio test runs are left
out, like everywhere in the supervision."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from sqlalchemy import false, func, or_, select

from app.engine.clock import PARIS
from app.models import AuditLog, Dossier, ProcessInstance, User

from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db
from .blueprint import bp
from .instance import OPERATOR_LABELS

PAGE_SIZE = 50


@bp.get("/journal")
@roles("superviseur")
def journal():
    args, errors = request.args, {}
    query = (select(AuditLog, User, ProcessInstance, Dossier)
             .outerjoin(User, User.id == AuditLog.user_id)
             .outerjoin(ProcessInstance, ProcessInstance.id == AuditLog.instance_id)
             .outerjoin(Dossier, Dossier.instance_id == AuditLog.instance_id)
             .where(or_(ProcessInstance.id.is_(None), ProcessInstance.sandbox.is_(False))))
    who = args.get("qui", "").strip()
    if who:
        pattern = f"%{who}%"
        query = query.where(or_(User.email.ilike(pattern), User.nom.ilike(pattern),
                                User.prenom.ilike(pattern)))
    if args.get("action"):
        query = query.where(AuditLog.action == args["action"])
    number = args.get("dossier", "").strip()
    if number:
        query = query.where(or_(Dossier.numero.ilike(f"%{number}%"),
                                ProcessInstance.business_key.ilike(f"%{number}%")))
    for name, bound in (("du", "start"), ("au", "end")):
        moment = _day(args.get(name, ""), errors, name)
        if moment is not None:
            query = query.where(AuditLog.at >= moment if bound == "start"
                                else AuditLog.at < moment + timedelta(days=1))
    if errors:
        query = query.where(false())
    page = max(parse_id(args.get("page")) or 1, 1)
    total = db().scalar(select(func.count()).select_from(
        query.with_only_columns(AuditLog.id).subquery()))
    rows = db().execute(query.order_by(AuditLog.at.desc(), AuditLog.id.desc())
                        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    actions = db().scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    return render_template("supervision/journal.html", rows=rows, total=total, page=page,
                           pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), args=args,
                           errors=errors, actions=actions, action_labels=OPERATOR_LABELS), \
        (422 if errors else 200)


def _day(text: str, errors: dict, name: str) -> datetime | None:
    """JJ/MM/AAAA or AAAA-MM-JJ: the start of that day, Paris time, in UTC as stored."""
    text = text.strip()
    if not text:
        return None
    try:
        if "/" in text:
            day, month, year = text.split("/")
            found = date(int(year), int(month), int(day))
        else:
            found = date.fromisoformat(text)
    except (ValueError, OverflowError):
        errors[name] = "Date invalide : utilisez le format JJ/MM/AAAA."
        return None
    return datetime.combine(found, time(0), PARIS).astimezone(UTC)
