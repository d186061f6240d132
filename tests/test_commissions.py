"""Commissions apart from the deciders (issue 11, defect 4).

A claim goes to the caisse's commission: the commission de recours amiable (role `cra`) for an
administrative dispute, the médecins of the commission médicale (role `cmra`) for a medical
one — never to the agents or médecins-conseils who decided. Nobody who took the decision (a
task marked `decision` in the diagram) may rule on its appeal (a task marked `recours`), even
after joining the commission: the inbox does not offer it, claiming, completing and being
assigned it are refused. The CMRA's médecins are bound by the secret médical like the
médecins-conseils. The assuré may attach documents to a contestation: a refused file never
drops the good ones, the accusé lists them, the commission sees them (those of a medical
contestation: the CMRA only).
"""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.engine.deploy import read_folders
from app.engine.errors import Conflict, Forbidden
from app.engine.runtime import DECIDEUR
from app.engine.specs import DeployRefused, parse_sources
from app.models import AuditLog, Document, HumanTask, User
from app.models.user import MEDICAL_ROLES
from app.web.shared.inbox import visible_tasks

from .conftest import ROOT, html, login
from .test_instruction_espace_assure import pdf
from .test_instruction_outils import letters, open_tasks, rt, task
from .test_recours import commission, contester, refus_administratif, refus_medical

__all__ = ["rt"]  # the fixture, imported for these tests
RECOURS = "recours.bpmn"

PNG = b"\x89PNG\r\n\x1a\nxxxx"  # announces a PNG, does not open: refused


def rejoint(session_factory, user: User, role: str) -> User:
    """This person changes service: same account, now in `role`."""
    with session_factory() as session, session.begin():
        session.get(User, user.id).role = role
    with session_factory() as session:
        found = session.get(User, user.id)
        session.expunge(found)
        return found


def inbox_ids(session_factory, user: User) -> list[int]:
    with session_factory() as session:
        return [row.id for row in session.scalars(visible_tasks(user))]


# ----- the commissions' own inboxes ---------------------------------------------------------
def test_la_reclamation_administrative_va_a_la_cra_et_plus_aux_agents(rt, session_factory,
                                                                       users):
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    cra = task(session_factory, iid, "examen_cra")
    assert (cra.role, cra.caisse_code, cra.recours) == ("cra", "CRAMIF", True)
    assert cra.id in inbox_ids(session_factory, users["cra.cramif"])
    for autre in ("agent.cramif", "agent2.cramif", "cra.cpam69", "cmra.cramif"):
        assert cra.id not in inbox_ids(session_factory, users[autre]), autre
    with pytest.raises(Forbidden):
        rt.claim(cra.id, users["agent2.cramif"])
    with pytest.raises(Forbidden):  # the commission of another caisse
        rt.claim(cra.id, users["cra.cpam69"])


def test_la_reclamation_medicale_va_a_la_cmra_et_plus_aux_medecins_conseils(
        rt, session_factory, users):
    iid = refus_medical(rt, session_factory, users)
    contester(rt, session_factory, iid, users["marie.durand"], "medicale")
    cmra = task(session_factory, iid, "examen_cmra")
    assert (cmra.role, cmra.recours) == ("cmra", True)
    assert cmra.id in inbox_ids(session_factory, users["cmra.cramif"])
    assert cmra.id not in inbox_ids(session_factory, users["medecin"])
    with pytest.raises(Forbidden):
        rt.claim(cmra.id, users["medecin"])
    commission(rt, session_factory, iid, "examen_cmra", users["cmra.cramif"], "defavorable")
    assert open_tasks(session_factory, iid) == []


def test_les_taches_de_decision_sont_marquees_et_gardent_qui_a_decide(rt, session_factory,
                                                                      users):
    iid = refus_medical(rt, session_factory, users)
    with session_factory() as session:
        done = {row.element_id: (row.decision, row.completed_by_id) for row in session.scalars(
            select(HumanTask).where(HumanTask.instance_id == iid))}
    assert done["verification_administrative"] == (True, users["agent.cramif"].id)
    assert done["examiner_assure"] == (True, users["medecin"].id)
    assert done["valider_refus_medical"] == (True, users["agent.cramif"].id)
    assert done["convoquer_assure"][0] is False  # a convocation decides nothing


# ----- a decider cannot rule on the appeal of their own decision ----------------------------
def test_un_decideur_ne_peut_pas_statuer_sur_le_recours_de_sa_propre_decision(
        rt, session_factory, users):
    """Sophie Bernard refused the request as an agent, then joined the CRA: the claim against
    her refusal is not hers to judge — not offered, not claimable, not completable, not
    assignable to her; another member of the commission rules on it."""
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    sophie = rejoint(session_factory, users["agent.cramif"], "cra")
    cra = task(session_factory, iid, "examen_cra")
    assert cra.id not in inbox_ids(session_factory, sophie)
    with pytest.raises(Forbidden) as refus:
        rt.claim(cra.id, sophie)
    assert refus.value.message == DECIDEUR
    with pytest.raises(Forbidden):
        commission(rt, session_factory, iid, "examen_cra", sophie, "favorable")
    with pytest.raises(Conflict, match="a pris la décision contestée"):
        rt.assign(cra.id, sophie.id, users["superviseur"])
    # Her colleague of the commission may, and the claim goes on.
    commission(rt, session_factory, iid, "examen_cra", users["cra.cramif"], "defavorable")
    assert open_tasks(session_factory, iid) == []


def test_le_medecin_qui_a_examine_ne_siege_pas_a_la_cmra_sur_ce_dossier(rt, session_factory,
                                                                       users):
    iid = refus_medical(rt, session_factory, users)
    contester(rt, session_factory, iid, users["marie.durand"], "medicale")
    anne = rejoint(session_factory, users["medecin"], "cmra")
    cmra = task(session_factory, iid, "examen_cmra")
    assert cmra.id not in inbox_ids(session_factory, anne)
    with pytest.raises(Forbidden):
        rt.claim(cmra.id, anne)


def test_un_membre_de_la_commission_qui_n_a_pas_decide_statue(rt, session_factory, users):
    """The rule is about the person, not the role: an agent who did not decide and joins
    the CRA judges the claim."""
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    yann = rejoint(session_factory, users["agent2.cramif"], "cra")
    cra = task(session_factory, iid, "examen_cra")
    assert cra.id in inbox_ids(session_factory, yann)
    rt.claim(cra.id, yann)
    commission(rt, session_factory, iid, "examen_cra", yann, "defavorable")


def test_la_reponse_de_l_api_suit_les_regles_de_la_boite(rt, session_factory, users):
    """After a step, the API answers with the instance's open tasks the person may see,
    through a statement built once (values as parameters): the same tasks as their inbox,
    the decider's exclusion included."""
    from app.web.shared.inbox import open_task_ids

    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    sophie = rejoint(session_factory, users["agent.cramif"], "cra")
    yann = rejoint(session_factory, users["agent2.cramif"], "cra")
    cra = task(session_factory, iid, "examen_cra")
    people = [sophie, yann, users["cra.cramif"], users["emma.leroy"], users["marie.durand"],
              users["medecin"], users["agent.cpam69"]]
    with session_factory() as session:
        assert open_task_ids(session, sophie, iid) == []  # she took the decision
        assert open_task_ids(session, yann, iid) == [cra.id]
        for person in people:
            inbox = [row.id for row in session.scalars(visible_tasks(person))
                     if row.instance_id == iid]
            assert open_task_ids(session, person, iid) == inbox, person.email


# ----- secret médical -------------------------------------------------------------------------
def recours_avec_role(role_cmra: str):
    sources = read_folders(ROOT / "processes", ROOT / "forms")
    text = sources.bpmn[RECOURS]
    assert text.count('<spiffworkflow:property name="role" value="cmra" />') == 1
    sources.bpmn[RECOURS] = text.replace('<spiffworkflow:property name="role" value="cmra" />',
                                         f'<spiffworkflow:property name="role" '
                                         f'value="{role_cmra}" />')
    return sources


def test_la_cmra_est_tenue_au_secret_medical_la_cra_non():
    """The CMRA's form is medical: its lane may be the CMRA's (a medical role), never the
    CRA's: such a version is refused at deployment, naming the task."""
    assert "cmra" in MEDICAL_ROLES and "cra" not in MEDICAL_ROLES
    assert "recours_amiable" in parse_sources(recours_avec_role("cmra"))
    with pytest.raises(DeployRefused) as refused:
        parse_sources(recours_avec_role("cra"))
    (error,) = refused.value.errors
    assert error.element_id == "examen_cmra" and "secret médical" in error.reason
    assert "Commission de recours amiable (CRA)" in error.reason


# ----- the web: inboxes, pages ----------------------------------------------------------------
def test_la_cra_se_connecte_sur_sa_boite_et_y_trouve_la_reclamation(client, web, users,
                                                                     session_factory):
    iid = refus_administratif(web, session_factory, users)
    contester(web, session_factory, iid, users["emma.leroy"], "administrative")
    cra = task(session_factory, iid, "examen_cra")
    login(client, "cra.cramif")
    assert client.get("/").headers["Location"].endswith("/agent/")  # home: the inbox
    page = html(client.get("/agent/?vue=a_prendre"))
    assert "Commission de recours amiable" in page and f"/agent/taches/{cra.id}" in page
    assert client.get(f"/agent/taches/{cra.id}").status_code == 200
    client.post("/deconnexion")
    login(client, "agent.cramif")
    assert f"/agent/taches/{cra.id}" not in html(client.get("/agent/?vue=a_prendre"))
    assert client.get(f"/agent/taches/{cra.id}").status_code == 403


# ----- documents attached to a contestation ---------------------------------------------------
def joindre(client, row, *files, action="joindre", **fields):
    return client.post(f"/assure/recours/{row.id}", data={
        "_action": action, **fields,
        "document": [(io.BytesIO(content), name) for name, content in files]},
        content_type="multipart/form-data")


def pieces(session_factory, iid) -> list[tuple[str, str]]:
    with session_factory() as session:
        return [(d.original_name, d.kind) for d in session.scalars(select(Document).where(
            Document.instance_id == iid, Document.kind.like("piece_contestation%"))
            .order_by(Document.id))]


def text(markup: str) -> str:
    import html as entities

    plain = entities.unescape(re.sub(r"<[^>]+>", " ", markup)).replace("\u00a0", " ")
    return re.sub(r"\s+", " ", plain.replace("\u202f", " "))


def test_un_fichier_refuse_n_empeche_pas_de_joindre_les_autres_et_le_texte_reste(
        client, web, users, session_factory):
    iid = refus_administratif(web, session_factory, users)
    row = task(session_factory, iid, "contester")
    login(client, "emma.leroy")
    motifs = "Mes trimestres à l'étranger n'ont pas été comptés."
    response = joindre(client, row, ("attestation.pdf", pdf()), ("photo.png", PNG),
                       ("releve.pdf", pdf()), motifs_contestation=motifs)
    assert response.status_code == 422
    page = text(html(response))
    assert "Ce fichier n'a pas été joint" in page and "« photo.png »" in page
    assert "Joint à votre contestation : attestation.pdf, releve.pdf" in page
    assert motifs in page  # what was typed is kept
    assert pieces(session_factory, iid) == [("attestation.pdf", "piece_contestation"),
                                            ("releve.pdf", "piece_contestation")]
    assert task(session_factory, iid, "contester").status == "open"  # nothing sent yet


def test_la_contestation_part_avec_ses_pieces_l_accuse_les_liste_la_cra_les_voit(
        client, web, users, session_factory):
    iid = refus_administratif(web, session_factory, users)
    row = task(session_factory, iid, "contester")
    login(client, "emma.leroy")
    joindre(client, row, ("attestation.pdf", pdf()), ("brouillon.pdf", pdf()))
    with session_factory() as session:
        brouillon = session.scalar(select(Document.id).where(
            Document.original_name == "brouillon.pdf"))
    joindre(client, row, action=f"retirer:{brouillon}")
    # A file still chosen when sending is joined with the others, then everything goes.
    response = joindre(client, row, ("bulletin.pdf", pdf()), action="submit",
                       nature_contestation="administrative",
                       motifs_contestation="Mes périodes de travail n'ont pas été comptées.")
    assert response.status_code == 302
    assert [n for n, _k in pieces(session_factory, iid)] == ["attestation.pdf", "bulletin.pdf"]
    corps = text(letters(session_factory, iid)[-1].corps_html)
    assert "Les pièces jointes à votre contestation, transmises à la commission" in corps
    assert "attestation.pdf" in corps and "bulletin.pdf" in corps
    assert "brouillon.pdf" not in corps
    with session_factory() as session:
        envoi = session.scalar(select(AuditLog).where(AuditLog.instance_id == iid,
                                                      AuditLog.action == "contestation_envoyee"))
        assert len(envoi.details["documents"]) == 2
    cra = task(session_factory, iid, "examen_cra")
    client.post("/deconnexion")
    login(client, "cra.cramif")
    page = text(html(client.get(f"/agent/taches/{cra.id}")))
    assert "Pièces jointes par l'assuré" in page
    assert "attestation.pdf" in page and "bulletin.pdf" in page


def test_les_pieces_d_une_contestation_medicale_sont_pour_la_cmra_seulement(
        client, web, users, session_factory):
    iid = refus_medical(web, session_factory, users)
    row = task(session_factory, iid, "contester")
    login(client, "marie.durand")
    joindre(client, row, ("certificat.pdf", pdf()), action="submit",
            nature_contestation="medicale",
            motifs_contestation="Mon état s'est aggravé depuis l'examen.")
    assert pieces(session_factory, iid) == [("certificat.pdf", "piece_contestation_medicale")]
    with session_factory() as session:
        ident = session.scalar(select(Document.id).where(
            Document.original_name == "certificat.pdf"))
    cmra = task(session_factory, iid, "examen_cmra")
    client.post("/deconnexion")
    login(client, "cmra.cramif")
    assert "certificat.pdf" in html(client.get(f"/agent/taches/{cmra.id}"))
    assert client.get(f"/agent/documents/{ident}").status_code == 200
    client.post("/deconnexion")
    login(client, "agent.cramif")
    numero = html(client.get(f"/agent/taches/{cmra.id}"))  # not theirs: 403
    assert "certificat.pdf" not in numero
    assert client.get(f"/agent/documents/{ident}").status_code == 403
