"""Supervision: the heat map (how many instances stand at each element of a version) and the
batch migration of running instances to a newer version (app/engine/migration.py)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from lxml import etree
from sqlalchemy import func, select

from app.engine.deploy import latest_version
from app.engine.errors import NotFound
from app.engine.migration import check_instances, migrate_instances
from app.models import ProcessInstance, ProcessVersion

from ..shared.diagram import diagram_xml, waiting_counts
from ..shared.params import parse_id
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .routes import LIVE

MAX_MIGRATION = 500


def _versions() -> list[tuple[ProcessVersion, int]]:
    """Every deployed version with its number of live instances."""
    live = dict(db().execute(select(ProcessInstance.process_version_id, func.count())
                             .where(ProcessInstance.status.in_(LIVE),
                                    ProcessInstance.sandbox.is_(False))
                             .group_by(ProcessInstance.process_version_id)).all())
    return [(v, live.get(v.id, 0)) for v in db().scalars(
        select(ProcessVersion).where(ProcessVersion.sandbox.is_(False))
        .order_by(ProcessVersion.process_key, ProcessVersion.version.desc()))]


def element_names(xml: str) -> dict[str, str]:
    try:
        root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False,
                                                                     no_network=True))
    except etree.XMLSyntaxError:
        return {}
    return {node.get("id"): node.get("name") or "" for node in root.iter()
            if isinstance(node.tag, str) and node.get("id")}


@bp.get("/carte")
@roles("superviseur")
def heatmap():
    versions = _versions()
    chosen = request.args.get("version", "")
    version = next((v for v, _n in versions if str(v.id) == chosen), None)
    if version is None:
        busiest = max(versions, key=lambda pair: pair[1], default=(None, 0))
        version = busiest[0]
    if version is None:
        return render_template("supervision/heatmap.html", versions=versions, version=None)
    filename, xml = diagram_xml(services().runtime, db(), version)
    names = element_names(xml)
    states = db().scalars(select(ProcessInstance.state).where(
        ProcessInstance.process_version_id == version.id, ProcessInstance.status.in_(LIVE),
        ProcessInstance.sandbox.is_(False))).all()
    counts = {element: n for element, n in waiting_counts(states).items() if element in names}
    return render_template(
        "supervision/heatmap.html", versions=versions, version=version, filename=filename,
        counts=sorted(counts.items(), key=lambda pair: -pair[1]), names=names,
        total=len(states), diagram={"xml": xml, "counts": counts})


@bp.get("/migration")
@roles("superviseur")
def migration():
    """Pre-check: the live instances of older versions, which can move and why not."""
    versions = _versions()
    keys = sorted({v.process_key for v, _n in versions})
    latest = {}
    for v, _n in versions:
        latest[v.process_key] = max(latest.get(v.process_key, 0), v.version)
    # By default, the first process with live instances left behind on an older version.
    behind = [v.process_key for v, n in versions if n and v.version < latest[v.process_key]]
    key = request.args.get("processus") or (sorted(behind) or keys or [""])[0]
    target = latest_version(db(), key) if key else None
    chosen = parse_id(request.args.get("cible", ""))
    if chosen is not None:
        found = db().get(ProcessVersion, chosen)
        target = found if found is not None and found.process_key == key and \
            not found.sandbox else target
    checks = []
    if target is not None:
        ids = db().scalars(select(ProcessInstance.id).join(ProcessVersion).where(
            ProcessInstance.process_key == key, ProcessInstance.status.in_(LIVE),
            ProcessInstance.sandbox.is_(False), ProcessVersion.version < target.version)
            .order_by(ProcessInstance.id).limit(MAX_MIGRATION)).all()
        checks = check_instances(services().runtime, db(), list(ids), target)
    targets = [v for v, _n in versions if v.process_key == key]
    return render_template("supervision/migration.html", keys=keys, key=key, target=target,
                           targets=targets, checks=checks, report=None)


@bp.post("/migration")
@roles("superviseur")
def migrate():
    target_id = parse_id(request.form.get("cible", ""))
    ids = [i for i in map(parse_id, request.form.getlist("instances")) if i is not None]
    if target_id is None or not ids:
        flash("Cochez au moins une instance à migrer.", "error")
        return redirect(url_for("supervision.migration",
                                processus=request.form.get("processus", "")), 303)
    try:
        report = migrate_instances(services().runtime, ids[:MAX_MIGRATION], target_id,
                                   current_user)
    except NotFound as err:
        flash(err.message, "error")
        return redirect(url_for("supervision.migration"), 303)
    target = db().get(ProcessVersion, target_id)
    return render_template("supervision/migration.html", keys=[], key=target.process_key,
                           target=target, targets=[], checks=[], report=report)
