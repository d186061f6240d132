"""Paper channel to the end: an S4150 keyed in for a multi-employer assuré unknown to the
caisse, with the salaries it declares (per year, per employer), the hours and the scanned
form and payslips, goes through the corrected check, the exam and the decision, and the
assuré is notified of an amount computed on the declared salaries."""
from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.domain import montant_pension, salaire_annuel_moyen
from app.engine.clock import clock
from app.models import Document, Dossier, Incident, User

from .assure_aide import pdf_bytes
from .conftest import advance_clock, html, login
from .test_instruction_outils import _data_of, dossier, letters, task

JEAN = {
    "identite.nom": "Papier", "identite.prenom": "Jean", "identite.date_naissance": "02/02/1975",
    "adresse.rue": "4 rue Mercière", "adresse.code_postal": "69002", "adresse.ville": "Lyon",
    "nationalite": "francaise", "situation.activites": "salariee",
    "situation.employeurs.0.nom": "Boulangerie Lumière",
    "situation.employeurs.0.adresse": "3 rue de la Charité, Lyon",
    "situation.employeurs.0.periode.du": "01/01/2015",
    "situation.employeurs.0.heures_12_mois": "420",
    "situation.employeurs.1.nom": "Nettoyage Rhône",
    "situation.employeurs.1.adresse": "12 avenue Berthelot, Lyon",
    "situation.employeurs.1.periode.du": "01/03/2018",
    "situation.employeurs.1.heures_12_mois": "310,5",
    "situation.salaires.0.employeur": "Boulangerie Lumière",
    "situation.salaires.0.annee": "2024", "situation.salaires.0.montant": "14 000",
    "situation.salaires.1.employeur": "Nettoyage Rhône",
    "situation.salaires.1.annee": "2024", "situation.salaires.1.montant": "9 500,50",
    "situation.salaires.2.employeur": "Boulangerie Lumière",
    "situation.salaires.2.annee": "2025", "situation.salaires.2.montant": "15 200",
}
SALAIRES = {2024: Decimal("23500.50"), 2025: Decimal(15200)}


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(out, "PNG")
    return out.getvalue()


def _saisir(client, fichiers: dict | None = None, **extra):
    recu = (clock.today() - timedelta(days=2)).strftime("%d/%m/%Y")
    data = {"date_reception": recu, **JEAN, **extra}
    for champ, contenus in (fichiers or {}).items():
        data[champ] = [(io.BytesIO(c), nom) for nom, c in contenus]
    return client.post("/agent/s4150", data=data, content_type="multipart/form-data")


def _dernier(session_factory) -> Dossier | None:
    with session_factory() as session:
        return session.scalars(select(Dossier).order_by(Dossier.id.desc())).first()


def test_un_dossier_papier_inconnu_va_jusqu_a_la_decision_notifiee(client, web, users,
                                                                   session_factory):
    login(client, "agent.cpam69")
    response = _saisir(client, {
        "formulaire_scanne": [("s4150.pdf", pdf_bytes(pages=4))],
        "bulletins_salaire": [("bulletin_2024.pdf", pdf_bytes(pages=1)),
                              ("bulletin_2025.png", _png())]})
    assert response.status_code == 302, html(response)[:3000]
    row = _dernier(session_factory)
    iid = row.instance_id
    with session_factory() as session:
        assure = session.get(User, row.assure_id)
        assert (assure.nom, assure.active) == ("PAPIER", False)
        documents = session.scalars(select(Document).where(Document.instance_id == iid)
                                    .order_by(Document.id)).all()
    assert [(d.kind, d.original_name, d.owner_id) for d in documents] == [
        ("formulaire_s4150", "s4150.pdf", assure.id),
        ("bulletin_salaire", "bulletin_2024.pdf", assure.id),
        ("bulletin_salaire", "bulletin_2025.png", assure.id)]

    # Check: the caisse knows nothing; the page shows what the form declares.
    verification = task(session_factory, iid, "verification_administrative")
    page = html(client.get(f"/agent/taches/{verification.id}"))
    assert "Déclaré sur le formulaire S4150" in page and "730,5 h" in page
    assert "Salaires 2024 (tous employeurs)</dt><dd>23\u00a0500,50\u00a0€" in page
    assert client.post(f"/agent/taches/{verification.id}", data={
        "avis_conditions": "corrige", "conditions_corrigees": "remplies",
        "motif_correction": "Heures et salaires des bulletins joints : conditions remplies.",
        "pieces_completes": "true"}).status_code == 302

    # Médecin-conseil: convocation, then the exam on the convocation day.
    client.post("/deconnexion")
    login(client, "medecin.cpam69")
    convocation = task(session_factory, iid, "convoquer_assure")
    jour = clock.today() + timedelta(days=10)
    assert client.post(f"/agent/taches/{convocation.id}", data={
        "convocation_date": jour.strftime("%d/%m/%Y"), "convocation_heure": "09:30",
        "convocation_lieu": "Service médical", "convocation_adresse": "1 rue X\n69003 Lyon",
    }).status_code == 302
    advance_clock(days=10)
    examen = task(session_factory, iid, "examiner_assure")
    assert client.post(f"/agent/taches/{examen.id}", data={
        "examen_realise": "true", "date_examen": jour.strftime("%d/%m/%Y"),
        "capacite_reduite": "true", "categorie": "2", "tierce_personne": "false",
        "date_constat": jour.strftime("%d/%m/%Y")}).status_code == 302

    # The amount rests on the declared salaries (the SAM is no longer 0).
    client.post("/deconnexion")
    login(client, "agent.cpam69")
    decision = task(session_factory, iid, "valider_attribution")
    calcul = _data_of(session_factory, iid, "valider_attribution")["calcul"]
    assert Decimal(calcul["sam"]) == salaire_annuel_moyen(SALAIRES) > 0
    assert calcul["annees_connues"] == 2
    effet = calcul["date_effet"]
    attendu = montant_pension(2, salaire_annuel_moyen(SALAIRES), effet)
    assert Decimal(calcul["mensuel"]) == attendu.mensuel
    assert client.post(f"/agent/taches/{decision.id}", data={
        "date_effet": f"{effet[8:10]}/{effet[5:7]}/{effet[0:4]}",
        "calcul_verifie": "true"}).status_code == 302
    final = dossier(session_factory, iid)
    assert (final.statut, final.canal, final.categorie) == ("accord", "papier", 2)
    assert letters(session_factory, iid)[-1].objet.startswith("Notification d'attribution")
    with session_factory() as session:
        assert session.scalars(select(Incident)).all() == []


def test_un_dossier_papier_sans_aucun_salaire_arrive_a_la_decision_sans_incident(
        client, web, users, session_factory):
    """The SAM script once failed (NameError) on an empty career: now the minimum applies."""
    login(client, "agent.cpam69")
    sans_salaire = {k: "" for k in JEAN if k.startswith("situation.salaires.")}
    assert _saisir(client, **sans_salaire).status_code == 302
    iid = _dernier(session_factory).instance_id
    from .test_instruction_outils import convoquer, examiner, verifier

    verifier(web, session_factory, iid, users["agent.cpam69"], avis_conditions="corrige",
             conditions_corrigees="remplies", motif_correction="Bulletins de salaire vus.")
    convoquer(web, session_factory, iid, users["medecin.cpam69"])
    examiner(web, session_factory, iid, users["medecin.cpam69"], categorie=1)
    calcul = _data_of(session_factory, iid, "valider_attribution")["calcul"]
    assert (calcul["sam"], calcul["annees_connues"], calcul["minore"]) == ("0", 0, True)
    with session_factory() as session:
        assert session.scalars(select(Incident)).all() == []


def test_une_piece_refusee_est_dite_a_cote_du_champ_et_rien_n_est_cree(client, web,
                                                                       session_factory):
    login(client, "agent.cpam69")
    avant = _dernier(session_factory)
    response = _saisir(client, {
        "formulaire_scanne": [("s4150.pdf", pdf_bytes(pages=1))],
        "bulletins_salaire": [("bulletin.docx", b"PK\x03\x04 un document Word")]})
    assert response.status_code == 422
    page = html(response)
    assert "« bulletin.docx » est un document bureautique ou une archive" in page
    assert "choisissez à nouveau les fichiers" in page
    assert 'enctype="multipart/form-data"' in page
    assert _dernier(session_factory) == avant or _dernier(session_factory).id == avant.id


def test_les_salaires_et_les_heures_se_saisissent_par_employeur(client, web):
    login(client, "agent.cpam69")
    page = html(client.get("/agent/s4150"))
    for libelle in ("Salaires bruts par année et par employeur", "Ajouter un salaire annuel",
                    "Heures travaillées chez cet employeur", "Formulaire S4150 numérisé",
                    "Bulletins de salaire"):
        assert libelle in page, libelle
