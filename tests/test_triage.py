"""ameliBot: each conversation is an instance of processes/triage_amelibot.bpmn, whose
answers are kept in the instance; free text is matched to the « demande de pension
d'invalidité » intent tolerantly; three outcomes: the link to the request, « consultez votre
médecin », the paper form S4150."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.models import Dossier, HumanTask, ProcessInstance

from .assure_aide import deploy_all, page_text
from .conftest import login

DEMANDE = "faire une demande de pension invalidité"


@pytest.fixture(autouse=True)
def deployed(session_factory, users):
    return deploy_all(session_factory)


def _open_task(session_factory, instance_id):
    with session_factory() as session:
        return session.scalars(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "open")).one_or_none()


def _start(client, who="marie.durand") -> str:
    login(client, who)
    response = client.post("/assure/amelibot/nouvelle")
    assert response.status_code == 303
    return response.headers["Location"]


def _answer(client, url: str, **data):
    """Post one answer with the page's hidden task id and version, as the browser does."""
    page = client.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(tache|version)" value="(\d+)"', page))
    response = client.post(url, data={**hidden, **data})
    return response


def _say(client, url, **data) -> str:
    response = _answer(client, url, **data)
    assert response.status_code == 303, page_text(response)[-2000:]
    return page_text(client.get(url))


def _instance_id(url: str) -> int:
    return int(url.rstrip("/").rsplit("/", 1)[-1])


# ----- the process alone -------------------------------------------------------------------------
def test_the_conversation_loops_on_unknown_text_then_follows_the_answers(runtime, users,
                                                                        session_factory):
    marie = users["marie.durand"]
    iid = runtime.start("triage_amelibot", user_id=marie.id)
    for message in ("bonjour", "quel temps fait-il ?"):
        task = _open_task(session_factory, iid)
        assert task.element_id == "ecrire_message"
        runtime.complete_task(task.id, marie, {"message": message})
    runtime.complete_task(_open_task(session_factory, iid).id, marie,
                          {"message": "je veux ma pension invalidité"})
    for element, data in (("decision_medecin", {"decision_medecin": "non"}),
                          ("situation_actuelle", {"situation_actuelle": "travail"}),
                          ("evaluation_medecin", {"evaluation_medecin": True}),
                          ("employeurs", {"plusieurs_employeurs": False})):
        task = _open_task(session_factory, iid)
        assert task.element_id == element
        assert task.role == "assure" and task.assignee_id == marie.id
        runtime.complete_task(task.id, marie, data)
    assert _open_task(session_factory, iid) is None
    with session_factory() as session:
        assert session.get(ProcessInstance, iid).status == "completed"


# ----- the chat page -----------------------------------------------------------------------------
def test_the_chat_starts_with_a_button_then_greets_with_a_text_box(client):
    login(client, "marie.durand")
    text = page_text(client.get("/assure/amelibot"))
    assert "Lancer une conversation avec ameliBot" in text
    url = _start(client)
    text = page_text(client.get(url))
    assert "Bonjour, je suis ameliBot" in text
    assert '<label class="fr-label" for="f-message">Votre message' in text
    assert "Envoyer" in text
    # Back to /assure/amelibot: the running conversation is resumed.
    assert client.get("/assure/amelibot").headers["Location"].endswith(url)


@pytest.mark.parametrize("message", [
    "faire une demande de pension invalidité", "demande pension invalidite",
    "pension d'invalidité", "je veux ma pension invalidité", "INVALIDITE PENSION",
    "faire une demande de pension invaliditée", "Bonjour, je voudrais une pension invalidté",
])
def test_the_intent_is_recognised_tolerantly(client, message):
    url = _start(client)
    text = _say(client, url, message=message)
    assert message in text  # the assuré's bubble
    assert "Avez-vous eu une décision du médecin conseil ?" in text
    assert "J'ai eu une décision du médecin conseil" in text  # quick replies
    assert "Je n'ai pas eu de décision du médecin conseil" in text


@pytest.mark.parametrize("message", ["quel temps fait-il ?", "carte vitale invalide",
                                     "pension de retraite", "carte d'invalidité"])
def test_unknown_text_gets_a_helpful_reply_and_the_conversation_goes_on(client, message):
    url = _start(client)
    text = _say(client, url, message=message)
    assert "Je n'ai pas compris votre message" in text
    assert "faire une demande de pension invalidité" in text
    assert 'id="f-message"' in text  # still a text box
    text = _say(client, url, message=DEMANDE)
    assert "Avez-vous eu une décision du médecin conseil ?" in text


def test_an_empty_message_is_refused_next_to_the_box(client):
    url = _start(client)
    response = _answer(client, url, message="  ")
    assert response.status_code == 422
    text = page_text(response)
    assert "Écrivez votre message à ameliBot" in text and 'aria-invalid="true"' in text


def test_a_forged_quick_reply_is_refused(client):
    url = _start(client)
    _say(client, url, message=DEMANDE)
    response = _answer(client, url, decision_medecin="peut-être")
    assert response.status_code == 422
    assert "Choisissez une des options proposées" in page_text(response)


def test_outcome_start_with_a_decision_of_the_medecin_conseil(client, session_factory):
    url = _start(client)
    _say(client, url, message=DEMANDE)
    _say(client, url, decision_medecin="oui")
    text = _say(client, url, plusieurs_employeurs="false")
    assert "Vous pouvez faire votre demande de pension d'invalidité en ligne" in text
    assert '<a href="/assure/demande">en cliquant ici</a>' in text
    assert "Conversation terminée" in text
    assert client.get("/assure/demande").status_code == 200


def test_outcome_start_without_decision_but_evaluated_by_a_doctor(client):
    url = _start(client)
    _say(client, url, message=DEMANDE)
    text = _say(client, url, decision_medecin="non")
    assert "Quelle est votre situation actuelle ?" in text
    assert "Je travaille actuellement" in text and "Je suis au chômage indemnisé" in text
    text = _say(client, url, situation_actuelle="travail")
    assert "Avez-vous été évalué par un médecin pour votre capacité de travail ?" in text
    _say(client, url, evaluation_medecin="true")
    text = _say(client, url, plusieurs_employeurs="false")
    assert '<a href="/assure/demande">en cliquant ici</a>' in text


def test_outcome_see_your_doctor_starts_no_request(client, session_factory, users):
    url = _start(client)
    _say(client, url, message=DEMANDE)
    _say(client, url, decision_medecin="non")
    _say(client, url, situation_actuelle="chomage")
    text = _say(client, url, evaluation_medecin="false")
    assert "rapprocher de votre médecin traitant" in text
    assert "en cliquant ici" not in text
    with session_factory() as session:
        assert session.scalar(select(func.count(Dossier.id))) == 0
        assert session.get(ProcessInstance, _instance_id(url)).status == "completed"


def test_outcome_more_than_one_employer_is_the_paper_form(client, session_factory):
    url = _start(client)
    _say(client, url, message=DEMANDE)
    _say(client, url, decision_medecin="oui")
    text = _say(client, url, plusieurs_employeurs="true")
    assert "formulaire papier S4150 (cerfa n° 11174)" in text
    assert "votre caisse peut vous aider à le remplir" in text
    assert '<a href="/assure/demande/formulaire-papier">en cliquant ici</a>' in text
    text = page_text(client.get("/assure/demande/formulaire-papier"))
    assert "S4150" in text and "Caisse régionale d'assurance maladie d'Île-de-France" in text
    with session_factory() as session:
        assert session.scalar(select(func.count(Dossier.id))) == 0


def test_the_answers_are_kept_in_the_instance(client, app, session_factory):
    url = _start(client)
    _say(client, url, message="quel temps fait-il ?")
    _say(client, url, message=DEMANDE)
    _say(client, url, decision_medecin="oui")
    _say(client, url, plusieurs_employeurs="false")
    with session_factory() as session:
        instance = session.get(ProcessInstance, _instance_id(url))
        data = app.extensions["invalidite"].runtime.workflow_of(session, instance).data
    said = [e["texte"] for e in data["echanges"] if e["auteur"] == "assure"]
    assert said == ["quel temps fait-il ?", DEMANDE, "J'ai eu une décision du médecin conseil",
                    "Non"]
    assert data["issue"] == "demande" and data["decision_medecin"] == "oui"
    assert data["plusieurs_employeurs"] is False


def test_a_new_conversation_closes_the_unfinished_one(client, session_factory):
    first = _start(client)
    _say(client, first, message=DEMANDE)
    second = _start(client)
    assert second != first
    with session_factory() as session:
        assert session.get(ProcessInstance, _instance_id(first)).status == "terminated"
        assert session.get(ProcessInstance, _instance_id(second)).status == "running"


def test_a_double_click_on_a_quick_reply_answers_once(client, session_factory):
    url = _start(client)
    _say(client, url, message=DEMANDE)
    page = client.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(tache|version)" value="(\d+)"', page))
    assert client.post(url, data={**hidden, "decision_medecin": "non"}).status_code == 303
    assert client.post(url, data={**hidden, "decision_medecin": "oui"}).status_code == 303
    assert _open_task(session_factory, _instance_id(url)).element_id == "situation_actuelle"


def test_another_assure_cannot_see_or_answer_the_conversation(client):
    url = _start(client)
    client.post("/deconnexion")
    login(client, "paul.martin")
    assert client.get(url).status_code == 404
    assert client.post(url, data={"message": DEMANDE}).status_code == 404
