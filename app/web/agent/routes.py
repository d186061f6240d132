"""Back office: the inbox of agents and médecins-conseils — views (mine, to take, my team's),
search by name, NIR or dossier number, filters and order — claim / release, reassignment
within the team or by a superviseur. Task pages and dossier pages (`taches`), bulk actions
(`equipe`), the export of the list (`export`), internal notes (`notes`) and the paper S4150
form (`s4150`) are the other modules of this package, on the same blueprint."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.documents.formats import date_longue, dernier_jour, taux
from app.engine.clock import clock
from app.engine.runtime import may_act
from app.models import Dossier, HumanTask, ProcessInstance, User

from ..shared.filters import euros
from ..shared.inbox import search, visible_tasks, with_dossier
from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp

STAFF_ROLES = ("agent", "medecin_conseil", "cra", "cmra")  # cra, cmra: the commissions
# A row id typed in a form: ASCII digits, small enough for any database integer.
IDENTIFIANT = re.compile(r"[0-9]{1,9}")
# A task is highlighted as « échéance proche » when due within this period (UI setting).
ECHEANCE_PROCHE = timedelta(days=15)
VUES = {"mes": "Mes tâches", "a_prendre": "À prendre", "equipe": "Mon équipe"}
FILTRES_ECHEANCE = {"": "Toutes les échéances", "depassee": "Échéance dépassée",
                    "proche": "Échéance dans moins de 15 jours"}
TRIS = {"echeance": "Échéance la plus proche", "reception": "Date de réception",
        "etape": "Étape"}
LIGNES_MAX = 500  # one page of the inbox (the export takes more: export.py)


@dataclass
class Ligne:
    task: HumanTask
    dossier: Dossier | None
    classe: str  # task-overdue, task-soon or ""
    badge: tuple[str, str] | None  # (label, DSFR badge modifier)


@dataclass
class Criteres:
    """What the inbox shows: view, filters, search and order, read from the query string
    (the page, its links and the export share them)."""
    vue: str
    etape: str = ""
    echeance: str = ""
    recherche: str = ""
    tri: str = "echeance"

    @property
    def actif(self) -> bool:
        return bool(self.etape or self.echeance or self.recherche)

    def args(self, **changes) -> dict:
        """Non-empty query-string arguments (for a link keeping the current list)."""
        values = {"vue": None if self.vue == "toutes" else self.vue, "etape": self.etape,
                  "echeance": self.echeance, "q": self.recherche,
                  "tri": None if self.tri == "echeance" else self.tri, **changes}
        return {k: v for k, v in values.items() if v}


def criteres(user: User) -> Criteres:
    vue = request.args.get("vue", "")
    if user.role == "superviseur":
        vue = "toutes"
    elif vue not in VUES:
        mine = db().scalar(_base_query(user, "mes").with_only_columns(HumanTask.id).limit(1))
        vue = "mes" if mine else "a_prendre"
    echeance = request.args.get("echeance", "")
    tri = request.args.get("tri", "")
    # « numero » is the former name of the search field (bookmarked links keep working).
    recherche = request.args.get("q", "") or request.args.get("numero", "")
    return Criteres(vue=vue, etape=request.args.get("etape", "")[:100],
                    echeance=echeance if echeance in FILTRES_ECHEANCE else "",
                    recherche=" ".join(recherche.split())[:60],
                    tri=tri if tri in TRIS else "echeance")


def _base_query(user: User, vue: str):
    if user.role == "superviseur":
        return select(HumanTask).join(ProcessInstance).where(
            HumanTask.status == "open", ProcessInstance.sandbox.is_(False),
            HumanTask.role.in_(STAFF_ROLES))
    query = visible_tasks(user).order_by(None)
    if vue == "mes":
        return query.where(HumanTask.claimed_by_id == user.id)
    if vue == "equipe":  # what colleagues hold
        return query.where(HumanTask.claimed_by_id.is_not(None),
                           HumanTask.claimed_by_id != user.id)
    return query.where(HumanTask.claimed_by_id.is_(None))


def _filtered(query, c: Criteres, now: datetime):
    if c.etape:
        query = query.where(HumanTask.element_id == c.etape)
    if c.echeance == "depassee":
        query = query.where(HumanTask.due_at < now)
    elif c.echeance == "proche":
        query = query.where(HumanTask.due_at >= now, HumanTask.due_at < now + ECHEANCE_PROCHE)
    if c.recherche or c.tri == "reception":
        query = with_dossier(query)
    if c.recherche:
        query = search(query, c.recherche)
    by_deadline = (HumanTask.due_at.is_(None), HumanTask.due_at)
    if c.tri == "reception":
        return query.order_by(Dossier.date_reception.is_(None), Dossier.date_reception,
                              *by_deadline, HumanTask.id)
    if c.tri == "etape":
        return query.order_by(HumanTask.title, *by_deadline, HumanTask.id)
    return query.order_by(*by_deadline, HumanTask.id)


def taches_listees(user: User, c: Criteres, limit: int = LIGNES_MAX) -> list[HumanTask]:
    """The current list of the inbox, as shown (and exported)."""
    return list(db().scalars(_filtered(_base_query(user, c.vue), c, clock.now())
                             .limit(limit)).all())


def highlight(due_at: datetime | None, now: datetime) -> tuple[str, tuple[str, str] | None]:
    """Row class and badge: overdue, or due within ECHEANCE_PROCHE."""
    if due_at is None:
        return "", None
    if due_at <= now:
        return "task-overdue", ("Échéance dépassée", "error")
    if due_at - now < ECHEANCE_PROCHE:
        return "task-soon", ("Moins de 15 jours", "warning")
    return "", None


def dossiers_de(tasks: list[HumanTask]) -> dict[int, Dossier]:
    ids = {t.instance_id for t in tasks}
    return {d.instance_id: d for d in db().scalars(
        select(Dossier).where(Dossier.instance_id.in_(ids)))} if ids else {}


def noms_de(tasks: list[HumanTask]) -> dict[int, str]:
    """Who holds each task (staff names)."""
    claimed = {t.claimed_by_id for t in tasks if t.claimed_by_id}
    return {u.id: u.nom_complet for u in db().scalars(select(User).where(
        User.id.in_(claimed)))} if claimed else {}


def _lignes(tasks: list[HumanTask], now: datetime) -> list[Ligne]:
    dossiers = dossiers_de(tasks)
    return [Ligne(t, dossiers.get(t.instance_id), *highlight(t.due_at, now)) for t in tasks]


def _etapes(user: User) -> list[tuple[str, str]]:
    """The steps present in this person's inbox (filter menu)."""
    query = _base_query(user, "") if user.role == "superviseur" else \
        visible_tasks(user).order_by(None)
    rows = db().execute(query.with_only_columns(HumanTask.element_id, HumanTask.title)
                        .distinct()).all()
    return sorted({(element, title) for element, title in rows}, key=lambda r: r[1])


@bp.get("/")
@roles("agent", "medecin_conseil", "cra", "cmra", "superviseur")
def inbox():
    user = current_user
    now = clock.now()
    c = criteres(user)
    tasks = taches_listees(user, c)
    counts = {}
    if user.role != "superviseur":
        for key in VUES:
            counts[key] = db().scalar(_base_query(user, key).with_only_columns(
                func.count(HumanTask.id)))
    return render_template(
        "agent/inbox.html", lignes=_lignes(tasks, now), noms=noms_de(tasks), vue=c.vue,
        vues=VUES, counts=counts, etapes=_etapes(user), etape=c.etape, echeance=c.echeance,
        echeances=FILTRES_ECHEANCE, recherche=c.recherche, tri=c.tri, tris=TRIS,
        criteres=c, filtre_actif=c.actif, tronquee=len(tasks) >= LIGNES_MAX,
        staff=staff_by_role(user))


def staff_by_role(viewer: User) -> dict[tuple[str, str | None], list[User]]:
    """Active agents and médecins, by (role, caisse), for the reassign menus: all of them for
    a superviseur, the viewer's own team (role and caisse) for an agent or a médecin."""
    query = select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True))
    if viewer.role != "superviseur":
        query = query.where(User.role == viewer.role, User.caisse_code == viewer.caisse_code)
    found: dict[tuple[str, str | None], list[User]] = {}
    for user in db().scalars(query.order_by(User.nom, User.prenom)):
        found.setdefault((user.role, user.caisse_code), []).append(user)
    return found


def back_to(default: str) -> str:
    """The page to return to: the form's « retour » when it is a back-office page."""
    target = request.form.get("retour", "")
    return target if target.startswith("/agent") and not target.startswith("//") else default


@bp.post("/taches/<int:task_id>/prendre")
@roles("agent", "medecin_conseil", "cra", "cmra")
def prendre(task_id: int):
    services().runtime.claim(task_id, current_user)
    flash("La tâche vous est attribuée.", "success")
    return redirect(back_to(url_for("agent.tache", task_id=task_id)))


@bp.post("/taches/<int:task_id>/liberer")
@roles("agent", "medecin_conseil", "cra", "cmra", "superviseur")
def liberer(task_id: int):
    services().runtime.unclaim(task_id, current_user)
    flash("La tâche est de nouveau à prendre.", "success")
    return redirect(back_to(url_for("agent.inbox")))


@bp.post("/taches/<int:task_id>/attribuer")
@roles("superviseur", "agent", "medecin_conseil", "cra", "cmra")
def attribuer(task_id: int):
    """A superviseur, or a member of the task's team, gives it to a member of the team."""
    assignee = request.form.get("assignee_id", "")
    if not IDENTIFIANT.fullmatch(assignee):
        flash("Choisissez la personne à qui attribuer la tâche.", "error")
        return redirect(url_for("agent.inbox"))
    services().runtime.assign(task_id, int(assignee), current_user)
    person = db().get(User, int(assignee))
    flash(f"Tâche attribuée à {person.nom_complet}.", "success")
    return redirect(back_to(url_for("agent.inbox")))


def task_or_403(task_id: int) -> HumanTask:
    """An open or closed task this staff member may see (role and caisse), else 403/404."""
    row = db().get(HumanTask, task_id)
    if row is None or row.instance.sandbox:
        abort(404)
    if not may_act(current_user, row, ignore_claim=True):
        abort(403)
    return row


def staff_may_see(dossier: Dossier | None) -> bool:
    """Agents and médecins see the dossiers of their own caisse only."""
    return (dossier is not None and current_user.role in STAFF_ROLES
            and dossier.caisse_code == current_user.caisse_code)


def claimed_or_free(row: HumanTask) -> bool:
    return row.claimed_by_id in (None, current_user.id)


@bp.app_template_filter("agent_euros")
def agent_euros(value) -> str:
    return euros(value)


@bp.app_template_filter("agent_dernier_jour")
def agent_dernier_jour(due_at: datetime | None) -> str:
    """A due moment (midnight that ends the last day) shown as that last day."""
    if due_at is None:
        return ""
    return date_longue(dernier_jour(due_at))


@bp.app_template_filter("agent_taux")
def agent_taux(value) -> str:
    return taux(value) if value not in (None, "") else "—"
