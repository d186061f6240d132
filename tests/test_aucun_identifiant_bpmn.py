"""The diagram owns the process: no BPMN element id of processes/ is written in app/.

An analyst renames, adds or removes steps in the studio; the screens follow the deployed
version's extension properties (`ecran`, `panneau`, `etape_*`, `recap_*`, `bouton_*`,
`document`, `encart`: see app/engine/screens.py), never a list of ids kept in the Python or
the templates. Process ids are ids too: the web layer asks for a journey (`parcours`
property of the process, see app/engine/parcours.py), never a process id; and so are the
decisions the diagrams call (`calledDecisionId`).

There is no allow-list: a data value of the application (a dossier statut, a letter kind, a
document kind, a page kind) that happened to be spelled like an element id was resolved by
renaming the element in the diagram (e.g. the task `examen_medical` became
`examiner_assure`, the statut stays `examen_medical`).
"""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parent.parent
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
DI_SUFFIXES = ("_di", "_plane", "_label")
QUOTED = re.compile(r"""["']([A-Za-z_][\w.-]*)["']""")
# A module's `__all__` names its Python objects (e.g. the function `caisse_competente`), not
# the diagram's elements.
DUNDER_ALL = re.compile(r"^__all__\s*=\s*[\[(].*?[\])]", re.DOTALL | re.MULTILINE)


def element_ids() -> dict[str, str]:
    """Element id → file, for every BPMN flow element, lane, message and event definition,
    and every decision a diagram calls."""
    found = {}
    for path in sorted((ROOT / "processes").glob("*.bpmn")):
        root = etree.parse(str(path)).getroot()
        for node in root.iter(f"{{{BPMN}}}*"):
            element = node.get("id")
            if element and not element.endswith(DI_SUFFIXES):
                found[element] = path.name
        for called in root.iter(f"{{{SPIFF}}}calledDecisionId"):
            if (called.text or "").strip():
                found[called.text.strip()] = path.name
    return found


def quoted(text: str, ids) -> list[str]:
    """The ids written as a quoted string literal in this source."""
    return [literal for literal in QUOTED.findall(DUNDER_ALL.sub("", text)) if literal in ids]


def quoted_in_app() -> dict[str, list[str]]:
    ids = element_ids()
    hits: dict[str, list[str]] = {}
    for path in sorted((ROOT / "app").rglob("*")):
        if path.suffix not in {".py", ".html", ".js"} or "static/vendor" in str(path):
            continue
        found = quoted(path.read_text(encoding="utf-8"), ids)
        if found:
            hits[str(path.relative_to(ROOT))] = found
    return hits


def test_the_processes_have_element_ids_to_look_for():
    ids = element_ids()
    assert len(ids) > 100
    # the tasks of every diagram, the instruction's sub-process and the decisions it calls
    assert {"coordonnees", "relire_demande", "ecrire_message", "instruire_dossier",
            "examiner_assure", "fournir_pieces", "contester", "caisse_competente",
            "taux_categorie"} <= set(ids)


def test_the_scan_would_see_an_element_id():
    """The check below fails on the kind of code it forbids."""
    ids = element_ids()
    assert quoted('if row.element_id == "coordonnees":\n    pass\n', ids) == ["coordonnees"]
    assert quoted("{% if row.element_id == 'situation' %}", ids) == ["situation"]
    assert quoted("TASK = 'fournir_pieces'", ids) == ["fournir_pieces"]
    assert quoted("coordonnees_bancaires = 'demande'", ids) == []
    assert quoted('__all__ = [\n    "caisse_competente",\n]\nx = "caisse_competente"\n',
                  ids) == ["caisse_competente"]


def test_data_values_are_not_spelled_like_an_element_id():
    """The words of the application's own vocabularies that once collided with an element id
    (dossier statuts, letter and document kinds, page kinds) are no element id any more."""
    from app.engine import screens
    from app.models.dossier import STATUTS

    ids = set(element_ids())
    assert not set(STATUTS) & ids
    assert not set(screens.PAGE_KINDS) & ids
    assert not set(screens.PANEL_KINDS) & ids
    assert not {"convocation", "recapitulatif", "avis_imposition", "recours"} & ids


def test_no_bpmn_element_id_is_written_in_the_application():
    assert quoted_in_app() == {}
