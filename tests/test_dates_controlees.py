"""Every date an agent or a médecin-conseil types is checked against the dossier (receipt,
convocation, today, the decision deadline, the figures' validity) and refused with a French
message beside the field; a rule's missing figure is never an incident a user caused. The
médecin can report an exam that did not take place: a new convocation replaces the first."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app.engine.clock import clock
from app.models import Incident
from app.web.agent import dates_controlees

from .conftest import advance_clock, html, login
from .test_instruction_outils import (
    _data_of,
    dossier,
    dossier_recu,
    jusqu_a_la_decision,
    letters,
    open_tasks,
    task,
    verifier,
)


def _fr(jour: date) -> str:
    return jour.strftime("%d/%m/%Y")


def _a_convoquer(client, web, users, session_factory) -> int:
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    login(client, "medecin")
    return iid


def _convoquer(client, session_factory, iid, jour: date):
    row = task(session_factory, iid, "convoquer_assure")
    return client.post(f"/agent/taches/{row.id}", data={
        "convocation_date": _fr(jour), "convocation_heure": "09:30",
        "convocation_lieu": "Service médical", "convocation_adresse": "1 rue X\n75019 Paris"})


def _examiner(client, session_factory, iid, jour: date, constat: date | None = None, **extra):
    row = task(session_factory, iid, "examiner_assure")
    return client.post(f"/agent/taches/{row.id}", data={
        "date_examen": _fr(jour), "capacite_reduite": "true", "categorie": "2",
        "tierce_personne": "false", "date_constat": _fr(constat or jour), **extra})


def _incidents(session_factory) -> list:
    with session_factory() as session:
        return session.scalars(select(Incident)).all()


def test_une_convocation_dans_le_passe_est_refusee(client, web, users, session_factory):
    iid = _a_convoquer(client, web, users, session_factory)
    response = _convoquer(client, session_factory, iid, date(2020, 1, 1))
    assert response.status_code == 422
    assert "Choisissez une date postérieure à aujourd&#39;hui" in html(response)
    response = _convoquer(client, session_factory, iid, clock.today())
    assert response.status_code == 422
    assert not [m for m in letters(session_factory, iid) if "Convocation" in m.objet]


def test_une_convocation_apres_la_date_limite_de_decision_est_refusee(client, web, users,
                                                                        session_factory):
    iid = _a_convoquer(client, web, users, session_factory)
    limite = dossier(session_factory, iid).date_limite_decision
    response = _convoquer(client, session_factory, iid, limite + timedelta(days=1))
    assert response.status_code == 422
    assert f"au plus tard le {_fr(limite)}, date limite de décision" in html(response)
    assert _convoquer(client, session_factory, iid, limite).status_code == 302


def test_un_examen_date_d_avant_sa_convocation_est_refuse(client, web, users,
                                                          session_factory):
    iid = _a_convoquer(client, web, users, session_factory)
    jour = clock.today() + timedelta(days=10)
    _convoquer(client, session_factory, iid, jour)
    response = _examiner(client, session_factory, iid, clock.today())
    assert response.status_code == 422
    assert f"L&#39;assuré est convoqué le {_fr(jour)}" in html(response)
    advance_clock(days=12)
    # The page proposes the convocation day; a finding after the exam is refused.
    page = html(client.get(f"/agent/taches/{task(session_factory, iid, 'examiner_assure').id}"))
    assert f'name="date_examen" value="{_fr(jour)}"' in page
    response = _examiner(client, session_factory, iid, jour, constat=jour + timedelta(days=1))
    assert response.status_code == 422
    assert f"postérieur à l&#39;examen du {_fr(jour)}" in html(response)
    assert _examiner(client, session_factory, iid, jour).status_code == 302


def test_le_medecin_reporte_la_convocation_une_nouvelle_lettre_remplace_la_premiere(
        client, web, users, session_factory):
    iid = _a_convoquer(client, web, users, session_factory)
    premiere = clock.today() + timedelta(days=10)
    _convoquer(client, session_factory, iid, premiere)
    lettre = letters(session_factory, iid)[-1]
    assert "Vous pouvez demander une autre date" in lettre.corps_html
    examen = task(session_factory, iid, "examiner_assure")
    response = client.post(f"/agent/taches/{examen.id}", data={"examen_realise": "false"})
    assert response.status_code == 422 and "Indiquez pourquoi l&#39;examen" in html(response)
    assert client.post(f"/agent/taches/{examen.id}", data={
        "examen_realise": "false",
        "motif_report": "L'assuré a demandé une autre date."}).status_code == 302
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["convoquer_assure"]
    page = html(client.get(f"/agent/taches/{task(session_factory, iid, 'convoquer_assure').id}"))
    assert "Nouvelle convocation" in page
    assert "n'a pas eu lieu (L'assuré a demandé une autre date.)" in page.replace("&#39;", "'")
    seconde = premiere + timedelta(days=7)
    assert _convoquer(client, session_factory, iid, seconde).status_code == 302
    nouvelle = letters(session_factory, iid)[-1]
    assert nouvelle.objet.startswith("Nouvelle date — Convocation")
    assert "remplace la précédente" in nouvelle.corps_html
    advance_clock(days=17)
    assert _examiner(client, session_factory, iid, premiere).status_code == 422
    assert _examiner(client, session_factory, iid, seconde).status_code == 302
    assert dossier(session_factory, iid).statut == "decision"


def test_une_date_d_effet_de_2000_est_refusee_a_cote_du_champ_sans_incident(
        client, web, users, session_factory):
    iid = dossier_recu(web, users)
    jusqu_a_la_decision(web, session_factory, iid, users)
    decision = task(session_factory, iid, "valider_attribution")
    login(client, "agent.cramif")
    response = client.post(f"/agent/taches/{decision.id}", data={
        "date_effet": "01/01/2000", "calcul_verifie": "true"})
    assert response.status_code == 422
    page = html(response)
    assert f"ne peut pas précéder le constat médical de l&#39;invalidité, le " \
           f"{_fr(clock.today())}" in page
    assert "pension_minimum_mensuelle" not in page
    assert _incidents(session_factory) == []
    assert dossier(session_factory, iid).statut == "decision"
    effet = _data_of(session_factory, iid, "valider_attribution")["calcul"]["date_effet"]
    assert client.post(f"/agent/taches/{decision.id}", data={
        "date_effet": f"{effet[8:10]}/{effet[5:7]}/{effet[0:4]}",
        "calcul_verifie": "true"}).status_code == 302


def test_un_bareme_absent_est_un_message_et_pas_un_incident():
    """The figures of the amount start in 2025: before, the message gives the first date."""
    data = {"avis_medical": {"categorie": 3, "date_constat": "2020-01-01"},
            "calcul": {"sam": "30000"}, "date_fin_droits": "2040-01-01"}
    errors = dates_controlees.date_effet({"date_effet": "2024-06-01"}, data)
    assert errors["date_effet"].startswith("Le barème de la pension")
    assert "à partir du 01/04/2025" in errors["date_effet"]  # the MTP's first value
    assert dates_controlees.date_effet({"date_effet": "2025-04-01"}, data) == {}
    cat2 = {**data, "avis_medical": {"categorie": 2, "date_constat": "2020-01-01"}}
    assert "à partir du 01/01/2025" in dates_controlees.date_effet(
        {"date_effet": "2024-06-01"}, cat2)["date_effet"]
    retraite = dates_controlees.date_effet({"date_effet": "2040-02-01"}, data)
    assert "âge légal de départ" in retraite["date_effet"]


def test_une_seance_de_commission_se_tient_apres_la_reclamation_et_pas_dans_le_futur():
    today = date(2026, 12, 6)
    assert "avant la réception de la réclamation, le 01/12/2026" in dates_controlees.seance(
        {"date_seance": "2026-11-30"}, "2026-12-01", today)["date_seance"]
    assert "futur" in dates_controlees.seance({"date_seance": "2026-12-07"}, "2026-12-01",
                                              today)["date_seance"]
    assert dates_controlees.seance({"date_seance": "2026-12-01"}, "2026-12-01", today) == {}


def test_s4150_recu_hors_delai_ou_salaires_d_avant_14_ans_refuses(client, web):
    from .test_papier_s4150 import PAUL

    login(client, "agent.cpam69")
    trop_vieux = clock.today() - timedelta(days=90)
    response = client.post("/agent/s4150", data={"date_reception": _fr(trop_vieux), **PAUL})
    assert response.status_code == 422
    assert "Le délai de décision de ce formulaire a expiré" in html(response)
    response = client.post("/agent/s4150", data={
        "date_reception": _fr(clock.today()), **PAUL,
        "situation.salaires.0.employeur": "Boulangerie Lumière",
        "situation.salaires.0.annee": "1980", "situation.salaires.0.montant": "1000"})
    assert response.status_code == 422
    assert "Indiquez une année de 1984 (14 ans)" in html(response)
    response = client.post("/agent/s4150", data={
        "date_reception": _fr(clock.today()), **PAUL,
        "situation.employeurs.0.periode.du": "01/01/1960"})
    assert response.status_code == 422
    assert "commencer après la naissance" in html(response)
