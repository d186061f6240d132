"""A receipt for everything the assuré sends (issue 10, point 3).

After « Envoyer mes documents » and after « Envoyer ma contestation », an accusé de réception
arrives in the messagerie: what was received (file names and sizes, or the contestation),
when (date and time, Paris), what happens next and the deadline that now runs. The documents
sent are listed on the dossier page, downloaded as attachments only. One bad file among
several never drops the good ones: the refused one is named with its reason."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.documents.formats import date_longue, taille
from app.domain import echeance
from app.engine.clock import clock
from app.models import AuditLog, Document, Message

from .conftest import advance_clock, html, login
from .test_instruction_espace_assure import pdf, pieces_demandees, refus
from .test_instruction_outils import dossier, letters, move_clock_to, open_tasks
from .test_recours import refus_medical

PNG = b"\x89PNG\r\n\x1a\nxxxx"


def text(markup: str) -> str:
    """What a reader sees: tags dropped, entities and spaces (no-break ones too) plain."""
    import html as entities

    return re.sub(r"\s+", " ", plain(entities.unescape(re.sub(r"<[^>]+>", " ", markup))))


def plain(value: str) -> str:
    return value.replace("\u00a0", " ").replace("\u202f", " ")


def ajouter(client, url, *files):
    return client.post(url, data={"action": "ajouter", "document": [
        (io.BytesIO(content), name) for name, content in files]},
        content_type="multipart/form-data", follow_redirects=True)


def accuse(session_factory, iid) -> Message:
    courrier = letters(session_factory, iid)[-1]
    assert courrier.objet.startswith("Accusé de réception de"), courrier.objet
    return courrier


def staged_names(session_factory, iid) -> list[str]:
    with session_factory() as session:
        return list(session.scalars(select(Document.original_name).where(
            Document.instance_id == iid, Document.kind == "piece_justificative")
            .order_by(Document.id)))


# ----- documents asked for ------------------------------------------------------------------
def test_envoyer_mes_documents_depose_un_accuse_de_reception(client, web, users,
                                                             session_factory):
    # 23:40 UTC is already the next day in Paris: the receipt speaks Paris time.
    move_clock_to(datetime(2026, 12, 6, 23, 40, tzinfo=UTC))
    iid, row = pieces_demandees(web, users, session_factory)
    initiale = dossier(session_factory, iid).date_limite_decision
    advance_clock(days=6)
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    contrat, cni = pdf(2), pdf(1)
    ajouter(client, url, ("contrat.pdf", contrat), ("cni.pdf", cni))
    response = client.post(url, data={"action": "envoyer", "message_assure": "Voici"},
                           follow_redirects=True)
    assert "Un accusé de réception a été déposé dans votre messagerie" in text(html(response))
    courrier = accuse(session_factory, iid)
    corps = text(courrier.corps_html)
    assert f"contrat.pdf ({plain(taille(len(contrat)))})" in corps
    assert f"cni.pdf ({plain(taille(len(cni)))})" in corps
    assert "dimanche 13 décembre 2026 à 0 h" in corps and "heure de Paris" in corps
    assert "Prochaine étape : « Vérification administrative » (Service Invalidité)" in corps
    nouvelle = initiale + timedelta(days=6)
    assert f"au plus tard le {date_longue(nouvelle)}" in corps
    assert "6 jours au total" in corps
    assert courrier.document_id is not None  # the PDF to keep
    with session_factory() as session:
        sent = session.scalar(select(AuditLog).where(AuditLog.instance_id == iid,
                                                     AuditLog.action == "pieces_envoyees"))
    assert sent.user_id == users["marie.durand"].id and len(sent.details["documents"]) == 2


def test_les_documents_envoyes_sont_listes_sur_la_page_du_dossier(client, web, users,
                                                                  session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    ajouter(client, url, ("cni.pdf", pdf()))
    numero = dossier(session_factory, iid).numero
    # Added but not sent yet: the caisse has not received it.
    assert "cni.pdf" not in html(client.get(f"/assure/dossiers/{numero}"))
    client.post(url, data={"action": "envoyer"})
    page = html(client.get(f"/assure/dossiers/{numero}"))
    with session_factory() as session:
        document = session.scalar(select(Document).where(Document.instance_id == iid,
                                                         Document.original_name == "cni.pdf"))
    link = f'href="/assure/documents/{document.id}"'
    assert link in page and "Pièce justificative" in text(page)
    assert f"envoyée le {date_longue(clock.today())}" in text(page)
    download = client.get(f"/assure/documents/{document.id}")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment")


def test_un_fichier_refuse_parmi_plusieurs_n_empeche_pas_d_ajouter_les_autres(
        client, web, users, session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    login(client, "marie.durand")
    response = ajouter(client, f"/assure/pieces/{row.id}", ("cni.pdf", pdf()),
                       ("photo.png", PNG), ("contrat.pdf", pdf()))
    assert response.status_code == 422
    page = text(html(response))
    assert "Ce fichier n'a pas été ajouté" in page
    assert "« photo.png » est une image, pas un PDF" in page
    assert "Documents ajoutés : cni.pdf, contrat.pdf" in page
    assert staged_names(session_factory, iid) == ["cni.pdf", "contrat.pdf"]


def test_au_dela_du_maximum_seuls_les_fichiers_en_trop_sont_refuses(client, web, users,
                                                                   session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    ajouter(client, url, *[(f"p{i}.pdf", pdf()) for i in range(9)])
    response = ajouter(client, url, ("dixieme.pdf", pdf()), ("onzieme.pdf", pdf()))
    assert response.status_code == 422
    assert "« onzieme.pdf » n'a pas été ajouté : vous pouvez envoyer au plus 10 documents" \
        in text(html(response))
    assert staged_names(session_factory, iid)[-1] == "dixieme.pdf"
    assert len(staged_names(session_factory, iid)) == 10


# ----- contestation -------------------------------------------------------------------------
def contester(client, row, nature, motifs="Mon état s'est aggravé depuis l'examen."):
    return client.post(f"/assure/recours/{row.id}", data={
        "nature_contestation": nature, "motifs_contestation": motifs}, follow_redirects=True)


def test_envoyer_ma_contestation_depose_un_accuse_avec_le_delai_de_la_cra(client, web, users,
                                                                           session_factory):
    iid, row = refus(web, users, session_factory)
    login(client, "emma.leroy")
    response = contester(client, row, "administrative",
                         "J'ai travaillé à l'étranger, ces périodes comptent.")
    assert "Un accusé de réception a été déposé dans votre messagerie" in text(html(response))
    corps = text(accuse(session_factory, iid).corps_html)
    limite = echeance("silence_cra", clock.today())
    assert f"Nous avons bien reçu le {date_longue(clock.today())}" not in corps  # day named
    assert "(heure de Paris) votre contestation de la décision de refus" in corps
    assert "J'ai travaillé à l'étranger, ces périodes comptent." in corps
    assert "commission de recours amiable (CRA)" in corps
    assert f"dispose de 2 mois pour se prononcer, soit au plus tard le {date_longue(limite)}" \
        in corps
    assert f"rejetée (rejet implicite) à partir du {date_longue(limite + timedelta(days=1))}" \
        in corps
    assert "tribunal judiciaire" in corps


def test_la_contestation_medicale_annonce_les_quatre_mois_de_la_cmra(client, web, users,
                                                                      session_factory):
    iid = refus_medical(web, session_factory, users)
    row = next(t for t in open_tasks(session_factory, iid) if t.role == "assure")
    login(client, "marie.durand")
    contester(client, row, "medicale")
    corps = text(accuse(session_factory, iid).corps_html)
    limite = echeance("silence_cmra", clock.today())
    assert "commission médicale de recours amiable (CMRA)" in corps
    assert f"dispose de 4 mois pour se prononcer, soit au plus tard le {date_longue(limite)}" \
        in corps
