"""Jinja2 environment and PDF rendering shared by every letter.

One HTML fragment per letter (``templates/lettres/*.html``) is rendered once, then used twice:
as the message of the in-app messagerie, and inside ``templates/courrier.html`` (header,
recipient, date, footer) for the A4 PDF. The assuré thus reads the same words in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
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
    pdf: bytes


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
    env = environnement()
    variables = {**variables, "objet": objet}
    corps = env.get_template(f"lettres/{modele}.html").render(variables).strip()
    page = env.get_template("courrier.html").render({**variables, "corps": Markup(corps)})
    return Lettre(objet=objet, corps_html=corps, pdf=html_vers_pdf(page))


def html_vers_pdf(html: str) -> bytes:
    # Imported here: WeasyPrint takes about a second to import, and the upload checks and
    # the storage (used on every request of the web app) must not pay for it.
    from weasyprint import HTML

    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
