"""Sessions côté serveur : une session fermée (déconnexion, changement de mot de passe) ne
se rouvre pas avec une copie du cookie ; inactivité et durée maximale au temps de l'horloge
de l'application ; cookie `Secure` quand le service est servi en HTTPS."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from app.models import AuditLog, SessionUtilisateur, User

from .conftest import advance_clock, html, login

PAGE = "/agent/"  # a page of agent.cramif


def refused(response) -> bool:
    return response.status_code == 302 and "/connexion" in response.headers["Location"]


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_un_cookie_copie_avant_la_deconnexion_ne_sert_plus_apres(app, client, users):
    """Règle : la déconnexion ferme la session sur le serveur : rejouer le cookie copié avant
    ne rouvre rien."""
    assert login(client, "agent.cramif").status_code == 302
    thief = copy_of(app, client)
    assert thief.get(PAGE).status_code == 200
    client.post("/deconnexion")
    assert refused(thief.get(PAGE))
    assert refused(client.get(PAGE))


def test_changer_son_mot_de_passe_ferme_les_autres_sessions(app, client, users,
                                                           session_factory):
    """Règle : après un changement de mot de passe, les autres sessions du compte (et toute
    copie du cookie) sont refusées ; celle qui a changé le mot de passe continue."""
    assert login(client, "agent.cramif").status_code == 302
    other = app.test_client()
    assert login(other, "agent.cramif").status_code == 302
    thief = copy_of(app, client)
    response = client.post("/mon-compte/mot-de-passe", data={
        "actuel": "demo", "nouveau": "un nouveau secret", "confirmation": "un nouveau secret"})
    assert response.status_code == 302
    assert client.get(PAGE).status_code == 200
    assert refused(other.get(PAGE)) and refused(thief.get(PAGE))
    assert login(app.test_client(), "agent.cramif").status_code == 401
    assert login(app.test_client(), "agent.cramif", "un nouveau secret").status_code == 302
    with session_factory() as session:
        row = session.scalar(select(AuditLog).where(AuditLog.action == "password_changed"))
    assert row.user_id == users["agent.cramif"].id and row.details["sessions_fermees"] == 2


def test_le_changement_de_mot_de_passe_verifie_l_actuel_et_explique_en_francais(client,
                                                                               users):
    """Règle : sans le mot de passe actuel, ou avec un nouveau trop court ou mal confirmé,
    rien ne change et chaque champ dit pourquoi."""
    login(client, "marie.durand")
    page = client.get("/mon-compte/mot-de-passe")
    assert page.status_code == 200 and "Changer mon mot de passe" in html(page)
    response = client.post("/mon-compte/mot-de-passe", data={
        "actuel": "faux", "nouveau": "court", "confirmation": "autre"})
    text = html(response)
    assert response.status_code == 400
    assert "mot de passe actuel est incorrect" in text
    assert "au moins 12 caractères" in text
    assert "confirmation ne correspond pas" in text
    assert login(client, "marie.durand").status_code == 302  # « demo » still works


@pytest.fixture
def hors_demo(app, users, session_factory, demo_hash):
    """The app outside demo mode, with an agent account of its own (not a demo account)."""
    app.config["DEMO_MODE"] = False
    agent = users["agent.cramif"]
    with session_factory() as session, session.begin():
        session.add(User(email="sophie.agent@cramif.fr", password_hash=demo_hash, role="agent",
                         nom="Agent", prenom="Sophie", caisse_code=agent.caisse_code))
    client = app.test_client()
    assert client.post("/connexion", data={"email": "sophie.agent@cramif.fr",
                                           "password": "demo"}).status_code == 302
    return client


def test_une_session_inactive_trop_longtemps_est_fermee(hors_demo):
    """Règle : au-delà de SESSION_IDLE_MINUTES sans requête (temps de l'horloge de
    l'application), la session est refusée ; chaque requête repousse l'échéance."""
    idle = hors_demo.application.config["SESSION_IDLE_MINUTES"]
    advance_clock(minutes=idle - 1)
    assert hors_demo.get(PAGE).status_code == 200
    advance_clock(minutes=idle - 1)
    assert hors_demo.get(PAGE).status_code == 200
    advance_clock(minutes=idle + 1)
    assert refused(hors_demo.get(PAGE))


def test_une_session_active_est_fermee_apres_sa_duree_maximale(hors_demo):
    """Règle : même utilisée sans interruption, une session ne dure pas plus de
    SESSION_MAX_HOURS après la connexion."""
    hors_demo.application.config.update(SESSION_MAX_HOURS=1, SESSION_IDLE_MINUTES=30)
    for _ in range(2):  # 50 minutes of activity
        advance_clock(minutes=25)
        assert hors_demo.get(PAGE).status_code == 200
    advance_clock(minutes=25)
    assert refused(hors_demo.get(PAGE))


def test_en_demonstration_avancer_l_horloge_ne_deconnecte_personne(client, users):
    """Règle : en mode démonstration, l'horloge avance de plusieurs semaines pour montrer le
    processus ; les sessions y suivent le temps réel, pas l'horloge déplacée."""
    assert client.application.config["DEMO_MODE"]
    login(client, "agent.cramif")
    advance_clock(days=70)
    assert client.get(PAGE).status_code == 200


def test_le_serveur_ne_garde_que_l_empreinte_du_jeton(client, users, session_factory):
    """Une copie de la table des sessions n'ouvre aucune session : seul le SHA-256 du jeton y
    est, et une nouvelle connexion dans le même navigateur ferme la précédente."""
    login(client, "agent.cramif")
    with client.session_transaction() as cookie:
        first = cookie["session_token"]
    login(client, "agent.cramif")
    with session_factory() as session:
        rows = session.scalars(select(SessionUtilisateur).order_by(SessionUtilisateur.id)).all()
    assert rows[0].token_hash == hashlib.sha256(first.encode()).hexdigest()
    assert first not in {row.token_hash for row in rows}
    assert [row.revoked_at is not None for row in rows] == [True, False]


def test_une_ancienne_session_sans_jeton_serveur_est_refusee(client, users):
    """Un cookie signé qui ne porte que l'identifiant de l'utilisateur (format d'avant les
    sessions serveur, ou forgé avec la clé), ou le jeton d'un autre compte, n'ouvre rien."""
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(users["agent.cramif"].id)
    assert refused(client.get(PAGE))
    # A live token is good for its own account only, not for another id put beside it.
    login(client, "marie.durand")
    with client.session_transaction() as cookie:
        cookie["_user_id"] = str(users["agent.cramif"].id)
    assert refused(client.get(PAGE))


def test_le_cookie_est_secure_quand_le_service_est_en_https(database_url, tmp_path,
                                                           session_factory, users,
                                                           monkeypatch):
    """Règle : servi en HTTPS (INVALIDITE_HTTPS=1, derrière un proxy TLS ou non), le cookie de
    session ne voyage qu'en HTTPS (attribut Secure) ; sans HTTPS il ne l'a pas."""
    from app.web import create_app

    cookies = {}
    for https in ("0", "1"):
        monkeypatch.setenv("INVALIDITE_HTTPS", https)
        app = create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": tmp_path / "uploads",
                          "INSTANCE_DIR": tmp_path, "SECRET_KEY": "tests", "TESTING": True,
                          "WTF_CSRF_ENABLED": False, "RUN_TIMERS": False,
                          "DEMO_MODE": True})
        response = login(app.test_client(), "agent.cramif")
        cookies[https] = next(h for h in response.headers.getlist("Set-Cookie")
                              if h.startswith("session="))
        app.extensions["invalidite"].engine.dispose()
    assert "Secure" in cookies["1"] and "Secure" not in cookies["0"]
