"""Export of the inbox's current list (view, search, filters, order) as CSV and XLSX: an
attachment, an audit row, no medical content, no formula a spreadsheet would run."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from sqlalchemy import select

from app.models import AuditLog, User

from .conftest import login
from .test_instruction_outils import convoquer, dossier, dossier_recu, examiner, verifier

ENTETE = ["N° de dossier", "Étape", "À traiter au plus tard le", "Reçue le", "Assuré",
          "Caisse", "Canal", "Prise par"]


def _csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # a French spreadsheet keeps the accents
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def _xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def test_l_export_csv_est_la_liste_filtree_en_piece_jointe(client, web, users,
                                                            session_factory):
    marie = dossier(session_factory, dossier_recu(web, users))
    luc = dossier(session_factory, dossier_recu(web, users, who="luc.girard"))
    lyon = dossier(session_factory, dossier_recu(web, users, who="paul.martin"))
    login(client, "agent.cramif")
    response = client.get("/agent/export.csv?vue=a_prendre")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="taches-')
    rows = _csv(response)
    assert rows[0] == ENTETE
    assert {r[0] for r in rows[1:]} == {marie.numero, luc.numero}  # my caisse only
    assert lyon.numero not in response.get_data(as_text=True)
    ligne = next(r for r in rows if r[0] == marie.numero)
    assert ligne[1] == "Vérification administrative" and ligne[4] == "Marie Durand"
    assert ligne[5] == "CRAMIF" and ligne[6] == "En ligne" and ligne[7] == ""
    assert ligne[3] == marie.date_reception.strftime("%d/%m/%Y")
    assert ligne[2] == marie.date_limite_decision.strftime("%d/%m/%Y")  # the last day
    # The search of the page applies to its export.
    rows = _csv(client.get("/agent/export.csv?vue=a_prendre&q=girard"))
    assert [r[0] for r in rows[1:]] == [luc.numero]
    with session_factory() as session:
        audits = session.scalars(select(AuditLog).where(
            AuditLog.action == "corbeille_exportee").order_by(AuditLog.id)).all()
    assert [a.details for a in audits] == [
        {"format": "csv", "lignes": 2, "vue": "a_prendre"},
        {"format": "csv", "lignes": 1, "vue": "a_prendre", "q": "girard"}]
    assert audits[0].user_id == users["agent.cramif"].id


def test_l_export_xlsx_est_un_classeur_lu_par_openpyxl(client, web, users, session_factory):
    marie = dossier(session_factory, dossier_recu(web, users))
    login(client, "agent.cramif")
    response = client.get("/agent/export.xlsx?vue=a_prendre&tri=reception")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = _xlsx(response)
    assert rows[0] == ENTETE
    assert rows[1][0] == marie.numero and rows[1][4] == "Marie Durand"
    assert len(rows) == 2


def test_un_nom_qui_ressemble_a_une_formule_reste_du_texte(client, web, users,
                                                           session_factory):
    with session_factory() as session, session.begin():
        session.get(User, users["marie.durand"].id).nom = '=HYPERLINK("http://x","y")'
    dossier_recu(web, users)
    login(client, "agent.cramif")
    ligne = _csv(client.get("/agent/export.csv?vue=a_prendre"))[1]
    assert ligne[4] == 'Marie =HYPERLINK("http://x","y")'  # not at the start: harmless
    sheet = load_workbook(io.BytesIO(client.get("/agent/export.xlsx?vue=a_prendre")
                                     .get_data())).active
    cell = sheet.cell(row=2, column=5)
    assert cell.data_type == "s" and cell.value == 'Marie =HYPERLINK("http://x","y")'
    with session_factory() as session, session.begin():
        session.get(User, users["marie.durand"].id).prenom = "=cmd"
    ligne = _csv(client.get("/agent/export.csv?vue=a_prendre"))[1]
    assert ligne[4].startswith("'=cmd")
    cell = load_workbook(io.BytesIO(client.get("/agent/export.xlsx?vue=a_prendre")
                                    .get_data())).active.cell(row=2, column=5)
    assert cell.data_type == "s" and cell.value.startswith("=cmd")


def test_l_export_du_medecin_ne_contient_rien_de_medical(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    convoquer(web, session_factory, iid, users["medecin"])
    login(client, "medecin")
    numero = dossier(session_factory, iid).numero
    client.post(f"/agent/dossiers/{numero}/notes",
                data={"texte": "NOTE-MEDICALE-EXPORT", "medicale": "oui"})
    for fmt in ("csv", "xlsx"):
        response = client.get(f"/agent/export.{fmt}?vue=a_prendre")
        assert response.status_code == 200
        body = response.get_data()
        content = (body.decode("utf-8-sig") if fmt == "csv"
                   else repr(_xlsx(response)))
        assert numero in content and "Examen médical" in content
        for secret in ("NOTE-MEDICALE-EXPORT", "NOTE-SECRETE", "Lombalgie"):
            assert secret not in content
    # After the exam (constatations, notes médicales in the task), still nothing medical.
    examiner(web, session_factory, iid, users["medecin"], invalide=False)
    client.post("/deconnexion")
    login(client, "agent.cramif")
    content = client.get("/agent/export.csv?vue=a_prendre").get_data(as_text=True)
    assert numero in content
    assert "NOTE-SECRETE" not in content and "Lombalgie" not in content


def test_l_export_est_reserve_au_back_office(client, web, users, session_factory):
    dossier_recu(web, users)
    login(client, "marie.durand")
    assert client.get("/agent/export.csv").status_code == 403
    client.post("/deconnexion")
    login(client, "superviseur")
    rows = _csv(client.get("/agent/export.csv"))
    assert len(rows) == 2 and rows[1][5] == "CRAMIF"
    assert client.get("/agent/export.pdf").status_code == 404
