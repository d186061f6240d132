"""Recours amiable (processes/recours.bpmn): contest online within 2 months; CRA for an
administrative dispute (silence of 2 months = rejection), CMRA for a medical one (4 months)."""
from __future__ import annotations

from datetime import timedelta

from app.domain import echeance, moment_echeance
from app.engine.clock import clock
from app.engine.timers import fire_due_timers

from . import test_instruction_outils as outils
from .test_instruction_outils import (
    convoquer,
    dossier,
    dossier_recu,
    examiner,
    instance,
    letters,
    move_clock_to,
    open_tasks,
    task,
    valider_attribution,
    verifier,
)

rt = outils.rt  # the fixture: a runtime with the app's hooks, processes deployed


def refus_administratif(rt, session_factory, users):
    iid = dossier_recu(rt, users, who="emma.leroy")
    verifier(rt, session_factory, iid, users["agent.cramif"])
    return iid


def refus_medical(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"])
    convoquer(rt, session_factory, iid, users["medecin"])
    examiner(rt, session_factory, iid, users["medecin"], invalide=False)
    rt.complete_task(task(session_factory, iid, "valider_refus_medical").id,
                     users["agent.cramif"], {"motifs_refus_medical": "Capacité réduite de moins "
                                             "des deux tiers.", "refus_verifie": True})
    return iid


def contester(rt, session_factory, iid, who, nature):
    rt.complete_task(task(session_factory, iid, "contester").id, who, {
        "nature_contestation": nature,
        "motifs_contestation": "Je conteste cette décision car mon état s'est aggravé."})


def commission(rt, session_factory, iid, element, who, issue, **extra):
    rt.complete_task(task(session_factory, iid, element).id, who, {
        "issue_commission": issue, "motifs_commission": "Après examen des pièces du dossier.",
        "date_seance": clock.today().isoformat(), **extra})


def dernier_objet(session_factory, iid) -> str:
    return letters(session_factory, iid)[-1].objet


def test_la_contestation_administrative_va_a_la_cra_de_la_caisse(rt, session_factory, users):
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    cra = task(session_factory, iid, "examen_cra")
    assert (cra.role, cra.caisse_code, cra.lane) == ("cra", "CRAMIF",
                                                     "Commission de recours amiable")
    assert cra.due_at == moment_echeance(echeance("silence_cra", clock.today()))
    assert dossier(session_factory, iid).statut == "recours"


def test_cra_favorable_l_instruction_reprend_jusqu_a_l_accord(rt, session_factory, users):
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    commission(rt, session_factory, iid, "examen_cra", users["cra.cramif"], "favorable")
    assert dernier_objet(session_factory, iid).endswith("réclamation acceptée")
    # The CRA recognised the conditions: the dossier goes straight to the médecin-conseil.
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["convoquer_assure"]
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision) == ("instruction", None)
    assert row.date_limite_decision == echeance("decision", clock.today())
    convoquer(rt, session_factory, iid, users["medecin"])
    examiner(rt, session_factory, iid, users["medecin"], categorie=1)
    valider_attribution(rt, session_factory, iid, users["agent.cramif"])
    assert dossier(session_factory, iid).statut == "accord"


def test_cra_defavorable_le_dossier_est_clos(rt, session_factory, users):
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    commission(rt, session_factory, iid, "examen_cra", users["cra.cramif"], "defavorable")
    assert dernier_objet(session_factory, iid).endswith("réclamation rejetée")
    assert "tribunal judiciaire" in letters(session_factory, iid)[-1].corps_html
    assert dossier(session_factory, iid).statut == "clos"
    assert instance(session_factory, iid).status == "completed"


def test_silence_de_la_cra_pendant_deux_mois_vaut_rejet(rt, session_factory, users):
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    due = moment_echeance(echeance("silence_cra", clock.today()))
    move_clock_to(due - timedelta(seconds=1))
    assert fire_due_timers(rt) == 0
    move_clock_to(due)
    assert fire_due_timers(rt) == 1
    assert dernier_objet(session_factory, iid).startswith("Rejet implicite de votre réclamation")
    assert dossier(session_factory, iid).statut == "clos"
    assert open_tasks(session_factory, iid) == []


def test_la_contestation_medicale_va_a_la_cmra(rt, session_factory, users):
    iid = refus_medical(rt, session_factory, users)
    contester(rt, session_factory, iid, users["marie.durand"], "medicale")
    cmra = task(session_factory, iid, "examen_cmra")
    assert (cmra.role, cmra.caisse_code) == ("cmra", "CRAMIF")
    assert cmra.due_at == moment_echeance(echeance("silence_cmra", clock.today()))


def test_cmra_favorable_la_categorie_retenue_mene_a_l_attribution(rt, session_factory, users):
    iid = refus_medical(rt, session_factory, users)
    contester(rt, session_factory, iid, users["marie.durand"], "medicale")
    commission(rt, session_factory, iid, "examen_cmra", users["cmra.cramif"], "favorable",
               categorie_cmra=2, date_constat_cmra=clock.today().isoformat())
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["valider_attribution"]
    valider_attribution(rt, session_factory, iid, users["agent.cramif"])
    row = dossier(session_factory, iid)
    assert (row.statut, row.categorie) == ("accord", 2)


def test_cmra_defavorable(rt, session_factory, users):
    iid = refus_medical(rt, session_factory, users)
    contester(rt, session_factory, iid, users["marie.durand"], "medicale")
    commission(rt, session_factory, iid, "examen_cmra", users["cmra.cramif"], "defavorable")
    assert "commission médicale de recours amiable" in dernier_objet(session_factory, iid)
    assert dossier(session_factory, iid).statut == "clos"


def test_silence_de_la_cmra_pendant_quatre_mois_vaut_rejet(rt, session_factory, users):
    iid = refus_medical(rt, session_factory, users)
    contester(rt, session_factory, iid, users["marie.durand"], "medicale")
    depart = clock.today()
    move_clock_to(moment_echeance(echeance("silence_cra", depart)))
    assert fire_due_timers(rt) == 0  # two months are not enough for the CMRA
    move_clock_to(moment_echeance(echeance("silence_cmra", depart)))
    assert fire_due_timers(rt) == 1
    assert dernier_objet(session_factory, iid).startswith("Rejet implicite de votre réclamation")


def test_sans_contestation_dans_les_deux_mois_la_decision_est_definitive(rt, session_factory,
                                                                         users):
    iid = refus_administratif(rt, session_factory, users)
    due = moment_echeance(echeance("contestation", clock.today()))
    move_clock_to(due)
    assert fire_due_timers(rt) == 1
    assert open_tasks(session_factory, iid) == []
    assert instance(session_factory, iid).status == "completed"
    assert dossier(session_factory, iid).statut == "refus"


def test_contestation_tardive_refusee_l_echeance_passe_avant(rt, session_factory, users):
    """Règle : les minuteurs échus passent avant toute action. Une contestation envoyée
    après la date limite, avant même le passage du worker, trouve la fenêtre fermée : la
    décision devient définitive et rien n'est transmis à la commission."""
    import pytest

    from app.engine.errors import DeadlinePassed

    iid = refus_administratif(rt, session_factory, users)
    limite = echeance("contestation", clock.today())
    move_clock_to(moment_echeance(limite) + timedelta(hours=9))
    with pytest.raises(DeadlinePassed):
        contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    assert dossier(session_factory, iid).statut == "refus"
    assert open_tasks(session_factory, iid) == []
    assert not any(c.objet.endswith("réclamation rejetée")
                   for c in letters(session_factory, iid))
