"""From a received request to the decision: each path of processes/instruction_invalidite."""
from __future__ import annotations

import pytest

from app.models import Message

from . import test_instruction_outils as outils
from .test_instruction_outils import (
    convoquer,
    dossier,
    dossier_recu,
    examiner,
    instance,
    jusqu_a_la_decision,
    letters,
    open_tasks,
    task,
    valider_attribution,
    verifier,
)

rt = outils.rt  # the fixture: a runtime with the app's hooks, processes deployed


@pytest.mark.parametrize("categorie", [1, 2, 3])
def test_accord_de_la_categorie_choisie_par_le_medecin(rt, session_factory, users, categorie):
    iid = dossier_recu(rt, users)
    jusqu_a_la_decision(rt, session_factory, iid, users, categorie=categorie)
    valider_attribution(rt, session_factory, iid, users["agent.cramif"])
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision, row.categorie) == ("accord", "accord", categorie)
    assert instance(session_factory, iid).status == "completed"
    objets = [m.objet for m in letters(session_factory, iid)]
    assert objets[-1] == "Notification d'attribution de pension d'invalidité"
    assert open_tasks(session_factory, iid) == []


def _dernier_courrier(session_factory, iid) -> Message:
    return letters(session_factory, iid)[-1]


def test_l_attribution_donne_la_categorie_le_taux_le_sam_et_les_montants(rt, session_factory,
                                                                         users):
    iid = dossier_recu(rt, users)
    jusqu_a_la_decision(rt, session_factory, iid, users, categorie=3)
    valider_attribution(rt, session_factory, iid, users["agent.cramif"])
    corps = _dernier_courrier(session_factory, iid).corps_html
    assert "3e catégorie" in corps and "50\u00a0%" in corps
    assert "majoration pour tierce personne : 1\u00a0288,13\u00a0€" in corps
    assert "Salaire annuel moyen" in corps and "Date d'effet" in corps


def test_droits_non_ouverts_refus_administratif_avec_les_chiffres(rt, session_factory, users):
    iid = dossier_recu(rt, users, who="emma.leroy")
    verifier(rt, session_factory, iid, users["agent.cramif"])
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision) == ("refus", "refus_administratif")
    courrier = _dernier_courrier(session_factory, iid)
    assert courrier.objet == "Notification de refus de pension d'invalidité"
    assert "vous avez travaillé 300,00 heures" in courrier.corps_html.replace("\u00a0", " ")
    assert "17-19 avenue de Flandre" in courrier.corps_html
    assert "Secrétariat de la Commission de recours amiable" in courrier.corps_html
    # The assuré may now contest online, until the contest deadline.
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["contester"]


def test_au_dela_de_l_age_legal_refus_administratif(rt, session_factory, users):
    iid = dossier_recu(rt, users, who="luc.girard")
    verifier(rt, session_factory, iid, users["agent.cramif"])
    courrier = _dernier_courrier(session_factory, iid)
    assert dossier(session_factory, iid).decision == "refus_administratif"
    assert "âge légal de départ à la retraite (62 ans et 6 mois" in courrier.corps_html


def test_agent_corrige_le_calcul_avec_un_motif(rt, session_factory, users):
    iid = dossier_recu(rt, users, who="emma.leroy")
    verifier(rt, session_factory, iid, users["agent.cramif"], avis_conditions="corrige",
             conditions_corrigees="remplies",
             motif_correction="Périodes d'activité à l'étranger assimilées (règlement UE).")
    assert [t.element_id for t in open_tasks(session_factory, iid)] == ["convoquer_assure"]
    assert dossier(session_factory, iid).statut == "examen_medical"


def test_corriger_sans_motif_est_refuse(rt, session_factory, users):
    from app.engine.errors import FormInvalid

    iid = dossier_recu(rt, users, who="emma.leroy")
    with pytest.raises(FormInvalid) as err:
        verifier(rt, session_factory, iid, users["agent.cramif"], avis_conditions="corrige")
    assert err.value.errors == {"conditions_corrigees": "Ce champ est obligatoire",
                                "motif_correction": "Indiquez le motif de la correction"}


def test_non_salarie_qui_percoit_des_ij_puis_accord(rt, session_factory, users):
    iid = dossier_recu(rt, users, who="hugo.michel")
    jusqu_a_la_decision(rt, session_factory, iid, users, categorie=2,
                        agent="agent.cpam77", medecin="medecin.cpam77")
    valider_attribution(rt, session_factory, iid, users["agent.cpam77"])
    assert dossier(session_factory, iid).statut == "accord"
    assert "CPAM 77" in _dernier_courrier(session_factory, iid).corps_html


def test_refus_medical_valide_par_l_agent_voie_cmra(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"])
    convoquer(rt, session_factory, iid, users["medecin"])
    examiner(rt, session_factory, iid, users["medecin"], invalide=False)
    refus = task(session_factory, iid, "valider_refus_medical")
    assert (refus.role, refus.caisse_code) == ("agent", "CRAMIF")
    rt.complete_task(refus.id, users["agent.cramif"], {
        "motifs_refus_medical": "Votre capacité de travail n'est pas réduite des deux tiers.",
        "refus_verifie": True})
    row = dossier(session_factory, iid)
    assert (row.statut, row.decision) == ("refus", "refus_medical")
    corps = _dernier_courrier(session_factory, iid).corps_html
    assert "commission médicale de recours amiable (CMRA)" in corps
    assert "pas réduite des deux tiers" in corps


def test_convocation_envoyee_avec_date_lieu_et_pdf(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    verifier(rt, session_factory, iid, users["agent.cramif"])
    convoquer(rt, session_factory, iid, users["medecin"])
    courrier = _dernier_courrier(session_factory, iid)
    assert courrier.objet.startswith("Convocation à un examen médical")
    assert "10 rue de la Santé" in courrier.corps_html and "9\u00a0h\u00a030" in courrier.corps_html
    assert courrier.document_id is not None
    assert task(session_factory, iid, "examiner_assure").role == "medecin_conseil"
