"""Starting points for a new diagram, decision table or form (each passes the checks)."""
from __future__ import annotations

from xml.sax.saxutils import quoteattr

NEW_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
  xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:collaboration id="Collab_{key}">
    <bpmn:participant id="Participant_{key}" name={name} processRef="{key}" />
  </bpmn:collaboration>
  <bpmn:process id="{key}" name={name} isExecutable="true">
    <bpmn:laneSet id="LaneSet_{key}">
      <bpmn:lane id="Lane_{key}" name="Service Invalidité">
        <bpmn:flowNodeRef>debut_{key}</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>fin_{key}</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="debut_{key}" name="Début"><bpmn:outgoing>flux_{key}</bpmn:outgoing></bpmn:startEvent>
    <bpmn:endEvent id="fin_{key}" name="Fin"><bpmn:incoming>flux_{key}</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="flux_{key}" sourceRef="debut_{key}" targetRef="fin_{key}" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram_{key}">
    <bpmndi:BPMNPlane id="Plane_{key}" bpmnElement="Collab_{key}">
      <bpmndi:BPMNShape id="Participant_{key}_di" bpmnElement="Participant_{key}" isHorizontal="true">
        <dc:Bounds x="100" y="60" width="600" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_{key}_di" bpmnElement="Lane_{key}" isHorizontal="true">
        <dc:Bounds x="130" y="60" width="570" height="200" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="debut_{key}_di" bpmnElement="debut_{key}"><dc:Bounds x="182" y="142" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="fin_{key}_di" bpmnElement="fin_{key}"><dc:Bounds x="582" y="142" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="flux_{key}_di" bpmnElement="flux_{key}"><di:waypoint x="218" y="160" /><di:waypoint x="582" y="160" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""

NEW_DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
  xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/"
  xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
  id="Definitions_{key}" name={name} namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="{key}" name={name}>
    <decisionTable id="Table_{key}" hitPolicy="FIRST">
      <input id="Input_{key}" label="Entrée">
        <inputExpression id="InputExpression_{key}" typeRef="string"><text>valeur</text></inputExpression>
      </input>
      <output id="Output_{key}" label="Résultat" name="resultat" typeRef="string" />
      <rule id="Rule_{key}_1">
        <inputEntry id="InputEntry_{key}_1"><text>-</text></inputEntry>
        <outputEntry id="OutputEntry_{key}_1"><text>"à définir"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="DMNDiagram_{key}">
      <dmndi:DMNShape id="DMNShape_{key}" dmnElementRef="{key}">
        <dc:Bounds height="80" width="180" x="160" y="100" />
      </dmndi:DMNShape>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
"""

NEW_FORM = """{{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": {title},
  "type": "object",
  "required": [],
  "properties": {{
    "commentaire": {{"type": "string", "title": "Commentaire", "x-widget": "textarea",
                     "maxLength": 2000}}
  }}
}}
"""


def new_file(filename: str, title: str) -> str:
    stem, _, extension = filename.rpartition(".")
    key = stem.replace("-", "_")
    title = title.strip() or stem.replace("_", " ").capitalize()
    if extension == "bpmn":
        return NEW_BPMN.format(key=key, name=quoteattr(title))
    if extension == "dmn":
        return NEW_DMN.format(key=key, name=quoteattr(title))
    import json

    return NEW_FORM.format(title=json.dumps(title, ensure_ascii=False))
