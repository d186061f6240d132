"""DMN on SpiffWorkflow: several decisions per file, any DMN 1.1–1.5 namespace, and decision
graphs (a decision's required decisions are evaluated first).

SpiffWorkflow's own DMN parser reads only the first decision of a file; `DiagramParser`
registers each decision the lint (lint/dmn.py) found usable, one `DecisionParser` each.
"""
from __future__ import annotations

import copy

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.parser.DMNParser import DMNParser
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.util.deep_merge import DeepMerge

from . import lint


class DecisionGraphEngine(DMNEngine):
    """A decision table whose required decisions are evaluated first (dependencies first);
    their outputs go into the task data, where the requiring decision's inputs read them."""

    def __init__(self, decision_table, required=(), decision_ids=()):
        super().__init__(decision_table)
        self.required = list(required)
        self.decision_ids = list(decision_ids) or [decision_table.id]

    def result(self, task):
        for engine in self.required:
            task.data = DeepMerge.merge(task.data, engine.result(task))
        return super().result(task)


class DecisionParser(DMNParser):
    """SpiffWorkflow's DMN parser for ONE decision of a file (it reads only the first)."""

    def __init__(self, parser, element, namespace: str, filename: str):
        super().__init__(parser, element.getroottree().getroot(), {"dmn": namespace},
                         filename=filename)
        self._element = element

    @property
    def bpmn_id(self):
        return self._element.get("id")

    def get_name(self):
        return self._element.get("name")

    def parse(self):
        if self.decision is None:
            element = copy.deepcopy(self._element)
            for node in list(element.iter(etree.Comment, etree.ProcessingInstruction)):
                node.getparent().remove(node)
            for table in element.iter(f"{{{self.nsmap['dmn']}}}decisionTable"):
                for child in list(table):  # annotations, descriptions: not read by the engine
                    if lint.local(child.tag) not in {"input", "output", "rule"}:
                        table.remove(child)
            self.decision = self._parse_decision([element])


class DiagramParser(SpiffBpmnParser):
    """SpiffBpmnParser with DMN decisions registered one by one (several per file, any DMN
    1.1–1.5 namespace) and decision graphs evaluated dependencies first."""

    def __init__(self, strict: bool = True):
        super().__init__(validator=VALIDATOR)
        self.strict = strict
        self.decision_files: dict[str, str] = {}
        self.decision_requires: dict[str, list[str]] = {}
        self.refused_decisions: dict[str, str] = {}

    def add_decision(self, decision: lint.Decision, filename: str) -> None:
        if not (decision.ok or (not self.strict and decision.parseable)):
            self.refused_decisions[decision.id] = filename
            return
        dmn_parser = DecisionParser(self, decision.element, decision.namespace, filename)
        self.dmn_parsers[decision.id] = dmn_parser
        self.dmn_parsers_by_name[decision.name] = dmn_parser
        self.decision_files[decision.id] = filename
        self.decision_requires[decision.id] = list(decision.requires)

    def get_engine(self, decision_ref, node):
        if decision_ref in self.refused_decisions:
            raise ValidationException(
                f"la décision appelée « {decision_ref} » est refusée : corrigez d'abord le "
                f"fichier {self.refused_decisions[decision_ref]}", node=node)
        if not decision_ref or decision_ref not in self.dmn_parsers:
            known = ", ".join(sorted(self.dmn_parsers)) or "aucune"
            raise ValidationException(
                f"la décision appelée « {decision_ref or 'aucune'} » n'existe dans aucun "
                f"fichier DMN (décisions disponibles : {known}) : corrigez "
                "spiffworkflow:calledDecisionId", node=node)
        order = self._required_order(decision_ref)
        return DecisionGraphEngine(self._table(decision_ref),
                                   [DMNEngine(self._table(r)) for r in order],
                                   [decision_ref, *order])

    def _table(self, decision_id):
        dmn_parser = self.dmn_parsers[decision_id]
        dmn_parser.parse()
        return dmn_parser.decision.decisionTables[0]

    def _required_order(self, top: str) -> list[str]:
        order: list[str] = []

        def visit(decision_id, path):
            for required in self.decision_requires.get(decision_id, []):
                if required not in order and required not in path:
                    visit(required, (*path, required))
                    order.append(required)

        visit(top, (top,))
        return [d for d in order if d != top]
