"""The agents' inbox tools: search by name, NIR and dossier number; order by deadline,
receipt date or step; the team view (what colleagues hold, reassign within the team); bulk
claim, release and reassign."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from sqlalchemy import select

from app.models import AuditLog, DonneesCaisse, HumanTask

from .conftest import advance_clock, html, login
from .test_instruction_outils import dossier, dossier_recu, task, verifier

VERIF = "verification_administrative"


def _trois_dossiers(web, users, session_factory):
    """Marie Durand, Luc Girard, Emma Leroy (CRAMIF), received 10 days apart."""
    ids = {}
    for who in ("marie.durand", "luc.girard", "emma.leroy"):
        ids[who] = dossier_recu(web, users, who=who)
        advance_clock(days=10)
    return {who: dossier(session_factory, iid).numero for who, iid in ids.items()}, ids


def _nir(session_factory, users, who) -> str:
    with session_factory() as session:
        return session.scalar(select(DonneesCaisse.nir).where(
            DonneesCaisse.assure_id == users[who].id))


def test_la_recherche_trouve_un_dossier_par_nom_prenom_nir_ou_numero(client, web, users,
                                                                      session_factory):
    numeros, _ids = _trois_dossiers(web, users, session_factory)
    login(client, "agent.cramif")

    def trouves(q: str) -> set[str]:
        page = html(client.get("/agent/", query_string={"vue": "a_prendre", "q": q}))
        return {who for who, numero in numeros.items() if numero in page}

    assert trouves("girard") == {"luc.girard"}           # nom, sans la casse
    assert trouves("Emma") == {"emma.leroy"}             # prénom
    assert trouves("marie durand") == {"marie.durand"}   # chaque mot doit correspondre
    assert trouves("marie girard") == set()
    nir = _nir(session_factory, users, "luc.girard")
    spaced = f"{nir[0]} {nir[1:3]} {nir[3:5]} {nir[5:7]} {nir[7:10]} {nir[10:13]} {nir[13:]}"
    assert trouves(nir) == {"luc.girard"}
    assert trouves(spaced) == {"luc.girard"}              # NIR tapé avec ses espaces
    assert trouves(numeros["emma.leroy"]) == {"emma.leroy"}
    assert trouves(numeros["emma.leroy"][-6:]) == {"emma.leroy"}
    # Wildcards typed by the agent are plain characters, not patterns.
    assert trouves("%") == set() and trouves("_") == set()
    assert "Aucune tâche ne correspond" in html(client.get("/agent/?vue=a_prendre&q=zzz"))


def test_la_recherche_reste_dans_la_caisse_de_l_agent(client, web, users, session_factory):
    lyon = dossier(session_factory, dossier_recu(web, users, who="paul.martin")).numero
    login(client, "agent.cramif")
    for q in (lyon, "martin"):
        assert "Aucune tâche ne correspond" in html(client.get(f"/agent/?vue=a_prendre&q={q}"))


def test_tri_par_echeance_ou_par_date_de_reception(client, web, users, session_factory):
    numeros, ids = _trois_dossiers(web, users, session_factory)
    login(client, "agent.cramif")

    def ordre(**args) -> list[str]:
        page = html(client.get("/agent/", query_string={"vue": "a_prendre", **args}))
        found = [(page.index(n), who) for who, n in numeros.items() if n in page]
        return [who for _i, who in sorted(found)]

    assert ordre() == ["marie.durand", "luc.girard", "emma.leroy"]
    # Marie's deadline moves a year later (as a long wait for documents would): the
    # deadline order changes, the receipt order does not.
    with session_factory() as session, session.begin():
        row = session.get(HumanTask, task(session_factory, ids["marie.durand"], VERIF).id)
        row.due_at = row.due_at + timedelta(days=365)
    assert ordre() == ["luc.girard", "emma.leroy", "marie.durand"]
    assert ordre(tri="reception") == ["marie.durand", "luc.girard", "emma.leroy"]
    page = html(client.get("/agent/?vue=a_prendre&tri=reception"))
    assert "par date de réception" in page and 'value="reception" selected' in page
    assert ordre(tri="n'importe quoi") == ["luc.girard", "emma.leroy", "marie.durand"]


def test_tri_par_etape_puis_par_echeance(client, web, users, session_factory):
    premier = dossier_recu(web, users)
    second = dossier_recu(web, users, who="luc.girard")
    verifier(web, session_factory, premier, users["agent.cramif"])  # → « Convoquer l'assuré »
    login(client, "superviseur")
    n1, n2 = dossier(session_factory, premier).numero, dossier(session_factory, second).numero
    by_step = html(client.get("/agent/?tri=etape"))
    assert by_step.index(n1) < by_step.index(n2)  # « Convoquer… » before « Vérification… »
    by_deadline = html(client.get("/agent/"))  # same deadline: the older task first
    assert by_deadline.index(n2) < by_deadline.index(n1)


def test_la_vue_equipe_montre_ce_que_tiennent_les_collegues(client, web, users,
                                                           session_factory):
    a, b = dossier_recu(web, users), dossier_recu(web, users, who="luc.girard")
    web.claim(task(session_factory, a, VERIF).id, users["agent2.cramif"])
    web.claim(task(session_factory, b, VERIF).id, users["agent.cramif"])
    login(client, "agent.cramif")
    page = html(client.get("/agent/?vue=equipe"))
    assert dossier(session_factory, a).numero in page and "Yann Le Gall" in page
    assert dossier(session_factory, b).numero not in page  # mine: « Mes tâches »
    assert "Mon équipe (1)" in page
    # The reassign menu lists the team only (same role, same caisse).
    menu = re.search(r'id="attribuer-\d+" name="assignee_id">(.*?)</select>', page, re.DOTALL)
    assert "Yann Le Gall" in menu.group(1) and "vous" in menu.group(1)
    assert "Karim Haddad" not in page and "Lefèvre" not in menu.group(1)


def test_un_agent_reattribue_une_tache_dans_son_equipe_seulement(client, web, users,
                                                                 session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, VERIF)
    web.claim(row.id, users["agent2.cramif"])
    login(client, "agent.cramif")
    response = client.post(f"/agent/taches/{row.id}/attribuer",
                           data={"assignee_id": users["agent.cramif"].id,
                                 "retour": "/agent/?vue=equipe"})
    assert response.status_code == 302 and response.headers["Location"] == "/agent/?vue=equipe"
    assert task(session_factory, iid, VERIF).claimed_by_id == users["agent.cramif"].id
    # Not to someone of another caisse, nor to a médecin.
    for other in ("agent.cpam69", "medecin"):
        assert client.post(f"/agent/taches/{row.id}/attribuer",
                           data={"assignee_id": users[other].id}).status_code == 409
    assert task(session_factory, iid, VERIF).claimed_by_id == users["agent.cramif"].id
    with session_factory() as session:
        assert session.scalar(select(AuditLog).where(AuditLog.action == "task_assigned",
                                                     AuditLog.instance_id == iid))
    client.post("/deconnexion")
    # An agent of another caisse cannot touch it.
    login(client, "agent.cpam69")
    assert client.post(f"/agent/taches/{row.id}/attribuer",
                       data={"assignee_id": users["agent.cpam69"].id}).status_code == 403


def test_prendre_liberer_et_attribuer_en_masse(client, web, users, session_factory):
    ids = [dossier_recu(web, users, who=w) for w in ("marie.durand", "luc.girard",
                                                      "emma.leroy")]
    rows = [task(session_factory, i, VERIF).id for i in ids]
    web.claim(rows[2], users["agent2.cramif"])  # already taken by a colleague
    login(client, "agent.cramif")
    response = client.post("/agent/taches/groupees", data={
        "action": "prendre", "taches": [str(r) for r in rows], "retour": "/agent/?vue=a_prendre"})
    assert response.status_code == 302
    page = unescape(html(client.get("/agent/?vue=mes")))
    assert "2 tâches prises." in page
    assert "1 tâche n'a pas pu l'être : Cette tâche vient d'être prise" in page
    assert [task(session_factory, i, VERIF).claimed_by_id for i in ids] == [
        users["agent.cramif"].id, users["agent.cramif"].id, users["agent2.cramif"].id]
    # Bulk reassign within the team, then bulk release.
    client.post("/agent/taches/groupees", data={
        "action": "attribuer", "taches": [str(rows[0])],
        "assignee_id": str(users["agent2.cramif"].id)})
    assert task(session_factory, ids[0], VERIF).claimed_by_id == users["agent2.cramif"].id
    assert "1 tâche attribuée à Yann Le Gall." in html(client.get("/agent/?vue=mes"))
    client.post("/agent/taches/groupees", data={"action": "liberer",
                                                "taches": [str(rows[1]), "x", str(rows[1])]})
    assert task(session_factory, ids[1], VERIF).claimed_by_id is None
    with session_factory() as session:
        actions = [r.details["action"] for r in session.scalars(
            select(AuditLog).where(AuditLog.action == "taches_groupees").order_by(AuditLog.id))]
        assert actions == ["prendre", "attribuer", "liberer"]
        claimed = session.scalars(select(AuditLog.instance_id).where(
            AuditLog.action == "task_claimed", AuditLog.user_id == users["agent.cramif"].id)).all()
        assert set(claimed) == set(ids[:2])


def test_actions_en_masse_refusees_avec_un_message(client, web, users, session_factory):
    iid = dossier_recu(web, users)
    row = task(session_factory, iid, VERIF).id
    login(client, "agent.cramif")
    client.post("/agent/taches/groupees", data={"action": "prendre"})
    assert "Cochez au moins une tâche" in html(client.get("/agent/"))
    client.post("/agent/taches/groupees", data={"action": "supprimer", "taches": [str(row)]})
    assert "Choisissez une action" in html(client.get("/agent/"))
    client.post("/agent/taches/groupees", data={"action": "attribuer", "taches": [str(row)]})
    assert "Choisissez la personne" in html(client.get("/agent/"))
    assert task(session_factory, iid, VERIF).claimed_by_id is None
    # A colleague's task cannot be released by someone else.
    web.claim(row, users["agent2.cramif"])
    client.post("/agent/taches/groupees", data={"action": "liberer", "taches": [str(row)]})
    assert "Seule la personne qui a pris la tâche" in unescape(html(client.get("/agent/")))
    assert task(session_factory, iid, VERIF).claimed_by_id == users["agent2.cramif"].id


def test_la_page_propose_recherche_tri_cases_a_cocher_et_export(client, web, users,
                                                                session_factory):
    iid = dossier_recu(web, users)
    login(client, "agent.cramif")
    page = html(client.get("/agent/?vue=a_prendre&q=durand&tri=etape"))
    assert 'name="q"' in page and 'value="durand"' in page
    assert f'value="{task(session_factory, iid, VERIF).id}" form="actions-groupees"' in page
    assert "Prendre les tâches cochées" in page
    assert "/agent/export.csv?vue=a_prendre&amp;q=durand&amp;tri=etape" in page
    assert "/agent/export.xlsx?" in page
    assert 'name="retour" value="/agent/?vue=a_prendre&amp;q=durand&amp;tri=etape"' in page
