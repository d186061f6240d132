"""Submitted form data → typed raw values, and the no-JavaScript add/remove row actions.

Only names the schema defines are read, so a forged extra field never reaches the data. Values
stay as typed when they do not convert (a number « 12a », a date « 31/02/2025 »): validation
reports them and the form shows them back unchanged.
"""
from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from typing import Any

from .schema_walk import (
    child_name,
    fields,
    html_value,
    item_schema,
    options,
    schema_at,
)

ACTION_FIELD = "_action"
COUNT_SUFFIX = "_count"
# Upper bound on rows read from one submission: forged indices like `pays.999999.nom` must not
# make the server build huge lists. A schema's `maxItems` lowers it.
MAX_ROWS = 50

TRUE_WORDS = frozenset({"true", "oui", "on", "1"})
FALSE_WORDS = frozenset({"false", "non", "off", "0"})
_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def _getlist(formdata: Any, key: str) -> list[str]:
    if hasattr(formdata, "getlist"):
        values = formdata.getlist(key)
    else:
        value = formdata.get(key) if isinstance(formdata, Mapping) else None
        values = [] if value is None else value if isinstance(value, (list, tuple)) else [value]
    return [v for v in values if isinstance(v, str)]


def _is_index(text: str) -> bool:
    """ASCII digits only: « ² » and « ٣ » pass `str.isdigit` but a forged form must not reach
    `int()` with them (ValueError) — a row index or count comes from the request."""
    return text.isascii() and text.isdigit()


def _first(formdata: Any, key: str) -> str | None:
    for value in _getlist(formdata, key):
        value = value.strip()
        return value or None
    return None


def _lookup(data: Any, name: str) -> Any:
    for part in name.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and _is_index(part) and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _to_boolean(text: str) -> bool | str:
    low = text.lower()
    if low in TRUE_WORDS:
        return True
    if low in FALSE_WORDS:
        return False
    return text  # kept as typed: validation answers « Choisissez une des options proposées »


def _to_number(text: str, integer: bool) -> int | float | str:
    compact = re.sub(r"[\s\u00a0\u202f]", "", text)  # « 1 000 » with (narrow) no-break spaces
    if not _NUMBER.match(compact):
        return text
    number = float(compact.replace(",", "."))
    if not math.isfinite(number):  # hundreds of digits overflow to inf: keep the text
        return text
    if number.is_integer() and ("." not in compact and "," not in compact or integer):
        return int(number)
    return number


def _to_option(root: dict, schema: dict, text: str) -> Any:
    """The typed enum value whose HTML form is `text`; unknown text is kept (→ enum error)."""
    for value, _label, _hint in options(root, schema):
        if html_value(value) == text:
            return value
    return text


def _row_count(formdata: Any, name: str, schema: dict) -> int:
    cap = min(MAX_ROWS, schema.get("maxItems", MAX_ROWS))
    count = 0
    declared = _first(formdata, f"{name}.{COUNT_SUFFIX}")
    if declared and _is_index(declared):
        count = int(declared)
    prefix = f"{name}."
    keys = formdata.keys() if hasattr(formdata, "keys") else []
    for key in keys:
        if isinstance(key, str) and key.startswith(prefix):
            index = key[len(prefix):].split(".", 1)[0]
            if _is_index(index):
                count = max(count, int(index) + 1)
    return min(count, cap)


def _parse_object(root: dict, obj: dict, formdata: Any, prefix: str,
                  previous: dict | None) -> dict:
    out: dict[str, Any] = {}
    for f in fields(root, obj, prefix):
        if f.readonly:
            # Never from the request: the server's known value is the only truth.
            known = _lookup(previous, f.name) if previous else None
            if known is not None:
                out[f.key] = copy.deepcopy(known)
            continue
        value = _parse_field(root, f.schema, f.kind, formdata, f.name, previous)
        if value is not None:
            out[f.key] = value
    return out


def _parse_field(root: dict, schema: dict, kind: str, formdata: Any, name: str,
                 previous: dict | None) -> Any:
    if kind == "object":
        return _parse_object(root, schema, formdata, name, previous) or None
    if kind == "repeat":
        items = item_schema(root, schema)
        count = _row_count(formdata, name, schema)
        if not count:
            return None
        # Empty rows are kept ({}) so that « Ajouter » then « Ajouter » again gives two rows;
        # validation ignores them.
        return [_parse_object(root, items, formdata, child_name(name, i), previous)
                for i in range(count)]
    if kind == "checkboxes":
        chosen: list[Any] = []
        for text in _getlist(formdata, name):
            value = _to_option(root, schema, text.strip())
            if text.strip() and value not in chosen:
                chosen.append(value)
        return chosen or None
    if kind == "checkbox":
        # An unchecked box sends nothing: absence is the answer « non ».
        text = _first(formdata, name)
        return False if text is None else _to_boolean(text)
    text = _first(formdata, name)
    if text is None:
        return None
    if kind == "ouinon":
        return _to_boolean(text)
    if kind in ("radios", "select"):
        return _to_option(root, schema, text)
    if kind in ("integer", "number"):
        return _to_number(text, kind == "integer")
    return text  # text, textarea, date (converted by validation, so the typed text survives)


def parse_submission(schema: dict, formdata: Any, previous: dict | None = None) -> dict:
    """Typed raw values of a submission; `previous` supplies the readOnly values."""
    return _parse_object(schema, schema, formdata, "", previous)


def submitted_action(formdata: Any) -> str | None:
    """The row action (`add:<field>` / `remove:<field>:<i>`) the person clicked, if any."""
    action = _first(formdata, ACTION_FIELD)
    if action and action.startswith(("add:", "remove:")):
        return action
    return None


def apply_action(schema: dict, raw: dict, action: str) -> dict:
    """A copy of `raw` with a row added to or removed from a repeatable field.

    Unknown fields, readOnly fields, bad indices and a full `maxItems` leave the data as is:
    the action comes from the request and may be forged.
    """
    data = copy.deepcopy(raw or {})
    verb, _, rest = (action or "").partition(":")
    index: int | None = None
    if verb == "remove":
        rest, _, idx = rest.rpartition(":")
        if not _is_index(idx):
            return data
        index = int(idx)
    elif verb != "add":
        return data
    found = schema_at(schema, rest) if rest else None
    if not found or found[1] != "repeat" or _in_readonly(schema, rest):
        return data
    field_schema = found[0]
    parent_name, _, key = rest.rpartition(".")
    parent = _lookup(data, parent_name) if parent_name else data
    if not isinstance(parent, dict):
        if verb == "remove":
            return data
        parent = _make_path(data, parent_name)
        if parent is None:
            return data
    rows = parent.get(key)
    if not isinstance(rows, list):
        rows = [{}]  # the form always shows one row, even before anything is typed
    if verb == "add":
        if len(rows) < min(MAX_ROWS, field_schema.get("maxItems", MAX_ROWS)):
            rows.append({})
    elif index is not None and index < len(rows):
        del rows[index]
    parent[key] = rows
    return data


def _in_readonly(root: dict, name: str) -> bool:
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        found = schema_at(root, ".".join(parts[:end]))
        if found and found[0].get("readOnly"):
            return True
    return False


def _make_path(data: dict, name: str) -> dict | None:
    node: Any = data
    for part in name.split("."):
        if isinstance(node, dict):
            node = node.setdefault(part, {})
        elif isinstance(node, list) and _is_index(part) and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node if isinstance(node, dict) else None



def read_submission(schema: dict, formdata, today, previous: dict | None = None):
    """One POSTed form, the way every page handles it: (values to show, clean, errors).

    An add/remove-row button only edits the rows (clean is None, no errors); a real submit is
    validated, and `clean` is the data to store when there are no errors.
    """
    from .validate import validate  # validate imports this module's helpers

    raw = parse_submission(schema, formdata, previous=previous)
    action = submitted_action(formdata)
    if action:
        return apply_action(schema, raw, action), None, {}
    clean, errors = validate(schema, raw, today)
    return raw, (None if errors else clean), errors
