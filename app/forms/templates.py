"""Jinja templates of the form and of the read-only summary (DSFR markup).

Kept as Python strings so the package needs no template folder and no Flask. Autoescape is on:
labels, hints and typed values (and the analyst-authored schema texts) are always escaped; the
only unescaped input is `extra_buttons_html`, which the calling view builds itself.
"""
from __future__ import annotations

from jinja2 import Environment, StrictUndefined

FORM_TEMPLATE = r"""
{%- macro hints(n) -%}
{%- if n.hints %}
<div class="fr-hint-text" id="{{ n.id }}--hint">
{%- for h in n.hints %}{{ h }}{% if not loop.last %}<br>{% endif %}{% endfor -%}
</div>{% endif -%}
{%- endmacro -%}

{%- macro error(n) -%}
{%- if n.error %}
<p class="fr-error-text" id="{{ n.id }}--error">{{ n.error }}</p>{% endif -%}
{%- endmacro -%}

{%- macro label_text(n) -%}{{ n.label }}{% if n.starred %} *{% endif %}{%- endmacro -%}

{%- macro control_attrs(n) -%}
{%- if n.describedby %} aria-describedby="{{ n.describedby }}"{% endif -%}
{%- if n.error %} aria-invalid="true"{% endif -%}
{%- if n.required_attr %} required{% endif -%}
{%- if n.readonly %} disabled{% endif -%}
{%- for key, value in n.attrs %} {{ key }}="{{ value }}"{% endfor -%}
{%- endmacro -%}

{%- macro text_input(n) -%}
<div class="fr-input-group{% if n.error %} fr-input-group--error{% endif %}
{%- if n.readonly %} fr-input-group--disabled{% endif %}">
<label class="fr-label" for="{{ n.id }}">{{ label_text(n) }}</label>{{ hints(n) }}
{%- if n.kind == "textarea" %}
<textarea class="fr-input{% if n.error %} fr-input--error{% endif %}" id="{{ n.id }}" name="{{ n.name }}" rows="4"{{ control_attrs(n) }}>{{ n.value }}</textarea>
{%- else %}
<input class="fr-input{% if n.error %} fr-input--error{% endif %}" type="text" id="{{ n.id }}" name="{{ n.name }}" value="{{ n.value }}"{{ control_attrs(n) }}>
{%- endif %}{{ error(n) }}
</div>
{%- endmacro -%}

{%- macro select(n) -%}
<div class="fr-select-group{% if n.error %} fr-select-group--error{% endif %}
{%- if n.readonly %} fr-select-group--disabled{% endif %}">
<label class="fr-label" for="{{ n.id }}">{{ label_text(n) }}</label>{{ hints(n) }}
<select class="fr-select" id="{{ n.id }}" name="{{ n.name }}"{{ control_attrs(n) }}>
<option value=""{% if not n.value %} selected{% endif %}>Sélectionner une option</option>
{%- for o in n.options %}
<option value="{{ o.value }}"{% if o.checked %} selected{% endif %}>{{ o.label }}</option>
{%- endfor %}
</select>{{ error(n) }}
</div>
{%- endmacro -%}

{%- macro group_open(n, legend_class="") -%}
<fieldset class="fr-fieldset{% if n.error %} fr-fieldset--error{% endif %}" id="{{ n.id }}--fieldset"
{%- if n.describedby %} aria-describedby="{{ n.describedby }}"{% endif %}>
<legend class="fr-fieldset__legend{{ legend_class }}" id="{{ n.id }}--legend">{{ label_text(n) }}</legend>
{%- if n.hints %}
<div class="fr-fieldset__element">{{ hints(n) }}
</div>
{%- endif %}
{%- endmacro -%}

{%- macro group_close(n) -%}
{%- if n.error %}
<div class="fr-messages-group">{{ error(n) }}
</div>
{%- endif %}
</fieldset>
{%- endmacro -%}

{%- macro choices(n, type) -%}
{{ group_open(n, " fr-fieldset__legend--regular") }}
{%- for o in n.options %}
<div class="fr-fieldset__element{% if n.inline %} fr-fieldset__element--inline{% endif %}">
<div class="fr-{{ type }}-group">
<input type="{{ type }}" id="{{ o.id }}" name="{{ n.name }}" value="{{ o.value }}"
{%- if o.checked %} checked{% endif %}{% if n.readonly %} disabled{% endif %}
{%- if n.required_attr and type == "radio" %} required{% endif %}>
<label class="fr-label" for="{{ o.id }}">{{ o.label }}
{%- if o.hint %} <span class="fr-hint-text">{{ o.hint }}</span>{% endif %}</label>
</div>
</div>
{%- endfor %}{{ group_close(n) }}
{%- endmacro -%}

{%- macro checkbox(n) -%}
<div class="fr-checkbox-group{% if n.error %} fr-checkbox-group--error{% endif %}">
<input type="checkbox" id="{{ n.id }}" name="{{ n.name }}" value="true"
{%- if n.value == "true" %} checked{% endif %}{{ control_attrs(n) }}>
<label class="fr-label" for="{{ n.id }}">{{ label_text(n) }}</label>{{ hints(n) }}{{ error(n) }}
</div>
{%- endmacro -%}

{%- macro subgroup(n) -%}
{{ group_open(n) }}
{%- for c in n.children %}
{{ field(c) }}
{%- endfor %}{{ group_close(n) }}
{%- endmacro -%}

{%- macro repeat(n) -%}
{{ group_open(n) }}
<input type="hidden" name="{{ n.name }}._count" value="{{ n.rows | length }}">
{%- for r in n.rows %}
<div class="fr-fieldset__element">
<fieldset class="fr-fieldset" id="{{ r.id }}--fieldset">
<legend class="fr-fieldset__legend fr-fieldset__legend--regular" id="{{ r.id }}--legend">{{ r.legend }}</legend>
{%- for c in r.children %}
{{ field(c) }}
{%- endfor %}
{%- if r.remove_value %}
<div class="fr-fieldset__element">
<button type="submit" class="fr-btn fr-btn--tertiary fr-btn--sm fr-btn--icon-left fr-icon-delete-line" name="_action" value="{{ r.remove_value }}">Supprimer<span class="fr-sr-only"> {{ r.legend }}</span></button>
</div>
{%- endif %}
</fieldset>
</div>
{%- endfor %}
{%- if n.add_value %}
<div class="fr-fieldset__element">
<button type="submit" class="fr-btn fr-btn--secondary fr-btn--icon-left fr-icon-add-line" name="_action" value="{{ n.add_value }}">{{ n.add_label }}</button>
</div>
{%- endif %}{{ group_close(n) }}
{%- endmacro -%}

{%- macro field(n) -%}
<div class="{{ n.wrapper_class }}" id="{{ n.id }}--wrapper"
{%- if n.visible_when %} data-visible-when-field="{{ n.visible_when.field }}" data-visible-when-value="{{ n.visible_when.value }}" data-visible-when-op="{{ n.visible_when.op }}"{% endif %}>
{%- if n.kind in ("text", "textarea", "date", "integer", "number") %}
{{ text_input(n) }}
{%- elif n.kind == "select" %}
{{ select(n) }}
{%- elif n.kind in ("radios", "ouinon") %}
{{ choices(n, "radio") }}
{%- elif n.kind == "checkboxes" %}
{{ choices(n, "checkbox") }}
{%- elif n.kind == "checkbox" %}
{{ checkbox(n) }}
{%- elif n.kind == "object" %}
{{ subgroup(n) }}
{%- elif n.kind == "repeat" %}
{{ repeat(n) }}
{%- endif %}
</div>
{%- endmacro -%}

<form method="post"{% if action_url %} action="{{ action_url }}"{% endif %} novalidate>
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
{%- if default_button %}
{#- Enter in a text field triggers the first submit button of the form: without this one it
    would be « Ajouter un pays » or a caller's extra button instead of the main action. #}
<button type="submit" name="_action" value="submit" class="fr-sr-only" tabindex="-1" aria-hidden="true">{{ submit_label }}</button>
{%- endif %}
{%- if summary %}
<div class="fr-alert fr-alert--error fr-mb-4w" id="erreurs-formulaire" role="alert" tabindex="-1" autofocus>
<h2 class="fr-alert__title">{{ summary_title }}</h2>
<ul>
{%- for s in summary %}
<li>{% if s.anchor %}<a href="#{{ s.anchor }}">{{ s.label }} : {{ s.message }}</a>{% else %}{{ s.message }}{% endif %}</li>
{%- endfor %}
</ul>
</div>
{%- endif %}
{%- if description %}
<p>{{ description }}</p>
{%- endif %}
{%- if any_starred %}
<p class="fr-hint-text">Les champs marqués d'un * sont obligatoires.</p>
{%- endif %}
{%- for n in nodes %}
{{ field(n) }}
{%- endfor %}
<ul class="fr-btns-group fr-btns-group--inline-md">
{%- if extra_buttons %}
{{ extra_buttons }}
{%- endif %}
<li><button type="submit" class="fr-btn" name="_action" value="submit">{{ submit_label }}</button></li>
</ul>
</form>
"""

READONLY_TEMPLATE = r"""
{%- macro entries(items) -%}
<dl>
{%- for it in items %}
<dt>{{ it.label }}</dt>
<dd>
{%- if it.children is not none %}{{ entries(it.children) }}
{%- elif it.choices is not none %}<ul>{% for v in it.choices %}<li>{{ v }}</li>{% endfor %}</ul>
{%- else %}{{ it.text }}{% endif -%}
</dd>
{%- endfor %}
</dl>
{%- endmacro -%}
{{ entries(items) }}
"""

_env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=False)
form_template = _env.from_string(FORM_TEMPLATE)
readonly_template = _env.from_string(READONLY_TEMPLATE)
