"""Files chosen in one form field, checked one by one: the good ones are kept, each refused
one gets its French sentence, so one bad file never drops the others (pièces, contestation,
messagerie, scanned S4150)."""
from __future__ import annotations

from collections.abc import Callable

from app.documents.storage import safe_download_name
from app.documents.uploads import TAILLE_MAX, UploadRefuse


def trier_fichiers(uploads, verifier: Callable[[bytes, str], object], *, defaut: str,
                   places: int | None = None, hors_limite: Callable[[str], str] | None = None,
                   refus: Callable[[str, UploadRefuse], str] | None = None,
                   ) -> tuple[list[tuple[str, bytes, object]], list[str]]:
    """→ ([(name, bytes, what `verifier` returned)], [one sentence per refused file]).
    Beyond `places` accepted files, the others are refused with `hors_limite(name)`."""
    checked, refuses = [], []
    for upload in uploads:
        nom = safe_download_name(upload.filename, defaut)
        if places is not None and len(checked) >= places:
            refuses.append(hors_limite(nom))
            continue
        content = upload.read(TAILLE_MAX + 1)  # one byte more: « too large » is then known
        try:
            checked.append((nom, content, verifier(content, nom)))
        except UploadRefuse as err:
            refuses.append(refus(nom, err) if refus else err.message)
    return checked, refuses
