"""End to end: a request submitted online (issue 3's pages) goes through the instruction
back office (this issue's pages) to the notification d'attribution."""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from app.engine.clock import clock
from app.models import Dossier, HumanTask, Message

from .assure_aide import deploy_all, start_request, submitted_request
from .conftest import login


def _task(session_factory, dossier_id, element) -> HumanTask:
    with session_factory() as session:
        instance_id = session.get(Dossier, dossier_id).instance_id
        return session.scalar(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open",
            HumanTask.element_id == element))


def test_une_demande_en_ligne_instruite_jusqu_a_l_attribution(client, session_factory,
                                                               users):
    deploy_all(session_factory)
    numero = start_request(client)
    submitted_request(client, numero)
    with session_factory() as session:
        dossier = session.scalar(select(Dossier).where(Dossier.numero == numero))
    client.post("/deconnexion")

    login(client, "agent.cramif")
    verification = _task(session_factory, dossier.id, "verification_administrative")
    page = client.get(f"/agent/taches/{verification.id}").get_data(as_text=True)
    assert "Société Lelièvre" in page  # the declared employer, from the request's form
    avis = re.search(r'href="(/agent/documents/\d+)"', page).group(1)
    download = client.get(avis)
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert client.post(f"/agent/taches/{verification.id}", data={
        "avis_conditions": "confirme", "pieces_completes": "true"}).status_code == 302
    client.post("/deconnexion")

    login(client, "medecin")
    convocation = _task(session_factory, dossier.id, "convoquer_assure")
    page = client.get(f"/agent/taches/{convocation.id}").get_data(as_text=True)
    jour = re.search(r'name="convocation_date" value="([^"]+)"', page).group(1)
    client.post(f"/agent/taches/{convocation.id}", data={
        "convocation_date": jour, "convocation_heure": "09:30", "convocation_lieu": "Paris",
        "convocation_adresse": "17-19 avenue de Flandre"})
    # The exam is recorded on the convocation day, never before it.
    clock.advance(datetime.strptime(jour, "%d/%m/%Y").date() - clock.today())
    examen = _task(session_factory, dossier.id, "examiner_assure")
    page = client.get(f"/agent/taches/{examen.id}").get_data(as_text=True)
    today = re.search(r'name="date_examen" value="([^"]+)"', page).group(1)
    assert client.post(f"/agent/taches/{examen.id}", data={
        "date_examen": today, "capacite_reduite": "true", "categorie": "1",
        "tierce_personne": "false", "date_constat": today}).status_code == 302
    client.post("/deconnexion")

    login(client, "agent.cramif")
    decision = _task(session_factory, dossier.id, "valider_attribution")
    page = client.get(f"/agent/taches/{decision.id}").get_data(as_text=True)
    effet = re.search(r'name="date_effet" value="([^"]+)"', page).group(1)
    assert client.post(f"/agent/taches/{decision.id}", data={
        "date_effet": effet, "calcul_verifie": "true"}).status_code == 302
    with session_factory() as session:
        row = session.get(Dossier, dossier.id)
        objets = session.scalars(select(Message.objet).where(
            Message.instance_id == row.instance_id)).all()
    assert (row.statut, row.categorie) == ("accord", 1)
    assert "Notification d'attribution de pension d'invalidité" in objets
    assert row.instance.status == "completed"
