"""Small rules of the request's forms (issue 10, point 7): the country is chosen in the
ISO 3166 list with French names; an AGDREF typed with spaces is cleaned; a job still held has
no end date; a registry date cannot follow the end of the activity; a tacit refusal is
contested without choosing médical/administratif; the home page promises only what is kept."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select

from app.engine.timers import fire_due_timers
from app.forms import validate
from app.forms.pays import dump, fill, pays
from app.models import Dossier

from . import test_instruction_outils as outils
from .assure_aide import (
    COORDONNEES,
    NON_SALARIE,
    SALARIE,
    current_element,
    deploy_all,
    page_text,
    start_request,
    step,
    submit_step,
)
from .conftest import ROOT
from .test_instruction_outils import deadline_moment, dossier_recu, move_clock_to, task, verifier

rt = outils.rt  # runtime with the app's hooks, processes deployed (tacit refusal tests)
TODAY = date(2026, 1, 1)


@pytest.fixture
def deployed(session_factory, users):
    return deploy_all(session_factory)


def _to_informations(client) -> str:
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    submit_step(client, numero, SALARIE)
    return numero


def _stored(session_factory, numero: str, open_element: str) -> dict:
    """The request's data as the open step `open_element` holds it."""
    return outils._data_of(session_factory, _instance_id(session_factory, numero), open_element)


def _instance_id(session_factory, numero: str) -> int:
    with session_factory() as session:
        return session.scalar(select(Dossier.instance_id).where(Dossier.numero == numero))


# ----- « Pays »: the ISO 3166 list, French names --------------------------------------------------
def test_the_country_list_is_iso_3166_in_french_without_france():
    liste = dict(pays())
    assert liste["DE"] == "Allemagne" and liste["ES"] == "Espagne"
    assert liste["PF"] == "Polynésie française" and liste["CI"] == "Côte d’Ivoire"
    assert "FR" not in liste  # the question is « un autre pays »
    for not_a_country in ("EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "IC", "EA"):
        assert not_a_country not in liste
    assert all(len(code) == 2 and code.isupper() for code in liste)
    assert 240 <= len(liste) <= 255


def test_the_countries_are_in_french_alphabetical_order():
    noms = [nom for _code, nom in pays()]
    assert noms[0] == "Afghanistan" and noms[-1] == "Zimbabwe"
    # Accents do not send a country to the end of the list.
    assert noms.index("Égypte") < noms.index("Érythrée") < noms.index("Espagne") \
        < noms.index("Estonie") < noms.index("Fidji")


def test_the_form_holds_exactly_the_generated_list():
    path = ROOT / "forms" / "demande_informations.json"
    text = path.read_text(encoding="utf-8")
    assert dump(fill(json.loads(text))) == text  # regenerate: python -m app.forms.pays <form>
    nom = json.loads(text)["properties"]["pays"]["items"]["properties"]["nom"]
    assert nom["x-widget"] == "select" and nom["enum"] == [code for code, _ in pays()]


def test_a_country_typed_as_free_text_is_refused(client, deployed, session_factory):
    numero = _to_informations(client)
    data = {"propositions": "autre_pays", "pays.0.periode.du": "01/01/2010",
            "pays.0.periode.au": "31/12/2012"}
    response = submit_step(client, numero, {**data, "pays.0.nom": "Espagne"})
    assert response.status_code == 422
    assert "Choisissez un pays, un territoire ou une collectivité dans la liste" in \
        page_text(response)
    page = page_text(step(client, numero))
    assert '<select class="fr-select" id="f-pays-0-nom" name="pays.0.nom"' in page
    assert '<option value="ES">Espagne</option>' in page
    assert submit_step(client, numero, {**data, "pays.0.nom": "ES"}).status_code == 303
    assert _stored(session_factory, numero, "relire_demande")["informations"]["pays"][0][
        "nom"] == "ES"
    recap = page_text(step(client, numero))
    assert "Espagne" in recap and "du 01/01/2010 au 31/12/2012" in recap


# ----- AGDREF with spaces -----------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["01 23 45 67 89", " 0123 456 789 ", "01\u00a023\u202f45 67 89"])
def test_an_agdref_typed_with_spaces_is_cleaned_not_refused(client, deployed, session_factory,
                                                          typed):
    numero = start_request(client)
    response = submit_step(client, numero, {"nationalite": "hors_ue", "agdref": typed})
    assert response.status_code == 303, page_text(response)[-1500:]
    stored = _stored(session_factory, numero, "situation")["coordonnees"]
    assert stored["agdref"] == "0123456789"


def test_an_agdref_with_letters_is_still_refused():
    schema = json.loads((ROOT / "forms" / "demande_coordonnees.json").read_text())
    _clean, errors = validate(schema, {"nationalite": "hors_ue", "agdref": "01 23 45 67 8A"},
                              TODAY)
    assert errors == {"agdref": "Le numéro AGDREF compte exactement 10 chiffres, sans lettre"}


# ----- « Période d'activité » of a current job ----------------------------------------------------
def test_a_current_job_has_an_empty_end_date_shown_en_cours(client, deployed, session_factory):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    page = page_text(step(client, numero))
    assert "Laissez vide si vous occupez toujours cet emploi" in page
    current = {k: v for k, v in SALARIE.items() if k != "salariee.periode.au"}
    response = submit_step(client, numero, current)
    assert response.status_code == 303, page_text(response)[-1500:]
    assert submit_step(client, numero, {"propositions": "aucune"}).status_code == 303
    assert "depuis le 01/01/2001 (en cours)" in page_text(step(client, numero))  # récapitulatif


def test_the_start_of_the_job_is_still_required(client, deployed):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    response = submit_step(client, numero, {k: v for k, v in SALARIE.items()
                                            if not k.startswith("salariee.periode")})
    assert response.status_code == 422 and "Indiquez la date de début" in page_text(response)


# ----- a registry date after the end of the activity --------------------------------------------
REGISTRE = "La date de cessation ne peut pas précéder la date d'immatriculation"


@pytest.mark.parametrize("champ", ["date_registre_commerce", "date_repertoire_metiers"])
def test_a_registry_date_after_the_end_of_the_activity_is_refused(client, deployed,
                                                                  session_factory, champ):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    data = {**{k: v for k, v in NON_SALARIE.items() if k != "non_salariee.date_registre_commerce"},
            f"non_salariee.{champ}": "02/02/2025",
            "non_salariee.date_cessation": "01/02/2025"}
    response = submit_step(client, numero, data)
    assert response.status_code == 422 and REGISTRE in page_text(response)
    assert current_element(session_factory, numero) == "situation"
    data[f"non_salariee.{champ}"] = "01/02/2025"  # the same day is possible
    assert submit_step(client, numero, data).status_code == 303


def test_without_cessation_a_registry_date_alone_is_fine(client, deployed):
    numero = start_request(client)
    submit_step(client, numero, COORDONNEES)
    data = {**NON_SALARIE, "non_salariee.a_cesse": "false",
            "non_salariee.date_cessation": "01/01/2000"}  # hidden answer, dropped
    assert submit_step(client, numero, data).status_code == 303


# ----- contesting a tacit refusal ---------------------------------------------------------------
def test_a_tacit_refusal_is_contested_without_choosing_medical_or_administrative(
        rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"])
    move_clock_to(deadline_moment(session_factory, iid))
    assert fire_due_timers(rt) == 1
    contester = task(session_factory, iid, "contester")
    rt.complete_task(contester.id, users["marie.durand"], {
        "motifs_contestation": "Je n'ai reçu aucune réponse de ma caisse dans le délai."})
    cra = task(session_factory, iid, "examen_cra")
    assert cra.lane == "Commission de recours amiable" and cra.status == "open"


def test_the_contest_form_still_offers_the_choice_and_requires_the_reasons():
    schema = json.loads((ROOT / "forms" / "recours_contestation.json").read_text())
    assert schema["properties"]["nature_contestation"]["enum"] == ["medicale", "administrative"]
    _clean, errors = validate(schema, {}, TODAY)
    assert list(errors) == ["motifs_contestation"]


# ----- the home page promises only what is kept -------------------------------------------------
def test_the_home_page_does_not_promise_that_unvalidated_entries_are_kept(client, deployed):
    start_request(client)
    text = page_text(client.get("/assure/"))
    assert "Reprendre ma demande" in text
    assert "Tout ce que vous avez saisi est enregistré" not in text
    assert "Les étapes que vous avez validées avec le bouton « Suivant » sont enregistrées" \
        in text
    assert "sans la valider ne l'est pas" in text
