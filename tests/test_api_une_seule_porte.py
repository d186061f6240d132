"""One door: the JSON API completes a task exactly as its page does (issue 12, point 5).

`POST /api/taches/<id>/completer` and the task pages go through app/web/shared/completion.py:
due timers first, `readOnly` fields keep the server's value, the form's validation, the
screen's business checks with the same French message per field, and the data the screen
adds on submission. Nothing a page refuses is accepted by the API, and what the API is sent
beyond the form never reaches the dossier.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from markupsafe import escape
from sqlalchemy import delete, select

from app.engine import screens
from app.engine.clock import clock
from app.forms import keep_readonly
from app.models import Document, DonneesCaisse, Dossier, HumanTask, Incident

from .assure_aide import dossier_of, fill_until_recap, start_request, submit_recap
from .conftest import html, login
from .test_instruction_outils import (
    _data_of,
    convoquer,
    deadline_moment,
    dossier_recu,
    examiner,
    move_clock_to,
    open_tasks,
    task,
    verifier,
)
from .test_recours import contester, refus_administratif


def _fr(jour: date) -> str:
    return jour.strftime("%d/%m/%Y")


# ----- one case per panel kind: how to reach its task, and a value its checks refuse --------
def _verification_sans_carriere(web, session_factory, users):
    with session_factory() as session, session.begin():
        session.execute(delete(DonneesCaisse).where(
            DonneesCaisse.assure_id == users["marie.durand"].id))
    iid = dossier_recu(web, users)
    return iid, "verification_administrative", "agent.cramif"


def _a_convoquer(web, session_factory, users):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    return iid, "convoquer_assure", "medecin"


def _a_examiner(web, session_factory, users):
    iid, _element, _who = _a_convoquer(web, session_factory, users)
    convoquer(web, session_factory, iid, users["medecin"])  # convoked in 14 days
    return iid, "examiner_assure", "medecin"


def _a_attribuer(web, session_factory, users):
    iid, _element, _who = _a_examiner(web, session_factory, users)
    examiner(web, session_factory, iid, users["medecin"])  # finding dated today
    return iid, "valider_attribution", "agent.cramif"


def _refus_a_valider(web, session_factory, users):
    iid, _element, _who = _a_examiner(web, session_factory, users)
    examiner(web, session_factory, iid, users["medecin"], invalide=False)
    return iid, "valider_refus_medical", "agent.cramif"


def _en_commission(web, session_factory, users):
    iid = refus_administratif(web, session_factory, users)
    contester(web, session_factory, iid, users["emma.leroy"], "administrative")
    return iid, "examen_cra", "cra.cramif"


PASSE = date(2020, 1, 1)
# panel kind → (set-up, refused value as the page posts it, as the API sends it, field, the
# start of the French message expected beside the field)
CASES = {
    screens.PANNEAU_VERIFICATION: (
        _verification_sans_carriere,
        {"avis_conditions": "confirme", "pieces_completes": "true"},
        {"avis_conditions": "confirme", "pieces_completes": True},
        "avis_conditions", "Aucune donnée de carrière n'est connue pour cet assuré"),
    screens.PANNEAU_CONVOCATION: (
        _a_convoquer,
        {"convocation_date": _fr(PASSE), "convocation_heure": "09:30",
         "convocation_lieu": "Service médical", "convocation_adresse": "1 rue X\n75019 Paris"},
        {"convocation_date": PASSE.isoformat(), "convocation_heure": "09:30",
         "convocation_lieu": "Service médical", "convocation_adresse": "1 rue X\n75019 Paris"},
        "convocation_date", "Choisissez une date postérieure à aujourd'hui"),
    screens.PANNEAU_EXAMEN: (
        _a_examiner,
        {"date_examen": "{today}", "capacite_reduite": "true", "categorie": "2",
         "tierce_personne": "false", "date_constat": "{today}"},
        {"date_examen": "{iso}", "capacite_reduite": True, "categorie": 2,
         "tierce_personne": False, "date_constat": "{iso}"},
        "date_examen", "L'assuré est convoqué le "),
    screens.PANNEAU_ATTRIBUTION: (
        _a_attribuer,
        {"date_effet": _fr(PASSE), "calcul_verifie": "true"},
        {"date_effet": PASSE.isoformat(), "calcul_verifie": True},
        "date_effet", "La date d'effet ne peut pas précéder le constat médical"),
    screens.PANNEAU_REFUS_MEDICAL: (  # no check of its own: the form's, same message
        _refus_a_valider,
        {"motifs_refus_medical": "Capacité réduite de moins des deux tiers."},
        {"motifs_refus_medical": "Capacité réduite de moins des deux tiers."},
        "refus_verifie", ""),
    screens.PANNEAU_COMMISSION: (
        _en_commission,
        {"issue_commission": "defavorable", "motifs_commission": "Après examen.",
         "date_seance": _fr(PASSE)},
        {"issue_commission": "defavorable", "motifs_commission": "Après examen.",
         "date_seance": PASSE.isoformat()},
        "date_seance", "La commission ne peut pas avoir siégé avant la réception"),
}


def _today(values: dict) -> dict:
    today = clock.today()
    return {k: v.format(today=_fr(today), iso=today.isoformat()) if isinstance(v, str) else v
            for k, v in values.items()}


def test_every_panel_kind_has_a_parity_case():
    assert set(CASES) == set(screens.PANEL_KINDS)


@pytest.mark.parametrize("kind", sorted(CASES))
def test_api_parity_on_every_task_with_a_panel(kind, client, web, users, session_factory):
    """A value the task page refuses, the API refuses with the same French message on the
    same field; the task stays open, nothing is recorded."""
    setup, page_data, api_data, field, expected = CASES[kind]
    iid, element, who = setup(web, session_factory, users)
    row = task(session_factory, iid, element)
    login(client, who)
    page = client.post(f"/agent/taches/{row.id}", data=_today(page_data))
    assert page.status_code == 422
    api = client.post(f"/api/taches/{row.id}/completer", json={"donnees": _today(api_data)})
    assert api.status_code == 422, api.get_json()
    message = api.get_json()["champs"][field]
    assert message.startswith(expected)
    assert str(escape(message)) in html(page)
    assert task(session_factory, iid, element).status == "open"


def test_the_agent_s_verification_through_the_api_gets_the_page_s_extras(client, web, users,
                                                                          session_factory):
    """Through the API too, the verification carries the conditions computed from the
    caisse's data (the extras of its panel): the dossier goes on to the convocation, it no
    longer falls into incident."""
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")
    done = client.post(f"/api/taches/{row.id}/completer", json={"donnees": {
        "avis_conditions": "confirme", "pieces_completes": True}})
    assert done.status_code == 200, done.get_json()
    with session_factory() as session:
        assert session.scalars(select(Incident)).all() == []
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["convoquer_assure"]


def test_a_failure_of_the_door_s_own_checks_is_no_incident_of_the_dossier(
        client, web, users, session_factory, monkeypatch):
    """The door's checks run inside the step (one read of the task): a bug in them is the
    request's error, rolled back; the dossier is not blocked by an incident, since its
    engine never ran."""
    from app.web.shared import completion

    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    login(client, "agent.cramif")

    def broken(*_args):
        raise RuntimeError("contrôle cassé")

    monkeypatch.setattr(completion, "validate", broken)
    with pytest.raises(RuntimeError, match="contrôle cassé"):  # TESTING: errors propagate
        client.post(f"/api/taches/{row.id}/completer", json={"donnees": {
            "avis_conditions": "confirme", "pieces_completes": True}})
    with session_factory() as session:
        assert session.scalars(select(Incident)).all() == []
    assert [t.element_id for t in open_tasks(session_factory, iid)] == [
        "verification_administrative"]


def test_keys_the_form_does_not_have_never_reach_the_dossier_through_the_api(
        client, web, users, session_factory):
    iid = dossier_recu(web, users)
    verifier(web, session_factory, iid, users["agent.cramif"])
    row = task(session_factory, iid, "convoquer_assure")
    login(client, "medecin")
    jour = (clock.today() + timedelta(days=14)).isoformat()
    done = client.post(f"/api/taches/{row.id}/completer", json={"donnees": {
        "convocation_date": jour, "convocation_heure": "09:30",
        "convocation_lieu": "Service médical", "convocation_adresse": "1 rue X\n75019 Paris",
        "calcul": {"sam": 999999}, "avis_medical": {"categorie": 3}}})
    assert done.status_code == 200, done.get_json()
    data = _data_of(session_factory, iid, "examiner_assure")
    assert data["convocation_date"] == jour
    assert "calcul" not in data or data["calcul"] != {"sam": 999999}
    assert data.get("avis_medical") != {"categorie": 3}


def test_a_deadline_passed_wins_over_a_late_api_click(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, "verification_administrative")
    move_clock_to(deadline_moment(session_factory, iid) + timedelta(hours=1))
    login(client, "agent.cramif")
    late = client.post(f"/api/taches/{row.id}/completer", json={"donnees": {
        "avis_conditions": "confirme", "pieces_completes": True}})
    assert late.status_code == 409
    assert "Le délai est dépassé" in late.get_json()["erreur"]


# ----- readOnly on the server ----------------------------------------------------------------
def test_readonly_fields_keep_the_server_s_value_whatever_is_posted():
    schema = {"type": "object", "properties": {
        "dossier": {"type": "object", "readOnly": True,
                    "properties": {"numero": {"type": "string"}}},
        "coordonnees": {"type": "object", "properties": {
            "nom": {"type": "string", "readOnly": True}, "email": {"type": "string"}}},
        "note": {"type": "string"}}}
    forged = {"dossier": {"numero": "FORGE"}, "note": "ok",
              "coordonnees": {"nom": "Autre", "email": "a@b.fr"}}
    server = {"dossier": {"numero": "INV-1"}, "coordonnees": {"nom": "Durand"}}
    assert keep_readonly(schema, forged, server) == {
        "dossier": {"numero": "INV-1"}, "note": "ok",
        "coordonnees": {"nom": "Durand", "email": "a@b.fr"}}
    assert keep_readonly(schema, forged, {}) == {"note": "ok", "coordonnees": {
        "email": "a@b.fr"}}  # the server holds none: nothing of the forged value is kept


def test_forged_readonly_values_are_ignored_through_the_api(client, web, users,
                                                            session_factory):
    """The request's last step through the API with another assuré's identity, dossier
    number, caisse and document: none of it is taken; the step stays open (the tax notice is
    given on its page, as a file)."""
    login(client, "paul.martin")
    autre = dossier_of(session_factory, start_request(client, "paul.martin"))
    client.post("/deconnexion")
    login(client, "marie.durand")
    numero = start_request(client)
    fill_until_recap(client, numero)
    assert submit_recap(client, numero).status_code == 303  # now at the tax notice step
    mine = dossier_of(session_factory, numero)
    with session_factory() as session:
        row = session.scalar(select(HumanTask).where(
            HumanTask.instance_id == mine.instance_id, HumanTask.status == "open"))
        foreign = Document(owner_id=users["paul.martin"].id, instance_id=autre.instance_id,
                           kind="avis_imposition", original_name="avis.pdf",
                           stored_name="x", sha256="a" * 64, size=1,
                           content_type="application/pdf", created_at=clock.now())
        session.add(foreign)
        session.commit()
        foreign_id = foreign.id
    forged = {"avis_imposition": {"document_id": foreign_id, "sha256": "a" * 64,
                                  "nom": "avis.pdf", "pages": 1},
              "identite": {"nom": "MARTIN", "prenom": "Paul", "adresse": "8 quai",
                           "code_postal": "69007", "ville": "Lyon", "email": "p@m.fr"},
              "dossier": {"numero": autre.numero, "caisse": "CPAM 69"}}
    refused = client.post(f"/api/taches/{row.id}/completer", json={"donnees": forged})
    assert refused.status_code == 422, (refused.get_json(), row.element_id, row.role)
    assert set(refused.get_json()["champs"]) >= {"avis_imposition"}
    with session_factory() as session:
        assert session.get(HumanTask, row.id).status == "open"
        again = session.scalar(select(Dossier).where(Dossier.id == mine.id))
        assert (again.caisse_code, again.date_reception) == (mine.caisse_code, None)
