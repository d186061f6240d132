"""The real diagrams and forms of `processes/` and `forms/` deploy cleanly."""
from __future__ import annotations

from .conftest import ROOT, deploy_folder


def test_processes_and_forms_deploy_without_error(session_factory):
    report = deploy_folder(session_factory, ROOT / "processes", ROOT / "forms")
    assert "instruction_invalidite" in report.new_versions
