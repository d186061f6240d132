"""Connexion : tentatives limitées par compte et par adresse, et aucun moyen de savoir si
une adresse e-mail a un compte (même réponse, même travail de hachage)."""
from __future__ import annotations

import uuid

import pytest

from app.web.auth import routes as auth_routes

from .conftest import html, login

BLOQUE = "réessayez dans"


@pytest.fixture
def limites(app):
    """Trois échecs par compte, cinq par adresse : assez bas pour un test."""
    app.config.update(LOGIN_LIMIT_ACCOUNT="3 per 15 minutes",
                      LOGIN_LIMIT_ADDRESS="5 per 15 minutes")
    return app


def post(client, email, password, address="10.0.0.1"):
    return client.post("/connexion", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_apres_trop_d_echecs_sur_un_compte_meme_le_bon_mot_de_passe_attend(limites, users):
    """Règle : au-delà de la limite d'échecs d'un compte, la connexion est suspendue (429),
    même avec le bon mot de passe, et la page dit en français quand réessayer."""
    client = limites.test_client()
    for _ in range(3):
        assert post(client, "agent.cramif@demo.fr", "mauvais").status_code == 401
    response = post(client, "agent.cramif@demo.fr", "demo", address="10.0.0.2")
    assert response.status_code == 429
    assert BLOQUE in html(response) and "minute" in html(response)
    assert int(response.headers["Retry-After"]) > 0
    # Another account is not held back by this one's failures.
    assert post(client, "marie.durand@demo.fr", "demo", address="10.0.0.2").status_code == 302


def test_apres_trop_d_echecs_depuis_une_adresse_tous_les_comptes_attendent(limites, users):
    """Règle : une adresse qui essaie beaucoup de comptes différents est suspendue aussi ;
    une autre adresse se connecte normalement."""
    client = limites.test_client()
    for n in range(5):
        assert post(client, f"inconnu{n}@demo.fr", "mauvais").status_code == 401
    response = post(client, "marie.durand@demo.fr", "demo")
    assert response.status_code == 429 and BLOQUE in html(response)
    assert post(client, "marie.durand@demo.fr", "demo", address="10.0.0.9").status_code == 302


def test_les_connexions_reussies_ne_consomment_pas_la_limite(limites, users):
    for _ in range(6):
        assert post(limites.test_client(), "agent.cramif@demo.fr", "demo").status_code == 302


def test_un_compte_inconnu_est_limite_exactement_comme_un_compte_existant(limites, users):
    """Règle : la limite ne trahit pas l'existence d'un compte — mêmes réponses, dans le même
    ordre, pour une adresse e-mail inconnue et pour un compte réel."""
    def suite(email, address):
        client = limites.test_client()
        return [post(client, email, "mauvais", address).status_code for _ in range(4)]

    assert suite("personne@demo.fr", "10.0.1.1") == suite("marie.durand@demo.fr",
                                                          "10.0.1.2") == [401, 401, 401, 429]


def test_un_email_inconnu_coute_le_meme_hachage_qu_un_compte_existant(client, users,
                                                                       monkeypatch):
    """Règle : le mot de passe est haché une fois par tentative, que le compte existe, soit
    désactivé ou non : le temps de réponse ne dit pas si une adresse a un compte."""
    calls = []
    real = auth_routes.check_password_hash

    def spy(pwhash, password):
        calls.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(auth_routes, "check_password_hash", spy)
    answers = []
    for email in ("personne@demo.fr", "marie.durand@demo.fr"):
        calls.clear()
        response = client.post("/connexion", data={"email": email, "password": "mauvais"})
        assert len(calls) == 1, email
        answers.append((response.status_code, "mot de passe incorrect" in html(response)))
    assert answers[0] == answers[1] == (401, True)


def test_le_leurre_est_un_hachage_du_meme_type_que_les_vrais(users, session_factory):
    """Le hachage d'un compte inconnu est fait avec la méthode des vrais mots de passe (sinon
    l'un serait plus rapide que l'autre)."""
    from werkzeug.security import generate_password_hash

    method = generate_password_hash("x").split("$", 1)[0]
    assert auth_routes._decoy_hash().split("$", 1)[0] == method


def test_la_bonne_connexion_marche_toujours_pour_les_comptes_de_demonstration(client, users):
    assert login(client, "marie.durand").status_code == 302


def test_derriere_un_proxy_de_confiance_la_limite_compte_l_adresse_du_client(
        database_url, tmp_path, session_factory, users):
    """Règle : avec INVALIDITE_PROXIES=1, l'adresse limitée est celle du client transmise par
    le proxy (X-Forwarded-For), pas celle du proxy, commune à tous."""
    from app.web import create_app

    app = create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": tmp_path / "uploads",
                      "INSTANCE_DIR": tmp_path, "SECRET_KEY": "tests", "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "RUN_TIMERS": False, "DEMO_MODE": True,
                      "PROXY_COUNT": 1, "LOGIN_LIMIT_ADDRESS": "2 per 15 minutes"})
    client = app.test_client()

    def post_from(client_address, email, password):
        return client.post("/connexion", data={"email": email, "password": password},
                           headers={"X-Forwarded-For": client_address},
                           environ_base={"REMOTE_ADDR": "10.9.9.9"})

    for n in range(2):
        assert post_from("203.0.113.7", f"x{n}@demo.fr", "mauvais").status_code == 401
    assert post_from("203.0.113.7", "marie.durand@demo.fr", "demo").status_code == 429
    assert post_from("198.51.100.4", "marie.durand@demo.fr", "demo").status_code == 302
    app.extensions["invalidite"].engine.dispose()


# ----- le changement de mot de passe, limité comme la connexion -------------------------------
def changer(client, actuel, nouveau="un nouveau secret", address="10.0.0.1"):
    return client.post("/mon-compte/mot-de-passe", environ_base={"REMOTE_ADDR": address},
                       data={"actuel": actuel, "nouveau": nouveau, "confirmation": nouveau})


def test_trop_de_mots_de_passe_actuels_faux_suspendent_le_changement(limites, users):
    """Règle : une session volée ne sert pas à deviner le mot de passe : au-delà de la
    limite d'échecs du compte, le changement est suspendu (429), même avec le bon mot de
    passe actuel, et la page dit en français quand réessayer."""
    client = limites.test_client()
    assert login(client, "marie.durand").status_code == 302
    for _ in range(3):
        assert changer(client, "mauvais").status_code == 400
    response = changer(client, "demo", address="10.0.0.2")
    assert response.status_code == 429
    assert "changement de mot de passe est suspendu" in html(response)
    assert BLOQUE in html(response) and int(response.headers["Retry-After"]) > 0
    assert login(limites.test_client(), "marie.durand").status_code == 302  # login: its own
    other = limites.test_client()  # another account is not held back
    assert login(other, "paul.martin").status_code == 302
    assert changer(other, "demo", address="10.0.0.2").status_code == 302


def test_seul_un_mot_de_passe_actuel_faux_compte(limites, users):
    """Un nouveau mot de passe trop court, avec le bon actuel, est refusé sans compter."""
    client = limites.test_client()
    login(client, "marie.durand")
    for _ in range(5):
        assert changer(client, "demo", nouveau="court").status_code == 400
    assert changer(client, "demo").status_code == 302


# ----- où les échecs sont comptés ------------------------------------------------------------
def _app_with(database_url, tmp_path, **config):
    from app.web import create_app

    return create_app({"DATABASE_URL": database_url, "UPLOAD_DIR": tmp_path / "uploads",
                       "INSTANCE_DIR": tmp_path, "SECRET_KEY": "tests", "TESTING": True,
                       "WTF_CSRF_ENABLED": False, "RUN_TIMERS": False, "DEMO_MODE": True,
                       **config})


def _redis_or_skip(uri: str) -> None:
    import os

    import redis

    try:
        redis.Redis.from_url(uri, socket_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):  # .ci/run starts Redis: there, its absence is a failure
            raise
        pytest.skip("Redis injoignable sur 127.0.0.1:6379")


def test_le_stockage_des_limites_est_celui_de_la_configuration(database_url, tmp_path,
                                                                session_factory, users):
    """Règle : RATELIMIT_STORAGE_URI dit où les échecs sont comptés. Avec redis://, deux
    processus (ici deux applications, chacune avec sa connexion) comptent ensemble."""
    from limits.storage import MemoryStorage, RedisStorage

    from app.web.auth.throttle import limiter

    uri = "redis://127.0.0.1:6379/15"
    _redis_or_skip(uri)
    memory = _app_with(database_url, tmp_path)
    assert isinstance(limiter.storage, MemoryStorage)
    memory.extensions["invalidite"].engine.dispose()
    email, address = f"partage-{uuid.uuid4().hex}@demo.fr", f"10.7.{n()}.{n()}"
    first = _app_with(database_url, tmp_path, RATELIMIT_STORAGE_URI=uri,
                      LOGIN_LIMIT_ACCOUNT="2 per 15 minutes")
    assert isinstance(limiter.storage, RedisStorage)
    for _ in range(2):
        assert post(first.test_client(), email, "mauvais", address).status_code == 401
    second = _app_with(database_url, tmp_path, RATELIMIT_STORAGE_URI=uri,
                       LOGIN_LIMIT_ACCOUNT="2 per 15 minutes")
    assert post(second.test_client(), email, "mauvais", address).status_code == 429
    for flask_app in (first, second):
        flask_app.extensions["invalidite"].engine.dispose()


def n() -> int:
    return uuid.uuid4().int % 250 + 1


def test_plusieurs_workers_sur_un_stockage_memoire_sont_signales():
    """gunicorn.conf.py l'écrit au démarrage : chaque processus compterait pour lui seul."""
    from app.web.auth.throttle import memory_storage_warning

    assert "2 workers" in memory_storage_warning("memory://", 2)
    assert memory_storage_warning("memory://", 1) is None
    assert memory_storage_warning("redis://127.0.0.1:6379", 4) is None
