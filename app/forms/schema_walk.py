"""Reading a form schema: property order, widget kind, options, requirements, conditions.

Parsing, validation and rendering all walk the schema through these helpers, so the three
always agree on what a field is, what it is called in HTML and in which order it comes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Property names become parts of HTML names and ids (`pays.0.nom` → `f-pays-0-nom`). Keeping
# them to identifier characters guarantees that ids never collide with the `--hint`,
# `--error`, `--2` suffixes the renderer appends.
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

# Widget kinds. "repeat" is an array of objects, "checkboxes" an array of enum values.
TEXT_KINDS = frozenset({"text", "textarea", "date", "integer", "number"})
OPTION_KINDS = frozenset({"radios", "select", "ouinon", "checkboxes"})
CONTAINER_KINDS = frozenset({"object", "repeat"})

BOOLEAN_OPTIONS = ((True, "Oui", None), (False, "Non", None))


def deref(root: dict, schema: Any) -> dict:
    """Follow a local `$ref` (``#/$defs/...``); sibling keywords override the target's.

    Only local references are supported: forms are single self-contained files.
    """
    if not isinstance(schema, dict):
        return {}
    seen = 0
    while "$ref" in schema and seen < 20:  # bounded: a ref cycle must not hang a request
        seen += 1
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#"):
            break
        target: Any = root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            break
        schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def kind_of(root: dict, schema: dict) -> str:
    schema = deref(root, schema)
    typ = schema.get("type")
    widget = schema.get("x-widget")
    if typ == "object" or "properties" in schema:
        return "object"
    if typ == "array":
        items = deref(root, schema.get("items", {}))
        if items.get("type") == "object" or "properties" in items:
            return "repeat"
        return "checkboxes"
    if typ == "boolean":
        return "ouinon" if widget == "ouinon" else "checkbox"
    if "enum" in schema or _const_options(schema):
        return "select" if widget == "select" else "radios"
    if typ in ("integer", "number"):
        return typ
    if schema.get("format") == "date":
        return "date"
    if widget == "textarea":
        return "textarea"
    return "text"


def _const_options(schema: dict) -> list[dict]:
    alts = schema.get("oneOf") or schema.get("anyOf") or []
    if alts and all(isinstance(a, dict) and "const" in a for a in alts):
        return alts
    return []


def options(root: dict, schema: dict) -> list[tuple[Any, str, str | None]]:
    """(value, label, hint) for a choice field; labels default to the raw value."""
    schema = deref(root, schema)
    kind = kind_of(root, schema)
    if kind == "ouinon" or kind == "checkbox":
        return list(BOOLEAN_OPTIONS)
    source = schema
    if kind == "checkboxes":
        source = deref(root, schema.get("items", {}))
    # x-enumLabels may sit on the array itself or on its items: accept both.
    labels = schema.get("x-enumLabels") or source.get("x-enumLabels") or {}
    hints = schema.get("x-enumHints") or source.get("x-enumHints") or {}
    alts = _const_options(source)
    if alts:
        return [(a["const"], str(a.get("title", a["const"])), a.get("description")) for a in alts]
    values = source.get("enum", [])
    out = []
    for i, value in enumerate(values):
        if isinstance(labels, list):
            label = labels[i] if i < len(labels) else value
        else:
            label = labels.get(str(value), value)
        hint = hints[i] if isinstance(hints, list) and i < len(hints) else (
            hints.get(str(value)) if isinstance(hints, dict) else None)
        out.append((value, str(label), hint))
    return out


def option_label(root: dict, schema: dict, value: Any) -> str:
    for opt_value, label, _hint in options(root, schema):
        if html_value(opt_value) == html_value(value):
            return label
    return str(value)


def html_value(value: Any) -> str:
    """How a value is written in an HTML `value` attribute (booleans as true/false)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def properties_in_order(root: dict, obj: dict) -> list[tuple[str, dict]]:
    obj = deref(root, obj)
    props = obj.get("properties") or {}
    order = [k for k in obj.get("x-order", []) if k in props]
    order += [k for k in props if k not in order]
    return [(k, deref(root, props[k])) for k in order]


def required_sets(root: dict, obj: dict) -> tuple[set[str], set[str]]:
    """(always required, required under some condition) property names of an object.

    Conditions are JSON Schema's own: `if/then/else`, possibly inside `allOf`, and
    `dependentRequired`. Conditional ones are starred too; their hint says when they apply.
    """
    obj = deref(root, obj)
    always = set(obj.get("required") or [])
    conditional: set[str] = set()

    def branches(schema: dict) -> None:
        for key in ("then", "else"):
            sub = schema.get(key)
            if isinstance(sub, dict):
                conditional.update(sub.get("required") or [])
                branches(sub)
                for inner in sub.get("allOf") or []:
                    if isinstance(inner, dict):
                        conditional.update(inner.get("required") or [])
                        branches(inner)
        for key in ("anyOf", "oneOf"):
            for sub in schema.get(key) or []:
                if isinstance(sub, dict):
                    conditional.update(sub.get("required") or [])

    branches(obj)
    for sub in obj.get("allOf") or []:
        if isinstance(sub, dict):
            always.update(sub.get("required") or [])
            branches(sub)
    for deps in (obj.get("dependentRequired") or {}).values():
        conditional.update(deps)
    return always, conditional - always


@dataclass(frozen=True)
class Field:
    key: str  # property name in its parent object
    name: str  # HTML name: dotted path, e.g. "pays.0.nom"
    schema: dict  # dereferenced property schema
    kind: str
    required: bool  # always required
    conditional: bool  # required when a JSON Schema condition holds
    readonly: bool  # readOnly itself or inside a readOnly container
    visible_when: dict | None  # x-visibleWhen, only when its controller is a sibling

    @property
    def id(self) -> str:
        return field_id(self.name)

    @property
    def label(self) -> str:
        return str(self.schema.get("title") or self.key)

    @property
    def starred(self) -> bool:
        if self.readonly:
            return False
        return self.required or self.conditional or self.schema.get("const") is True


def child_name(prefix: str, key: str | int) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def field_id(name: str) -> str:
    return "f-" + name.replace(".", "-")


def fields(root: dict, obj: dict, prefix: str = "", readonly: bool = False) -> list[Field]:
    """The fields of an object in display order.

    Display order is `x-order` (else the properties' order), except that a field with an
    `x-visibleWhen` on a sibling comes right after its controller: without JavaScript every
    field is shown, so the dependent one must sit where its « À remplir si … » makes sense.
    """
    props = properties_in_order(root, obj)
    always, conditional = required_sets(root, obj)
    keys = [k for k, _ in props]
    by_key = dict(props)

    def controller(key: str) -> str | None:
        cond = by_key[key].get("x-visibleWhen")
        if isinstance(cond, dict) and cond.get("field") in by_key and cond["field"] != key:
            return cond["field"]
        return None

    dependents: dict[str, list[str]] = {}
    for key in keys:
        ctrl = controller(key)
        if ctrl:
            dependents.setdefault(ctrl, []).append(key)
    order: list[str] = []

    def emit(key: str) -> None:
        if key in order:
            return
        order.append(key)
        for dep in dependents.get(key, []):
            emit(dep)

    for key in keys:
        if not controller(key):
            emit(key)
    for key in keys:  # fields caught in a condition cycle keep their own place
        emit(key)

    out = []
    for key in order:
        schema = by_key[key]
        out.append(Field(
            key=key,
            name=child_name(prefix, key),
            schema=schema,
            kind=kind_of(root, schema),
            required=key in always,
            conditional=key in conditional,
            readonly=readonly or bool(schema.get("readOnly")),
            visible_when=schema["x-visibleWhen"] if controller(key) else None,
        ))
    return out


def item_schema(root: dict, schema: dict) -> dict:
    return deref(root, deref(root, schema).get("items", {}))


def condition_holds(cond: dict, siblings: dict) -> bool:
    value = siblings.get(cond.get("field")) if isinstance(siblings, dict) else None
    if "contains" in cond:
        return isinstance(value, list) and any(_same(v, cond["contains"]) for v in value)
    if "equals" in cond:
        return _same(value, cond["equals"])
    return True


def _same(a: Any, b: Any) -> bool:
    # Type-strict: True must not equal 1, and a string must not match a boolean condition.
    return type(a) is type(b) and a == b


def schema_at(root: dict, name: str) -> tuple[dict, str] | None:
    """(schema, kind) of the field with this HTML name, or None if the form has no such field."""
    schema = deref(root, root)
    kind = "object"
    for part in name.split("."):
        if kind == "object":
            props = schema.get("properties") or {}
            if part not in props:
                return None
            schema = deref(root, props[part])
        elif kind == "repeat" and part.isdigit():
            schema = item_schema(root, schema)
        else:
            return None
        kind = kind_of(root, schema)
    return schema, kind
