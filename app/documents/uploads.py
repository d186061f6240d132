"""Checks on the uploaded tax notice (avis d'imposition): PDF only, at most 2 Mo.

Only the bytes are trusted. The file name and the Content-Type sent by the browser are chosen by
the client, so they never decide anything: a JPEG renamed « avis.pdf » is refused as an image,
and a real PDF named « avis.PDF.txt » (or with no extension at all) is accepted, because what
the caisse needs is a readable PDF and rejecting a good document for its name would only make
the assuré rename it. The original name is kept for display only (see storage.safe_download_name).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from .contenu_actif import contenu_actif, noms_actifs_bruts
from .formats import NBSP, taille, taille_limite

TAILLE_MAX = 2 * 1024 * 1024  # « ne doit pas excéder 2Mo » (téléservice, étape 7)

# Acrobat accepts the « %PDF- » header anywhere in the first 1024 bytes (some scanners and
# mailers prepend a few bytes); refusing those would refuse files the caisse can open.
_FENETRE_ENTETE = 1024

# Signatures of what people most often upload instead of a PDF: photos of the notice taken
# with a phone, scans saved as images, and office documents.
_IMAGES = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"BM", "BMP"),
)
_AIDE_PDF = (
    "Téléchargez votre avis d'imposition au format PDF depuis votre espace particulier sur "
    "impots.gouv.fr, ou numérisez-le en PDF (toutes les pages), puis déposez-le à nouveau."
)


class UploadRefuse(Exception):
    """The file is refused; ``message`` is shown to the assuré as is, ``code`` is for the code."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class InfoPdf:
    pages: int
    taille: int


def _texte(valeur: str) -> str:
    # Messages go into form errors and tests compare them: ordinary spaces, as in the spec.
    return valeur.replace(NBSP, " ")


def _type_image(data: bytes) -> str | None:
    for signature, nom in _IMAGES:
        if data.startswith(signature):
            return nom
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WebP"
    # HEIC/HEIF (iPhone photos): ISO box « ftyp » at offset 4, then the brand.
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1", b"hevc"):
        return "HEIC"
    return None


def _refus_pas_pdf(data: bytes) -> UploadRefuse:
    image = _type_image(data)
    if image:
        return UploadRefuse(
            f"Ce fichier est une image ({image}), pas un PDF. " + _AIDE_PDF, "image"
        )
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        # ZIP container (Word, OpenDocument, archive) or old OLE office document.
        return UploadRefuse(
            "Ce fichier est un document bureautique ou une archive, pas un PDF. " + _AIDE_PDF,
            "bureautique",
        )
    return UploadRefuse("Ce fichier n'est pas un PDF. " + _AIDE_PDF, "pas_pdf")


def verifier_avis_imposition(data: bytes, filename: str, max_bytes: int = TAILLE_MAX) -> InfoPdf:
    """Return the page count and size of a valid PDF, or raise ``UploadRefuse``.

    ``filename`` is accepted for symmetry with the upload form but deliberately not used to
    decide anything (see the module docstring). Checks run from the cheapest to the costliest,
    so that a 50 Mo photo is refused on its size before anything parses it.
    """
    del filename  # never trusted: the content decides
    taille_recue = len(data)
    if taille_recue == 0:
        raise UploadRefuse("Le fichier est vide.", "vide")
    if taille_recue > max_bytes:
        raise UploadRefuse(
            _texte(
                f"Le fichier dépasse la taille maximale de {taille_limite(max_bytes)} "
                f"(taille reçue : {taille(taille_recue)})."
            ),
            "trop_gros",
        )
    if b"%PDF-" not in data[:_FENETRE_ENTETE]:
        raise _refus_pas_pdf(data)
    pages = _compter_pages(data)
    return InfoPdf(pages=pages, taille=taille_recue)


def _refus_actif(trouves: set[str]) -> UploadRefuse:
    liste = " ; ".join(sorted(trouves))
    return UploadRefuse(
        f"Le fichier PDF contient du contenu actif, qui n'est pas accepté pour la sécurité "
        f"des agents qui l'ouvriront : {liste}. Enregistrez-le à nouveau avec « Imprimer » "
        "puis « Enregistrer au format PDF » (le contenu actif est alors retiré), puis "
        "déposez-le.",
        "contenu_actif",
    )


_CORROMPU = (
    "Le fichier PDF est endommagé ou incomplet et ne peut pas être lu. Enregistrez à nouveau "
    "votre avis d'imposition au format PDF, puis déposez-le."
)


def _compter_pages(data: bytes) -> int:
    # pypdf logs a warning for each repair it makes on a damaged file. The logger level is
    # deliberately not changed here: that would be process-wide and racy under threads.
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _ouvrir_chiffre(reader)
        pages = len(reader.pages)
        for page in reader.pages:
            # pypdf repairs what it can on opening; a page it could not rebuild fails when read.
            page.mediabox  # noqa: B018
        actif = contenu_actif(reader) | noms_actifs_bruts(data)
        if actif:
            raise _refus_actif(actif)
    except UploadRefuse:
        raise
    except FileNotDecryptedError as exc:
        raise _refus_mot_de_passe() from exc
    except DependencyError as exc:
        raise _refus_chiffre() from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:
        # pypdf raises many exception types on malformed input; all mean « unreadable ».
        raise UploadRefuse(_CORROMPU, "corrompu") from exc
    if pages == 0:
        raise UploadRefuse(
            "Le fichier PDF ne contient aucune page. Déposez votre avis d'imposition complet.",
            "sans_page",
        )
    return pages


def _refus_mot_de_passe() -> UploadRefuse:
    return UploadRefuse(
        "Le fichier PDF est protégé par un mot de passe. Enregistrez-le sans mot de passe, "
        "puis déposez-le à nouveau.",
        "mot_de_passe",
    )


def _refus_chiffre() -> UploadRefuse:
    # AES-encrypted PDFs need the optional « cryptography » package, which is not a dependency:
    # we cannot check such a file, so we ask for a plain one rather than store it unchecked.
    return UploadRefuse(
        "Le fichier PDF est chiffré et ne peut pas être vérifié. Enregistrez-le sans protection "
        "(par exemple avec « Imprimer » puis « Enregistrer au format PDF »), puis déposez-le.",
        "chiffre",
    )


def _ouvrir_chiffre(reader: PdfReader) -> None:
    """Accept PDFs encrypted with an empty user password (restrictions only, opens anywhere);
    refuse those that need a password to be opened, since nobody at the caisse has it."""
    if not reader.decrypt(""):
        raise _refus_mot_de_passe()
