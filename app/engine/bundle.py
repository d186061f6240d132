"""What a deployment is made of: the source files (`Sources`), the processes parsed from them
(`ParsedProcess`) and, when they are refused, the French `DeployError`s (`DeployRefused`).

Kept apart from the parsing (specs.py) so that the modules checking a bundle (invariants,
callgraph, camunda) can name these without importing the parser.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class DeployError:
    filename: str
    element_id: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.filename} › {self.element_id}" if self.element_id else self.filename
        return f"{where} : {self.reason}"


class DeployRefused(Exception):
    def __init__(self, errors: list[DeployError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Sources:
    """File contents by name: `processes/*.bpmn`, `processes/*.dmn`, `forms/*.json`."""

    bpmn: dict[str, str] = field(default_factory=dict)
    dmn: dict[str, str] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)

    def all_files(self) -> dict[str, tuple[str, str]]:
        kinds = (("bpmn", self.bpmn), ("dmn", self.dmn), ("form", self.forms))
        return {name: (kind, text) for kind, files in kinds for name, text in files.items()}


@dataclass
class ParsedProcess:
    key: str
    name: str
    spec: object
    subprocess_specs: dict
    files: dict[str, str]  # filename → sha256 of everything this process needs
    parcours: str | None = None  # the journey it is the entry point of (see parcours.py)

    @property
    def bundle_sha256(self) -> str:
        return sha256_text(json.dumps(self.files, sort_keys=True))
