"""Countries and territories (ISO 3166-1 alpha-2) with their French names, for a list field.

The forms are static JSON (they are versioned, deployed and edited in the studio), so the
list is written into them by this generator rather than looked up at run time:

    .venv/bin/python -m app.forms.pays forms/demande_informations.json

rewrites the `enum` / `x-enumLabels` of every property marked `"x-enumSource": "pays"`.
A test checks that the committed forms equal what this module generates.

Names come from CLDR through Babel (pinned), so a Babel upgrade that renames a country shows
up as a failing test and a regenerated form, never as a silent change.
"""
from __future__ import annotations

import json
import sys
import unicodedata
from pathlib import Path

from babel import Locale

SOURCE = "pays"  # the value of `x-enumSource` this module fills

# CLDR codes that are not ISO 3166-1 countries or territories: groupings (EU, UN…), the
# unknown region, pseudo-locales, and the « exceptionally reserved » codes (Ascension, Canaries,
# Ceuta et Melilla, Clipperton, Diego Garcia, Tristan da Cunha), parts of another entry.
NOT_ISO = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB",
                     "AC", "CP", "DG", "EA", "IC", "TA", "CQ"})
# The question is « travaillé dans un autre pays »: metropolitan France is not one. Overseas
# territories keep their own code (« Pays, territoire, collectivité »: Polynésie française,
# Nouvelle-Calédonie… have their own social security).
EXCLUS = frozenset({"FR"})


def _sort_key(name: str) -> str:
    """Alphabetical order as a French reader expects it: accents and case ignored
    (« Égypte » between « Équateur »… and « Érythrée », not after « Zimbabwe »)."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name)
                    if not unicodedata.combining(c))
    return plain.replace("’", "'").casefold()


def pays() -> list[tuple[str, str]]:
    """(ISO code, French name) of every country and territory but France, in French order."""
    territories = Locale("fr").territories
    codes = [code for code in territories
             if len(code) == 2 and code.isalpha() and code.isupper()
             and code not in NOT_ISO and code not in EXCLUS]
    return sorted(((code, territories[code]) for code in codes),
                  key=lambda pair: (_sort_key(pair[1]), pair[0]))


def fill(node):
    """The schema with every `x-enumSource: pays` property's enum and labels (re)written."""
    if isinstance(node, list):
        return [fill(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: fill(value) for key, value in node.items()}
    if out.get("x-enumSource") == SOURCE:
        liste = pays()
        out["enum"] = [code for code, _ in liste]
        out["x-enumLabels"] = dict(liste)
    return out


def dump(schema: dict) -> str:
    """The JSON text of a form, formatted as the forms of the repository are."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def main(paths: list[str]) -> int:
    for path in map(Path, paths):
        schema = json.loads(path.read_text(encoding="utf-8"))
        path.write_text(dump(fill(schema)), encoding="utf-8")
    return 0


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    sys.exit(main(sys.argv[1:]))
