"""Raw-XML checks of BPMN and DMN files, before SpiffWorkflow reads them.

SpiffWorkflow stops at the first problem of a file and speaks English; this pass reads the
XML with lxml and collects, in French, as many problems as it can: XML syntax, XSD errors
(SpiffWorkflow's own schemas), unsupported elements, non-executable processes, human tasks
outside a lane mapped to a role, unconnected elements, scripts and conditions that do not
compile under the sandbox, and for DMN: ids, hit policies, and every cell compiled exactly
as SpiffWorkflow's DMN engine will evaluate it.

Choices (documented here, applied by `specs.parse_sources`):
- a process with isExecutable="false" that holds flow elements is refused (it would not be
  deployed); an empty non-executable pool is an external participant (« boîte noire ») and is
  simply not deployed; a file with no executable process at all is refused;
- a plain `bpmn:task` and a `bpmn:manualTask` become tasks for a person (SpiffWorkflow marks
  them manual), so they follow the lane rules of user tasks;
- a DMN file may hold several decisions (a decision graph): each decision with a table can be
  called; its required decisions (informationRequirement) are evaluated first and their
  outputs are added to the task data, where the requiring decision's inputs read them.
Problems are `Problem(element_id, reason)`; `blocking` ones keep the file away from the
SpiffWorkflow parser (it would raise anyway, or, for some data references, never return).

Modules: `common` (Problem, reading the XML, XSD validation, reasons shared with specs.py),
`bpmn` (a file's processes, lanes and connections) with `bpmn_content` (what a node holds),
`dmn` (a file's decisions and what they require) with `dmn_table` (each table and cell).
"""
from .bpmn import BpmnLint, lint_bpmn
from .common import (
    BPMN,
    DMN_NAMESPACES,
    HUMAN_KINDS,
    MAX_PROBLEMS,
    MAX_XSD,
    ROLES,
    SPIFF,
    Problem,
    check_source,
    expression_reason,
    label,
    lane_reason,
    local,
    namespace,
    parse_xml,
    q,
)
from .dmn import DmnLint, lint_dmn
from .dmn_table import HIT_POLICIES, Decision, input_cell_reason

__all__ = [
    "BPMN", "DMN_NAMESPACES", "HIT_POLICIES", "HUMAN_KINDS", "MAX_PROBLEMS", "MAX_XSD", "ROLES",
    "SPIFF", "BpmnLint", "Decision", "DmnLint", "Problem", "check_source", "expression_reason",
    "input_cell_reason", "label", "lane_reason", "lint_bpmn", "lint_dmn", "local", "namespace",
    "parse_xml", "q",
]
