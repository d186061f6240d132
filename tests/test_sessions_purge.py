"""Sessions côté serveur : les lignes qui ne peuvent plus ouvrir de session sont purgées (à
chaque connexion), les sessions vivantes restent. Sans cela la table grossit d'une ligne par
connexion, pour toujours."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.engine.clock import clock
from app.models import SessionUtilisateur, User
from app.web.auth.sessions import purge_dead

from .conftest import advance_clock

CONFIG = {"SESSION_IDLE_MINUTES": 30, "SESSION_MAX_HOURS": 12}


def _row(user_id: int, token: str, *, created, seen, revoked=None) -> SessionUtilisateur:
    return SessionUtilisateur(token_hash=token.ljust(64, "0"), user_id=user_id,
                              created_at=created, last_seen_at=seen, revoked_at=revoked)


def _tokens(session_factory) -> set[str]:
    with session_factory() as session:
        return {row.token_hash[:8] for row in session.scalars(select(SessionUtilisateur))}


def test_la_purge_supprime_ce_qui_ne_peut_plus_servir_et_garde_le_reste(session_factory,
                                                                        users):
    """Règle (celle de `still_valid`) : inactive plus de SESSION_IDLE_MINUTES, ou ouverte
    depuis plus de SESSION_MAX_HOURS → supprimée ; révoquée → supprimée une fois passé le
    délai d'inactivité ; une session vivante, même vieille de presque 12 h, reste."""
    now = clock.now()
    uid = users["agent.cramif"].id
    with session_factory() as session, session.begin():
        session.add_all([
            _row(uid, "vivante1", created=now - timedelta(hours=11, minutes=59),
                 seen=now - timedelta(minutes=29)),
            _row(uid, "revorece", created=now - timedelta(minutes=5), seen=now,
                 revoked=now - timedelta(minutes=5)),
            _row(uid, "revovie1", created=now - timedelta(hours=2), seen=now,
                 revoked=now - timedelta(minutes=31)),
            _row(uid, "inactive", created=now - timedelta(hours=1),
                 seen=now - timedelta(minutes=31)),
            _row(uid, "tropvieil", created=now - timedelta(hours=12, minutes=1), seen=now),
        ])
    with session_factory() as session, session.begin():
        assert purge_dead(session, now, CONFIG) == 3
    assert _tokens(session_factory) == {"vivante1", "revorece"}


def _account(session_factory, users, demo_hash, email: str) -> int:
    """An agent account of its own (demo accounts are refused outside demo mode)."""
    with session_factory() as session, session.begin():
        user = User(email=email, password_hash=demo_hash, role="agent", nom="Agent",
                    prenom="Test", caisse_code=users["agent.cramif"].caisse_code)
        session.add(user)
        session.flush()
        return user.id


def _login(client, email: str):
    return client.post("/connexion", data={"email": email, "password": "demo"})


def test_une_connexion_purge_les_sessions_mortes_sans_fermer_les_vivantes(
        app, session_factory, users, demo_hash):
    """Hors démonstration (le temps des sessions est celui de l'horloge de l'application) :
    après une longue inactivité, la connexion suivante supprime la ligne morte ; la
    session encore active d'un autre navigateur continue de servir."""
    app.config["DEMO_MODE"] = False
    idle = app.config["SESSION_IDLE_MINUTES"]
    sophie = _account(session_factory, users, demo_hash, "sophie.agent@cramif.fr")
    luc = _account(session_factory, users, demo_hash, "luc.agent@cramif.fr")
    oubliee, active = app.test_client(), app.test_client()
    assert _login(oubliee, "sophie.agent@cramif.fr").status_code == 302
    advance_clock(minutes=idle - 5)
    assert _login(active, "sophie.agent@cramif.fr").status_code == 302
    advance_clock(minutes=10)  # the first one is now idle too long, the second is not
    with session_factory() as session:
        assert session.query(SessionUtilisateur).count() == 2
    assert _login(app.test_client(), "luc.agent@cramif.fr").status_code == 302
    with session_factory() as session:
        users_left = sorted(row.user_id for row in session.scalars(select(SessionUtilisateur)))
    assert users_left == sorted([sophie, luc])
    assert active.get("/agent/").status_code == 200
