"""JSON Schema (2020-12) forms → accessible DSFR HTML, and validation with French messages.

Imports nothing else of the app and no Flask: the web layer passes in the submitted data
(anything with `getlist`, or a plain dict) and gets back data, errors and `Markup`.

Schema conventions
------------------
A form is an object schema: `title` (the page heading, rendered by the page), `description`
(an intro paragraph), `properties`, `required`, and JSON Schema `if/then/else` (also inside
`allOf`) or `dependentRequired` for requirements that depend on other answers. Property names
are identifiers (`[A-Za-z_][A-Za-z0-9_]*`); `x-order` (a list of names) sets the display order,
else the properties' order. Each property's `title` is its label, `description` its hint.

Widget by property kind:
- `type: string` → text input (`maxLength`, `pattern`, `minLength` checked server-side);
  `x-widget: "textarea"` → textarea; `x-autocomplete` / `x-inputmode` passed to the input.
  `x-ignoreSpaces: true` → every space (and other blank) removed before validation and from
  the stored value (a number typed in groups, « 12 34 56 78 90 »).
- `format: "date"` → text input with the hint « Format attendu : JJ/MM/AAAA »; typed as
  JJ/MM/AAAA, stored as ISO YYYY-MM-DD; `x-notFuture: true` refuses dates after `today`.
- `type: integer | number` → text input; « 1 000 » and « 12,5 » are understood.
- `enum` + `x-enumLabels` (dict value→label, or list) or `oneOf: [{const, title}]` → radios;
  `x-widget: "select"` → select; optional `x-enumHints` per option; `x-inline: true`.
  A long fixed list (countries) is written into the JSON by a generator: `x-enumSource:
  "pays"` marks the property, `python -m app.forms.pays <form.json>` fills it (app/forms/pays.py).
- `type: boolean` → one checkbox (unchecked = false; `const: true` to require it), or
  Oui/Non radios with `x-widget: "ouinon"`.
- `type: array`, `items.enum`, `uniqueItems` → checkbox group; `minItems`;
  `x-exclusive: "<value>"` → that box must be the only one checked (« Aucune… »).
- `type: array` of objects → repeatable fieldset, legends « <x-itemLabel> 1 », « … 2 »,
  button `x-addLabel` (`name="_action" value="add:<field>"`) and « Supprimer » per row
  (`value="remove:<field>:<i>"`) as plain submit buttons, so it works without JavaScript.
  Rows where nothing was entered are ignored by validation. `maxItems` caps the rows.
- `type: object` → fieldset with its `title` as legend. `x-periods: [["du", "au"], …]` on any
  object: start ≤ end (error on the end field).
- `readOnly: true` → shown disabled; never read from the submission (`previous` wins), nor
  from typed data (`keep_readonly(schema, data, server)`: the JSON API).
- `x-visibleWhen: {"field": "<sibling>", "equals": <value>}` (or `"contains"` for a checkbox
  group; optional `"hint"`): without JavaScript the field is always shown, right after its
  controller, with the hint « À remplir si … »; its wrapper carries `data-visible-when-field`,
  `data-visible-when-value` and `data-visible-when-op` for an optional script to hide it.
  When the condition is false the value is dropped before validation and from the clean
  data. Requiring it stays the job of an `if/then` on the same condition.
- `x-messages: {"<keyword>": "message"}` overrides a French message for that property
  (keywords: required, pattern, maxLength, minLength, minimum, maximum, enum, type, format
  for a date, x-notFuture, x-exclusive, minItems, maxItems; x-periods on the object).

HTML names are dotted paths (`employeur.nom`, `pays.0.nom`); ids are `f-` + the name with dots
turned into dashes (`f-pays-0-nom`), and errors are keyed by the HTML name.

API
---
- `parse_submission(schema, formdata, previous=None) -> raw`
- `submitted_action(formdata) -> "add:…" | "remove:…:i" | None`, `apply_action(schema, raw,
  action) -> raw`: the row buttons; re-render with the new raw values, without errors.
- `validate(schema, raw, today) -> (clean, errors)`: store `clean` only when `errors` is empty.
- `render_form(schema, values, errors, *, action_url, submit_label, csrf_token,
  extra_buttons_html) -> Markup`; `render_readonly(schema, data) -> Markup` (récapitulatif).
- `schema_problems(schema) -> list[str]`: authoring mistakes, for the studio and deployment.

The page around the form should prefix its `<title>` with « Erreur : » when there are errors.
"""
from .check import schema_problems
from .parse import apply_action, parse_submission, read_submission, submitted_action
from .readonly import has_readonly, keep_readonly
from .render import render_form, render_readonly
from .validate import FORM_ERROR, validate, validate_data

__all__ = [
    "FORM_ERROR",
    "apply_action",
    "has_readonly",
    "keep_readonly",
    "parse_submission",
    "read_submission",
    "render_form",
    "render_readonly",
    "schema_problems",
    "submitted_action",
    "validate",
    "validate_data",
]
