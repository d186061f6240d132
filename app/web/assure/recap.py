"""The request as declared, section by section, read through its forms' labels.

One walk of the deployed JSON Schemas gives the `(libellé, valeur)` lines that both the
récapitulatif page and its PDF show, so the two always say the same thing, with the labels
of the form version the request runs on. Answers whose condition does not hold are skipped,
exactly as validation drops them.

The sections are the request's steps as the version's diagram lists them (see
app/engine/screens.py): each numbered form step before the récapitulatif, its title from
`recap_section`, its data under the task's `variableName`, its pencil value `recap_choix`.
"""
from __future__ import annotations

from dataclasses import dataclass

from app.engine import screens
from app.forms.dates import display_date
from app.forms.schema_walk import condition_holds, fields, item_schema, option_label
from app.models import Dossier, ProcessVersion

from ..shared.services import db, services
from .outils import GROUPE_DEMANDE, ecrans_of_version

CHOICE_KINDS = ("radios", "select", "ouinon", "checkbox")


Ligne = tuple[str, str | list[str]]


@dataclass(frozen=True)
class Groupe:
    titre: str | None  # legend of a sub-group (« Mon activité salariée »), None at top level
    lignes: list[Ligne]


@dataclass(frozen=True)
class Section:
    key: str | None  # the récapitulatif's « choix » to edit it (None: no pencil)
    titre: str
    cases: list[str]  # the boxes ticked in the section's main question, if it has one
    groupes: list[Groupe]

    @property
    def lignes(self) -> list[Ligne]:
        """Flat (libellé, valeur) lines, sub-group legends as prefixes (for the PDF)."""
        out: list[Ligne] = [("Cases cochées", self.cases)] if self.cases else []
        for groupe in self.groupes:
            out += [(f"{groupe.titre} – {label}" if groupe.titre else label, value)
                    for label, value in groupe.lignes]
        return out


def groupes(root: dict, obj: dict, data, titre: str | None = None) -> list[Groupe]:
    """The answers of one object of a form, in form order: its own lines, and one group per
    sub-object or repeated row (« Mon activité salariée », « Pays… 1 »). Answers whose
    condition no longer holds are skipped, as validation drops them."""
    data = data if isinstance(data, dict) else {}
    out: list[Groupe] = []
    current: list[Ligne] = []

    def flush():
        nonlocal current
        if current:
            out.append(Groupe(titre, current))  # lines after a sub-group keep the legend
        current = []

    for f in fields(root, obj):
        if f.visible_when and not condition_holds(f.visible_when, data):
            continue
        value = data.get(f.key)
        if value is None or value == "" or value == [] or value == {}:
            continue
        if f.kind == "object":
            period = _period(f.schema, value)
            if period:
                current.append((f.label, period))
                continue
            flush()
            out += groupes(root, f.schema, value, f.label)
        elif f.kind == "repeat" and isinstance(value, list):
            flush()
            items = item_schema(root, f.schema)
            item_label = str(f.schema.get("x-itemLabel") or f.label)
            for i, row in enumerate(value):
                out += groupes(root, items, row, f"{item_label} {i + 1}")
        elif f.kind == "checkboxes" and isinstance(value, list):
            current.append((f.label, [option_label(root, f.schema, v) for v in value]))
        elif f.kind in CHOICE_KINDS:
            current.append((f.label, option_label(root, f.schema, value)))
        elif f.kind == "date":
            current.append((f.label, display_date(value)))
        else:
            current.append((f.label, str(value)))
    flush()
    return out


def _period(schema: dict, value) -> str | None:
    """« du 05/05/2021 au 21/05/2021 » for a two-date period object; « depuis le
    05/05/2021 (en cours) » when the end was left empty (a job still held)."""
    pairs = schema.get("x-periods") or []
    if len(pairs) == 1 and set(schema.get("properties", {})) == set(pairs[0]) \
            and isinstance(value, dict):
        start, end = (value.get(k) for k in pairs[0])
        if start and end:
            return f"du {display_date(start)} au {display_date(end)}"
        if start:
            return f"depuis le {display_date(start)} (en cours)"
    return None


def identite_lignes(ident: dict) -> list[tuple[str, str]]:
    adresse = " ".join(p for p in (ident.get("adresse"), ident.get("code_postal"),
                                   ident.get("ville")) if p)
    return [
        ("Nom", " ".join(p for p in (ident.get("civilite"), ident.get("prenom"),
                                     (ident.get("nom") or "").upper()) if p)),
        ("Né(e) le", display_date(ident.get("date_naissance")) or "—"),
        ("Adresse", adresse or "—"),
        ("Mail", ident.get("email") or "—"),
        ("Téléphone", ident.get("telephone") or "—"),
    ]


def sections(version: ProcessVersion, data: dict, ident: dict) -> list[Section]:
    """The declared sections of a request, as its version's diagram lists them; the
    identity first in the section whose step says `recap_identite`."""
    runtime = services().runtime
    parcours = ecrans_of_version(version).groupe(GROUPE_DEMANDE)
    out = []
    for etape in parcours.sections():
        schema = runtime.form_schema(db(), version, etape.form) or {}
        titre = etape.recap_section
        parts = groupes(schema, schema, _section_data(etape, schema, data))
        cases: list[str] = []
        # The section's main question (« Ma situation actuelle », « J'ai ») is its heading:
        # its ticked boxes are listed under it, as the téléservice does.
        if parts and parts[0].titre is None and parts[0].lignes and \
                _same_title(parts[0].lignes[0][0], titre) and \
                isinstance(parts[0].lignes[0][1], list):
            cases = list(parts[0].lignes[0][1])
            parts[0] = Groupe(None, parts[0].lignes[1:])
        if etape.recap_identite:
            first = parts[0].lignes if parts and parts[0].titre is None else []
            parts = [Groupe(None, identite_lignes(ident) + first)] + parts[1 if first else 0:]
        out.append(Section(etape.recap_choix, titre, cases, [g for g in parts if g.lignes]))
    return out


def _section_data(etape: screens.Ecran, schema: dict, data: dict):
    """A step's answers: under its `variableName`, else its form's own keys."""
    if etape.variable:
        return data.get(etape.variable)
    return {k: data[k] for k in (schema.get("properties") or {}) if k in data}


def recap_field(schema: dict) -> str:
    """The récapitulatif form's choice field (its first required property)."""
    required = schema.get("required") or []
    if required:
        return required[0]
    return next(iter(schema.get("properties") or {}), "choix")


def _same_title(a: str, b: str) -> bool:
    return a.rstrip(" :").strip().lower() == b.rstrip(" :").strip().lower()


def document_of(version: ProcessVersion, data: dict) -> dict | None:
    """The document the request's upload step stored (`document` of its screen), if any."""
    parcours = ecrans_of_version(version).groupe(GROUPE_DEMANDE)
    for etape in parcours.etapes:
        if etape.ecran == screens.DEPOT_DOCUMENT and etape.document:
            found = data.get(etape.document)
            if isinstance(found, dict):
                return found
    return None


def recapitulatif_pdf(dossier: Dossier, data: dict) -> bytes:
    """The PDF of what was declared at submission (identity as it was then)."""
    from app.documents.courriers_demande import recapitulatif_demande
    from app.engine.clock import clock

    ident = data.get("identite") or {}
    parts = sections(dossier.instance.process_version, data, ident)
    avis = document_of(dossier.instance.process_version, data)
    lettre = recapitulatif_demande(
        dossier, ident, [(s.titre.rstrip(" :"), s.lignes) for s in parts], avis, clock.today())
    return lettre.pdf
