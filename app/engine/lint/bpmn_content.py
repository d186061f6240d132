"""Raw-XML checks of what a BPMN flow node holds: event definitions, data associations,
scripts and conditions."""
from __future__ import annotations

from ..messages_fr import translate
from .common import SPIFF, SUBPROCESSES, expression_reason, label, local, q


class NodeContentChecks:
    """Mixed into `bpmn.BpmnChecker`, which provides `add(element, reason, blocking)` and
    `by_id` (every element of the file by id)."""

    def _definitions(self, node, tag) -> None:
        if node.find(q("linkEventDefinition")) is not None:
            self.add(node, f"l'événement de lien {label(node)} n'est pas pris en charge : "
                           "remplacez la paire d'événements de lien par une flèche")
        for timer in node.iter(q("timerEventDefinition")):
            values = [c for c in timer if local(c.tag) in {"timeDate", "timeDuration",
                                                           "timeCycle"}]
            if not values:
                self.add(node, f"le minuteur {label(node)} n'a ni date, ni durée, ni cycle : "
                               "renseignez l'un des trois (expression Python entre guillemets, "
                               "par exemple \"P2D\")")
            for value in values:
                reason = expression_reason("expression du minuteur", value.text or "", "eval")
                if reason:
                    self.add(node, reason)
        for definition in node.iter(q("messageEventDefinition")):
            ref = definition.get("messageRef")
            if ref and ref not in self.by_id:
                bare = ref.split(":", 1)[-1]
                self.add(node, f"{label(node)} désigne le message « {ref} » avec un préfixe : "
                               f"écrivez messageRef=\"{bare}\"" if bare in self.by_id else
                               f"{label(node)} désigne le message « {ref} », qui n'est déclaré "
                               "nulle part dans ce fichier : déclarez-le (bpmn:message) ou "
                               "choisissez-en un")
        for definition in node.iter(q("conditionalEventDefinition")):
            condition = definition.find(q("condition"))
            if condition is None or not (condition.text or "").strip():
                self.add(node, translate("Conditional event definition with missing condition"))
        if tag == "serviceTask":
            operator = node.find(f"{q('extensionElements')}/{q('serviceTaskOperator', SPIFF)}")
            if operator is None:
                self.add(node, translate("A Service Task must have an operator"))
        if tag == "businessRuleTask":
            called = node.find(f"{q('extensionElements')}/{q('calledDecisionId', SPIFF)}")
            if called is None or not (called.text or "").strip():
                self.add(node, f"la tâche de règle métier {label(node)} n'indique pas la "
                               "décision à appeler : renseignez l'id de la décision DMN "
                               "(spiffworkflow:calledDecisionId)")
        if tag == "callActivity" and not node.get("calledElement"):
            self.add(node, translate('No "calledElement" attribute for Call Activity'))
        if tag in SUBPROCESSES and tag != "adHocSubProcess" \
                and node.get("triggeredByEvent") != "true":
            starts = node.findall(q("startEvent"))
            if len(starts) != 1:
                self.add(node, translate(f"Exactly one start event is required in a "
                                         f"SubWorkflow Task; found {len(starts)}"))
            if not node.findall(q("endEvent")):
                self.add(node, translate("A SubWorkflow Must contain an End event"))

    def _data(self, node) -> None:
        """Data associations SpiffWorkflow resolves (or, for some, would search forever)."""
        container = node.getparent()
        for association, ref_tag in (("dataInputAssociation", "sourceRef"),
                                     ("dataOutputAssociation", "targetRef")):
            for ref in node.iterfind(f"{q(association)}/{q(ref_tag)}"):
                target = self.by_id.get(ref.text or "")
                kind = local(target.tag) if target is not None else ""
                if kind == "dataObjectReference":
                    if self._data_object_visible(target.get("dataObjectRef"), container):
                        continue
                    reason = (f"l'objet de données « {target.get('dataObjectRef') or '?'} » "
                              f"utilisé par {label(node)} n'est pas déclaré dans ce "
                              "processus ou sous-processus (ni dans celui qui le contient)")
                elif kind == "dataStoreReference":
                    reason = (f"{label(node)} lit ou écrit un magasin de données "
                              f"({label(target)}) : les magasins de données ne sont pas pris "
                              "en charge, utilisez un objet de données")
                else:
                    reason = (f"l'association de données de {label(node)} désigne "
                              f"« {ref.text or ''} », qui n'est pas un objet de données : "
                              "reliez-la à un objet de données (dataObjectReference)")
                self.add(node, reason, True)

    def _data_object_visible(self, object_id, container) -> bool:
        # SpiffWorkflow looks in the task's own (sub)process, then in its direct parent only.
        for place in (container, container.getparent() if local(container.tag) != "process"
                      else None):
            if place is not None and object_id and any(
                    c.get("id") == object_id for c in place.findall(q("dataObject"))):
                return True
        return False

    def _code(self, node, tag, flows_out) -> None:
        if tag == "scriptTask":
            script = node.find(q("script"))
            if script is None or not (script.text or "").strip():
                self.add(node, f"la tâche de script {label(node)} n'a pas de script : "
                               "écrivez le calcul en Python (ou changez son type)")
            else:
                reason = expression_reason("script", script.text, "exec")
                if reason:
                    self.add(node, reason)
        extensions = node.find(q("extensionElements"))
        if extensions is not None:
            for kind in ("preScript", "postScript"):
                for script in extensions.iterfind(q(kind, SPIFF)):
                    reason = expression_reason(kind.lower(), script.text, "exec")
                    if script.text and reason:
                        self.add(node, reason)
        if tag in {"exclusiveGateway", "inclusiveGateway"}:
            for flow in flows_out:
                condition = flow.find(q("conditionExpression"))
                if condition is not None and condition.text is not None:
                    reason = expression_reason("condition", condition.text, "eval")
                    if reason:
                        self.add(node, reason)
