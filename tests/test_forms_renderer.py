"""app/forms: JSON Schema → DSFR HTML, parsing of submissions, validation in French."""
from __future__ import annotations

import copy
import re
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from app.forms import (
    apply_action,
    parse_submission,
    render_form,
    render_readonly,
    schema_problems,
    submitted_action,
    validate,
)

TODAY = date(2025, 6, 15)

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Ma demande",
    "type": "object",
    # agdref is listed before its controller on purpose: the renderer must move it after.
    "x-order": ["nom", "agdref", "nationalite", "date_accident", "periode", "situations",
                "pays", "cesse", "cesse_depuis", "enfants", "precision"],
    "properties": {
        "nom": {"type": "string", "title": "Nom", "readOnly": True},
        "agdref": {
            "type": "string",
            "title": "N° AGDREF",
            "description": "Numéro du titre de séjour",
            "pattern": "^[0-9]{10}$",
            "x-inputmode": "numeric",
            "x-visibleWhen": {"field": "nationalite", "equals": "hors_ue"},
            "x-messages": {"pattern": "Le numéro AGDREF comporte 10 chiffres"},
        },
        "nationalite": {
            "type": "string",
            "title": "Nationalité",
            "enum": ["francaise", "ue", "hors_ue"],
            "x-enumLabels": {"francaise": "Française", "ue": "UE/EEE/Suisse",
                             "hors_ue": "Hors UE"},
        },
        "date_accident": {"type": "string", "format": "date", "title": "Date de cet accident",
                          "x-notFuture": True},
        "periode": {
            "type": "object",
            "title": "Période d'activité",
            "required": ["du", "au"],
            "x-periods": [["du", "au"]],
            "properties": {
                "du": {"type": "string", "format": "date", "title": "Du"},
                "au": {"type": "string", "format": "date", "title": "Au"},
            },
        },
        "situations": {
            "type": "array",
            "title": "J'ai",
            "uniqueItems": True,
            "minItems": 1,
            "items": {"enum": ["accident", "autre_pays", "aucune"]},
            "x-enumLabels": {"accident": "Eu un accident causé par un tiers",
                             "autre_pays": "Travaillé dans un autre pays",
                             "aucune": "Aucune de ces propositions"},
            "x-exclusive": "aucune",
        },
        "pays": {
            "type": "array",
            "title": "Pays où j'ai travaillé",
            "x-itemLabel": "Pays",
            "x-addLabel": "Ajouter un pays",
            "maxItems": 3,
            "x-visibleWhen": {"field": "situations", "contains": "autre_pays"},
            "items": {
                "type": "object",
                "required": ["nom"],
                "properties": {
                    "nom": {"type": "string", "title": "Pays, territoire, collectivité"},
                    "du": {"type": "string", "format": "date", "title": "Du"},
                },
            },
        },
        "cesse": {"type": "boolean", "title": "J'ai cessé cette activité", "x-widget": "ouinon"},
        "cesse_depuis": {"type": "string", "format": "date", "title": "Depuis le",
                         "x-visibleWhen": {"field": "cesse", "equals": True}},
        "enfants": {"type": "integer", "title": "Nombre d'enfants", "minimum": 0},
        "precision": {"type": "string", "title": "Je précise", "x-widget": "textarea",
                      "maxLength": 20},
    },
    "required": ["nationalite", "situations"],
    "allOf": [
        {"if": {"properties": {"nationalite": {"const": "hors_ue"}}, "required": ["nationalite"]},
         "then": {"required": ["agdref"]}},
        {"if": {"properties": {"situations": {"contains": {"const": "autre_pays"}}},
                "required": ["situations"]},
         "then": {"required": ["pays"]}},
        {"if": {"properties": {"cesse": {"const": True}}, "required": ["cesse"]},
         "then": {"required": ["cesse_depuis"]}},
    ],
}

PREVIOUS = {"nom": "Dupont"}

VALID = {
    "nationalite": "francaise",
    "situations": ["accident"],
    "date_accident": "20/05/2021",
    "periode.du": "05/05/2021",
    "periode.au": "21/05/2021",
}


def submit(formdata: dict, previous: dict | None = PREVIOUS) -> tuple[dict, dict, dict]:
    raw = parse_submission(SCHEMA, MultiDict(formdata), previous)
    clean, errors = validate(SCHEMA, raw, TODAY)
    return raw, clean, errors


def with_(**changes) -> dict:
    data = dict(VALID)
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


# --- Schema -----------------------------------------------------------------------------


def test_the_test_schema_follows_the_conventions():
    assert schema_problems(SCHEMA) == []


def test_authoring_mistakes_are_reported():
    broken = copy.deepcopy(SCHEMA)
    broken["properties"]["agdref"]["x-visibleWhen"] = {"field": "nope", "equals": "x"}
    broken["properties"]["situations"]["x-exclusive"] = "rien"
    broken["required"].append("cesse_depuis")
    problems = schema_problems(broken)
    assert any("agdref" in p and "x-visibleWhen" in p for p in problems)
    assert any("x-exclusive" in p for p in problems)
    assert any("cesse_depuis" in p and "if/then" in p for p in problems)


# --- Parsing ----------------------------------------------------------------------------


def test_a_valid_submission_gives_typed_clean_data_with_iso_dates():
    raw, clean, errors = submit(with_(cesse="oui", cesse_depuis="01/03/2024", enfants=" 2 ",
                                      precision="  rien  "))
    assert errors == {}
    assert clean == {
        "nom": "Dupont",
        "nationalite": "francaise",
        "date_accident": "2021-05-20",
        "periode": {"du": "2021-05-05", "au": "2021-05-21"},
        "situations": ["accident"],
        "cesse": True,
        "cesse_depuis": "2024-03-01",
        "enfants": 2,
        "precision": "rien",
    }
    # The raw values keep the dates as typed, for showing the form again.
    assert raw["date_accident"] == "20/05/2021"


def test_plain_dicts_are_accepted_as_form_data():
    raw = parse_submission(SCHEMA, {"nationalite": "ue", "situations": ["accident", "autre_pays"],
                                    "pays.0.nom": "Italie"})
    assert raw == {"nationalite": "ue", "situations": ["accident", "autre_pays"],
                   "pays": [{"nom": "Italie"}]}


def test_empty_strings_are_absent_and_booleans_understood():
    raw = parse_submission(SCHEMA, MultiDict({"nationalite": "  ", "precision": "", "cesse": "non"}))
    assert "nationalite" not in raw and "precision" not in raw
    assert raw["cesse"] is False
    assert parse_submission(SCHEMA, MultiDict({"cesse": "true"}))["cesse"] is True


def test_forged_unknown_fields_are_ignored():
    raw, clean, errors = submit(with_(admin="1", **{"periode.role": "x", "pays.0.nom": "Italie"}))
    assert "admin" not in raw and "role" not in raw["periode"]
    assert "admin" not in clean
    assert "pays" not in clean  # « autre pays » not ticked: the rows do not apply
    assert errors == {}


def test_readonly_values_come_from_the_server_never_from_the_submission():
    raw, clean, _ = submit(with_(nom="Pirate"))
    assert raw["nom"] == "Dupont" and clean["nom"] == "Dupont"
    raw, clean, _ = submit(with_(nom="Pirate"), previous=None)
    assert "nom" not in raw and "nom" not in clean


def test_forged_row_indices_are_capped():
    raw = parse_submission(SCHEMA, MultiDict({"pays.99999.nom": "X", "pays._count": "100000"}))
    assert len(raw["pays"]) == 3  # maxItems


# --- Validation: one rule, one French message --------------------------------------------


def test_required_fields():
    _, _, errors = submit({})
    assert errors["nationalite"] == "Ce champ est obligatoire"
    assert errors["situations"] == "Cochez au moins une case"
    assert "agdref" not in errors and "date_accident" not in errors


def test_min_items_on_checkboxes():
    _, errors = validate(SCHEMA, {"nationalite": "ue", "situations": []}, TODAY)
    assert errors["situations"] == "Cochez au moins une case"


def test_required_inside_a_group_is_reported_on_the_field():
    _, _, errors = submit(with_(periode__au=None))
    assert errors == {"periode.au": "Ce champ est obligatoire"}


def test_agdref_is_required_for_nationals_outside_the_eu():
    _, _, errors = submit(with_(nationalite="hors_ue"))
    assert errors == {"agdref": "Ce champ est obligatoire"}


def test_agdref_pattern_uses_the_field_message():
    _, _, errors = submit(with_(nationalite="hors_ue", agdref="12345"))
    assert errors == {"agdref": "Le numéro AGDREF comporte 10 chiffres"}
    _, clean, errors = submit(with_(nationalite="hors_ue", agdref="1234567890"))
    assert errors == {} and clean["agdref"] == "1234567890"


def test_a_field_whose_condition_is_false_is_dropped_not_kept_nor_checked():
    # A stale AGDREF typed before switching to « Française », even a malformed one.
    _, clean, errors = submit(with_(agdref="pas un numéro"))
    assert errors == {}
    assert "agdref" not in clean
    _, clean, errors = submit(with_(cesse="non", cesse_depuis="31/02/2025"))
    assert errors == {} and clean["cesse"] is False and "cesse_depuis" not in clean


def test_conditional_date_required_when_yes():
    _, _, errors = submit(with_(cesse="oui"))
    assert errors == {"cesse_depuis": "Ce champ est obligatoire"}


@pytest.mark.parametrize("typed", ["31/02/2025", "29/02/2023", "2025-13-01", "01/01/200",
                                   "demain", "12/2025"])
def test_impossible_or_malformed_dates(typed):
    _, _, errors = submit(with_(date_accident=typed))
    assert errors == {"date_accident": "Saisissez une date réelle au format JJ/MM/AAAA"}


@pytest.mark.parametrize("typed,iso", [("29/02/2024", "2024-02-29"), ("1/2/2020", "2020-02-01"),
                                       ("01.02.2020", "2020-02-01")])
def test_real_dates_are_stored_in_iso(typed, iso):
    _, clean, errors = submit(with_(date_accident=typed))
    assert errors == {} and clean["date_accident"] == iso


def test_date_in_the_future_is_refused_today_is_accepted():
    tomorrow = (TODAY + timedelta(days=1)).strftime("%d/%m/%Y")
    _, _, errors = submit(with_(date_accident=tomorrow))
    assert errors == {"date_accident": "La date ne peut pas être dans le futur"}
    _, _, errors = submit(with_(date_accident=TODAY.strftime("%d/%m/%Y")))
    assert errors == {}


def test_period_start_after_end():
    _, _, errors = submit(with_(periode__du="22/05/2021"))
    assert errors == {
        "periode.au": "La date de début doit être antérieure ou égale à la date de fin"}
    _, _, errors = submit(with_(periode__du="21/05/2021"))  # same day is a valid period
    assert errors == {}


def test_exclusive_box_must_be_alone():
    _, _, errors = submit(with_(situations=["accident", "aucune"]))
    assert errors == {"situations": "« Aucune de ces propositions » ne peut pas être cochée "
                                    "avec une autre case"}
    _, clean, errors = submit(with_(situations=["aucune"]))
    assert errors == {} and clean["situations"] == ["aucune"]


@pytest.mark.parametrize("field,forged", [("nationalite", "martienne"),
                                          ("situations", ["accident", "pirate"]),
                                          ("cesse", "peut-etre")])
def test_forged_choice_values_are_refused(field, forged):
    _, _, errors = submit(with_(**{field: forged}))
    assert errors == {field: "Choisissez une des options proposées"}


def test_numbers_and_lengths():
    _, _, errors = submit(with_(enfants="-1", precision="x" * 21))
    assert errors == {"enfants": "Saisissez un nombre supérieur ou égal à 0",
                      "precision": "Saisissez au maximum 20 caractères"}
    raw, _, errors = submit(with_(enfants="deux"))
    assert errors == {"enfants": "Saisissez un nombre entier"}
    assert raw["enfants"] == "deux"  # kept as typed


def test_countries_are_required_when_ticked_and_the_error_points_at_the_first_row():
    _, _, errors = submit(with_(situations=["autre_pays"], **{"pays.0.nom": "", "pays.0.du": ""}))
    assert errors == {"pays.0.nom": "Ce champ est obligatoire"}


def test_blank_rows_are_ignored_and_errors_keep_the_submitted_row_numbers():
    form = with_(situations=["autre_pays"], **{
        "pays._count": "3", "pays.0.nom": "", "pays.0.du": "",
        "pays.1.nom": "", "pays.1.du": "01/01/2010",
        "pays.2.nom": "Italie", "pays.2.du": "31/02/2010"})
    _, _, errors = submit(form)
    assert errors == {"pays.1.nom": "Ce champ est obligatoire",
                      "pays.2.du": "Saisissez une date réelle au format JJ/MM/AAAA"}
    form.update({"pays.1.nom": "Espagne", "pays.2.du": "01/02/2011"})
    _, clean, errors = submit(form)
    assert errors == {}
    assert clean["pays"] == [{"nom": "Espagne", "du": "2010-01-01"},
                             {"nom": "Italie", "du": "2011-02-01"}]


def test_x_messages_can_override_any_keyword():
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["nationalite"]["x-messages"] = {"required": "Indiquez votre nationalité"}
    _, errors = validate(schema, {"situations": ["aucune"]}, TODAY)
    assert errors == {"nationalite": "Indiquez votre nationalité"}


ENGLISH = re.compile(r"\b(is|not|required property|valid|match|expected|should|"
                     r"must|long|short|less|greater|array|object|string)\b", re.IGNORECASE)


def test_no_english_jsonschema_message_ever_leaks():
    bad = [
        {}, with_(nationalite=["a", "b"]), with_(situations="accident"), with_(enfants="1,5"),
        with_(enfants="99999999999999999999999999999999999999999999999999"),
        with_(nationalite="hors_ue", agdref="x" * 500), with_(cesse="oui"),
        with_(situations=["autre_pays"], **{"pays.0.du": "x"}),
    ]
    seen = 0
    for form in bad:
        _, _, errors = submit(form)
        for text in errors.values():
            seen += 1
            assert not ENGLISH.search(text), text
    _, errors = validate(SCHEMA, {"nationalite": 3, "situations": "x", "periode": "y",
                                  "pays": "z", "cesse": "oui", "enfants": True}, TODAY)
    for text in errors.values():
        seen += 1
        assert not ENGLISH.search(text), text
    assert seen >= 10


# --- Row actions (no JavaScript) ---------------------------------------------------------


def test_add_and_remove_rows():
    form = MultiDict([("situations", "autre_pays"), ("pays._count", "1"), ("pays.0.nom", "Italie"),
                      ("_action", "add:pays")])
    assert submitted_action(form) == "add:pays"
    raw = parse_submission(SCHEMA, form)
    raw = apply_action(SCHEMA, raw, "add:pays")
    assert raw["pays"] == [{"nom": "Italie"}, {}]
    # The blank row survives a round trip through the HTML, so a second « Ajouter » adds one.
    html = str(render_form(SCHEMA, raw, {}))
    assert 'name="pays._count" value="2"' in html
    raw = apply_action(SCHEMA, parse_submission(SCHEMA, MultiDict(
        [("situations", "autre_pays"), ("pays._count", "2"), ("pays.0.nom", "Italie"),
         ("pays.1.nom", "")])), "add:pays")
    assert raw["pays"] == [{"nom": "Italie"}, {}, {}]
    raw = apply_action(SCHEMA, raw, "add:pays")  # maxItems = 3
    assert len(raw["pays"]) == 3
    assert apply_action(SCHEMA, raw, "remove:pays:0")["pays"] == [{}, {}]
    assert apply_action(SCHEMA, {}, "add:pays") == {"pays": [{}, {}]}


@pytest.mark.parametrize("action", ["remove:pays:7", "remove:pays:x", "add:nom", "add:situations",
                                    "add:nope", "drop:pays", "add:", "remove:nom:0"])
def test_forged_actions_change_nothing(action):
    raw = {"nom": "Dupont", "pays": [{"nom": "Italie"}]}
    assert apply_action(SCHEMA, raw, action) == raw


def test_the_main_button_is_not_a_row_action():
    assert submitted_action(MultiDict({"_action": "submit"})) is None
    assert submitted_action({}) is None


# --- HTML ---------------------------------------------------------------------------------


class Page(HTMLParser):
    """Just enough of the DOM for the accessibility assertions."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {k: (v if v is not None else "") for k, v in attrs}))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag=None, **attrs):
        return [a for t, a in self.elements
                if (tag is None or t == tag) and all(a.get(k.rstrip("_")) == v
                                                     for k, v in attrs.items())]

    def by_id(self, ident):
        found = [(t, a) for t, a in self.elements if a.get("id") == ident]
        assert len(found) == 1, ident
        return found[0]


def render(formdata: dict, previous=PREVIOUS, **kw) -> tuple[str, Page, dict]:
    raw, _, errors = submit(formdata, previous)
    html = str(render_form(SCHEMA, raw, errors, csrf_token="jeton-csrf", **kw))
    return html, Page(html), errors


def controls(page: Page):
    return [(t, a) for t, a in page.elements
            if t in ("input", "select", "textarea") and a.get("type") != "hidden"
            and a.get("aria-hidden") != "true"]


def test_every_control_has_a_label_and_ids_are_unique():
    html, page, _ = render(with_(situations=["autre_pays"], **{"pays._count": "2"}))
    ids = [a["id"] for _, a in page.elements if "id" in a]
    assert len(ids) == len(set(ids))
    label_for = {a["for"] for a in page.all("label")}
    for tag, attrs in controls(page):
        assert attrs.get("id") in label_for, (tag, attrs)
    # Radio and checkbox groups sit in a fieldset with a legend.
    assert '<legend class="fr-fieldset__legend fr-fieldset__legend--regular" ' \
           'id="f-nationalite--legend">Nationalité *</legend>' in html
    assert 'id="f-situations--legend">J&#39;ai *</legend>' in html
    assert "Pays 1</legend>" in html and "Pays 2</legend>" in html


def test_form_shell_csrf_and_required_sentence():
    html, page, _ = render(VALID)
    form = page.all("form")[0]
    assert form["method"] == "post" and "novalidate" in form
    assert page.all("input", type="hidden", name="csrf_token")[0]["value"] == "jeton-csrf"
    assert "Les champs marqués d'un * sont obligatoires." in html
    assert ">Continuer</button>" in html
    assert "fr-alert" not in html  # no summary without errors


def test_error_summary_links_to_each_field_in_form_order():
    html, page, errors = render(with_(nationalite="hors_ue", agdref="12", date_accident="31/02/2025",
                                      situations=["accident", "aucune"]))
    assert list(errors) == ["agdref", "date_accident", "situations"]
    alert = page.all("div", role="alert")[0]
    assert "fr-alert--error" in alert["class"] and alert["tabindex"] == "-1"
    assert "Le formulaire contient 3 erreurs" in html
    links = [a["href"] for a in page.all("a") if a.get("href", "").startswith("#")]
    assert links == ["#f-agdref", "#f-date_accident", "#f-situations"]
    for href in links:
        tag, _ = page.by_id(href[1:])
        assert tag == "input"  # lands on a focusable control


def test_field_errors_are_tied_to_their_controls():
    html, page, _ = render(with_(date_accident="31/02/2025"))
    _, date_input = page.by_id("f-date_accident")
    described = date_input["aria-describedby"].split()
    assert described == ["f-date_accident--hint", "f-date_accident--error"]
    assert "Format attendu : JJ/MM/AAAA" in html
    assert ('<p class="fr-error-text" id="f-date_accident--error">Saisissez une date réelle au '
            'format JJ/MM/AAAA</p>') in html
    assert "fr-input-group fr-input-group--error" in html
    assert date_input["value"] == "31/02/2025"  # what was typed is kept
    for _, attrs in page.elements:
        for ref in attrs.get("aria-describedby", "").split():
            page.by_id(ref)


def test_group_errors_mark_the_fieldset():
    html, page, _ = render(with_(situations=None))
    _, fieldset = page.by_id("f-situations--fieldset")
    assert "fr-fieldset--error" in fieldset["class"]
    assert fieldset["aria-describedby"] == "f-situations--error"
    assert "Le formulaire contient 1 erreur<" in html


def test_typed_values_are_kept_and_stored_dates_shown_in_french():
    _, page, _ = render(with_(nationalite="hors_ue", agdref="12 34", enfants="deux",
                              situations=["accident", "aucune"]))
    assert page.by_id("f-agdref")[1]["value"] == "12 34"
    assert page.by_id("f-enfants")[1]["value"] == "deux"
    assert "checked" in page.by_id("f-nationalite--3")[1]
    assert "checked" in page.by_id("f-situations")[1] and "checked" in page.by_id(
        "f-situations--3")[1]
    assert "checked" not in page.by_id("f-situations--2")[1]
    stored = Page(str(render_form(SCHEMA, {"periode": {"du": "2021-05-05"}}, {})))
    assert stored.by_id("f-periode-du")[1]["value"] == "05/05/2021"


def test_readonly_field_is_shown_disabled():
    _, page, _ = render(VALID)
    _, nom = page.by_id("f-nom")
    assert nom["value"] == "Dupont" and "disabled" in nom


def test_conditional_field_follows_its_controller_and_says_when_to_fill_it():
    html, page, _ = render(VALID)
    order = [a["id"] for _, a in page.elements if a.get("id", "").endswith("--wrapper")]
    assert order.index("f-agdref--wrapper") == order.index("f-nationalite--wrapper") + 1
    assert order.index("f-cesse_depuis--wrapper") == order.index("f-cesse--wrapper") + 1
    _, wrapper = page.by_id("f-agdref--wrapper")
    assert wrapper["data-visible-when-field"] == "nationalite"
    assert wrapper["data-visible-when-value"] == "hors_ue"
    assert "À remplir si vous avez répondu « Hors UE » à la question « Nationalité »" in html
    assert page.by_id("f-pays--wrapper")[1]["data-visible-when-value"] == "autre_pays"
    assert "N° AGDREF *" in html  # required when applicable: starred
    assert "<script" not in html  # works without JavaScript, no inline script


def test_row_buttons_are_plain_submit_buttons():
    _, page, _ = render(with_(situations=["autre_pays"], **{"pays._count": "2"}))
    buttons = page.all("button", name="_action")
    values = [b["value"] for b in buttons]
    assert "add:pays" in values and "remove:pays:0" in values and "remove:pays:1" in values
    assert all(b["type"] == "submit" for b in buttons)
    # Enter in a text field must not add a row: the first submit button is the main action.
    assert buttons[0]["value"] == "submit"
    _, page, _ = render(with_(situations=["autre_pays"]))  # a single row cannot be removed
    assert not [b for b in page.all("button") if b.get("value", "").startswith("remove:")]


def test_add_button_label_comes_from_the_schema():
    html, _, _ = render(VALID)
    assert re.search(r'value="add:pays">\s*Ajouter un pays\s*</button>', html)


def test_everything_is_escaped():
    evil = "<script>alert(1)</script>"
    schema = copy.deepcopy(SCHEMA)
    schema["properties"]["precision"]["title"] = evil
    raw = parse_submission(schema, MultiDict(with_(precision=evil + '"><img src=x>')))
    errors = {"precision": evil}
    html = str(render_form(schema, raw, errors, action_url='/x"><script>'))
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    recap = str(render_readonly(schema, {"precision": evil, "nom": evil}))
    assert "<script" not in recap


def test_readonly_summary():
    _, clean, errors = submit(with_(nationalite="hors_ue", agdref="1234567890",
                                    situations=["accident", "autre_pays"], cesse="non",
                                    **{"pays.0.nom": "Italie", "pays.0.du": "02/03/2004"}))
    assert errors == {}
    html = str(render_readonly(SCHEMA, clean))
    assert html.startswith("<dl>")
    for expected in ["<dt>Nom</dt>", "<dd>Dupont</dd>", "<dd>Hors UE</dd>", "<dd>1234567890</dd>",
                     "<dd>20/05/2021</dd>", "<li>Travaillé dans un autre pays</li>",
                     "<dt>Pays 1</dt>", "<dd>Italie</dd>", "<dd>02/03/2004</dd>", "<dd>Non</dd>"]:
        assert expected in html, expected
    assert "2021-05-20" not in html
    # Values of questions that do not apply are not shown, even if present in the data.
    html = str(render_readonly(SCHEMA, {"nationalite": "francaise", "agdref": "1234567890"}))
    assert "1234567890" not in html and "Française" in html
