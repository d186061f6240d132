"""The current list of the inbox (same view, filters, search and order) as a CSV or XLSX
attachment, for the team's own follow-up.

What a row says is what the inbox shows: dossier, step, deadline, receipt, assuré's name,
canal, who holds the task. Never medical content (no exam, no note), never the NIR (not
needed to follow a caseload). A cell a spreadsheet would run as a formula (« = + - @ ») is
written as text.
"""
from __future__ import annotations

import csv
import io

from flask import Response, send_file
from flask_login import current_user
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from app.documents.formats import date_courte, dernier_jour
from app.engine.clock import clock
from app.models import HumanTask

from ..shared.security import roles
from ..shared.services import audit
from .blueprint import bp
from .routes import VUES, criteres, dossiers_de, noms_de, taches_listees

EXPORT_MAX = 5000  # rows: the inbox's list is bounded, its export too
COLONNES = ("N° de dossier", "Étape", "À traiter au plus tard le", "Reçue le", "Assuré",
            "Caisse", "Canal", "Prise par")
FORMULE = ("=", "+", "-", "@", "\t", "\r")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _lignes(tasks: list[HumanTask]) -> list[tuple[str, ...]]:
    dossiers, noms = dossiers_de(tasks), noms_de(tasks)
    rows = []
    for task in tasks:
        dossier = dossiers.get(task.instance_id)
        rows.append((
            dossier.numero if dossier else (task.instance.business_key or ""),
            task.title,
            date_courte(dernier_jour(task.due_at)) if task.due_at else "",
            date_courte(dossier.date_reception) if dossier and dossier.date_reception else "",
            dossier.assure.nom_complet if dossier else "",
            task.caisse_code or "",
            ("Formulaire papier S4150" if dossier.canal == "papier" else "En ligne")
            if dossier else "",
            noms.get(task.claimed_by_id, "") if task.claimed_by_id else "",
        ))
    return rows


def texte(value: str) -> str:
    """A cell as text only: a leading formula character gets an apostrophe."""
    return "'" + value if value.startswith(FORMULE) else value


def _csv(rows) -> bytes:
    out = io.StringIO()
    # « ; » and a BOM: what a French spreadsheet opens as columns, accents intact.
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLONNES)
    writer.writerows([[texte(v) for v in row] for row in rows])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx(rows, titre: str) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = titre[:31]
    sheet.append(COLONNES)
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            cell.data_type = "s"  # openpyxl reads a leading « = » as a formula: never here
    for index, name in enumerate(COLONNES, start=1):
        width = max([len(name), *(len(str(r[index - 1])) for r in rows)])
        sheet.column_dimensions[get_column_letter(index)].width = min(width + 2, 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.get("/export.csv")
@roles("agent", "medecin_conseil", "superviseur")
def export_csv():
    return _export("csv")


@bp.get("/export.xlsx")
@roles("agent", "medecin_conseil", "superviseur")
def export_xlsx():
    return _export("xlsx")


def _export(format: str):
    c = criteres(current_user)
    tasks = taches_listees(current_user, c, limit=EXPORT_MAX)
    rows = _lignes(tasks)
    audit("corbeille_exportee", {"format": format, "lignes": len(rows), **c.args()})
    name = f"taches-{clock.today():%Y-%m-%d}.{format}"
    titre = "Toutes les tâches" if c.vue == "toutes" else VUES[c.vue]
    if format == "csv":
        return Response(_csv(rows), mimetype="text/csv; charset=utf-8", headers={
            "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
    response = send_file(io.BytesIO(_xlsx(rows, titre)), mimetype=XLSX, as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
