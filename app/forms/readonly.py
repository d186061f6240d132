"""Server-side `readOnly`: a field marked `readOnly: true` keeps the server's value, whatever
is posted (a page's disabled input, or an API body forging an identity, a dossier number, a
caisse or another person's document id).

`parse_submission(..., previous=…)` already ignores readOnly inputs of an HTML form; this does
the same for typed data that did not come through a form (the JSON API), so that every door
to a task completion applies the one rule (app/web/shared/completion.py).
"""
from __future__ import annotations

import copy
from typing import Any

from .schema_walk import child_name, fields, item_schema


def keep_readonly(schema: dict, data: Any, server: dict | None) -> Any:
    """A copy of `data` where each readOnly field holds the server's value (`server`, the data
    the task already has, read by the field's dotted name), or is absent when the server has
    none. Anything that is not an object is returned as is (validation refuses it)."""
    return _object(schema, schema, data, "", server or {})


def has_readonly(schema: dict) -> bool:
    """Whether any field of the form (at any depth) is readOnly."""
    return _has(schema, schema)


def _lookup(data: Any, name: str) -> Any:
    for part in name.split("."):
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list) and part.isascii() and part.isdigit() \
                and int(part) < len(data):
            data = data[int(part)]
        else:
            return None
    return data


def _object(root: dict, obj: dict, data: Any, prefix: str, server: dict) -> Any:
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for f in fields(root, obj, prefix):
        if f.readonly:
            known = _lookup(server, f.name)
            if known is None:
                out.pop(f.key, None)
            else:
                out[f.key] = copy.deepcopy(known)
        elif f.key not in out:
            continue
        elif f.kind == "object":
            out[f.key] = _object(root, f.schema, out[f.key], f.name, server)
        elif f.kind == "repeat" and isinstance(out[f.key], list):
            rows = item_schema(root, f.schema)
            out[f.key] = [_object(root, rows, row, child_name(f.name, i), server)
                          for i, row in enumerate(out[f.key])]
    return out


def _has(root: dict, obj: dict) -> bool:
    for f in fields(root, obj):
        if f.readonly:
            return True
        if f.kind == "object" and _has(root, f.schema):
            return True
        if f.kind == "repeat" and _has(root, item_schema(root, f.schema)):
            return True
    return False
