"""French for the English messages of SpiffWorkflow, lxml and Python about a diagram.

`translate(message)` turns a known engine/parser/XSD message into French with what to do;
an unknown one gets a French wrapper plus its original short text. `explain(err)` does the
same for any exception, without ever showing a Python class name or an object repr such as
`<Element {…}task at 0x7f…>`.
"""
from __future__ import annotations

import re

from .messages_fr_known import KNOWN, clean

_EXCEPTION_REPR = re.compile(r"^([A-Z]\w*(?:Error|Exception|Exit))\((.*)\)$", re.DOTALL)
_KIND_WORDS = {
    "KeyError": "un attribut ou un élément requis manque",
    "IndexError": "un élément attendu est absent",
    "AttributeError": "un élément n'a pas la forme attendue",
    "TypeError": "une valeur n'a pas le type attendu",
    "ValueError": "une valeur est invalide",
    "AssertionError": "la structure du diagramme n'est pas celle attendue",
    "XPathEvalError": "un identifiant contient un caractère interdit (guillemet ?)",
}


def translate(message: str) -> str:
    """French for a known English message; else a French wrapper around its short text."""
    text = clean(message)
    if not text:
        return "problème inconnu dans le fichier"
    found = _EXCEPTION_REPR.match(text)  # SpiffWorkflow wraps errors as "%r" % exception
    if found:
        kind = _KIND_WORDS.get(found.group(1), "le moteur n'a pas pu lire cet élément")
        inner = found.group(2).strip().strip("'\"")
        if not inner:
            return kind
        detail = translate(inner)
        if detail.startswith("le moteur signale"):  # untranslated: only key names help
            return f"{kind} (« {inner} »)" if found.group(1) == "KeyError" else kind
        return f"{kind} : {detail}"
    for pattern, build in KNOWN:
        found = pattern.search(text)
        if found:
            return build(found)
    if _looks_french(text):
        return text
    return f"le moteur signale un problème (« {text} ») : vérifiez cet élément"


_FRENCH_HINTS = re.compile(r"[éèêàçùô]|\b(le|la|les|une?|des|du|est|dans|pas|sans|avec)\b",
                           re.IGNORECASE)


def _looks_french(text: str) -> bool:
    return bool(_FRENCH_HINTS.search(text))


# English fragments of Python's and RestrictedPython's compile messages → French.
_PYTHON_FRAGMENTS = [(re.compile(p), r) for p, r in [
    (r"invalid syntax\. Perhaps you forgot a comma\?", "syntaxe invalide (une virgule manque ?)"),
    (r"invalid syntax", "syntaxe invalide"),
    (r"'(.)' was never closed", r"« \1 » jamais refermé"),
    (r"unmatched '(.)'", r"« \1 » fermé sans avoir été ouvert"),
    (r"closing parenthesis '(.)' does not match opening parenthesis '(.)'",
     r"« \1 » ne ferme pas « \2 »"),
    (r"unterminated string literal \(detected at line (\d+)\)",
     r"texte non terminé (guillemet fermant manquant, ligne \1)"),
    (r"unterminated triple-quoted string literal.*", "texte entre triples guillemets non terminé"),
    (r"expected ':'", "« : » attendu"),
    (r"unexpected indent", "indentation inattendue"),
    (r"expected an indented block.*", "bloc indenté attendu"),
    (r"unindent does not match any outer indentation level", "indentation incohérente"),
    (r"invalid decimal literal", "nombre mal écrit (une lettre collée à un nombre ?)"),
    (r"invalid character '(.)' \(U\+\w+\)", r"caractère « \1 » interdit"),
    (r"cannot assign to (.*?)(?: here)?\. Maybe you meant '==' instead of '='\?",
     r"affectation impossible à \1 (vouliez-vous « == » ?)"),
    (r"cannot assign to ([\w ]+)", r"affectation impossible à \1"),
    (r"unexpected EOF while parsing", "fin de texte inattendue"),
    (r"Line (\d+): \"([^\"]+)\" is an invalid attribute name because it starts with \"_\"\.?",
     r"ligne \1 : « \2 » est un nom d'attribut interdit (il commence par « _ »)"),
    (r"Line (\d+): \"([^\"]+)\" is an invalid variable name because it starts with \"_\"\.?",
     r"ligne \1 : « \2 » est un nom de variable interdit (il commence par « _ »)"),
    (r"Line (\d+): (\w+) statements are not allowed\.?", r"ligne \1 : instruction « \2 » interdite"),
    (r"Line (\d+): ", r"ligne \1 : "),
]]


def python_fr(reason: str | None) -> str | None:
    """A sandbox/compile reason with Python's English fragments put into French."""
    if not reason:
        return reason
    for pattern, replacement in _PYTHON_FRAGMENTS:
        reason = pattern.sub(replacement, reason)
    return reason


# Exception kinds → what they usually mean while reading a diagram (no class names shown).
_KINDS = [
    (KeyError, "un attribut ou un élément requis manque ({detail})"),
    (IndexError, "un élément attendu est absent ({detail})"),
    (AttributeError, "un élément n'a pas la forme attendue ({detail})"),
    (TypeError, "une valeur n'a pas le type attendu ({detail})"),
    (ValueError, "une valeur est invalide ({detail})"),
    (RecursionError, "le diagramme s'appelle lui-même sans fin"),
    (MemoryError, "le fichier est trop gros pour être lu"),
    (UnicodeError, "le fichier contient des caractères illisibles (encodez-le en UTF-8)"),
]


def explain(err: BaseException, what: str = "ce fichier") -> str:
    """French for any exception raised while reading `what`: never a class name or a repr."""
    message = _message_of(err)
    lxml_kind = _lxml_kind(err)
    if lxml_kind:
        return f"{lxml_kind} : {translate(message)}" if message else lxml_kind
    for pattern, build in KNOWN:
        if message and pattern.search(clean(message)):
            return build(pattern.search(clean(message)))
    for kind, template in _KINDS:
        if isinstance(err, kind):
            detail = clean(message, 120) if isinstance(err, KeyError) or _looks_french(
                clean(message)) else ""
            detail = detail or "sans précision"
            return f"lecture impossible de {what} : " + template.format(detail=detail)
    if message and _looks_french(clean(message)):
        return clean(message)
    detail = f" (« {clean(message, 160)} »)" if message else ""
    return f"lecture impossible de {what} : erreur inattendue du moteur{detail}"


def _message_of(err: BaseException) -> str:
    if isinstance(err, KeyError) and err.args:
        return str(err.args[0])
    if err.args and isinstance(err.args[0], str):
        return err.args[0]
    return str(err)


def _lxml_kind(err: BaseException) -> str | None:
    try:
        from lxml import etree
    except ImportError:  # pragma: no cover - lxml comes with SpiffWorkflow
        return None
    if isinstance(err, etree.XMLSyntaxError):
        return "XML mal formé"
    if isinstance(err, etree.XPathError):
        return "le fichier utilise un espace de noms que le moteur ne lit pas"
    if isinstance(err, etree.LxmlError):
        return "XML illisible"
    return None


# Words that betray an untranslated message; tests and the lint use them as a heuristic.
ENGLISH_PHRASES = (
    "must have", "is not executable", "not supported", "no support", "cannot resolve",
    "not found", "is missing", "is required", "not expected", "expected is", "invalid value",
    "no start event", "did you mean", "malformed", "multiple decision", "traceback",
)
PYTHON_ERRORS = re.compile(
    r"\b(KeyError|IndexError|AttributeError|TypeError|ValueError|NameError|SyntaxError|"
    r"XMLSyntaxError|ValidationException|WorkflowException|SpiffWorkflowException|"
    r"RecursionError|AssertionError|Exception)\b")


def is_french(reason: str) -> bool:
    """Heuristic used by the tests: no known English phrase, no repr, no Python class name."""
    lowered = reason.lower()
    return (not any(phrase in lowered for phrase in ENGLISH_PHRASES)
            and " at 0x" not in reason and not PYTHON_ERRORS.search(reason))
