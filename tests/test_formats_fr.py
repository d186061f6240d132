"""One way to write a date, a deadline and an amount, on every page and in every letter.

app/documents/formats.py is the one formatter (Babel, French locale, pinned); the pages' Jinja
filters (date_fr, datetime_fr, echeance_fr) and the letters' filters call it. A deadline is
written « au plus tard le <last day> », the last day on which the assuré can still act, with
the same date on the page, in the message and in the PDF letter.
"""
from __future__ import annotations

import io
import re
import tomllib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import babel
import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfWriter

from app.documents import accuse_reception, demande_pieces
from app.documents.formats import (
    NBSP,
    date_courte,
    date_heure_courte,
    date_heure_longue,
    date_jour_longue,
    date_longue,
    dernier_jour,
    echeance_fr,
    heure,
    montant,
    nombre,
    taille,
    taux,
)
from app.domain import echeance, moment_echeance
from app.domain.delais import PARIS
from app.engine.clock import clock
from app.forms.dates import display_date
from app.web.shared.filters import date_fr, datetime_fr, euros

from .conftest import ROOT, advance_clock, html, login
from .test_documents import ctx_paris, texte_pdf
from .test_instruction_espace_assure import pieces_demandees
from .test_instruction_outils import dossier, letters

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
MARIANNE = ROOT / "node_modules/@gouvfr/dsfr/dist/fonts/Marianne-Regular.woff2"
MO = 1024 * 1024


# ----- the library the outputs rely on ------------------------------------------------------

def test_babel_est_epinglee_a_la_version_dont_les_sorties_sont_testees_ici():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert "Babel==2.18.0" in deps
    assert babel.__version__ == "2.18.0"


# ----- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("valeur", "attendu"), [
    (date(2026, 11, 21), "21 novembre 2026"),
    (date(2027, 3, 1), "1er mars 2027"),          # « 1er », as administrative letters write it
    ("2026-02-01", "1er février 2026"),           # workflow data is JSON: ISO strings
    ("2026-08-15T10:00:00+02:00", "15 août 2026"),
    (datetime(2026, 12, 31, 23, 0), "31 décembre 2026"),
])
def test_date_longue_en_francais(valeur, attendu):
    assert date_longue(valeur) == attendu


def test_jour_heure_et_date_courte():
    assert date_jour_longue(date(2026, 12, 7)) == "lundi 7 décembre 2026"
    assert date_jour_longue(date(2027, 2, 1)) == "lundi 1er février 2027"
    assert heure(datetime(2026, 12, 7, 9, 30)) == f"9{NBSP}h{NBSP}30"
    assert heure(datetime(2026, 12, 7, 14, 0)) == f"14{NBSP}h"
    assert date_heure_longue(datetime(2026, 12, 7, 9, 5)) == (
        f"lundi 7 décembre 2026 à 9{NBSP}h{NBSP}05")
    assert date_courte(date(2026, 1, 7)) == "07/01/2026"
    assert date_heure_courte(datetime(2026, 12, 31, 0, 0)) == "31/12/2026 00:00"


def test_les_filtres_des_pages_montrent_le_jour_a_paris():
    # 23 h 30 UTC on 31 December is already 1 January in Paris.
    moment = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    assert date_fr(moment) == "1er janvier 2027"
    assert datetime_fr(moment) == f"1er janvier 2027 à 0{NBSP}h{NBSP}30"
    assert date_fr("2026-12-30") == "30 décembre 2026"
    assert date_fr(None) == datetime_fr("") == ""


def test_les_dates_saisies_se_relisent_en_jj_mm_aaaa():
    assert display_date(date(2025, 2, 1)) == "01/02/2025"
    assert display_date("2025-02-01") == "01/02/2025"
    assert display_date("1/2/2025") == "1/2/2025"  # what was typed stays as typed
    assert display_date("2025-02-31") == "31/02/2025"
    assert display_date(None) == ""


# ----- deadlines -----------------------------------------------------------------------------

def test_une_echeance_se_lit_au_plus_tard_le_dernier_jour():
    assert echeance_fr(date(2026, 12, 30)) == "au plus tard le 30 décembre 2026"
    assert echeance_fr("2027-03-01") == "au plus tard le 1er mars 2027"


@pytest.mark.parametrize("dernier", [date(2026, 12, 30), date(2027, 6, 30), date(2027, 3, 28)])
def test_le_moment_d_une_echeance_se_lit_comme_son_dernier_jour(dernier):
    """A due moment is midnight (Paris) once the last day is over (winter, summer time, the
    night of the change): shown as that last day, never as the next one."""
    moment = moment_echeance(dernier)
    assert dernier_jour(moment) == dernier
    assert dernier_jour(moment.astimezone(UTC)) == dernier
    assert dernier_jour(moment.isoformat()) == dernier
    assert echeance_fr(moment) == f"au plus tard le {date_longue(dernier)}"


def test_un_moment_qui_n_est_pas_minuit_garde_son_jour():
    assert dernier_jour(datetime(2026, 12, 30, 18, 0, tzinfo=PARIS)) == date(2026, 12, 30)


# ----- amounts, rates, sizes -----------------------------------------------------------------

def test_montants_en_euros_arrondis_au_centime_superieur_a_la_moitie():
    assert montant(Decimal("1234.56")) == f"1{NBSP}234,56{NBSP}€"
    assert montant("1234567.005") == f"1{NBSP}234{NBSP}567,01{NBSP}€"  # half-up, not banker's
    assert montant(0.125) == f"0,13{NBSP}€"
    assert montant(0) == f"0,00{NBSP}€"
    assert montant(Decimal("-12.5")) == f"-12,50{NBSP}€"
    assert euros(None) == euros("") == "—" and euros("1288.13") == f"1{NBSP}288,13{NBSP}€"


def test_nombres_taux_et_tailles():
    assert nombre(2030, 0) == f"2{NBSP}030"
    assert nombre("300") == "300,00"
    assert taux(Decimal("0.30")) == f"30{NBSP}%" and taux(50) == f"50{NBSP}%"
    assert taux("0.305") == f"30,5{NBSP}%"
    assert taille(3 * MO) == f"3,0{NBSP}Mo" and taille(2 * MO + 1) == f"2,1{NBSP}Mo"
    assert taille(512 * 1024) == f"512{NBSP}Ko" and taille(1) == f"1{NBSP}octet"


def test_une_seule_espace_insecable_dans_les_valeurs():
    """Babel puts U+202F between thousands and U+00A0 before « € »: the pages and letters show
    U+00A0 everywhere, so the text does not depend on the CLDR data of the day."""
    for texte in (montant("1234567.89"), nombre(48060, 0), taux(30), heure(datetime(2026, 1, 1,
                                                                                    9, 30))):
        assert "\u202f" not in texte and " " not in texte


@pytest.mark.parametrize("police", [DEJAVU, MARIANNE], ids=["lettres PDF", "pages DSFR"])
def test_les_polices_ont_tous_les_caracteres_ecrits(police):
    """DejaVu Sans (letters, WeasyPrint) and Marianne (pages) have a glyph for every character
    the formatter writes: no « tofu » box in a date or an amount."""
    textes = [montant("1234567.89"), taux("0.305"), date_longue(date(2027, 8, 1)),
              date_longue(date(2026, 12, 1)), date_jour_longue(date(2027, 2, 4)),
              echeance_fr(date(2026, 12, 30)), date_heure_longue(datetime(2026, 1, 1, 9, 30))]
    cmap = TTFont(str(police)).getBestCmap()
    manquants = {c for texte in textes for c in texte if ord(c) not in cmap}
    assert manquants == set()


# ----- one deadline, one wording, on the page, in the message and in the letter --------------

def test_la_lettre_de_demande_de_pieces_ecrit_l_echeance_au_plus_tard_le():
    lettre = demande_pieces(ctx_paris(pieces=["Votre titre de séjour"],
                                      date_limite_reponse=date(2026, 12, 30),
                                      date_limite_decision=date(2027, 1, 21)))
    assert "au plus tard le 30 décembre 2026" in texte_pdf(lettre.pdf)
    assert "au plus tard le <strong>" not in lettre.corps_html
    assert "au plus tard le 30 décembre 2026" in lettre.corps_html


def test_l_accuse_de_reception_ecrit_la_date_limite_de_decision_au_plus_tard_le():
    lettre = accuse_reception(ctx_paris(date_reception=date(2026, 11, 21),
                                        date_limite_decision=date(2027, 1, 21),
                                        recours={"organisme": "CRA", "adresse": "Paris"}))
    assert "au plus tard le 21 janvier 2027" in texte_pdf(lettre.pdf)


def _pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _texte(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page).replace(NBSP, " "))


def test_l_echeance_des_pieces_est_la_meme_sur_les_pages_et_dans_le_message(
        client, web, users, session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    attendu = echeance_fr(echeance("reponse_pieces", clock.today()))
    message = next(m for m in letters(session_factory, iid) if "pièces" in m.objet.lower())
    login(client, "marie.durand")
    accueil = _texte(html(client.get("/assure/")))
    pieces = _texte(html(client.get(f"/assure/pieces/{row.id}")))
    for texte in (_texte(message.corps_html), accueil, pieces):
        assert attendu in texte
        assert "avant le" not in texte


def test_envoyer_les_pieces_le_jour_meme_ne_reporte_pas_la_decision(
        client, web, users, session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    limite = dossier(session_factory, iid).date_limite_decision
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    client.post(url, data={"action": "ajouter", "document": (io.BytesIO(_pdf()), "cni.pdf")},
                content_type="multipart/form-data")
    page = _texte(html(client.post(url, data={"action": "envoyer"}, follow_redirects=True)))
    assert "reportée" not in page
    assert f"La décision reste attendue au plus tard le {date_longue(limite)}." in page
    assert dossier(session_factory, iid).date_limite_decision == limite


def test_envoyer_les_pieces_plus_tard_dit_de_quelle_date_a_quelle_date(
        client, web, users, session_factory):
    iid, row = pieces_demandees(web, users, session_factory)
    limite = dossier(session_factory, iid).date_limite_decision
    advance_clock(days=3)
    login(client, "marie.durand")
    url = f"/assure/pieces/{row.id}"
    client.post(url, data={"action": "ajouter", "document": (io.BytesIO(_pdf()), "cni.pdf")},
                content_type="multipart/form-data")
    page = _texte(html(client.post(url, data={"action": "envoyer"}, follow_redirects=True)))
    nouvelle = dossier(session_factory, iid).date_limite_decision
    assert nouvelle != limite
    assert (f"La date limite de décision est reportée du {date_longue(limite)} au "
            f"{date_longue(nouvelle)}") in page


def test_mes_dossiers_se_lit_en_cartes_avec_l_echeance_de_decision(
        client, web, users, session_factory):
    iid, _row = pieces_demandees(web, users, session_factory)
    suivi = dossier(session_factory, iid)
    login(client, "marie.durand")
    page = html(client.get("/assure/dossiers"))
    assert "<table" not in page and 'class="fr-card' in page
    assert f"Dossier n° {suivi.numero}" in page
    assert f"attendue {echeance_fr(suivi.date_limite_decision)}" in _texte(page)
