"""Uploads never hand active content to agents (issue 12, point 7).

A PDF with active content (JavaScript, a launch command, an automatic action, an embedded
file, rich media, an XFA form) is refused, with a French message naming what was found. A
real PDF whatever its typed name (page.html, facture.exe, image.svg, a bidi-reversed name) is
served as `application/pdf` under a `.pdf` name — the messagerie's photos under their own
image type —, always as an attachment, with `nosniff` and a sandboxing CSP."""
from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)
from sqlalchemy import select

from app.documents.contenu_actif import (
    AA,
    EMBEDDED,
    JAVASCRIPT,
    LAUNCH,
    OPEN_ACTION,
    RICH_MEDIA,
    XFA,
)
from app.documents.pieces_jointes import verifier_piece_jointe
from app.documents.storage import nom_affichable, safe_download_name
from app.documents.uploads import UploadRefuse, verifier_avis_imposition
from app.engine.clock import clock
from app.models import Document, User
from app.web.agent.dossiers import ouvrir_instruction
from app.web.shared.telechargement import CSP_DOCUMENT

from .assure_aide import pdf_bytes
from .test_instruction_outils import AVIS, DEMANDE
from .test_messagerie import as_user, conversation_id, ecrire, png_bytes

POLYGLOTTE = (b"<!-- <html><body><script>alert(document.cookie)</script></body></html> -->\n"
              + pdf_bytes(1))


def _n(nom: str) -> NameObject:
    return NameObject(nom)


def _dico(**valeurs) -> DictionaryObject:
    return DictionaryObject({_n(f"/{k}"): v for k, v in valeurs.items()})


def pdf_avec(modifier) -> bytes:
    """A one-page PDF, changed by `modifier(writer, page)` before it is written."""
    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    modifier(writer, page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _javascript_au_catalogue(writer, _page):
    action = writer._add_object(_dico(S=_n("/JavaScript"), JS=TextStringObject("app.alert(1)")))
    arbre = _dico(Names=ArrayObject([TextStringObject("x"), action]))
    writer._root_object[_n("/Names")] = _dico(JavaScript=writer._add_object(arbre))


def _ouverture(action):
    def modifier(writer, _page):
        writer._root_object[_n("/OpenAction")] = action
    return modifier


def _annotation(**champs):
    def modifier(writer, page):
        rect = ArrayObject([FloatObject(0), FloatObject(0), FloatObject(10), FloatObject(10)])
        annot = writer._add_object(_dico(Type=_n("/Annot"), Rect=rect, **champs))
        page[_n("/Annots")] = ArrayObject([annot])
    return modifier


def _actions_de_page(writer, page):
    page[_n("/AA")] = _dico(O=_dico(S=_n("/GoTo"), D=ArrayObject([page.indirect_reference,
                                                                  _n("/Fit")])))


def _fichier_joint(writer, _page):
    writer.add_attachment("facture.exe", b"MZ\x90\x00")


def _xfa(writer, _page):
    writer._root_object[_n("/AcroForm")] = _dico(Fields=ArrayObject(),
                                                 XFA=TextStringObject("<xdp:xdp/>"))


def pdf_brut(*objets: bytes) -> bytes:
    """A PDF written by hand (names with #xx escapes), with a correct xref table."""
    sortie = bytearray(b"%PDF-1.7\n")
    positions = []
    for numero, corps in enumerate(objets, start=1):
        positions.append(len(sortie))
        sortie += b"%d 0 obj\n%s\nendobj\n" % (numero, corps)
    xref = len(sortie)
    sortie += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objets) + 1)
    sortie += b"".join(b"%010d 00000 n \n" % p for p in positions)
    sortie += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objets) + 1, xref)
    return bytes(sortie)


ACTIONS_CACHEES = pdf_brut(  # /A#41 is /AA: only a parser that decodes names sees it
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
    b"/A#41 << /O << /S /GoTo /D [3 0 R /Fit] >> >> >>")


@pytest.mark.parametrize("contenu, attendus", [
    (pdf_avec(_javascript_au_catalogue), {JAVASCRIPT}),
    (pdf_avec(_ouverture(_dico(S=_n("/JavaScript"), JS=TextStringObject("app.alert(1)")))),
     {OPEN_ACTION, JAVASCRIPT}),
    (pdf_avec(_ouverture(_dico(S=_n("/URI"), URI=TextStringObject("https://exemple.test")))),
     {OPEN_ACTION}),
    (pdf_avec(_annotation(Subtype=_n("/Link"), A=_dico(S=_n("/Launch"),
                                                       F=TextStringObject("cmd.exe")))),
     {LAUNCH}),
    (pdf_avec(_actions_de_page), {AA}),
    (ACTIONS_CACHEES, {AA}),
    (pdf_avec(_fichier_joint), {EMBEDDED}),
    (pdf_avec(_annotation(Subtype=_n("/RichMedia"))), {RICH_MEDIA}),
    (pdf_avec(_xfa), {XFA}),
], ids=["javascript", "ouverture_js", "ouverture_uri", "launch", "aa", "aa_echappe",
        "fichier_joint", "richmedia", "xfa"])
def test_un_pdf_a_contenu_actif_est_refuse_en_disant_ce_qui_a_ete_trouve(contenu, attendus):
    with pytest.raises(UploadRefuse) as refus:
        verifier_avis_imposition(contenu, "avis.pdf")
    assert refus.value.code == "contenu_actif"
    assert refus.value.message.startswith("Le fichier PDF contient du contenu actif")
    assert "Enregistrer au format PDF" in refus.value.message
    trouves = set(re.search(r" : (.*)\. Enregistrez", refus.value.message).group(1).split(" ; "))
    assert trouves == attendus


def test_un_nom_actif_hors_des_objets_lus_est_aussi_trouve_dans_les_octets_bruts():
    """An object after the last %%EOF, outside the xref table: pypdf does not read it, a
    viewer repairing the file may; « /J#61vaScript » is « /JavaScript »."""
    contenu = pdf_bytes(1) + b"9 0 obj << /S /J#61vaScript /JS (app.alert(1)) >> endobj\n"
    with pytest.raises(UploadRefuse) as refus:
        verifier_avis_imposition(contenu, "avis.pdf")
    assert JAVASCRIPT in refus.value.message


def test_un_pdf_qui_s_ouvre_simplement_sur_une_page_ou_porte_un_lien_est_accepte():
    def ouvre_page_1_et_lien(writer, page):
        writer._root_object[_n("/OpenAction")] = ArrayObject([page.indirect_reference,
                                                              _n("/Fit")])
        _annotation(Subtype=_n("/Link"), A=_dico(S=_n("/URI"), URI=TextStringObject(
            "https://www.impots.gouv.fr")))(writer, page)

    assert verifier_avis_imposition(pdf_avec(ouvre_page_1_et_lien), "avis.pdf").pages == 1
    aller_a = _dico(S=_n("/GoTo"), D=ArrayObject([FloatObject(0), _n("/Fit")]))
    assert verifier_avis_imposition(pdf_avec(_ouverture(aller_a)), "avis.pdf").pages == 1


def test_une_piece_jointe_a_contenu_actif_est_refusee_en_la_nommant():
    with pytest.raises(UploadRefuse) as refus:
        verifier_piece_jointe(pdf_avec(_javascript_au_catalogue), "releve.pdf")
    assert refus.value.message.startswith("« releve.pdf » : Le fichier PDF contient du "
                                          "contenu actif")
    assert JAVASCRIPT in refus.value.message


@pytest.mark.parametrize("nom, servi", [
    ("page.html", "page_html.pdf"),
    ("facture.exe", "facture_exe.pdf"),
    ("image.svg", "image_svg.pdf"),
    ("avis\u202efdp.exe", "avis_fdp_exe.pdf"),  # shown « avisexe.pdf » by a bidi display
    ("avis\u2067fdp.exe\u2069", "avis_fdp_exe.pdf"),
    ("Avis d'impôt 2025.PDF", "Avis_d_impot_2025.pdf"),
    ("", "document.pdf"),
])
def test_le_nom_servi_prend_l_extension_du_vrai_type_et_montre_les_caracteres_caches(nom,
                                                                                    servi):
    assert safe_download_name(nom, "document", "application/pdf") == servi


def test_une_photo_garde_son_type_d_image_et_le_nom_affiche_montre_les_caracteres_caches():
    assert safe_download_name("photo.JPEG", "piece", "image/jpeg") == "photo.jpeg"
    assert safe_download_name("photo.svg", "piece", "image/png") == "photo_svg.png"
    assert nom_affichable("avis\u202efdp.exe") == "avis_fdp.exe"
    assert nom_affichable("Avis d'impôt.pdf") == "Avis d'impôt.pdf"


# ----- served: type, name, nosniff, sandbox ---------------------------------------------------
def _sert_comme_document(response, type_attendu: str, nom_attendu: str) -> None:
    assert response.status_code == 200
    assert response.mimetype == type_attendu
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;"), disposition
    assert re.search(r'filename="?([^";]+)"?', disposition).group(1) == nom_attendu
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == CSP_DOCUMENT
    assert "sandbox" in CSP_DOCUMENT and "default-src 'none'" in CSP_DOCUMENT
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def marie(app, web):
    return as_user(app, "marie.durand")


def test_une_polyglotte_pdf_html_est_servie_en_pdf_sous_un_nom_pdf(app, marie,
                                                                   session_factory):
    fichiers = [("page.html", POLYGLOTTE), ("facture.exe", pdf_bytes(1)),
                ("image.svg", pdf_bytes(1)), ("avis\u202efdp.exe", pdf_bytes(1)),
                ("photo.png", png_bytes())]
    ident = conversation_id(ecrire(marie, fichiers=fichiers))
    with session_factory() as session:
        documents = list(session.scalars(select(Document).order_by(Document.id)))
    attendus = [("application/pdf", "page_html.pdf"), ("application/pdf", "facture_exe.pdf"),
                ("application/pdf", "image_svg.pdf"), ("application/pdf", "avis_fdp_exe.pdf"),
                ("image/png", "photo.png")]
    assert len(documents) == len(attendus)
    agent = as_user(app, "agent.cramif")
    for document, (type_attendu, nom_attendu) in zip(documents, attendus, strict=True):
        for client, url in ((marie, f"/assure/messagerie/conversations/{ident}/pieces/"),
                            (agent, f"/agent/messagerie/{ident}/pieces/")):
            _sert_comme_document(client.get(f"{url}{document.id}"), type_attendu, nom_attendu)


def test_une_piece_a_javascript_n_est_pas_gardee_et_le_message_le_dit(marie, session_factory):
    response = ecrire(marie, fichiers=[("releve.pdf", pdf_avec(_javascript_au_catalogue))])
    assert response.status_code != 302
    texte = response.get_data(as_text=True).replace("&#39;", "'")
    assert "« releve.pdf » : Le fichier PDF contient du contenu actif" in texte
    assert "du code JavaScript" in texte
    with session_factory() as session:
        assert session.scalar(select(Document.id)) is None


def test_un_document_ancien_d_un_autre_type_est_servi_en_pdf_a_l_agent(app, web,
                                                                        session_factory):
    """A row stored before these checks (« text/html », « page.html ») is still a PDF."""
    services = app.extensions["invalidite"]
    with session_factory() as session:
        marie_ = session.scalar(select(User).where(User.email == "marie.durand@demo.fr"))
        session.expunge(marie_)
    instance_id, _numero = ouvrir_instruction(
        services.runtime, marie_, "CRAMIF", date_reception=clock.today(), demande=DEMANDE,
        canal="en_ligne", avis_imposition=AVIS)
    stored = services.store.save(POLYGLOTTE)
    with session_factory() as session, session.begin():
        document = Document(owner_id=marie_.id, instance_id=instance_id, kind="avis_imposition",
                            original_name="page.html", stored_name=stored.stored_name,
                            sha256=stored.sha256, size=stored.size, content_type="text/html",
                            created_at=clock.now())
        session.add(document)
        session.flush()
        ident = document.id
    agent = as_user(app, "agent.cramif")
    _sert_comme_document(agent.get(f"/agent/documents/{ident}"), "application/pdf",
                         "page_html.pdf")
