"""Entry points: which deployed process a journey starts, said by the diagram itself.

A process declares the journey it is the entry point of with a property of its own,
`<spiffworkflow:property name="parcours" value="demande"/>` in the `bpmn:process`'s
extension elements — so the web layer asks for « the demande » and never names a process
id, and an analyst may rename a process without a developer. Known journeys: `triage`
(ameliBot), `demande` (the online request), `instruction` (a paper S4150 request).
"""
from __future__ import annotations

from lxml import etree
from sqlalchemy import select

from app.models import ProcessVersion

from .errors import NotFound
from .lint.common import q, spiff_property

PROPERTY = "parcours"
TRIAGE, DEMANDE, INSTRUCTION = "triage", "demande", "instruction"
KNOWN = (TRIAGE, DEMANDE, INSTRUCTION)


def declared_parcours(text: str) -> dict[str, str]:
    """Process id → its `parcours` property, for the processes of one BPMN file."""
    root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(resolve_entities=False,
                                                                  no_network=True))
    found = {}
    for process in root.iter(q("process")):
        value = spiff_property(process, PROPERTY)
        if value is not None and process.get("id"):
            found[process.get("id")] = value
    return found


def entry_key(session, parcours: str) -> str:
    """The process key a new `parcours` starts: the latest real deployment declaring it."""
    key = session.scalar(select(ProcessVersion.process_key).where(
        ProcessVersion.parcours == parcours, ProcessVersion.sandbox.is_(False))
        .order_by(ProcessVersion.deployed_at.desc(), ProcessVersion.id.desc()).limit(1))
    if key is None:
        raise NotFound(f"Aucun processus déployé n'est le point d'entrée du parcours "
                       f"« {parcours} ».")
    return key


def version_ids(parcours: str):
    """A subquery of the process versions of `parcours` (instances of any of them)."""
    return select(ProcessVersion.id).where(ProcessVersion.parcours == parcours)
