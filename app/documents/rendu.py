"""Jinja2 environment and PDF rendering shared by every letter.

One HTML fragment per letter (``templates/lettres/*.html``) is used twice, from the same
values: as the message of the in-app messagerie (rendered on read, see delivery.py
`corps_des_messages`), and inside ``templates/courrier.html`` (header,
recipient, date, footer) for the A4 PDF. The assuré thus reads the same words in both.

A `Lettre` is data: its template, the values filled in and the messagerie's text. Its PDF is
made only when asked (`Lettre.pdf`, `page_pdf`): a workflow step records the letter and the
outbox (outbox.py) makes the PDF after commit. The same values and templates always give the
same bytes (`html_vers_pdf` writes no date and no random identifier).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from . import formats

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Lettre:
    objet: str
    corps_html: str  # safe HTML fragment (every variable escaped) for the messagerie
    modele: str = ""  # templates/lettres/<modele>.html
    variables: dict[str, Any] = field(default_factory=dict, compare=False)

    @cached_property
    def pdf(self) -> bytes:
        """The A4 PDF (WeasyPrint: 0.1 to 0.3 s, never inside a workflow step)."""
        return page_pdf(self.modele, self.variables)


def lignes(valeur: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """An address given as one multi-line string or as a list of lines → list of lines."""
    if not valeur:
        return []
    if isinstance(valeur, str):
        valeur = valeur.splitlines()
    return [ligne.strip() for ligne in valeur if ligne and ligne.strip()]


def valeur_affichee(valeur: Any) -> Markup:
    """Display of a declared value in the récapitulatif (escaped, lists one per line)."""
    if valeur is None or valeur == "":
        return Markup("—")
    if isinstance(valeur, bool):
        return Markup("Oui" if valeur else "Non")
    if isinstance(valeur, date):
        return escape(formats.date_longue(valeur))
    if isinstance(valeur, Decimal):
        return escape(formats.nombre(valeur))
    if isinstance(valeur, list | tuple):
        return Markup("<br>").join(valeur_affichee(v) for v in valeur) or Markup("—")
    return escape(str(valeur))


def element_calcul(valeur: Any) -> str:
    """Figures used for the amount: Decimal/float are euros, int is a count, the rest as is."""
    if isinstance(valeur, bool):
        return "Oui" if valeur else "Non"
    if isinstance(valeur, Decimal | float):
        return formats.montant(valeur)
    if isinstance(valeur, int):
        return formats.nombre(valeur, 0)
    if isinstance(valeur, date):
        return formats.date_longue(valeur)
    return str(valeur)


@cache
def environnement() -> Environment:
    # StrictUndefined: a missing context key fails loudly in tests instead of printing an
    # empty date in a letter sent to an assuré.
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        date_longue=formats.date_longue,
        date_jour=formats.date_jour_longue,
        date_heure=formats.date_heure_longue,
        echeance=formats.echeance_fr,
        montant=formats.montant,
        taux=formats.taux,
        nombre=formats.nombre,
        lignes=lignes,
        valeur=valeur_affichee,
        element_calcul=element_calcul,
    )
    return env


def rendre(modele: str, objet: str, variables: dict[str, Any]) -> Lettre:
    """The letter's text for the messagerie; its PDF is made later, from the same values."""
    variables = {**variables, "objet": objet}
    corps = corps_lettre(modele, variables)
    return Lettre(objet=objet, corps_html=corps, modele=modele, variables=variables)


def corps_lettre(modele: str, variables: dict[str, Any]) -> str:
    """The letter's HTML fragment (every variable escaped by the environment's autoescape):
    rendered when the letter is sent, and again from its recorded values when the
    messagerie shows it (the message stores no copy of it)."""
    return environnement().get_template(f"lettres/{modele}.html").render(variables).strip()


def page_pdf(modele: str, variables: dict[str, Any]) -> bytes:
    """The PDF of letter `modele` with `variables` (those `rendre` kept, « objet » included)."""
    corps = Markup(corps_lettre(modele, variables))
    page = environnement().get_template("courrier.html").render({**variables, "corps": corps})
    return html_vers_pdf(page)


@cache
def version_modele(modele: str) -> str:
    """SHA-256 of the templates a letter is made of (its fragment, the A4 frame, the shared
    macros): recorded with each letter, so a PDF made later says which templates it needs."""
    digest = hashlib.sha256()
    for name in (f"lettres/{modele}.html", "courrier.html", "_communs.html"):
        digest.update(name.encode() + b"\0" + (TEMPLATES / name).read_bytes() + b"\0")
    return digest.hexdigest()


def html_vers_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint takes about a second to import, and the upload checks and
    # the storage (used on every request of the web app) must not pay for it.
    from weasyprint import HTML

    # Same HTML, same bytes: no file identifier (it would be random or time-based), no PDF
    # variant (PDF/A and PDF/X add dates and a random document id), and the Info dates
    # dropped should a template ever set dcterms.created/modified.
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf(
        pdf_identifier=False, pdf_variant=None, finisher=_sans_dates)


def _sans_dates(document, pdf) -> None:
    for key in ("CreationDate", "ModDate"):
        pdf.info.pop(key, None)
