"""Letters of the online request: the accusé de réception."""
from __future__ import annotations

from . import letters
from .delivery import LetterInput, assure_ctx, builder, recours_ctx


@builder("accuse_reception")
def accuse_reception(letter: LetterInput):
    dossier = letter.dossier
    return letters.accuse_reception({
        **assure_ctx(letter),
        "date_reception": dossier.date_reception,
        "date_limite_decision": dossier.date_limite_decision,
        "service": f"Service Invalidité de la {dossier.caisse_code}",
        "recours": recours_ctx(dossier.caisse_code),
    })
