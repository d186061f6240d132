"""The decision's figures: DMN tables (processes/*.dmn) that analysts may edit, kept in line
with app.domain, and the SAM and amount the agent validates."""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser
from sqlalchemy import select

from app.documents.courriers_instruction import PIECES
from app.domain import (
    age_legal_depart,
    caisse_competente,
    date_limite,
    montant_pension,
    salaire_annuel_moyen,
    valeur,
)
from app.domain.figures import tranches_age_legal
from app.engine.clock import clock
from app.engine.scripting import make_script_engine
from app.models import DonneesCaisse

from . import test_instruction_outils as outils
from .conftest import ROOT
from .test_instruction_outils import (
    _data_of,
    dossier_recu,
    jusqu_a_la_decision,
    valider_attribution,
)

rt = outils.rt  # the fixture: a runtime with the app's hooks, processes deployed
from .test_instruction_outils import dossier as dossier_row


def decide(table: str, data: dict) -> dict:
    parser = BpmnDmnParser()
    parser.add_dmn_file(str(ROOT / "processes" / f"{table}.dmn"))
    engine = parser.get_engine(table, None)
    task = SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=make_script_engine()))
    return dict(engine.result(task))


DEPARTEMENTS = [f"{n:02d}" for n in range(1, 96) if n != 20] + ["2A", "2B"] + [
    str(n) for n in range(971, 977)]


@pytest.mark.parametrize("departement", DEPARTEMENTS)
def test_la_table_caisse_competente_suit_le_domaine(departement):
    result = decide("caisse_competente", {"donnees_caisse": {"departement": departement}})
    assert result["caisse_residence"] == caisse_competente(departement)


def _bornes_age():
    for tranche in tranches_age_legal()[1:]:
        yield tranche.nes_a_partir_du - timedelta(days=1)
        yield tranche.nes_a_partir_du
    yield date(1950, 6, 15)
    yield date(1990, 2, 28)


@pytest.mark.parametrize("naissance", list(_bornes_age()), ids=str)
def test_la_table_age_legal_suit_le_domaine_a_chaque_borne(naissance):
    result = decide("age_legal", {"donnees_caisse": {"date_naissance": naissance.isoformat()}})
    assert (result["age_legal_annees"], result["age_legal_mois"]) == age_legal_depart(naissance)


@pytest.mark.parametrize("categorie", [1, 2, 3])
def test_la_table_des_taux_suit_les_chiffres(categorie):
    result = decide("taux_categorie", {"avis_medical": {"categorie": categorie}})
    assert Decimal(result["taux_categorie"]) == valeur(f"taux_pension_cat{categorie}")
    assert result["majoration_tierce_personne"] is (categorie == 3)


def test_les_pieces_des_courriers_sont_celles_du_formulaire():
    schema = json.loads((ROOT / "forms" / "instruction_verification.json").read_text())
    assert schema["properties"]["pieces_demandees"]["items"]["x-enumLabels"] == PIECES


def _salaires(session_factory, user) -> dict[int, Decimal]:
    with session_factory() as session:
        row = session.scalar(select(DonneesCaisse).where(DonneesCaisse.assure_id == user.id))
        return {int(a): Decimal(s) for a, s in row.salaires_annuels.items()}


@pytest.mark.parametrize("categorie", [1, 2, 3])
def test_le_calcul_propose_est_celui_du_domaine(rt, session_factory, users, categorie):
    iid = dossier_recu(rt, users)
    jusqu_a_la_decision(rt, session_factory, iid, users, categorie=categorie)
    calcul = _data_of(session_factory, iid, "valider_attribution")["calcul"]
    sam = salaire_annuel_moyen(_salaires(session_factory, users["marie.durand"]))
    effet = date_limite(clock.today(), 1).replace(day=1)
    attendu = montant_pension(categorie, sam, effet)
    assert calcul["date_effet"] == effet.isoformat()
    assert (Decimal(calcul["sam"]), Decimal(calcul["mensuel"]), Decimal(calcul["annuel"])) == (
        attendu.sam, attendu.mensuel, attendu.annuel)
    assert Decimal(calcul["mtp"]) == attendu.mtp
    assert len(calcul["salaires_retenus"]) == 10
    assert dossier_row(session_factory, iid).statut == "decision"


@pytest.mark.parametrize("constat_apres_reception", [False, True])
def test_la_date_d_effet_suit_la_plus_tardive_du_constat_et_de_la_reception(
        rt, session_factory, users, constat_apres_reception):
    """Règle : la pension prend effet le 1er jour du mois qui suit la plus tardive des deux
    dates, celle du constat de l'invalidité et celle de la réception de la demande."""
    iid = dossier_recu(rt, users)
    reception = clock.today()
    outils.verifier(rt, session_factory, iid, users["agent.cramif"])
    outils.convoquer(rt, session_factory, iid, users["medecin"])
    if constat_apres_reception:
        outils.move_clock_to(clock.now() + timedelta(days=40))  # before the deadline
        constat = clock.today()
    else:
        constat = reception - timedelta(days=75)
    outils.examiner(rt, session_factory, iid, users["medecin"],
                    date_constat=constat.isoformat())
    attendu = date_limite(max(constat, reception), 1).replace(day=1)
    assert attendu != date_limite(min(constat, reception), 1).replace(day=1)
    calcul = _data_of(session_factory, iid, "valider_attribution")["calcul"]
    assert calcul["date_effet"] == attendu.isoformat()


def test_l_agent_peut_changer_la_date_d_effet_le_montant_suit(rt, session_factory, users):
    iid = dossier_recu(rt, users)
    jusqu_a_la_decision(rt, session_factory, iid, users, categorie=2)
    calcul = _data_of(session_factory, iid, "valider_attribution")["calcul"]
    valider_attribution(rt, session_factory, iid, users["agent.cramif"], date_effet="2025-07-01")
    from .test_instruction_outils import letters

    corps = letters(session_factory, iid)[-1].corps_html
    attendu = montant_pension(2, Decimal(calcul["sam"]), date(2025, 7, 1))
    assert "1er juillet 2025" in corps
    montant = f"{attendu.mensuel:,.2f}".replace(",", "\u00a0").replace(".", ",")
    assert montant in corps


def test_les_tables_dmn_font_partie_de_la_version_deployee(session_factory):
    from app.engine.deploy import latest_version

    from .conftest import deploy_folder

    deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")
    with session_factory() as session:
        files = latest_version(session, "instruction_invalidite").files
    assert {"caisse_competente.dmn", "age_legal.dmn", "taux_categorie.dmn",
            "recours.bpmn"} <= set(files)


@pytest.mark.parametrize("jour, attendu", [
    (date(2027, 1, 21), "2027-01-22T00:00:00+01:00"),   # heure d'hiver
    (date(2027, 7, 14), "2027-07-15T00:00:00+02:00"),   # heure d'été
    (date(2027, 3, 27), "2027-03-28T00:00:00+01:00"),   # la nuit du changement d'heure
    (date(2028, 2, 29), "2028-03-01T00:00:00+01:00"),   # année bissextile
])
def test_un_delai_expire_a_minuit_heure_de_paris(jour, attendu):
    from app.domain import moment_echeance

    assert moment_echeance(jour).isoformat() == attendu
    assert moment_echeance(jour.isoformat()) == moment_echeance(jour)


def test_le_taux_de_la_table_prime_et_doit_etre_une_fraction():
    sam = Decimal(30000)
    assert montant_pension(2, sam, date(2026, 3, 1), taux="0.40").taux == Decimal("0.40")
    for mauvais in ("0", "1.5", "-0.3", "trente"):
        with pytest.raises(ValueError):
            montant_pension(2, sam, date(2026, 3, 1), taux=mauvais)
    with pytest.raises(ValueError, match="Catégorie d'invalidité invalide"):
        montant_pension(4, sam, date(2026, 3, 1), taux="0.50")
