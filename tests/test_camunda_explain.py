"""Camunda 7 (camunda:) and Camunda 8 (zeebe:) diagrams: every engine-specific attribute,
extension and JUEL/FEEL expression is explained in French, naming the element, with what to
write here instead. The diagrams below are small ones written for these tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from app.engine.camunda import explain_camunda, to_python

ROOT = Path(__file__).resolve().parent.parent

CAMUNDA_7 = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_c7" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler">
  <bpmn:process id="Process_commande" name="Commande" isExecutable="true"
      camunda:historyTimeToLive="180" camunda:versionTag="2.1">
    <bpmn:startEvent id="Start_1" name="Commande reçue" />
    <bpmn:userTask id="Task_1" name="Vérifier le montant" camunda:assignee="${initiateur}"
        camunda:formKey="embedded:app:forms/verifier.html" camunda:asyncBefore="true">
      <bpmn:extensionElements>
        <camunda:taskListener class="fr.demo.Notifier" event="create" />
        <camunda:properties><camunda:property name="couleur" value="rouge" /></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="Task_2" name="Valider" camunda:candidateUsers="alice,bob"
        camunda:candidateGroups="comptabilite" camunda:formRef="validation"
        camunda:asyncAfter="true" />
    <bpmn:serviceTask id="Task_3" name="Calculer la remise" camunda:class="fr.demo.Remise" />
    <bpmn:serviceTask id="Task_4" name="Notifier" camunda:delegateExpression="${notifieur}">
      <bpmn:extensionElements>
        <camunda:executionListener expression="${journal.ecrire(execution)}" event="start" />
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:serviceTask id="Task_5" name="Archiver" camunda:expression="${archives.ranger(id)}"
        camunda:resultVariable="archive" />
    <bpmn:serviceTask id="Task_6" name="Payer" camunda:type="external" camunda:topic="paiement" />
    <bpmn:businessRuleTask id="Task_7" name="Choisir le taux" camunda:decisionRef="taux"
        camunda:resultVariable="taux" />
    <bpmn:callActivity id="Call_1" name="Livrer" calledElement="livraison"
        camunda:calledElementBinding="latest">
      <bpmn:extensionElements>
        <camunda:in source="montant" target="montant" />
        <camunda:out source="suivi" target="suivi" />
      </bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:scriptTask id="Script_1" name="Calculer en Groovy" scriptFormat="groovy">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="taux">${0.2}</camunda:inputParameter>
        </camunda:inputOutput>
      </bpmn:extensionElements>
      <bpmn:script>total = montant * 2</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="Gateway_1" name="Montant ?" />
    <bpmn:sequenceFlow id="Flow_grand" name="Grand montant" sourceRef="Gateway_1" targetRef="Task_2">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${montant &gt; 100 &amp;&amp; pays == "FR"}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_autre" sourceRef="Gateway_1" targetRef="Task_3">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${client.estFidele()}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:intermediateCatchEvent id="Timer_1" name="Attendre 5 jours">
      <bpmn:timerEventDefinition id="TimerDef_1">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P5D</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
  </bpmn:process>
</bpmn:definitions>
"""

CAMUNDA_8 = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  id="Definitions_c8" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="Process_sinistre" name="Sinistre" isExecutable="true">
    <bpmn:serviceTask id="Task_a" name="Évaluer le sinistre">
      <bpmn:extensionElements>
        <zeebe:taskDefinition type="evaluation" retries="3" />
        <zeebe:taskHeaders><zeebe:header key="niveau" value="2" /></zeebe:taskHeaders>
        <zeebe:ioMapping>
          <zeebe:input source="= montant * 2" target="double" />
          <zeebe:output source="= resultat" target="evaluation" />
        </zeebe:ioMapping>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:userTask id="Task_b" name="Examiner le dossier">
      <bpmn:extensionElements>
        <zeebe:formDefinition formId="examen" />
        <zeebe:assignmentDefinition assignee="= expert" candidateGroups="experts" />
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:callActivity id="Call_b" name="Indemniser">
      <bpmn:extensionElements>
        <zeebe:calledElement processId="indemnisation" propagateAllChildVariables="false" />
      </bpmn:extensionElements>
    </bpmn:callActivity>
    <bpmn:businessRuleTask id="Rule_b" name="Calculer la franchise">
      <bpmn:extensionElements>
        <zeebe:calledDecision decisionId="franchise" resultVariable="franchise" />
      </bpmn:extensionElements>
    </bpmn:businessRuleTask>
    <bpmn:scriptTask id="Script_b" name="Total">
      <bpmn:extensionElements>
        <zeebe:script expression="= montant + frais" resultVariable="total" />
      </bpmn:extensionElements>
    </bpmn:scriptTask>
    <bpmn:receiveTask id="Receive_b" name="Attendre l'expertise" messageRef="Message_expertise" />
    <bpmn:exclusiveGateway id="Gateway_b" />
    <bpmn:sequenceFlow id="Flow_b" name="Gros sinistre" sourceRef="Gateway_b" targetRef="Task_b">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">= montant &gt; 1000 and not(urgent)</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:boundaryEvent id="Timer_b" name="Relance" attachedToRef="Task_b">
      <bpmn:timerEventDefinition id="TimerDef_b">
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">= delai_relance</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
  </bpmn:process>
  <bpmn:message id="Message_expertise" name="expertise">
    <bpmn:extensionElements>
      <zeebe:subscription correlationKey="= numero_sinistre" />
    </bpmn:extensionElements>
  </bpmn:message>
</bpmn:definitions>
"""


def messages(text: str) -> list:
    return explain_camunda("essai.bpmn", text)


def about(found: list, element_id: str, feature: str) -> str:
    """The one message about this feature of this element (fails if none)."""
    hits = [e.reason for e in found if e.element_id == element_id and feature in e.reason]
    assert hits, (element_id, feature, [str(e) for e in found if e.element_id == element_id])
    return hits[0]


# (element id, how the element is named, feature, what to do here instead)
C7 = [
    ("Task_1", "« Vérifier le montant » (Task_1)", "camunda:assignee", "couloir"),
    ("Task_2", "« Valider » (Task_2)", "camunda:candidateUsers", "couloir"),
    ("Task_2", "« Valider » (Task_2)", "camunda:candidateGroups", "Couloirs et rôles"),
    ("Task_1", "« Vérifier le montant » (Task_1)", "camunda:formKey", "formJsonSchemaFilename"),
    ("Task_2", "« Valider » (Task_2)", "camunda:formRef", "formJsonSchemaFilename"),
    ("Task_3", "« Calculer la remise » (Task_3)", "camunda:class", "script Python"),
    ("Task_4", "« Notifier » (Task_4)", "camunda:delegateExpression", "script Python"),
    ("Task_5", "« Archiver » (Task_5)", "camunda:expression", "script Python"),
    ("Task_6", "« Payer » (Task_6)", 'camunda:type="external" avec camunda:topic="paiement"',
     "aucun worker"),
    ("Task_1", "« Vérifier le montant » (Task_1)", "camunda:asyncBefore", "supprimez-le"),
    ("Task_2", "« Valider » (Task_2)", "camunda:asyncAfter", "supprimez-le"),
    ("Task_5", "« Archiver » (Task_5)", "camunda:resultVariable", "script Python"),
    ("Task_7", "« Choisir le taux » (Task_7)", "camunda:decisionRef",
     "spiffworkflow:calledDecisionId"),
    ("Call_1", "« Livrer » (Call_1)", "camunda:calledElementBinding", "calledElement"),
    ("Script_1", "« Calculer en Groovy » (Script_1)", "<camunda:inputOutput>", "pré-script"),
    ("Call_1", "« Livrer » (Call_1)", "<camunda:in>", "toutes les variables"),
    ("Call_1", "« Livrer » (Call_1)", "<camunda:out>", "reviennent"),
    ("Task_1", "« Vérifier le montant » (Task_1)", "<camunda:properties>",
     "spiffworkflow:properties"),
    ("Task_4", "« Notifier » (Task_4)", "<camunda:executionListener>", "Python"),
    ("Task_1", "« Vérifier le montant » (Task_1)", "<camunda:taskListener>", "Python"),
    ("Process_commande", "« Commande » (Process_commande)", "camunda:historyTimeToLive",
     "supprimez-le"),
    ("Process_commande", "« Commande » (Process_commande)", "camunda:versionTag",
     "numéro de version"),
    ("Script_1", "« Calculer en Groovy » (Script_1)", "groovy", "Python"),
    ("Timer_1", "« Attendre 5 jours » (Timer_1)", "P5D", '`"P5D"`'),
]

C8 = [
    ("Task_a", "« Évaluer le sinistre » (Task_a)", '<zeebe:taskDefinition> (type="evaluation")',
     "script Python"),
    ("Task_a", "« Évaluer le sinistre » (Task_a)", "<zeebe:taskHeaders>", "script Python"),
    ("Task_a", "« Évaluer le sinistre » (Task_a)", "<zeebe:ioMapping>", "pré-script"),
    ("Task_b", "« Examiner le dossier » (Task_b)", "<zeebe:formDefinition>",
     "formJsonSchemaFilename"),
    ("Task_b", "« Examiner le dossier » (Task_b)", "<zeebe:assignmentDefinition>", "couloir"),
    ("Call_b", "« Indemniser » (Call_b)", '<zeebe:calledElement> (processId="indemnisation")',
     'calledElement="mon_sous_processus"'),
    ("Rule_b", "« Calculer la franchise » (Rule_b)", ('<zeebe:calledDecision> '
     '(decisionId="franchise", resultVariable="franchise")'), "spiffworkflow:calledDecisionId"),
    ("Message_expertise", "« expertise » (Message_expertise)",
     '<zeebe:subscription> (correlationKey="= numero_sinistre"', "supprimez"),
    ("Script_b", "« Total » (Script_b)", "<zeebe:script>", "script Python"),
    ("Timer_b", "« Relance » (Timer_b)", "= delai_relance", "`delai_relance`"),
]


@pytest.mark.parametrize(("element", "label", "feature", "instead"), C7)
def test_each_camunda_7_feature_is_explained_naming_the_element(element, label, feature,
                                                                instead):
    reason = about(messages(CAMUNDA_7), element, feature)
    assert reason.startswith(f"{label} : ")
    assert "ici" in reason and instead in reason


@pytest.mark.parametrize(("element", "label", "feature", "instead"), C8)
def test_each_camunda_8_feature_is_explained_naming_the_element(element, label, feature,
                                                                instead):
    reason = about(messages(CAMUNDA_8), element, feature)
    assert reason.startswith(f"{label} : ")
    assert "ici" in reason and instead in reason


def test_service_tasks_are_said_to_do_nothing_here():
    found = messages(CAMUNDA_7) + messages(CAMUNDA_8)
    for element in ("Task_3", "Task_4", "Task_5", "Task_6", "Task_a"):
        assert any("ne fait rien ici" in e.reason for e in found if e.element_id == element), \
            element


def test_conditions_get_their_python_equivalent_when_simple():
    juel = about(messages(CAMUNDA_7), "Flow_grand", "JUEL")
    assert juel.startswith("« Grand montant » (Flow_grand) : ")
    assert '`montant > 100 and pays == "FR"`' in juel
    feel = about(messages(CAMUNDA_8), "Flow_b", "FEEL")
    assert "`montant > 1000 and not (urgent)`" in feel
    method_call = about(messages(CAMUNDA_7), "Flow_autre", "JUEL")
    assert method_call.startswith("Flux (Flow_autre) : ")
    assert "réécrivez-la en Python" in method_call


@pytest.mark.parametrize(("expression", "python"), [
    ("${a > 100}", "a > 100"),
    ("= a > 100", "a > 100"),
    ("#{a >= 1 || b != 'x'}", "a >= 1 or b != 'x'"),
    ("${not empty liste}", None),
    ("${a mod 2 == 0}", "a % 2 == 0"),
    ("${a eq 2 and b ne null}", "a == 2 and b != None"),
    ("= statut = \"accepte\" and not(bloque)", 'statut == "accepte" and not (bloque)'),
    ("= a = true or b = false", "a == True or b == False"),
    ("${!valide}", "not valide"),
    ("${client.fidele}", None),
    ("${f(x)}", None),
    ("= count(liste) > 2", None),
    ("= a > ", None),
    ("a > 100", None),
])
def test_to_python(expression, python):
    assert to_python(expression) == python


def test_every_message_is_french_and_names_its_file():
    for error in messages(CAMUNDA_7) + messages(CAMUNDA_8):
        assert error.filename == "essai.bpmn" and error.element_id
        assert " : " in error.reason and ("ici" in error.reason)


def test_plain_diagrams_of_the_platform_get_no_message():
    files = [*(ROOT / "processes").glob("*.bpmn"), *(ROOT / "processes").glob("*.dmn"),
             *(ROOT / "tests" / "fixtures" / "processes").glob("*.bpmn")]
    assert files
    for path in files:
        assert explain_camunda(path.name, path.read_text()) == [], path.name


def test_camunda_dmn_and_unreadable_files():
    dmn = """<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
      xmlns:camunda="http://camunda.org/schema/1.0/dmn" id="d" name="D" namespace="x">
      <decision id="taux" name="Taux" camunda:historyTimeToLive="30">
        <decisionTable id="t"><input id="i" camunda:inputVariable="v">
          <inputExpression id="ie" expressionLanguage="juel"><text>${montant}</text></inputExpression>
        </input></decisionTable>
      </decision>
    </definitions>"""
    found = explain_camunda("taux.dmn", dmn)
    assert about(found, "taux", "camunda:historyTimeToLive").startswith("« Taux » (taux) : ")
    assert "Python" in about(found, "ie", 'expressionLanguage="juel"')
    assert "noms" in about(found, "i", "camunda:inputVariable")
    assert explain_camunda("x.bpmn", "pas du xml") == []
