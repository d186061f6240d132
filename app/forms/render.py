"""Schema + values + errors → view model → DSFR HTML (see `templates.py`).

All decisions (ids, hints, which box is checked, what the error summary links to) are taken
here in Python, so the templates only lay out markup and can be read against the DSFR docs.

Ids: a field named `pays.0.nom` has id `f-pays-0-nom`; its hint, error and fieldset take the
suffixes `--hint`, `--error`, `--fieldset`. In a radio or checkbox group the first option
carries the field id itself (the others `--2`, `--3`…), so every error-summary link is
`#<field id>` and lands on a focusable control.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from .dates import display_date
from .messages import error_summary_title, french_number
from .parse import MAX_ROWS
from .schema_walk import (
    Field,
    child_name,
    condition_holds,
    deref,
    field_id,
    fields,
    html_value,
    item_schema,
    option_label,
    options,
)
from .templates import form_template, readonly_template

DATE_HINT = "Format attendu : JJ/MM/AAAA"
# Personal-data fields must say what they hold (RGAA 11.13); the schema passes these through.
PASSTHROUGH_ATTRS = (("x-autocomplete", "autocomplete"), ("x-inputmode", "inputmode"))


@dataclass
class Option:
    value: str
    label: str
    hint: str | None
    id: str
    checked: bool


@dataclass
class Row:
    id: str
    legend: str
    children: list[Node]
    remove_value: str | None


@dataclass
class Node:
    kind: str
    name: str
    id: str
    label: str
    summary_label: str
    starred: bool
    required_attr: bool
    readonly: bool
    wrapper_class: str
    hints: list[str] = field(default_factory=list)
    error: str | None = None
    value: str = ""
    options: list[Option] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    add_value: str | None = None
    add_label: str = ""
    inline: bool = False
    visible_when: dict | None = None
    attrs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def describedby(self) -> str:
        ids = []
        if self.hints:
            ids.append(f"{self.id}--hint")
        if self.error:
            ids.append(f"{self.id}--error")
        return " ".join(ids)

    @property
    def anchor(self) -> str:
        """Where an error-summary link for this field should land (a focusable control)."""
        if self.kind == "object":
            for child in self.children:
                return child.anchor
        elif self.kind == "repeat":
            for row in self.rows:
                for child in row.children:
                    return child.anchor
        else:
            return self.id
        return f"{self.id}--fieldset"


def _display(kind: str, value: Any) -> str:
    if value is None:
        return ""
    if kind == "date":
        return display_date(value)
    if isinstance(value, bool):
        return html_value(value)
    if isinstance(value, float):
        return french_number(value)
    if isinstance(value, (list, dict)):
        return ""  # a forged structure where text was expected: show nothing rather than repr
    return str(value)


def _condition_hint(root: dict, f: Field, siblings: list[Field]) -> str:
    cond = f.visible_when or {}
    if isinstance(cond.get("hint"), str):
        return cond["hint"]
    ctrl = next((s for s in siblings if s.key == cond.get("field")), None)
    if ctrl is None:
        return ""
    if "contains" in cond:
        label = option_label(root, ctrl.schema, cond["contains"])
        return f"À remplir si vous avez coché « {label} » à la question « {ctrl.label} »"
    if ctrl.kind == "checkbox" and cond.get("equals") is True:
        return f"À remplir si vous avez coché « {ctrl.label} »"
    label = option_label(root, ctrl.schema, cond.get("equals"))
    return f"À remplir si vous avez répondu « {label} » à la question « {ctrl.label} »"


class _Builder:
    def __init__(self, root: dict, errors: dict[str, str]):
        self.root = root
        self.errors = errors
        self.any_starred = False

    def nodes(self, obj: dict, values: Any, prefix: str, readonly: bool, trail: tuple,
              nested: bool) -> list[Node]:
        values = values if isinstance(values, dict) else {}
        obj_fields = fields(self.root, obj, prefix, readonly)
        return [self.node(f, values.get(f.key), obj_fields, trail, nested) for f in obj_fields]

    def node(self, f: Field, value: Any, siblings: list[Field], trail: tuple,
             nested: bool) -> Node:
        schema = f.schema
        hints = []
        if f.visible_when:
            hints.append(_condition_hint(self.root, f, siblings))
        if schema.get("description"):
            hints.append(str(schema["description"]))
        if f.kind == "date" and not f.readonly:
            hints.append(DATE_HINT)
        n = Node(
            kind=f.kind,
            name=f.name,
            id=f.id,
            label=f.label,
            summary_label=" – ".join((*trail, f.label)),
            starred=f.starred and f.kind not in ("object", "repeat"),
            # Only unconditional requirements: the browser never validates (novalidate), but
            # assistive technologies announce « obligatoire » from this attribute.
            required_attr=f.required and not f.readonly and f.kind not in (
                "object", "repeat", "checkboxes", "checkbox"),
            readonly=f.readonly,
            wrapper_class="fr-fieldset__element" if nested else "fr-mb-3w",
            hints=[h for h in hints if h],
            error=self.errors.get(f.name),
            attrs=[(attr, str(schema[key])) for key, attr in PASSTHROUGH_ATTRS if key in schema],
        )
        self.any_starred = self.any_starred or n.starred
        if f.visible_when:
            cond = f.visible_when
            op = "contains" if "contains" in cond else "equals"
            n.visible_when = {
                "field": child_name(f.name.rpartition(".")[0], cond["field"]),
                "value": html_value(cond.get(op)),
                "op": op,
            }
        if f.kind in ("radios", "select", "ouinon", "checkboxes"):
            chosen = value if isinstance(value, list) else [value]
            chosen_html = {html_value(v) for v in chosen if v is not None}
            n.options = [
                Option(html_value(v), label, hint, f.id if i == 0 else f"{f.id}--{i + 1}",
                       html_value(v) in chosen_html)
                for i, (v, label, hint) in enumerate(options(self.root, schema))
            ]
            n.inline = f.kind == "ouinon" or bool(schema.get("x-inline"))
            n.value = html_value(value) if not isinstance(value, list) else ""
        elif f.kind == "checkbox":
            n.value = html_value(value)
        elif f.kind == "object":
            n.children = self.nodes(schema, value, f.name, f.readonly, (*trail, f.label), True)
        elif f.kind == "repeat":
            self.repeat(n, f, value, trail)
        else:
            n.value = _display(f.kind, value)
        return n

    def repeat(self, n: Node, f: Field, value: Any, trail: tuple) -> None:
        items = item_schema(self.root, f.schema)
        rows = value if isinstance(value, list) and value else [{}]  # always one row to fill
        item_label = str(f.schema.get("x-itemLabel") or items.get("title") or f.label)
        for i, row in enumerate(rows):
            name = child_name(f.name, i)
            legend = f"{item_label} {i + 1}"
            n.rows.append(Row(
                id=field_id(name),
                legend=legend,
                children=self.nodes(items, row, name, f.readonly, (*trail, legend), True),
                remove_value=None if f.readonly or len(rows) < 2 else f"remove:{f.name}:{i}",
            ))
        cap = min(MAX_ROWS, f.schema.get("maxItems", MAX_ROWS))
        if not f.readonly and len(rows) < cap:
            n.add_value = f"add:{f.name}"
            n.add_label = str(f.schema.get("x-addLabel") or "Ajouter")


def _walk(nodes: list[Node]):
    for n in nodes:
        yield n
        yield from _walk(n.children)
        for row in n.rows:
            yield from _walk(row.children)


def render_form(schema: dict, values: dict | None, errors: dict[str, str] | None, *,
                action_url: str = "", submit_label: str = "Continuer", csrf_token: str = "",
                extra_buttons_html: str = "") -> Markup:
    """The whole `<form>`: error summary, fields, row buttons, main submit button.

    `values` may be the parsed submission (dates as typed) or stored data (ISO dates).
    `extra_buttons_html` is trusted HTML (one `<li>` per button, or it gets wrapped in one).
    """
    root = deref(schema, schema)
    errors = errors or {}
    builder = _Builder(schema, errors)
    nodes = builder.nodes(root, values or {}, "", False, (), False)
    summary, seen = [], set()
    for n in _walk(nodes):
        if n.error:
            summary.append({"anchor": n.anchor, "label": n.summary_label, "message": n.error})
            seen.add(n.name)
    for name, text in errors.items():  # errors of no displayed field still must be told
        if name not in seen:
            summary.append({"anchor": None, "label": "", "message": text})
    extra = Markup(extra_buttons_html or "")
    if extra and not extra.lstrip().startswith("<li"):
        extra = Markup("<li>{}</li>").format(extra)
    has_rows = any(n.kind == "repeat" and not n.readonly for n in _walk(nodes))
    html = form_template.render(
        nodes=nodes,
        summary=summary,
        summary_title=error_summary_title(len(summary)),
        description=root.get("description") or "",
        any_starred=builder.any_starred,
        action_url=action_url,
        submit_label=submit_label,
        csrf_token=csrf_token or "",
        extra_buttons=extra,
        default_button=has_rows or bool(extra),
    )
    return Markup(html)


# Read-only summary (récapitulatif) -------------------------------------------------------


def _entries(root: dict, obj: dict, data: Any, prefix: str) -> list[dict]:
    data = data if isinstance(data, dict) else {}
    out = []
    for f in fields(root, obj, prefix):
        if f.visible_when and not condition_holds(f.visible_when, data):
            continue
        value = data.get(f.key)
        if value is None or value == [] or value == "":
            continue
        entry: dict[str, Any] = {"label": f.label, "children": None, "choices": None, "text": ""}
        if f.kind == "object":
            entry["children"] = _entries(root, f.schema, value, f.name)
            if not entry["children"]:
                continue
        elif f.kind == "repeat" and isinstance(value, list):
            items = item_schema(root, f.schema)
            item_label = str(f.schema.get("x-itemLabel") or items.get("title") or f.label)
            entry["children"] = [
                {"label": f"{item_label} {i + 1}", "choices": None, "text": "",
                 "children": _entries(root, items, row, child_name(f.name, i))}
                for i, row in enumerate(value)
            ]
        elif f.kind == "checkboxes" and isinstance(value, list):
            entry["choices"] = [option_label(root, f.schema, v) for v in value]
        elif f.kind in ("radios", "select", "ouinon", "checkbox"):
            entry["text"] = option_label(root, f.schema, value)
        else:
            entry["text"] = _display(f.kind, value)
        out.append(entry)
    return out


def render_readonly(schema: dict, data: dict | None) -> Markup:
    """Definition list of what was entered: labels, enum labels, dates as JJ/MM/AAAA."""
    items = _entries(schema, deref(schema, schema), data or {}, "")
    return Markup(readonly_template.render(items=items)) if items else Markup("")
