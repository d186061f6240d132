"""Authoring checks of a form schema, for the studio and deployment: conventions, not syntax.

jsonschema's `check_schema` accepts any unknown keyword, so a typo in `x-visibleWhen` or an
`x-periods` naming a missing field would only show up as a form that silently misbehaves.
"""
from __future__ import annotations

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .schema_walk import NAME_RE, child_name, fields, item_schema, options, required_sets

WIDGETS = frozenset({"textarea", "select", "ouinon"})


def schema_problems(schema: dict) -> list[str]:
    """French descriptions of what is wrong with a form schema; empty when it is usable."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"Schéma JSON invalide : {exc.message}"]
    if not isinstance(schema.get("properties"), dict):
        return ["Le formulaire doit être un objet avec des « properties »"]
    problems: list[str] = []
    _check_object(schema, schema, "", problems)
    return problems


def _check_object(root: dict, obj: dict, prefix: str, problems: list[str]) -> None:
    where = f"« {prefix} »" if prefix else "la racine"
    props = obj.get("properties") or {}
    for key in props:
        if not NAME_RE.match(key):
            problems.append(f"{where} : le nom « {key} » doit être fait de lettres, chiffres "
                            "et _ (il sert de nom et d'identifiant HTML)")
    for key in obj.get("x-order", []):
        if key not in props:
            problems.append(f"{where} : x-order cite « {key} », qui n'existe pas")
    always, _ = required_sets(root, obj)
    by_key = {f.key: f for f in fields(root, obj, prefix)}
    for f in by_key.values():
        schema = f.schema
        widget = schema.get("x-widget")
        if widget is not None and widget not in WIDGETS:
            problems.append(f"« {f.name} » : x-widget « {widget} » inconnu")
        cond = schema.get("x-visibleWhen")
        if cond is not None:
            _check_condition(f.name, f.key, cond, by_key, always, problems)
        alone = schema.get("x-exclusive")
        if alone is not None and alone not in [v for v, _, _ in options(root, schema)]:
            problems.append(f"« {f.name} » : x-exclusive « {alone} » n'est pas une option")
        if f.kind == "object":
            _check_object(root, schema, f.name, problems)
        elif f.kind == "repeat":
            _check_object(root, item_schema(root, schema), child_name(f.name, 0), problems)
    for pair in obj.get("x-periods") or []:
        ok = isinstance(pair, (list, tuple)) and len(pair) == 2
        if not ok or any(p not in by_key or by_key[p].kind != "date" for p in pair):
            problems.append(f"{where} : x-periods {pair!r} doit nommer deux dates de cet objet")


def _check_condition(name: str, key: str, cond: object, by_key: dict, always: set,
                     problems: list[str]) -> None:
    if not isinstance(cond, dict) or not ({"equals", "contains"} & cond.keys()):
        problems.append(f"« {name} » : x-visibleWhen doit avoir « field » et « equals » "
                        "ou « contains »")
        return
    ctrl = by_key.get(cond.get("field"))
    if ctrl is None or ctrl.key == key:
        problems.append(f"« {name} » : x-visibleWhen doit citer un autre champ du même objet")
        return
    if "contains" in cond and ctrl.kind != "checkboxes":
        problems.append(f"« {name} » : « contains » s'applique à une liste de cases à cocher")
    if key in always:
        # The value is dropped when the condition is false, so `required` would always fail
        # then: the requirement belongs in an if/then.
        problems.append(f"« {name} » : un champ conditionnel ne peut pas être toujours "
                        "obligatoire ; utilisez if/then")
