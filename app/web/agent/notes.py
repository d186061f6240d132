"""Internal notes on a dossier: written by the back office, for the back office.

Never shown to the assuré (no assuré page, letter or export reads them). A medical note is
written and read by médecins-conseils only (secret médical): an agent neither sees it nor
can write one. Each note written leaves an audit row, without its text (the dossier's
history is shown to agents).
"""
from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from app.engine.clock import clock
from app.models import AuditLog, Dossier, NoteInterne

from ..shared.security import roles
from ..shared.services import db, services
from .blueprint import bp
from .dossiers import dossier_par_numero
from .routes import staff_may_see

TEXTE_MAX = 4000
MEDECIN = "medecin_conseil"


def _visibles(dossier_id: int):
    query = select(NoteInterne).where(NoteInterne.dossier_id == dossier_id)
    if current_user.role != MEDECIN:
        query = query.where(NoteInterne.medicale.is_(False))
    return query


@bp.app_template_global("notes_internes")
def notes_internes(dossier: Dossier) -> list[NoteInterne]:
    """The notes this staff member may read, newest first."""
    return list(db().scalars(_visibles(dossier.id).order_by(NoteInterne.created_at.desc(),
                                                            NoteInterne.id.desc())))


@bp.app_template_global("nombre_notes_internes")
def nombre_notes_internes(dossier: Dossier) -> int:
    return db().scalar(_visibles(dossier.id).with_only_columns(func.count(NoteInterne.id)))


@bp.post("/dossiers/<numero>/notes")
@roles("agent", "medecin_conseil")
def ajouter_note(numero: str):
    session = db()
    dossier = dossier_par_numero(session, numero)
    if dossier is None or dossier.instance.sandbox:
        abort(404)
    if not staff_may_see(dossier):
        abort(403)
    medicale = request.form.get("medicale") == "oui"
    if medicale and current_user.role != MEDECIN:
        abort(403)  # secret médical: only a médecin-conseil writes a medical note
    texte = request.form.get("texte", "").strip()
    page = url_for("agent.dossier", numero=dossier.numero) + "#notes"
    if not texte:
        flash("Écrivez le texte de la note avant de l'enregistrer.", "error")
        return redirect(page)
    if len(texte) > TEXTE_MAX:
        flash(f"Une note compte au plus {TEXTE_MAX} caractères : raccourcissez-la.", "error")
        return redirect(page)
    now = clock.now()
    note = NoteInterne(dossier_id=dossier.id, auteur_id=current_user.id, texte=texte,
                       medicale=medicale, created_at=now)
    with services().session_factory() as write, write.begin():  # the note and its audit row
        write.add(note)
        write.flush()
        write.add(AuditLog(at=now, user_id=current_user.id, action="note_interne_ajoutee",
                           instance_id=dossier.instance_id,
                           details={"note_id": note.id, "medicale": medicale}))
    flash("Note médicale enregistrée (visible des seuls médecins-conseils)." if medicale
          else "Note interne enregistrée (jamais montrée à l'assuré).", "success")
    return redirect(page)
