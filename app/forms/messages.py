"""French error messages, one per validation keyword; a field's `x-messages` overrides them.

Every error shown to a person goes through `message()`, so no English text from jsonschema can
reach the page: a keyword without an entry falls back to « Cette valeur n'est pas valide ».
"""
from __future__ import annotations

from typing import Any

DEFAULTS: dict[str, str] = {
    "required": "Ce champ est obligatoire",
    "enum": "Choisissez une des options proposées",
    "pattern": "Le format saisi n'est pas valide",
    "maxLength": "Saisissez au maximum {limit} caractères",
    "minLength": "Saisissez au moins {limit} caractères",
    "minimum": "Saisissez un nombre supérieur ou égal à {limit}",
    "maximum": "Saisissez un nombre inférieur ou égal à {limit}",
    "exclusiveMinimum": "Saisissez un nombre strictement supérieur à {limit}",
    "exclusiveMaximum": "Saisissez un nombre strictement inférieur à {limit}",
    "multipleOf": "Saisissez un multiple de {limit}",
    "format": "Saisissez une date réelle au format JJ/MM/AAAA",
    "x-notFuture": "La date ne peut pas être dans le futur",
    "x-periods": "La date de début doit être antérieure ou égale à la date de fin",
    "x-exclusive": "« {label} » ne peut pas être cochée avec une autre case",
    "uniqueItems": "Chaque option ne peut être choisie qu'une fois",
    "invalid": "Cette valeur n'est pas valide",
}

# Wording that depends on the widget: a person « coche » boxes, « ajoute » rows, « saisit » text.
BY_KIND: dict[tuple[str, str], str] = {
    ("required", "checkboxes"): "Cochez au moins une case",
    ("required", "checkbox"): "Cochez cette case pour continuer",
    ("const", "checkbox"): "Cochez cette case pour continuer",
    ("minItems", "checkboxes"): "Cochez au moins {limit} cases",
    ("maxItems", "checkboxes"): "Cochez au plus {limit} cases",
    ("minItems", "repeat"): "Ajoutez au moins {limit} éléments",
    ("maxItems", "repeat"): "Vous ne pouvez pas ajouter plus de {limit} éléments",
    ("type", "integer"): "Saisissez un nombre entier",
    ("type", "number"): "Saisissez un nombre",
}
SINGULAR: dict[tuple[str, str], str] = {
    ("minItems", "checkboxes"): "Cochez au moins une case",
    ("maxItems", "checkboxes"): "Cochez une seule case",
    ("minItems", "repeat"): "Ajoutez au moins un élément",
    ("maxItems", "repeat"): "Vous ne pouvez pas ajouter plus d'un élément",
}
# Keywords that, on a choice field, mean « not one of the proposed options ».
CHOICE_KEYWORDS = frozenset({"enum", "const", "oneOf", "anyOf", "type"})
CHOICE_KINDS = frozenset({"radios", "select", "ouinon", "checkboxes", "checkbox"})


def french_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def message(keyword: str, schema: dict | None, kind: str = "", **params: Any) -> str:
    """The French message for `keyword` failing on a field of this schema and widget kind."""
    overrides = (schema or {}).get("x-messages") or {}
    if isinstance(overrides, dict) and isinstance(overrides.get(keyword), str):
        template = overrides[keyword]
    elif (keyword, kind) in SINGULAR and params.get("limit") == 1:
        template = SINGULAR[(keyword, kind)]
    elif (keyword, kind) in BY_KIND:
        template = BY_KIND[(keyword, kind)]
    elif kind in CHOICE_KINDS and keyword in CHOICE_KEYWORDS:
        template = DEFAULTS["enum"]
    else:
        template = DEFAULTS.get(keyword, DEFAULTS["invalid"])
    if "limit" in params:
        params["limit"] = french_number(params["limit"])
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError):  # an override with a stray brace stays readable
        return template


def error_summary_title(count: int) -> str:
    return f"Le formulaire contient {count} erreur{'s' if count > 1 else ''}"
