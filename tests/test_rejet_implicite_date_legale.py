"""A tacit refusal is a decision taken on the last day of the legal delay: its date, and the
appeal delay that follows, come from that deadline, however late the timer worker ran.
The same for the commissions' silence (CRA, CMRA)."""
from __future__ import annotations

from datetime import date, timedelta

from app.domain import echeance, moment_echeance
from app.engine.clock import PARIS, clock
from app.engine.timers import fire_due_timers

from . import test_instruction_outils as outils
from .test_instruction_outils import (
    _data_of,
    deadline_moment,
    dossier,
    dossier_recu,
    letters,
    move_clock_to,
    task,
    verifier,
)
from .test_recours import contester, refus_administratif, refus_medical

rt = outils.rt  # the fixture: a runtime with the app's hooks, processes deployed

RETARD = timedelta(days=7, hours=5)  # the worker was stopped for a week


def test_un_minuteur_declenche_en_retard_date_le_rejet_implicite_a_la_date_legale(
        rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"])
    limite = dossier(session_factory, iid).date_limite_decision
    move_clock_to(deadline_moment(session_factory, iid) + RETARD)
    assert fire_due_timers(rt) == 1
    row = dossier(session_factory, iid)
    assert row.statut == "rejet_implicite"
    # Decided when the delay ran out (midnight ending its last day), not when the timer ran.
    assert row.decision_at == moment_echeance(limite)
    ne_le = limite + timedelta(days=1)
    assert row.decision_at.astimezone(PARIS).date() == ne_le
    data = _data_of(session_factory, iid, "contester")
    assert data["date_decision"] == ne_le.isoformat()
    attendu = echeance("contestation", ne_le)
    assert data["date_limite_contestation"] == attendu.isoformat()
    # The appeal task's due date is the legal one too (not a week later).
    contest = task(session_factory, iid, "contester")
    assert contest.due_at == moment_echeance(attendu)
    # The letter says when the delay ended.
    corps = letters(session_factory, iid)[-1].corps_html
    assert f"{limite.day}" in corps and str(limite.year) in corps


def test_a_l_heure_le_rejet_implicite_a_la_meme_date(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"])
    limite = dossier(session_factory, iid).date_limite_decision
    move_clock_to(deadline_moment(session_factory, iid))
    assert fire_due_timers(rt) == 1
    assert dossier(session_factory, iid).decision_at == moment_echeance(limite)


def test_un_refus_notifie_reste_date_du_jour_de_la_notification(rt, session_factory, users):
    iid = refus_administratif(rt, session_factory, users)
    data = _data_of(session_factory, iid, "contester")
    assert data["date_notification"] == clock.today().isoformat()
    assert dossier(session_factory, iid).decision_at.astimezone(PARIS).date() == clock.today()


def _silence_tardif(rt, session_factory, iid, delai: str) -> date:
    limite = echeance(delai, clock.today())
    move_clock_to(moment_echeance(limite) + RETARD)
    assert fire_due_timers(rt) == 1
    return limite


def test_le_silence_de_la_cra_constate_en_retard_est_date_a_son_echeance(
        rt, session_factory, users):
    iid = refus_administratif(rt, session_factory, users)
    contester(rt, session_factory, iid, users["emma.leroy"], "administrative")
    limite = _silence_tardif(rt, session_factory, iid, "silence_cra")
    lettre = letters(session_factory, iid)[-1]
    assert lettre.objet.startswith("Rejet implicite de votre réclamation")
    assert f"{limite:%Y}" in lettre.corps_html
    assert _jour_fr(limite) in lettre.corps_html
    assert _jour_fr(clock.today()) not in lettre.corps_html


def test_le_silence_de_la_cmra_constate_en_retard_est_date_a_son_echeance(
        rt, session_factory, users):
    iid = refus_medical(rt, session_factory, users)
    contester(rt, session_factory, iid, users["marie.durand"], "medicale")
    limite = _silence_tardif(rt, session_factory, iid, "silence_cmra")
    lettre = letters(session_factory, iid)[-1]
    assert _jour_fr(limite) in lettre.corps_html
    assert _jour_fr(clock.today()) not in lettre.corps_html


def _jour_fr(jour: date) -> str:
    from app.documents.formats import date_longue

    return date_longue(jour)
