"""Supervision of running dossiers: dashboard and the instance list with its filters.

Routes are split by job: this module (dashboard, list), `instance` (one instance: diagram,
history, variables, incidents, actions), `maps` (heat map, batch migration), `deadlines`
(deadlines at risk, demo clock). Studio test runs
(`sandbox`) never appear here.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, render_template, request
from sqlalchemy import func, or_, select

from app.engine.clock import clock
from app.models import (
    STATUSES,
    Caisse,
    Dossier,
    HumanTask,
    Incident,
    ProcessInstance,
    ProcessVersion,
)

from ..shared.diagram import STATUS_LABELS
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db
from .blueprint import bp

PAGE_SIZE = 50
LIVE = ("running", "suspended", "incident")
FINAL_STATUTS = ("accord", "refus", "rejet_implicite", "clos", "arrete")


def real_instances():
    """Every query of the supervision starts here: studio test runs are never listed."""
    return select(ProcessInstance).where(ProcessInstance.sandbox.is_(False))


def risk_days() -> int:
    return int(current_app.config.get("ECHEANCES_A_RISQUE_JOURS", 15))


def deadlines_at_risk_query(today: date):
    limit = today + timedelta(days=risk_days())
    return (select(Dossier, ProcessInstance).join(ProcessInstance,
                                                   ProcessInstance.id == Dossier.instance_id)
            .where(ProcessInstance.sandbox.is_(False), Dossier.decision.is_(None),
                   Dossier.statut.not_in(FINAL_STATUTS),
                   Dossier.date_limite_decision.is_not(None),
                   Dossier.date_limite_decision <= limit,
                   ProcessInstance.status.in_(LIVE)))


@bp.get("/", endpoint="index")
@roles("superviseur")
def index():
    counts = dict(db().execute(select(ProcessInstance.status, func.count())
                               .where(ProcessInstance.sandbox.is_(False))
                               .group_by(ProcessInstance.status)).all())
    open_tasks = db().scalar(select(func.count()).select_from(HumanTask).join(ProcessInstance)
                             .where(HumanTask.status == "open",
                                    ProcessInstance.sandbox.is_(False)))
    incidents = db().execute(select(Incident, ProcessInstance).join(ProcessInstance)
                             .where(Incident.resolved_at.is_(None),
                                    ProcessInstance.sandbox.is_(False))
                             .order_by(Incident.created_at.desc()).limit(20)).all()
    at_risk = len(db().execute(deadlines_at_risk_query(clock.today())).all())
    return render_template("supervision/index.html", counts=counts, open_tasks=open_tasks,
                           incidents=incidents, at_risk=at_risk, risk_days=risk_days(),
                           labels=STATUS_LABELS, statuses=STATUSES)


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if "/" in text:
        day, month, year = text.split("/")
        return date(int(year), int(month), int(day))
    return date.fromisoformat(text)


def filtered_instances(args, with_status: bool = False):
    """(query of instances with their dossier, errors) for the list's filters; the status
    filter only when `with_status` (the counts by status ignore it)."""
    errors = {}
    query = real_instances().outerjoin(Dossier, Dossier.instance_id == ProcessInstance.id) \
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.process_version_id)
    if args.get("processus"):
        query = query.where(ProcessInstance.process_key == args["processus"])
    if args.get("version", "").strip():
        if parse_id(args["version"]) is not None:
            query = query.where(ProcessVersion.version == parse_id(args["version"]))
        else:
            errors["version"] = "Indiquez un numéro de version (un nombre)."
    if args.get("caisse"):
        query = query.where(ProcessInstance.caisse_code == args["caisse"])
    if args.get("etape", "").strip():
        query = query.where(ProcessInstance.current_step.ilike(f"%{args['etape'].strip()}%"))
    if args.get("dossier", "").strip():
        number = args["dossier"].strip()
        query = query.where(or_(ProcessInstance.business_key.ilike(f"%{number}%"),
                                Dossier.numero.ilike(f"%{number}%")))
    try:
        before = _parse_date(args.get("echeance_avant", ""))
    except (ValueError, OverflowError):
        before = None
        errors["echeance_avant"] = "Date invalide : utilisez le format JJ/MM/AAAA."
    if before is not None:
        query = query.where(Dossier.date_limite_decision <= before)
    if with_status and args.get("statut") in STATUSES:
        query = query.where(ProcessInstance.status == args["statut"])
    return query, errors


@bp.get("/instances", endpoint="instances")
@roles("superviseur")
def instances():
    args = request.args
    query, errors = filtered_instances(args)
    counts = _counts(query)
    if args.get("statut") in STATUSES:
        query = query.where(ProcessInstance.status == args["statut"])
    page = max(parse_id(args.get("page")) or 1, 1)
    total = db().scalar(select(func.count()).select_from(query.with_only_columns(
        ProcessInstance.id).subquery()))
    rows = db().execute(query.add_columns(Dossier).order_by(
        ProcessInstance.updated_at.desc(), ProcessInstance.id.desc())
        .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return render_template(
        "supervision/instances.html", rows=rows, counts=counts, total=total, page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1), args=args, errors=errors,
        processes=db().scalars(select(ProcessVersion.process_key).where(
            ProcessVersion.sandbox.is_(False)).distinct().order_by(
            ProcessVersion.process_key)).all(),
        caisses=db().scalars(select(Caisse).order_by(Caisse.code)).all(),
        labels=STATUS_LABELS, statuses=STATUSES), (422 if errors else 200)


def _counts(query) -> dict[str, int]:
    """Counts by status under the other filters (so each status shows what it would list)."""
    ids = query.with_only_columns(ProcessInstance.id).subquery()
    return dict(db().execute(select(ProcessInstance.status, func.count())
                             .where(ProcessInstance.id.in_(select(ids.c.id)))
                             .group_by(ProcessInstance.status)).all())
