"""Pièces manquantes: the assuré's task, the reminder, the 30-day answer delay, and the
decision deadline moved back by the time the assuré took to answer."""
from __future__ import annotations

from datetime import timedelta

from app.domain import echeance, moment_echeance
from app.engine.timers import fire_due_timers

from . import test_instruction_outils as outils
from .conftest import advance_clock
from .test_instruction_outils import (
    dossier,
    dossier_recu,
    jusqu_a_la_decision,
    letter_count,
    letters,
    move_clock_to,
    open_tasks,
    task,
    valider_attribution,
    verifier,
)

rt = outils.rt  # the fixture: a runtime with the app's hooks, processes deployed

PIECES = {"pieces_completes": False, "pieces_demandees": ["identite", "attestation_salaire"],
          "precision_pieces": "Merci de joindre l'attestation de votre dernier employeur."}


def demander_pieces(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"], **PIECES)
    return iid


def test_la_demande_de_pieces_ouvre_une_tache_pour_l_assure(rt, session_factory, users):
    iid = demander_pieces(rt, session_factory, users)
    pieces = task(session_factory, iid, "fournir_pieces")
    assert (pieces.role, pieces.assignee_id) == ("assure", users["marie.durand"].id)
    assert pieces.due_at == moment_echeance(echeance("reponse_pieces", _today()))
    assert dossier(session_factory, iid).statut == "pieces_demandees"
    courrier = letters(session_factory, iid)[-1]
    assert courrier.objet == "Demande de pièces complémentaires — pension d'invalidité"
    assert "Un justificatif d&#39;identité" in courrier.corps_html
    assert "attestation de votre dernier employeur" in courrier.corps_html


def _today():
    from app.engine.clock import clock

    return clock.today()


def test_pieces_fournies_reportent_la_date_limite_puis_accord(rt, session_factory, users):
    iid = demander_pieces(rt, session_factory, users)
    initiale = dossier(session_factory, iid).date_limite_decision
    advance_clock(days=10)
    rt.complete_task(task(session_factory, iid, "fournir_pieces").id, users["marie.durand"],
                     {"documents_deposes": [{"document_id": 1, "nom": "identite.pdf"}],
                      "message_assure": "Voici mes documents."})
    row = dossier(session_factory, iid)
    assert (row.statut, row.jours_prolongation) == ("instruction", 10)
    assert row.date_limite_decision == initiale + timedelta(days=10)
    # Back to the agent, whose task is now due at the new deadline.
    verification = task(session_factory, iid, "verification_administrative")
    assert verification.due_at == moment_echeance(row.date_limite_decision)
    jusqu_a_la_decision(rt, session_factory, iid, users)
    valider_attribution(rt, session_factory, iid, users["agent.cramif"])
    assert dossier(session_factory, iid).statut == "accord"


def test_relance_puis_delai_de_reponse_depasse(rt, session_factory, users):
    iid = demander_pieces(rt, session_factory, users)
    demande = _today()
    initiale = dossier(session_factory, iid).date_limite_decision
    move_clock_to(moment_echeance(echeance("relance_pieces", demande)) - timedelta(seconds=1))
    fire_due_timers(rt)
    assert letter_count(session_factory, iid, "Relance") == 0
    move_clock_to(moment_echeance(echeance("relance_pieces", demande)))
    fire_due_timers(rt)
    assert letter_count(session_factory, iid, "Relance — Demande de pièces") == 1
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["fournir_pieces"]
    move_clock_to(moment_echeance(echeance("reponse_pieces", demande)))
    fire_due_timers(rt)
    assert [t.element_id for t in open_tasks(session_factory, iid)] == [
        "verification_administrative"]
    row = dossier(session_factory, iid)
    jours = (echeance("reponse_pieces", demande) - demande).days
    assert row.jours_prolongation == jours
    assert row.date_limite_decision == initiale + timedelta(days=jours)
    assert letter_count(session_factory, iid, "Relance") == 1
