"""Workflow state as JSON *without* the process spec.

Why: SpiffWorkflow's default serializer writes the whole parsed diagram into every saved
state. We keep specs once per deployed version (cached in memory) and store only tasks and
data per instance — smaller rows, and no spec conversion on each step.
"""
from __future__ import annotations

import json
from copy import deepcopy
from datetime import date
from decimal import Decimal
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG

from app.models.base import Encoded, encode


class StateOnlyWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs or {}, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _make_serializer() -> BpmnWorkflowSerializer:
    config = deepcopy(SPIFF_CONFIG)
    config[BpmnWorkflow] = StateOnlyWorkflowConverter
    registry = BpmnWorkflowSerializer.configure(config)
    # Domain helpers return Decimal and date; keep them typed through a save.
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]))
    return BpmnWorkflowSerializer(registry)


SERIALIZER = _make_serializer()
SPEC_SERIALIZER = BpmnWorkflowSerializer()


def dump_state(workflow: BpmnWorkflow) -> Encoded:
    """The state as JSON bytes, encoded once (the column writes them as they are)."""
    registry = SERIALIZER.registry
    registry._encoder_mode = True  # same flag SpiffWorkflow sets for JSON output
    try:
        dct = registry.convert(workflow)
    finally:
        registry._encoder_mode = False
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return Encoded(_encode(dct))


# Task data *deltas* keep raw Python values (Decimal, date…): SpiffWorkflow converts them in
# its JSON encoder's `default`; orjson calls the same `default` for them (dates included).
_DEFAULT = SERIALIZER._encoder_cls().default
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _encode(dct: dict) -> bytes:
    try:
        return orjson.dumps(dct, default=_DEFAULT, option=_OPTIONS)
    except TypeError:  # what orjson refuses (non-string keys, integers past 64 bits…)
        return json.dumps(dct, cls=SERIALIZER._encoder_cls).encode()


def load_state(state, spec, subprocess_specs) -> BpmnWorkflow:
    # The converter consumes the dict it restores (it pops keys): a fresh one, never the
    # row's own (decoded from the bytes just written, or copied).
    dct = orjson.loads(state.encoded if isinstance(state, Encoded) else encode(state))
    SERIALIZER.migrate(dct)
    return SERIALIZER.registry.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
