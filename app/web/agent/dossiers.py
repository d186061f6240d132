"""Opening a dossier straight into the instruction (paper S4150), and dossier look-ups for
the back office.

`ouvrir_instruction` is what a paper form keyed in by an agent does: a Dossier row « reçue »
and an instruction instance started with the same data the online request hands to its call
activity (caisse, date_reception, date_limite_decision, demande, avis_imposition). Tests use
it as the « dossier reçu » fixture.

Its number is of the one series of the online requests (app/engine/dossier_hooks.py
`numero_dossier`), given once the instance has its id: letters read it from the dossier row.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.domain import echeance
from app.engine.clock import clock
from app.engine.dossier_hooks import numero_dossier
from app.engine.parcours import INSTRUCTION, entry_key
from app.models import Document, Dossier, HumanTask, User


def ouvrir_instruction(runtime, assure: User, caisse: str, *, date_reception: date,
                       demande: dict, canal: str = "papier", avis_imposition: dict | None = None,
                       started_by: int | None = None) -> tuple[int, str]:
    """Create the dossier and start its instruction; return (instance id, numéro)."""
    limite = echeance("decision", date_reception)
    numeros: list[str] = []
    data = {
        "caisse": caisse,
        "canal": canal,
        "date_reception": date_reception.isoformat(),
        "date_limite_decision": limite.isoformat(),
        "demande": demande,
        "avis_imposition": avis_imposition,
    }

    def on_created(session, instance) -> None:
        now = clock.now()
        numero = numero_dossier(clock.today().year, instance.id)
        instance.business_key = numero
        numeros.append(numero)
        session.add(Dossier(numero=numero, instance_id=instance.id, assure_id=assure.id,
                            caisse_code=caisse, canal=canal, statut="recue", etape="",
                            date_reception=date_reception, date_limite_decision=limite,
                            jours_prolongation=0, created_at=now, updated_at=now))
        session.flush()  # the first engine step (same transaction) updates this row

    with runtime.session_factory() as session:
        process_key = entry_key(session, INSTRUCTION)
    instance_id = runtime.start(process_key, user_id=started_by or assure.id, owner_id=assure.id,
                                caisse_code=caisse, data=data, on_created=on_created)
    return instance_id, numeros[-1]


def dossier_par_numero(session, numero: str) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.numero == numero))


def dossier_de_tache(session, task: HumanTask) -> Dossier | None:
    return session.scalar(select(Dossier).where(Dossier.instance_id == task.instance_id))


def documents_du_dossier(session, dossier: Dossier, avis: dict | None = None) -> list[Document]:
    """Documents of the dossier: those of its instance, plus the avis d'imposition named by
    the request data if it was stored before the instance existed."""
    rows = list(session.scalars(select(Document).where(
        Document.instance_id == dossier.instance_id).order_by(Document.created_at,
                                                              Document.id)))
    ident = (avis or {}).get("document_id")
    if ident and all(d.id != ident for d in rows):
        extra = session.get(Document, ident)
        if extra is not None and extra.owner_id == dossier.assure_id:
            rows.insert(0, extra)
    return rows
