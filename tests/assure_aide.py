"""Helpers of the assuré's tests: deploy, walk the request's steps like a browser, build PDFs.

Pages are driven through their own forms: the URL each form posts to (with its task id and
lock version) is read from the page, exactly as a browser would submit it.
"""
from __future__ import annotations

import html
import io
import re

from pypdf import PdfWriter
from sqlalchemy import func, select

from app.models import Document, Dossier, HumanTask, Message
from app.web.assure.chat import ORIENTATION

from .conftest import ROOT, deploy_folder, login

COORDONNEES = {"nationalite": "francaise"}
SALARIE = {
    "activites": "salariee",
    "salariee.plusieurs_employeurs": "false",
    "salariee.employeur_nom": "Société Lelièvre",
    "salariee.employeur_adresse": "126 rue Fernand Braudel, 75013 Paris",
    "salariee.periode.du": "01/01/2001",
    "salariee.periode.au": "31/12/2024",
}
NON_SALARIE = {
    "activites": "non_salariee",
    "non_salariee.date_registre_commerce": "15/03/2010",
    "non_salariee.activite": "Boulangerie",
    "non_salariee.adresse_professionnelle": "4 rue du Four, 69002 Lyon",
    "non_salariee.a_cesse": "true",
    "non_salariee.date_cessation": "01/02/2025",
    "non_salariee.indemnites_journalieres": "true",
    "non_salariee.conjoint": "false",
}
AUCUNE = {"propositions": "aucune"}


def deploy_all(session_factory):
    return deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")


def page_text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def form_action(response) -> str:
    """The URL of the page's step form (the one carrying the task id)."""
    body = response.get_data(as_text=True)
    for action in re.findall(r'<form method="post" action="([^"]+)"', body):
        action = html.unescape(action)
        if "tache=" in action or "version=" in action:
            return action
    raise AssertionError("aucun formulaire d'étape dans la page")


def oriented_by_amelibot(client) -> None:
    """The session as ameliBot leaves it when it offers the online request (the compulsory
    way in; tests/test_parcours_amelibot.py walks the real conversation)."""
    with client.session_transaction() as session:
        session[ORIENTATION] = int(session["_user_id"])


def start_request(client, who: str = "marie.durand") -> str:
    """Log in, come from ameliBot, press « Je démarre ma demande »; return the dossier number."""
    login(client, who)
    oriented_by_amelibot(client)
    response = client.post("/assure/demande/demarrer")
    assert response.status_code == 303, response.status_code
    return response.headers["Location"].rsplit("/", 1)[-1]


def step(client, numero: str):
    return client.get(f"/assure/demande/{numero}")


def submit_step(client, numero: str, data: dict, **kwargs):
    page = step(client, numero)
    assert page.status_code == 200, page.status_code
    return client.post(form_action(page), data=data, **kwargs)


def current_element(session_factory, numero: str) -> str | None:
    with session_factory() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
        row = session.scalar(select(HumanTask).where(
            HumanTask.instance_id == dossier.instance_id, HumanTask.status == "open"))
        return row.element_id if row else None


def fill_until_recap(client, numero: str, situation: dict | None = None,
                     informations: dict | None = None) -> None:
    for data in (COORDONNEES, situation or SALARIE, informations or AUCUNE):
        response = submit_step(client, numero, data)
        assert response.status_code == 303, page_text(response)[-3000:]


def submit_recap(client, numero: str, choix: str = "valider"):
    return submit_step(client, numero, {"choix_recapitulatif": choix})


def pdf_bytes(pages: int = 2, password: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if password:
        writer.encrypt(password, algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def upload(client, numero: str, content: bytes | None = None, name: str = "avis.pdf"):
    page = step(client, numero)
    data = {}
    if content is not None:
        data["avis_imposition"] = (io.BytesIO(content), name)
    return client.post(form_action(page), data=data, content_type="multipart/form-data")


def submitted_request(client, numero: str, **kwargs) -> None:
    fill_until_recap(client, numero, **kwargs)
    assert submit_recap(client, numero).status_code == 303
    response = upload(client, numero, pdf_bytes())
    assert response.status_code == 303, page_text(response)[-3000:]


def dossier_of(session_factory, numero: str) -> Dossier:
    with session_factory() as session:
        return session.scalar(select(Dossier).where(Dossier.numero == numero))


def count(session_factory, model, *where) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def accuses(session_factory, user_id: int) -> int:
    return count(session_factory, Message, Message.recipient_id == user_id,
                 Message.objet.like("Accusé de réception%"))


def avis_documents(session_factory, user_id: int) -> int:
    return count(session_factory, Document, Document.owner_id == user_id,
                 Document.kind == "avis_imposition")
