"""The diff shown before deploying: elements added, removed and changed, by id, on what the
platform executes (BPMN), on rules (DMN) and on fields (forms)."""
from __future__ import annotations

from app.engine.diff import diff_file
from app.web.studio.starters import new_file

from .conftest import FIXTURES

PETIT = (FIXTURES / "processes" / "petit_processus.bpmn").read_text()
FORM = (FIXTURES / "forms" / "petit_formulaire.json").read_text()


def changes(diff) -> dict[str, tuple[str, dict]]:
    return {e.element_id: (e.change, {what: (b, a) for what, b, a in e.details})
            for e in diff.elements}


def test_unchanged_new_and_removed_files():
    assert diff_file("p.bpmn", PETIT, PETIT).status == "inchangé"
    created = diff_file("p.bpmn", None, PETIT)
    assert created.status == "nouveau" and created.counts["ajouté"] == len(created.elements)
    assert "saisie" in changes(created)
    assert diff_file("p.bpmn", PETIT, None).status == "retiré"


def test_executable_properties_are_compared_by_element_id():
    edited = (PETIT.replace('name="Saisir un montant"', 'name="Saisir la somme"')
              .replace('value="petit_formulaire.json"', 'value="autre.json"')
              .replace("double = montant * 2", "double = montant * 3")
              .replace("double &gt;= 100", "double &gt;= 200")
              .replace('"P2D"', '"P10D"')
              .replace('<bpmn:lane id="Lane_agent" name="Service Invalidité">',
                       '<bpmn:lane id="Lane_agent" name="Service médical">'))
    found = changes(diff_file("p.bpmn", PETIT, edited))
    assert found["saisie"] == ("modifié", {"nom": ("Saisir un montant", "Saisir la somme"),
                                           "formulaire": ("petit_formulaire.json",
                                                          "autre.json"),
                                           "couloir": ("Service Invalidité",
                                                       "Service médical")})
    assert found["calcul"][1]["script"] == ("double = montant * 2", "double = montant * 3")
    assert found["f4"][1]["condition"] == ("double >= 100", "double >= 200")
    assert found["delai"][1]["minuteur"] == ('durée : "P2D"', 'durée : "P10D"')
    assert found["Lane_agent"][1]["nom"] == ("Service Invalidité", "Service médical")


def test_added_and_removed_elements():
    edited = PETIT.replace(
        '<bpmn:endEvent id="fin_petit" name="Petit montant">\n      <bpmn:incoming>f5</bpmn:incoming>'
        '\n    </bpmn:endEvent>', '').replace(
        '<bpmn:sequenceFlow id="f5" name="non" sourceRef="choix" targetRef="fin_petit" />',
        '<bpmn:sequenceFlow id="f5" name="non" sourceRef="choix" targetRef="relance" />'
        '<bpmn:userTask id="relance" name="Relancer" />')
    found = changes(diff_file("p.bpmn", PETIT, edited))
    assert found["fin_petit"][0] == "supprimé"
    assert found["relance"][0] == "ajouté"
    assert found["f5"][1]["cible"] == ("fin_petit", "relance")


def test_a_layout_change_alone_is_called_so():
    moved = PETIT.replace('<dc:Bounds x="250" y="120"', '<dc:Bounds x="260" y="130"')
    diff = diff_file("p.bpmn", PETIT, moved)
    assert diff.status == "modifié" and diff.layout_only and diff.elements == []


def test_messages_are_compared_by_name():
    before = PETIT.replace('<bpmn:process id="petit_processus"',
                           '<bpmn:message id="M1" name="pieces_recues" />'
                           '<bpmn:process id="petit_processus"').replace(
        '<bpmn:timerEventDefinition id="delai_def">\n        <bpmn:timeDuration>"P2D"'
        '</bpmn:timeDuration>\n      </bpmn:timerEventDefinition>',
        '<bpmn:messageEventDefinition id="delai_def" messageRef="M1" />')
    after = before.replace('name="pieces_recues"', 'name="pieces_completes"')
    found = changes(diff_file("p.bpmn", before, after))
    assert found["delai"][1]["message"] == ("pieces_recues", "pieces_completes")
    assert found["M1"][1]["nom"] == ("pieces_recues", "pieces_completes")


def test_dmn_rules_inputs_and_outputs():
    table = new_file("bareme.dmn", "Barème")
    edited = (table.replace('<text>"à définir"</text>', '<text>"accord"</text>')
              .replace('hitPolicy="FIRST"', 'hitPolicy="UNIQUE"')
              .replace("<text>valeur</text>", "<text>categorie</text>"))
    found = changes(diff_file("bareme.dmn", table, edited))
    assert found["Rule_bareme_1"][1]["résultats"] == ('"à définir"', '"accord"')
    assert found["Table_bareme"][1]["politique"] == ("FIRST", "UNIQUE")
    assert found["Input_bareme"][1]["expression"] == ("valeur", "categorie")


def test_form_fields_by_path():
    edited = FORM.replace('"title": "Montant"', '"title": "Somme"').replace(
        '"required": ["montant"],', '"required": [],').replace(
        '"maximum": 1000000}', '"maximum": 1000000},\n    "motif": {"type": "string"}')
    found = changes(diff_file("f.json", FORM, edited))
    assert found["montant"] == ("modifié", {"libellé": ("Montant", "Somme"),
                                            "obligatoire": ("oui", "non")})
    assert found["motif"][0] == "ajouté"


def test_an_unreadable_draft_is_reported_not_crashed():
    diff = diff_file("p.bpmn", PETIT, "<pas du xml")
    assert diff.status == "modifié" and diff.error.startswith("illisible")
    assert diff_file("f.json", FORM, "{").error.startswith("illisible")
    assert diff_file("f.json", FORM, "[1]").error.startswith("illisible")


def test_a_role_given_by_the_lane_property_is_a_role_change():
    """The « Couloirs et rôles » screen keeps the lane's name and sets its `role` property:
    the deploy diff must still say, in words, that the task changes hands."""
    mapped = PETIT.replace(
        '<bpmn:lane id="Lane_agent" name="Service Invalidité">',
        '<bpmn:lane id="Lane_agent" name="Service Invalidité"><bpmn:extensionElements>'
        '<spiffworkflow:properties><spiffworkflow:property name="role" '
        'value="medecin_conseil" /></spiffworkflow:properties></bpmn:extensionElements>')
    roles = diff_file("p.bpmn", PETIT, mapped).roles
    assert {(r.element_id, r.before_role, r.after_role) for r in roles} == {
        ("saisie", "agent", "medecin_conseil"), ("validation", "agent", "medecin_conseil")}
