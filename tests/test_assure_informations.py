"""« Modifier mes informations »: leave the request (after a warning), change the address in
« Mes informations » (one short transaction with its audit row), and resume the request,
which then shows the new address — and follows the caisse of the new département."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import AuditLog, ProcessInstance, User

from .assure_aide import (
    COORDONNEES,
    current_element,
    deploy_all,
    dossier_of,
    page_text,
    start_request,
    step,
    submit_step,
)
from .conftest import login

NOUVELLE = {"adresse": "5 rue Neuve", "code_postal": "75012", "ville": "Paris",
            "telephone": "06 98 76 54 32"}


@pytest.fixture(autouse=True)
def deployed(session_factory, users):
    return deploy_all(session_factory)


def test_modifier_mes_informations_warns_before_leaving_the_request(client):
    numero = start_request(client)
    text = page_text(client.get(f"/assure/demande/{numero}/modifier-informations"))
    assert "Je modifie mes informations personnelles" in text
    assert "Cette action nécessite de quitter ma demande de pension d'invalidité" in text
    assert "Voulez-vous poursuivre ?" in text
    assert f'href="/assure/demande/{numero}"' in text  # Annuler
    assert 'href="/assure/informations"' in text  # Poursuivre


def test_changing_the_address_keeps_the_draft_and_the_request_shows_it(client,
                                                                      session_factory, users):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    text = page_text(client.get("/assure/informations"))
    assert "Votre demande de pension d'invalidité vous attend" in text
    response = client.post("/assure/informations", data=NOUVELLE)
    assert response.status_code == 302
    text = page_text(client.get(response.headers["Location"]))
    assert "Vos informations personnelles sont enregistrées" in text
    assert "Reprendre ma demande" in text
    with session_factory() as session:
        user = session.get(User, users["marie.durand"].id)
        audit = session.scalar(select(AuditLog).where(
            AuditLog.action == "informations_modifiees"))
    assert (user.adresse, user.code_postal, user.telephone) == ("5 rue Neuve", "75012",
                                                                "06 98 76 54 32")
    assert audit.user_id == user.id and "adresse" in audit.details["champs"]
    assert current_element(session_factory, numero) == "situation"  # the draft is intact
    # The récapitulatif reads the account: the new address is there.
    submit_step(client, numero, {"activites": "chomage"})
    submit_step(client, numero, {"propositions": "aucune"})
    text = page_text(step(client, numero))
    assert "5 rue Neuve 75012 Paris" in text and "Roquette" not in text


def test_moving_to_another_departement_moves_the_draft_to_its_caisse(client, session_factory):
    numero = start_request(client)
    assert dossier_of(session_factory, numero).caisse_code == "CRAMIF"
    client.post("/assure/informations", data={**NOUVELLE, "code_postal": "69003",
                                              "ville": "Lyon"})
    dossier = dossier_of(session_factory, numero)
    assert dossier.caisse_code == "CPAM 69"
    with session_factory() as session:
        assert session.get(ProcessInstance, dossier.instance_id).caisse_code == "CPAM 69"
        assert session.scalar(select(AuditLog).where(AuditLog.action == "caisse_modifiee"))
    # The step page rendered before the move is stale; the fresh one works.
    assert submit_step(client, numero, COORDONNEES).status_code == 303


def test_a_departement_without_seeded_caisse_gets_one(client, session_factory):
    numero = start_request(client)
    client.post("/assure/informations", data={**NOUVELLE, "code_postal": "13001",
                                              "ville": "Marseille"})
    assert dossier_of(session_factory, numero).caisse_code == "CPAM 13"


@pytest.mark.parametrize("data, message", [
    ({"adresse": ""}, "Indiquez votre adresse"),
    ({"code_postal": "7501"}, "Le code postal compte 5 chiffres"),
    ({"code_postal": "99000"}, "Ce code postal ne correspond à aucun département français"),
    ({"ville": ""}, "Indiquez votre ville"),
    ({"telephone": "12"}, "Saisissez un numéro de téléphone français à 10 chiffres"),
])
def test_informations_are_validated_with_french_messages(client, session_factory, users, data,
                                                         message):
    login(client, "marie.durand")
    response = client.post("/assure/informations", data={**NOUVELLE, **data})
    text = page_text(response)
    assert response.status_code == 422
    assert message in text and "<title>Erreur :" in text
    with session_factory() as session:
        assert session.get(User, users["marie.durand"].id).adresse == "12 rue de la Roquette"


def test_name_birth_date_and_email_cannot_be_changed_here(client, session_factory, users):
    login(client, "marie.durand")
    client.post("/assure/informations", data={**NOUVELLE, "nom": "Pirate",
                                              "email": "x@y.fr", "date_naissance": "1900-01-01"})
    with session_factory() as session:
        user = session.get(User, users["marie.durand"].id)
    assert (user.nom, user.email) == ("Durand", "marie.durand@demo.fr")
