"""Checks on the files attached to a message of the messagerie: PDF, JPEG or PNG.

The same rules as the other uploads (uploads.py): only the bytes decide, never the name or
the Content-Type the browser sent; at most TAILLE_MAX per file; a PDF must open. Photos are
welcome here (a document photographed with a phone), so JPEG and PNG are accepted when the
image really opens. Every refusal names the file, so that among several the assuré knows
which one to fix.
"""
from __future__ import annotations

import io

from .formats import taille, taille_limite
from .uploads import TAILLE_MAX, UploadRefuse, verifier_avis_imposition

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
ACCEPT = "application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"  # the file picker's hint
FORMATS = "PDF, JPEG ou PNG"
_SIGNATURES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
_AIDE = f"Joignez un fichier {FORMATS}."
# Names of the other formats people send, to say what the file is rather than « inconnu ».
_AUTRES = ((b"GIF8", "une image GIF"), (b"II*\x00", "une image TIFF"),
           (b"MM\x00*", "une image TIFF"), (b"BM", "une image BMP"),
           (b"PK\x03\x04", "un document bureautique ou une archive"),
           (b"\xd0\xcf\x11\xe0", "un document bureautique"))


def type_de(data: bytes) -> str | None:
    """The content type the bytes announce (PDF header anywhere in the first 1 Ko)."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return PDF if b"%PDF-" in data[:1024] else None


def verifier_piece_jointe(data: bytes, nom: str, max_bytes: int = TAILLE_MAX) -> str:
    """The content type of an acceptable attachment, or UploadRefuse naming the file."""
    if not data:
        raise UploadRefuse(f"« {nom} » est vide.", "vide")
    if len(data) > max_bytes:
        raise UploadRefuse(
            f"« {nom} » dépasse la taille maximale de {taille_limite(max_bytes)} par fichier "
            f"(taille reçue : {taille(len(data))}).".replace("\u00a0", " "), "trop_gros")
    content_type = type_de(data)
    if content_type is None:
        raise UploadRefuse(f"« {nom} » est {_nature(data)}, pas un fichier {FORMATS}. "
                           f"{_AIDE}", "format")
    if content_type == PDF:
        try:
            verifier_avis_imposition(data, nom, max_bytes)
        except UploadRefuse as err:
            texte = err.message.replace("votre avis d'imposition", "votre document")
            raise UploadRefuse(f"« {nom} » : {texte}", err.code) from err
    else:
        _verifier_image(data, nom)
    return content_type


def _nature(data: bytes) -> str:
    if data[4:8] == b"ftyp":
        return "une photo HEIC (format des iPhone)"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "une image WebP"
    return next((nom for signature, nom in _AUTRES if data.startswith(signature)),
                "un fichier d'un autre format")


def _verifier_image(data: bytes, nom: str) -> None:
    """A JPEG or PNG that an image reader can open (not a truncated or disguised file)."""
    from PIL import Image  # weasyprint's own dependency

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception as exc:
        raise UploadRefuse(f"« {nom} » est une image endommagée ou incomplète qui ne peut pas "
                           f"être lue. {_AIDE}", "corrompu") from exc
