"""Validation of parsed form data: jsonschema plus the form keywords, all messages in French.

Order of work, and why:
1. fields whose `x-visibleWhen` is false are dropped first, so a stale or forged value for a
   question that does not apply is neither checked nor kept;
2. spaces are removed where the schema says they mean nothing (`x-ignoreSpaces`), dates are
   converted to ISO and the custom keywords checked (`x-notFuture`, `x-periods`,
   `x-exclusive`) with the HTML names of the fields;
3. blank repeated rows are set aside (an « Ajouter » clicked by mistake is not an error) and
   unknown keys dropped; what remains is the clean data;
4. jsonschema validates the clean data (so `if/then` sees ISO dates and real types) and each
   error is translated to the HTML name of its field. The first error of a field wins, so the
   more precise custom message (« Saisissez une date réelle… ») beats a generic one.
"""
from __future__ import annotations

import copy
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from .dates import parse_date
from .messages import message
from .schema_walk import (
    child_name,
    condition_holds,
    deref,
    fields,
    item_schema,
    kind_of,
    option_label,
    required_sets,
)

# Key of errors that belong to no single field (e.g. a `not` on the whole form).
FORM_ERROR = "_form"
LIMIT_KEYWORDS = frozenset({
    "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minItems", "maxItems", "multipleOf",
})

IndexMaps = dict[tuple, list[int]]


def validate(schema: dict, raw: dict, today: date) -> tuple[dict, dict[str, str]]:
    """(clean data with ISO dates, {HTML field name: French message}).

    The clean data is only meant to be stored when there are no errors.
    """
    if raw is not None and not isinstance(raw, dict):  # a forged payload: a list, a string…
        return {}, {FORM_ERROR: "Les données envoyées ne sont pas un formulaire : un objet "
                                "JSON (des champs et leurs valeurs) est attendu."}
    data = copy.deepcopy(raw or {})
    _drop_hidden(schema, schema, data)
    errors: dict[str, str] = {}
    _check_object(schema, schema, data, "", today, errors)
    index_maps: IndexMaps = {}
    clean = _compact(schema, schema, "object", data, (), index_maps) or {}
    for error in validator_of(schema).iter_errors(clean):
        for name, text in _translate(schema, error, index_maps):
            errors.setdefault(name, text)
    return clean, _in_form_order(schema, raw or {}, errors)


_VALIDATORS: dict[int, tuple[dict, Draft202012Validator]] = {}


def validator_of(schema: dict) -> Draft202012Validator:
    """One validator per schema object (a deployed form's schema is cached with its version:
    the same dict at every submission), not one built on every submission."""
    found = _VALIDATORS.get(id(schema))
    if found is None or found[0] is not schema:
        if len(_VALIDATORS) >= 256:
            _VALIDATORS.clear()
        found = _VALIDATORS[id(schema)] = (schema, Draft202012Validator(schema))
    return found[1]


# 1. Conditional fields -------------------------------------------------------------------


def _drop_hidden(root: dict, obj: dict, data: dict) -> None:
    # fields() lists a controller before its dependents, so chained conditions resolve in order.
    obj_fields = fields(root, obj)
    for f in obj_fields:
        if f.visible_when and not condition_holds(f.visible_when, data):
            data.pop(f.key, None)
    for f in obj_fields:
        value = data.get(f.key)
        if f.kind == "object" and isinstance(value, dict):
            _drop_hidden(root, f.schema, value)
        elif f.kind == "repeat" and isinstance(value, list):
            for row in value:
                if isinstance(row, dict):
                    _drop_hidden(root, item_schema(root, f.schema), row)


# 2. Dates and custom keywords ------------------------------------------------------------


def _check_object(root: dict, obj: dict, data: dict, prefix: str, today: date,
                  errors: dict[str, str]) -> None:
    for f in fields(root, obj, prefix):
        value = data.get(f.key)
        if value is None:
            continue
        if f.schema.get("x-ignoreSpaces") and isinstance(value, str):
            # « 12 34 56 78 90 » as printed on the card: the spaces carry no meaning.
            value = data[f.key] = "".join(value.split())
        if f.kind == "date" and isinstance(value, str):
            day = parse_date(value)
            if day is None:
                errors.setdefault(f.name, message("format", f.schema, f.kind))
                continue
            data[f.key] = day.isoformat()
            if f.schema.get("x-notFuture") and day > today:
                errors.setdefault(f.name, message("x-notFuture", f.schema, f.kind))
        elif f.kind == "checkboxes" and isinstance(value, list):
            alone = f.schema.get("x-exclusive")
            if alone is not None and alone in value and len(value) > 1:
                label = option_label(root, f.schema, alone)
                errors.setdefault(f.name, message("x-exclusive", f.schema, f.kind, label=label))
        elif f.kind == "object" and isinstance(value, dict):
            _check_object(root, f.schema, value, f.name, today, errors)
        elif f.kind == "repeat" and isinstance(value, list):
            rows = item_schema(root, f.schema)
            for i, row in enumerate(value):
                if isinstance(row, dict):
                    _check_object(root, rows, row, child_name(f.name, i), today, errors)
    _check_periods(root, obj, data, prefix, errors)


def _check_periods(root: dict, obj: dict, data: dict, prefix: str,
                   errors: dict[str, str]) -> None:
    obj = deref(root, obj)
    for pair in obj.get("x-periods") or []:
        if not (isinstance(pair, (list, tuple)) and len(pair) == 2):
            continue
        start_name, end_name = child_name(prefix, pair[0]), child_name(prefix, pair[1])
        start, end = data.get(pair[0]), data.get(pair[1])
        if start_name in errors or end_name in errors:
            continue  # only compare two real dates
        first, last = parse_date(str(start or "")), parse_date(str(end or ""))
        if first and last and first > last:
            # Reported on the end date: that is the one a person corrects most often.
            errors.setdefault(end_name, message("x-periods", obj))


# 3. Clean data ---------------------------------------------------------------------------


def _blank(root: dict, schema: dict, kind: str, value: Any) -> bool:
    if value is None or value == "" or value == [] or value == {}:
        return True
    if kind == "checkbox":
        return value is False  # an unchecked box is what an untouched row sends
    if kind == "object" and isinstance(value, dict):
        return all(_blank(root, f.schema, f.kind, value.get(f.key))
                   for f in fields(root, schema))
    if kind == "repeat" and isinstance(value, list):
        rows = item_schema(root, schema)
        return all(_blank(root, rows, "object", row) for row in value)
    return False


def _compact(root: dict, schema: dict, kind: str, value: Any, cpath: tuple,
             index_maps: IndexMaps) -> Any:
    """Known keys only, blank rows and blank sub-objects removed (None = drop the key).

    `index_maps` remembers, per compacted array path, which submitted row each kept row was,
    so that errors found on the compacted data point at the row the person sees.
    """
    if kind == "object":
        if not isinstance(value, dict):
            return value
        out = {}
        for f in fields(root, schema):
            if f.key not in value:
                continue
            child = value[f.key]
            if f.kind in ("object", "repeat") and _blank(root, f.schema, f.kind, child):
                continue
            out[f.key] = _compact(root, f.schema, f.kind, child, cpath + (f.key,), index_maps)
        return out
    if kind == "repeat" and isinstance(value, list):
        rows = item_schema(root, schema)
        kept = [(i, row) for i, row in enumerate(value) if not _blank(root, rows, "object", row)]
        index_maps[cpath] = [i for i, _ in kept]
        return [_compact(root, rows, kind_of(root, rows), row, cpath + (n,), index_maps)
                for n, (_, row) in enumerate(kept)]
    return value


# 4. jsonschema errors → HTML names and French messages -----------------------------------


def _resolve(root: dict, path: list, index_maps: IndexMaps) -> tuple[str, dict, str]:
    """(HTML name, schema, kind) of the deepest form field on a jsonschema error path.

    The walk stops at a checkbox group: an error on one of its items belongs to the group.
    """
    schema, kind = deref(root, root), "object"
    names: list[str] = []
    cpath: tuple = ()
    for part in path:
        if kind == "object" and isinstance(part, str):
            props = schema.get("properties") or {}
            if part not in props:
                break
            schema = deref(root, props[part])
            kind = kind_of(root, schema)
            names.append(part)
        elif kind == "repeat" and isinstance(part, int):
            kept = index_maps.get(cpath)
            names.append(str(kept[part] if kept and part < len(kept) else part))
            schema = item_schema(root, schema)
            kind = "object"
        else:
            break
        cpath += (part,)
    return ".".join(names), schema, kind


def _required(root: dict, schema: dict, kind: str, name: str) -> list[tuple[str, str]]:
    """Errors for a missing required field.

    A missing group is reported on its own required fields (« Nom de l'employeur : Ce champ
    est obligatoire ») rather than on the group, unless the group has its own message.
    """
    own = (schema.get("x-messages") or {}).get("required")
    if not own and kind in ("object", "repeat"):
        target = schema if kind == "object" else item_schema(root, schema)
        prefix = name if kind == "object" else child_name(name, 0)  # the row always shown
        always, _ = required_sets(root, target)
        out: list[tuple[str, str]] = []
        for f in fields(root, target, prefix):
            if f.key in always and not f.readonly:
                out += _required(root, f.schema, f.kind, f.name)
        if out:
            return out
    return [(name or FORM_ERROR, message("required", schema, kind))]


def _translate(root: dict, error: ValidationError,
               index_maps: IndexMaps) -> list[tuple[str, str]]:
    name, schema, kind = _resolve(root, list(error.absolute_path), index_maps)
    keyword = str(error.validator)
    instance = error.instance if isinstance(error.instance, dict) else {}
    missing: list[str] = []
    if keyword == "required":
        missing = [p for p in error.validator_value if p not in instance]
    elif keyword == "dependentRequired":
        for prop, deps in error.validator_value.items():
            if prop in instance:
                missing += [d for d in deps if d not in instance]
    if missing or keyword in ("required", "dependentRequired"):
        props = schema.get("properties") or {}
        out = []
        for prop in missing:
            sub = deref(root, props.get(prop, {}))
            out += _required(root, sub, kind_of(root, sub), child_name(name, prop))
        return out
    params = {"limit": error.validator_value} if keyword in LIMIT_KEYWORDS else {}
    return [(name or FORM_ERROR, message(keyword, schema, kind, **params))]


def _in_form_order(root: dict, raw: dict, errors: dict[str, str]) -> dict[str, str]:
    order: list[str] = []

    def walk(obj: dict, data: Any, prefix: str) -> None:
        for f in fields(root, obj, prefix):
            order.append(f.name)
            value = data.get(f.key) if isinstance(data, dict) else None
            if f.kind == "object":
                walk(f.schema, value, f.name)
            elif f.kind == "repeat":
                rows = value if isinstance(value, list) and value else [{}]
                for i, row in enumerate(rows):
                    walk(item_schema(root, f.schema), row, child_name(f.name, i))

    walk(root, raw, "")
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(errors.items(), key=lambda kv: rank.get(kv[0], len(rank))))


def validate_data(schema: dict, data: dict, today: date) -> dict[str, str]:
    """Errors of already-typed task data (what the runtime receives), by field name.

    The runtime calls this on every completion, whatever the channel (page, API, replay), so
    a forged or stale payload is refused even when it did not come through a rendered form.
    """
    return validate(schema, data, today)[1]
