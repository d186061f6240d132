"""BPMN scripts, conditions and timer expressions run under RestrictedPython.

Why: analysts edit scripts in the browser, so a script must not import modules, open files,
reach dunder attributes or the network. Only the pension rules of `app.domain` and a few
harmless builtins are exposed.
"""
from __future__ import annotations

import ast
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from RestrictedPython import compile_restricted, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .effects import SCRIPT_HELPERS, script_scope

# Names a script may never mention, even if some later change exposed them by mistake.
FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "input",
    "breakpoint", "help", "exit", "quit", "memoryview", "getattr", "setattr", "delattr",
})

EXTRA_BUILTINS = {
    "dict": dict, "list": list, "set": set, "min": min, "max": max, "sum": sum, "any": any,
    "all": all, "enumerate": enumerate, "sorted": sorted, "reversed": reversed,
    "Decimal": Decimal, "date": date, "datetime": datetime, "timedelta": timedelta,
}


class ScriptRefused(ValueError):
    """A script, condition or expression that must not run (French message)."""


def check_source(source: str, mode: str = "exec") -> str | None:
    """Why this source is refused (French), or None when it compiles under the sandbox."""
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        return f"erreur de syntaxe ligne {err.lineno} : {err.msg}"
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return "les imports sont interdits dans un script"
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            return f"« {node.id} » est interdit dans un script"
    try:
        _compile(source, mode)
    except SyntaxError as err:
        return "refusé par le bac à sable : " + "; ".join(_messages(err))
    return None


def _messages(err: SyntaxError) -> list[str]:
    return [str(m) for m in (err.args[0] if isinstance(err.args[0], (list, tuple)) else [err])]


@lru_cache(maxsize=4096)
def _compile(source: str, mode: str):
    # Compiling is the costly part; diagrams reuse the same few sources, so cache them.
    return compile_restricted(source, filename="<bpmn>", mode=mode)


def _inplacevar(op: str, x, y):
    ops = {"+=": lambda: x + y, "-=": lambda: x - y, "*=": lambda: x * y, "/=": lambda: x / y}
    if op not in ops:
        raise ScriptRefused(f"opérateur {op} non autorisé")
    return ops[op]()


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment whose code is compiled by RestrictedPython."""

    def __init__(self, helpers: dict | None = None):
        builtins = dict(safe_builtins)
        builtins.update(EXTRA_BUILTINS)
        base = {
            "__builtins__": builtins,
            "_getattr_": safer_getattr,
            "_getitem_": default_guarded_getitem,
            "_getiter_": default_guarded_getiter,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_write_": full_write_guard,
            "_inplacevar_": _inplacevar,
        }
        super().__init__({**base, **(helpers or {})})

    def _code(self, source: str, mode: str):
        reason = check_source(source, mode)
        if reason:
            raise ScriptRefused(reason)
        return _compile(source, mode)

    def evaluate(self, expression, context, external_context=None):
        scope = {**self.globals, **(external_context or {}), **context}
        return eval(self._code(expression, "eval"), scope)

    def execute(self, script, context, external_context=None):
        clash = set(self.globals).intersection(context)
        if clash:
            raise ScriptRefused(f"des données portent le nom d'une fonction : {sorted(clash)}")
        scope = {**self.globals, **(external_context or {}), **context}
        token = script_scope.set(scope)
        try:
            exec(self._code(script, "exec"), scope)  # noqa: S102 - restricted code
        finally:
            script_scope.reset(token)
        self._copy_back(scope, context, external_context or {})
        return True

    def _copy_back(self, scope: dict, context: dict, external: dict) -> None:
        # Only plain data goes back into the task: no helpers, no callables, no guards.
        for key in [k for k in context if k not in scope]:
            del context[key]
        for key, value in scope.items():
            if key in self.globals or key in external or key.startswith("_") or callable(value):
                continue
            context[key] = value

    def call_service(self, context, **kwargs):
        raise ScriptRefused("aucun service externe n'est disponible")


def domain_helpers() -> dict:
    """The pension rules scripts may call: the public API of `app.domain`."""
    from app import domain

    return {name: getattr(domain, name) for name in getattr(domain, "__all__", [])}


def clock_helpers() -> dict:
    """Scripts read time from the app clock (movable in tests and demo), never the OS."""
    from .clock import clock

    return {"aujourdhui": clock.today, "maintenant": lambda: clock.now().isoformat()}


def make_script_engine() -> PythonScriptEngine:
    """The engine every instance runs with: domain rules, clock and effect helpers."""
    return PythonScriptEngine(environment=RestrictedEnvironment(
        {**domain_helpers(), **clock_helpers(), **SCRIPT_HELPERS}))
