"""Active content in a PDF: what a viewer would run, launch or open by itself.

Such a PDF is **refused**, not accepted with a flag. A tax notice or a letter never needs
any of it (the PDFs of impots.gouv.fr have none); a flag would still hand the agent a file
whose viewer runs the script or launches the program when it is opened; and the assuré can
remove it in a minute (« Imprimer » → « Enregistrer au format PDF »). The message names what
was found, in French, so the assuré (or the caisse's support) knows why.

The check walks the parsed object graph from the trailer (pypdf decodes names written
`/J#61vaScript` and opens compressed object streams), and also looks for the long,
unambiguous names in the raw bytes, for objects a viewer repairing a broken file could find
but pypdf did not. Short names (`/JS`, `/AA`) are only looked for in the parsed graph: three
bytes occur by chance in compressed data.
"""
from __future__ import annotations

import re

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

JAVASCRIPT = "du code JavaScript (/JavaScript, /JS)"
LAUNCH = "une commande qui lance un programme ou ouvre un fichier (/Launch)"
OPEN_ACTION = "une action exécutée dès l'ouverture du document (/OpenAction)"
AA = "des actions automatiques sur une page ou un champ (/AA)"
EMBEDDED = "un fichier caché à l'intérieur du PDF (/EmbeddedFile)"
RICH_MEDIA = "un contenu multimédia interactif, Flash ou vidéo (/RichMedia)"
XFA = "un formulaire dynamique XFA (/XFA)"

# A name met as a dictionary key, or as the value of /S, /Type or /Subtype.
ACTIFS = {
    "/JavaScript": JAVASCRIPT, "/JS": JAVASCRIPT, "/Launch": LAUNCH, "/AA": AA,
    "/EmbeddedFile": EMBEDDED, "/EmbeddedFiles": EMBEDDED, "/RichMedia": RICH_MEDIA,
    "/RichMediaContent": RICH_MEDIA, "/XFA": XFA,
}
_TYPES = ("/S", "/Type", "/Subtype")
# An opening action that only shows a page (a destination, or /S /GoTo) is harmless and
# common (« open at page 1, fit width »): it is accepted.
_OUVERTURE_SANS_RISQUE = ("/GoTo",)
_NOMS_LONGS = {"/JavaScript": JAVASCRIPT, "/Launch": LAUNCH, "/EmbeddedFile": EMBEDDED,
               "/EmbeddedFiles": EMBEDDED, "/RichMedia": RICH_MEDIA}
_NOM_BRUT = re.compile(rb"/(?:[A-Za-z]|#[0-9A-Fa-f]{2}){6,20}(?![A-Za-z0-9#])")


def contenu_actif(reader: PdfReader) -> set[str]:
    """The French descriptions of the active content reachable in the document."""
    trouves: set[str] = set()
    vus: set[tuple[int, int]] = set()
    pile: list = [reader.trailer]
    while pile:
        objet = pile.pop()
        if isinstance(objet, IndirectObject):
            cle = (objet.idnum, objet.generation)
            if cle in vus:
                continue
            vus.add(cle)
            objet = objet.get_object()
        if isinstance(objet, DictionaryObject):  # StreamObject too: its dictionary
            _examiner(objet, trouves)
            pile.extend(objet.values())
        elif isinstance(objet, ArrayObject):
            pile.extend(objet)
    return trouves


def _examiner(dico: DictionaryObject, trouves: set[str]) -> None:
    for cle, valeur in dico.items():
        if cle in ACTIFS:
            trouves.add(ACTIFS[cle])
        elif cle in _TYPES and isinstance(valeur, NameObject) and valeur in ACTIFS:
            trouves.add(ACTIFS[valeur])
        elif cle == "/OpenAction" and not _ouverture_sans_risque(valeur):
            trouves.add(OPEN_ACTION)


def _ouverture_sans_risque(valeur) -> bool:
    action = valeur.get_object() if isinstance(valeur, IndirectObject) else valeur
    if isinstance(action, ArrayObject):  # a destination: [page /Fit], [page /XYZ …]
        return True
    return (isinstance(action, DictionaryObject) and action.get("/S") in _OUVERTURE_SANS_RISQUE
            and "/Next" not in action)


def noms_actifs_bruts(data: bytes) -> set[str]:
    """The long active names written anywhere in the raw bytes (escapes `#xx` decoded)."""
    trouves = set()
    for nom in _NOM_BRUT.findall(data):
        decode = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), nom)
        if decode.decode("latin-1") in _NOMS_LONGS:
            trouves.add(_NOMS_LONGS[decode.decode("latin-1")])
    return trouves
