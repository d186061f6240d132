"""BPMN scripts run in RestrictedPython with the pension rules as their only helpers."""
from __future__ import annotations

import pytest

from app.engine.scripting import RestrictedEnvironment, ScriptRefused, check_source, domain_helpers


@pytest.fixture
def env():
    return RestrictedEnvironment(domain_helpers())


@pytest.mark.parametrize("source", [
    "__import__('os').system('id')",
    "open('/etc/passwd').read()",
    "import os",
    "from os import path",
    "().__class__.__bases__[0].__subclasses__()",
    "eval('1+1')",
    "getattr(x, '__globals__')",
])
def test_dangerous_code_is_refused_before_it_runs(source):
    assert check_source(source, "exec") is not None


def test_refused_code_never_runs_even_if_deployed_by_mistake(env):
    with pytest.raises(ScriptRefused):
        env.execute("f = open('/etc/passwd')", {})
    with pytest.raises(ScriptRefused):
        env.evaluate("__import__('os')", {})


def test_script_reads_and_writes_task_data(env):
    data = {"montant": 21}
    env.execute("double = montant * 2\nlibelle = 'ok'", data)
    assert data == {"montant": 21, "double": 42, "libelle": "ok"}


def test_script_may_call_the_pension_rules(env):
    data = {"depart": "2026-12-31"}
    env.execute("limite = str(date_limite(date.fromisoformat(depart), 2))", data)
    assert data["limite"] == "2027-02-28"


def test_conditions_are_evaluated_against_task_data(env):
    assert env.evaluate("double >= 100", {"double": 120}) is True


def test_task_data_may_not_shadow_a_helper(env):
    with pytest.raises(ScriptRefused):
        env.execute("x = 1", {"date_limite": "2027-01-01"})


def test_private_attributes_are_refused(env):
    with pytest.raises(ScriptRefused, match="_secret"):
        env.execute("y = montant._secret", {"montant": 1})
