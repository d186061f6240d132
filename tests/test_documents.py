"""Tests of app.documents: upload checks, storage, letters (text of the PDF, escaping)."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader, PdfWriter

from app.documents import (
    DocumentStore,
    IntegriteCompromise,
    NomInvalide,
    UploadRefuse,
    accuse_reception,
    convocation,
    decision_recours,
    demande_pieces,
    notification_attribution,
    notification_refus,
    notification_rejet_implicite,
    recapitulatif,
    safe_download_name,
    verifier_avis_imposition,
)
from app.documents.formats import date_longue, montant, taille, taux

MO = 1024 * 1024


# --- helpers -----------------------------------------------------------------------------


def pdf_blanc(pages: int = 1, mot_de_passe: str | None = None) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if mot_de_passe is not None:
        writer.encrypt(user_password=mot_de_passe, owner_password="proprietaire")
    sortie = io.BytesIO()
    writer.write(sortie)
    return sortie.getvalue()


def texte_pdf(pdf: bytes) -> str:
    """Extracted text with whitespace (incl. no-break spaces, line breaks) collapsed."""
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    texte = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", texte.replace("\u00a0", " ").replace("\u202f", " "))


def refus(data: bytes, nom: str = "avis.pdf", **kw) -> UploadRefuse:
    with pytest.raises(UploadRefuse) as info:
        verifier_avis_imposition(data, nom, **kw)
    return info.value


# --- formats -----------------------------------------------------------------------------


def test_formats_francais():
    assert date_longue(date(2026, 11, 21)) == "21 novembre 2026"
    assert date_longue("2027-03-01") == "1er mars 2027"
    assert montant(Decimal("1234.56")) == "1\u00a0234,56\u00a0€"
    assert montant("1234567.005") == "1\u00a0234\u00a0567,01\u00a0€"  # half-up, not banker's
    assert montant(0) == "0,00\u00a0€"
    assert taux(Decimal("0.30")) == "30\u00a0%" and taux(50) == "50\u00a0%"
    assert taille(3 * MO) == "3,0\u00a0Mo"
    assert taille(2 * MO + 1) == "2,1\u00a0Mo"  # rounded up: never « 2,0 Mo » over a 2 Mo limit


# --- uploads -----------------------------------------------------------------------------


def test_pdf_valide_accepte_avec_nombre_de_pages():
    data = pdf_blanc(3)
    info = verifier_avis_imposition(data, "avis.pdf")
    assert info.pages == 3
    assert info.taille == len(data)


def test_contenu_pdf_gagne_sur_l_extension():
    # Choice documented in uploads.py: a real PDF is accepted whatever its name.
    assert verifier_avis_imposition(pdf_blanc(1), "avis_imposition.jpg").pages == 1
    assert verifier_avis_imposition(pdf_blanc(2), "sans_extension").pages == 2


def test_octets_parasites_avant_l_entete_pdf_toleres():
    # Like Acrobat: « %PDF- » within the first 1024 bytes (some scanners prepend bytes).
    assert verifier_avis_imposition(b"\r\n scanner\n" + pdf_blanc(2), "avis.pdf").pages == 2
    assert refus(b"x" * 1024 + pdf_blanc(1)).code == "pas_pdf"


def test_pdf_chiffre_sans_mot_de_passe_d_ouverture_accepte():
    # Owner password only (printing restrictions): anyone can open it, so can the agent.
    assert verifier_avis_imposition(pdf_blanc(2, mot_de_passe=""), "avis.pdf").pages == 2


def test_fichier_vide_refuse():
    erreur = refus(b"")
    assert erreur.message == "Le fichier est vide."
    assert erreur.code == "vide"


def test_fichier_trop_gros_refuse_avec_taille_en_francais():
    erreur = refus(b"%PDF-1.7\n" + b"0" * (3 * MO - 9))
    assert erreur.message == (
        "Le fichier dépasse la taille maximale de 2 Mo (taille reçue : 3,0 Mo)."
    )
    assert erreur.code == "trop_gros"


def test_taille_exactement_au_maximum_acceptee_et_limite_parametrable():
    data = pdf_blanc(1)
    assert verifier_avis_imposition(data, "a.pdf", max_bytes=len(data)).pages == 1
    assert refus(data, max_bytes=len(data) - 1).code == "trop_gros"


def test_jpeg_renomme_en_pdf_refuse_comme_image():
    erreur = refus(b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\x00" * 2000, "avis.pdf")
    assert erreur.message.startswith("Ce fichier est une image (JPEG), pas un PDF.")
    assert erreur.code == "image"


def test_png_renomme_en_pdf_refuse_comme_image():
    erreur = refus(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "avis.pdf")
    assert "image (PNG)" in erreur.message


def test_autre_contenu_refuse_comme_non_pdf():
    erreur = refus(b"Bonjour, voici mon avis d'imposition", "avis.pdf")
    assert erreur.message.startswith("Ce fichier n'est pas un PDF.")
    assert refus(b"PK\x03\x04" + b"\x00" * 50, "avis.pdf").code == "bureautique"


def test_pdf_tronque_refuse_comme_endommage():
    data = pdf_blanc(2)
    erreur = refus(data[: len(data) // 2])
    assert erreur.code == "corrompu"
    assert "endommagé" in erreur.message
    assert refus(b"%PDF-1.7\n" + b"\x00garbage" * 50).code == "corrompu"


def test_pdf_protege_par_mot_de_passe_refuse():
    erreur = refus(pdf_blanc(1, mot_de_passe="secret"))
    assert erreur.code == "mot_de_passe"
    assert "protégé par un mot de passe" in erreur.message


def test_pdf_sans_page_refuse():
    erreur = refus(pdf_blanc(0))
    assert erreur.code == "sans_page"
    assert "aucune page" in erreur.message


def test_chaque_refus_a_son_propre_message():
    data = pdf_blanc(2)
    messages = {
        refus(b"").message,
        refus(b"%PDF-" + b"0" * (3 * MO)).message,
        refus(b"\xff\xd8\xff\xe0" + b"\x00" * 100).message,
        refus(b"texte").message,
        refus(data[:200]).message,
        refus(pdf_blanc(1, mot_de_passe="x")).message,
        refus(pdf_blanc(0)).message,
    }
    assert len(messages) == 7


# --- storage -----------------------------------------------------------------------------


def test_stockage_nom_aleatoire_sha256_et_relecture(tmp_path):
    store = DocumentStore(tmp_path / "uploads")  # created on first save
    data = pdf_blanc(1)
    premier = store.save(data)
    second = store.save(data)
    assert premier.stored_name != second.stored_name
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", premier.stored_name)
    assert premier.sha256 == hashlib.sha256(data).hexdigest()
    assert premier.size == len(data)
    assert store.path(premier.stored_name).is_file()
    assert store.path(premier.stored_name).is_relative_to(tmp_path / "uploads")
    assert store.read(premier.stored_name, sha256=premier.sha256) == data
    # No temporary file left behind by the atomic write.
    assert not [p for p in (tmp_path / "uploads").rglob(".tmp-*")]


def test_stockage_detecte_un_fichier_modifie(tmp_path):
    store = DocumentStore(tmp_path)
    stocke = store.save(b"contenu")
    store.path(stocke.stored_name).write_bytes(b"autre contenu")
    with pytest.raises(IntegriteCompromise):
        store.read(stocke.stored_name, sha256=stocke.sha256)
    assert store.read(stocke.stored_name) == b"autre contenu"  # no hash given: no check


@pytest.mark.parametrize(
    "nom",
    ["../../etc/passwd", "..", "/etc/passwd", "a/b", "x" * 31, "x" * 33, "a" * 31 + ".",
     "a" * 31 + "\x00", "", "a" * 31 + "/", None],
)
def test_stockage_refuse_les_noms_non_generes(tmp_path, nom):
    store = DocumentStore(tmp_path)
    with pytest.raises(NomInvalide):
        store.path(nom)
    with pytest.raises(NomInvalide):
        store.read(nom)
    with pytest.raises(NomInvalide):
        store.delete(nom)


def test_stockage_suppression(tmp_path):
    store = DocumentStore(tmp_path)
    stocke = store.save(b"x")
    assert store.delete(stocke.stored_name) is True
    assert not store.path(stocke.stored_name).exists()
    assert store.delete(stocke.stored_name) is False


def test_nom_de_telechargement_sur():
    assert safe_download_name("Avis d'impôt 2025.pdf") == "Avis_d_impot_2025.pdf"
    assert safe_download_name("../../etc/passwd") == "passwd"
    assert safe_download_name("C:\\Users\\moi\\avis.PDF") == "avis.PDF"
    assert safe_download_name('a"b;\r\nc.pdf') == "a_b_c.pdf"
    assert safe_download_name("日本.pdf") == "document.pdf"
    assert safe_download_name("") == "document"
    for nom in ["é" * 500 + ".pdf", '"; filename=evil.exe', "\x00\n.pdf"]:
        sur = safe_download_name(nom)
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", sur) and len(sur) <= 101


# --- letters -----------------------------------------------------------------------------

CRA_CRAMIF = {
    "organisme": "Secrétariat de la Commission de Recours Amiable du Conseil "
    "d'Administration de la CRAMIF",
    "adresse": "17-19 avenue de Flandre\n75954 Paris cedex 19",
}
CRA_CPAM77 = {
    "organisme": "Commission de recours amiable de la CPAM de Seine-et-Marne (CPAM 77)",
    "adresse": ["Rue des Meuniers", "77950 Rubelles"],
}
CMRA_IDF = {
    "organisme": "Commission médicale de recours amiable d'Île-de-France",
    "adresse": ["CMRA Île-de-France", "75948 Paris cedex 19"],
}


def ctx_paris(**extra):
    return {
        "numero_dossier": "INV-2026-000123",
        "caisse": "CRAMIF",
        "date_courrier": date(2026, 11, 21),
        "assure": {
            "civilite": "Madame",
            "prenom": "Marie",
            "nom": "DUPONT",
            "adresse": "12 rue de la Paix\n75002 Paris",
        },
        **extra,
    }


def ctx_seine_et_marne(**extra):
    return {
        "numero_dossier": "INV-2026-000456",
        "caisse": "CPAM 77",
        "assure": {
            "prenom": "Paul",
            "nom": "MARTIN",
            "adresse": ["3 rue Grande", "77300 Fontainebleau"],
        },
        **extra,
    }


def test_accuse_reception_paris_donne_la_cra_de_la_cramif():
    lettre = accuse_reception(ctx_paris(
        date_reception=date(2026, 11, 21),
        date_limite_decision=date(2027, 1, 21),
        recours=CRA_CRAMIF,
    ))
    assert lettre.objet == "Accusé de réception demande de pension d'invalidité"
    texte = texte_pdf(lettre.pdf)
    for attendu in [
        "Assurance Maladie — CRAMIF", "INV-2026-000123", "Madame Marie DUPONT",
        "75002 Paris", "Le 21 novembre 2026", lettre.objet,
        "21 janvier 2027", "Service Invalidité de la CRAMIF", "2 mois",
        "justificatifs complémentaires", "prolongé", "refusée",
        "17-19 avenue de Flandre", "75954 Paris cedex 19", "lettre recommandée",
    ]:
        assert attendu in texte, attendu
    assert "21 janvier 2027" in lettre.corps_html
    assert "17-19 avenue de Flandre" in lettre.corps_html


def test_accuse_reception_seine_et_marne_donne_sa_cpam_et_pas_la_cramif():
    lettre = accuse_reception(ctx_seine_et_marne(
        date_reception="2026-12-31",
        date_limite_decision="2027-02-28",
        recours=CRA_CPAM77,
    ))
    texte = texte_pdf(lettre.pdf)
    assert "Assurance Maladie — CPAM 77" in texte
    assert "Service Invalidité de la CPAM 77" in texte
    assert "31 décembre 2026" in texte and "28 février 2027" in texte
    assert "CPAM 77" in texte and "77950 Rubelles" in texte
    assert "Flandre" not in texte and "CRAMIF" not in texte


def test_accuse_reception_sans_adresse_renvoie_vers_ameli():
    lettre = accuse_reception(ctx_seine_et_marne(
        date_reception=date(2026, 11, 2), date_limite_decision=date(2027, 1, 2),
        recours={"organisme": "Votre CPAM ou CGSS"},
    ))
    assert "Adresses et contacts" in lettre.corps_html


def test_corps_html_echappe_les_variables():
    malveillant = ctx_paris(
        date_reception=date(2026, 11, 21), date_limite_decision=date(2027, 1, 21),
        recours=CRA_CRAMIF,
    )
    malveillant["assure"] = {**malveillant["assure"], "nom": "<script>alert(1)</script>"}
    lettre = accuse_reception(malveillant)
    assert "<script>" not in lettre.corps_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in lettre.corps_html
    refus_ = notification_refus(ctx_paris(
        motifs=["<img src=x onerror=alert(1)>"], nature="administratif", recours=CRA_CRAMIF,
    ))
    assert "<img" not in refus_.corps_html and "&lt;img" in refus_.corps_html


def test_recapitulatif_contient_sections_et_empreinte():
    empreinte = hashlib.sha256(b"avis").hexdigest()
    lettre = recapitulatif(ctx_paris(
        date_reception=date(2026, 11, 21),
        sections=[
            ("Je suis", [("Nom", "Mme Marie DUPONT"), ("Né(e) le", date(1970, 5, 1)),
                         ("Nationalité", "Hors UE"), ("N° AGDREF", "7501234567")]),
            ("Ma situation actuelle", [("Activité salariée", True),
                                       ("Employeur", "Société Lelièvre"),
                                       ("Période", "du 01/01/2001 au 31/12/2025")]),
            ("J'ai", [("Travaillé dans un autre pays", ["Espagne (2001-2003)", "Italie (2004)"]),
                      ("Accident causé par un tiers", None)]),
        ],
        document={"nom": "avis_2025.pdf", "sha256": empreinte, "taille": 120 * 1024, "pages": 3},
    ))
    texte = texte_pdf(lettre.pdf)
    for attendu in ["Je suis", "Ma situation actuelle", "Société Lelièvre", "1er mai 1970",
                    "7501234567", "Oui", "Espagne (2001-2003)", "Italie (2004)", "—",
                    "avis_2025.pdf", "Document joint", "INV-2026-000123", "120 Ko"]:
        assert attendu in texte, attendu
    assert empreinte in texte.replace(" ", "")  # may wrap inside the PDF


def test_convocation_date_lieu_et_pieces():
    lettre = convocation(ctx_paris(
        date_heure=datetime(2026, 12, 14, 9, 30),
        lieu={"nom": "Service médical — échelon local Paris 19", "adresse": "1 rue X\n75019 Paris"},
        medecin="Dr Leroy",
    ))
    texte = texte_pdf(lettre.pdf)
    for attendu in ["lundi 14 décembre 2026 à 9 h 30", "échelon local Paris 19", "75019 Paris",
                    "Dr Leroy", "pièce d'identité", "carte Vitale", "secret médical",
                    "deux tiers", "Service médical de l'Assurance Maladie"]:
        assert attendu in texte, attendu


def test_notification_attribution_categorie_3_montants_formates():
    lettre = notification_attribution(ctx_paris(
        categorie=3, taux=Decimal("0.50"), sam=Decimal("31234.56"),
        montant_mensuel_brut=Decimal("2589.57"), mtp=Decimal("1288.13"),
        montant_annuel_brut=Decimal("31074.84"), date_effet=date(2027, 1, 1),
        elements_calcul=[("Nombre d'années retenues", 10),
                         ("Montant maximum mensuel (2e et 3e catégories)", Decimal("1962.5"))],
        salaires_retenus=[(2024, Decimal(46368)), (2023, Decimal("40000.10"))],
        recours=CRA_CRAMIF, cmra=CMRA_IDF,
    ))
    texte = texte_pdf(lettre.pdf)
    for attendu in ["3e catégorie", "50 %", "31 234,56 €", "2 589,57 €", "1 288,13 €",
                    "31 074,84 €", "1er janvier 2027", "1 962,50 €", "46 368,00 €",
                    "majoration pour tierce personne", "17-19 avenue de Flandre",
                    "Commission médicale de recours amiable d'Île-de-France", "4 mois",
                    "tribunal judiciaire (pôle social)"]:
        assert attendu in texte, attendu


def test_notification_attribution_categorie_1_sans_mtp():
    lettre = notification_attribution(ctx_seine_et_marne(
        categorie=1, taux=30, sam="20000", montant_mensuel_brut="500.00",
        montant_annuel_brut="6000.00", date_effet="2027-02-01", recours=CRA_CPAM77,
    ))
    texte = texte_pdf(lettre.pdf)
    assert "1re catégorie" in texte and "30 %" in texte and "6 000,00 €" in texte
    assert "dont majoration" not in texte
    with pytest.raises(ValueError):
        notification_attribution(ctx_seine_et_marne(
            categorie=3, taux=50, sam=1, montant_mensuel_brut=1, montant_annuel_brut=12,
            date_effet="2027-02-01", recours=CRA_CPAM77,
        ))


MOTIF_HEURES = (
    "Vous ne justifiez pas de 600 heures de travail salarié au cours des 12 mois précédant "
    "l'arrêt de travail."
)


def test_refus_administratif_renvoie_vers_la_cra():
    lettre = notification_refus(ctx_seine_et_marne(
        motifs=[MOTIF_HEURES],
        nature="administratif", recours=CRA_CPAM77, date_reception=date(2026, 11, 2),
    ))
    texte = texte_pdf(lettre.pdf)
    for attendu in ["600 heures", "commission de recours amiable (CRA)", "77950 Rubelles",
                    "2 mois", "rejetée", "tribunal judiciaire (pôle social)", "12 mois",
                    "2 novembre 2026"]:
        assert attendu in texte, attendu
    assert "CMRA" not in texte and "4 mois" not in texte


def test_refus_medical_renvoie_vers_la_cmra():
    lettre = notification_refus(ctx_paris(
        motifs=["Votre capacité de travail n'est pas réduite d'au moins deux tiers."],
        nature="médical", cmra=CMRA_IDF,
    ))
    texte = texte_pdf(lettre.pdf)
    for attendu in ["deux tiers", "commission médicale de recours amiable (CMRA)",
                    "Île-de-France", "4 mois", "tribunal judiciaire (pôle social)", "12 mois"]:
        assert attendu in texte, attendu
    assert "(CRA)" not in texte
    with pytest.raises(ValueError):
        notification_refus(ctx_paris(motifs=["x"], nature="autre", recours=CRA_CRAMIF))


def test_rejet_implicite_avec_les_deux_voies():
    lettre = notification_rejet_implicite(ctx_paris(
        date_reception=date(2026, 11, 21), date_limite_decision=date(2027, 1, 21),
        recours=CRA_CRAMIF, prolongee=True,
    ))
    texte = texte_pdf(lettre.pdf)
    for attendu in ["21 novembre 2026", "21 janvier 2027", "décision implicite de rejet",
                    "prolongé", "(CMRA)", "(CRA)", "4 mois", "17-19 avenue de Flandre",
                    "Adresses et contacts", "tribunal judiciaire (pôle social)", "12 mois"]:
        assert attendu in texte, attendu


def test_demande_de_pieces_delai_30_jours_et_prolongation():
    lettre = demande_pieces(ctx_paris(
        pieces=["Votre titre de séjour en cours de validité", "Vos bulletins de salaire 2025"],
        date_limite_reponse=date(2026, 12, 21), date_limite_decision=date(2027, 1, 21),
    ))
    texte = texte_pdf(lettre.pdf)
    for attendu in ["titre de séjour", "bulletins de salaire 2025", "30 jours",
                    "21 décembre 2026", "prolongé", "21 janvier 2027"]:
        assert attendu in texte, attendu


@pytest.mark.parametrize(
    ("commission", "issue", "attendus", "absents"),
    [
        ("CRA", "defavorable", ["a rejeté votre réclamation", "tribunal judiciaire (pôle social)",
                                "Motif de test"], []),
        ("CMRA", "rejet_implicite", ["4 mois", "rejet implicite", "pôle social"], []),
        ("CRA", "rejet_implicite", ["2 mois", "rejet implicite"], ["4 mois"]),
        ("CRA", "favorable", ["fait droit à votre réclamation", "nouvelle notification"],
         ["tribunal"]),
    ],
)
def test_decision_de_recours(commission, issue, attendus, absents):
    lettre = decision_recours(ctx_paris(
        commission=commission, issue=issue, date_reclamation=date(2027, 2, 10),
        motifs=["Motif de test"] if issue == "defavorable" else [],
        tribunal={"organisme": "Tribunal judiciaire de Paris — pôle social",
                  "adresse": "Parvis du Tribunal de Paris\n75017 Paris"},
    ))
    texte = texte_pdf(lettre.pdf)
    assert "10 février 2027" in texte
    for attendu in attendus:
        assert attendu in texte, attendu
    for absent in absents:
        assert absent not in texte, absent
