"""BPMN scripts, conditions and timer expressions run under RestrictedPython.

Why: analysts edit scripts in the browser, so a script must not import modules, open files,
reach dunder attributes or the network. Only the pension rules of `app.domain` and a few
harmless builtins are exposed.

Scripts are also bounded in time and data (app/engine/script_limits.py), and whatever a
script raises, `BaseException` included (`SystemExit`…), leaves as an ordinary exception,
which SpiffWorkflow turns into a task error and the runtime into an incident.
"""
from __future__ import annotations

import ast
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .effects import SCRIPT_HELPERS, script_scope
from .script_errors import ScriptFailed, ScriptLimitExceeded, ScriptRefused
from .script_limits import (
    MAX_DATA_BYTES,
    SCRIPT_FILENAME,
    TIME_LIMIT_SECONDS,
    TimeUp,
    TooBig,
    Watchdog,
    bounded_lshift,
    bounded_mul,
    bounded_pow,
    bounded_range,
    catchable,
    json_size_at_most,
)

# Names a script may never mention, even if some later change exposed them by mistake.
FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "input",
    "breakpoint", "help", "exit", "quit", "memoryview", "getattr", "setattr", "delattr",
})


# What the running script belongs to, for messages: (« Le script », « Calculer le montant »).
_current_task: ContextVar[str] = ContextVar("current_script_task", default="")


def _inplacevar(op: str, x, y):
    ops = {"+=": lambda: x + y, "-=": lambda: x - y, "*=": lambda: bounded_mul(x, y),
           "/=": lambda: x / y}
    if op not in ops:
        raise ScriptRefused(f"opérateur {op} non autorisé")
    return ops[op]()


EXTRA_BUILTINS = {
    "dict": dict, "list": list, "set": set, "min": min, "max": max, "sum": sum, "any": any,
    "all": all, "enumerate": enumerate, "sorted": sorted, "reversed": reversed,
    "Decimal": Decimal, "date": date, "datetime": datetime, "timedelta": timedelta,
    "range": bounded_range, "pow": bounded_pow,
}

_OPERATORS = {ast.Mult: "_mul_", ast.Pow: "_pow_", ast.LShift: "_lshift_"}


class BoundedPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, plus: `*`, `**`, `<<` go through bounded helpers; an
    `except` clause only catches `Exception`s; `finally` is refused."""

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        helper = _OPERATORS.get(type(node.op))
        if helper is None:
            return node
        call = ast.Call(func=ast.Name(helper, ast.Load()), args=[node.left, node.right],
                        keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))

    def visit_ExceptHandler(self, node):
        node = super().visit_ExceptHandler(node)
        if node.type is None:
            node.type = ast.Name("Exception", ast.Load())
        else:
            node.type = ast.Call(func=ast.Name("_catchable_", ast.Load()), args=[node.type],
                                 keywords=[])
        return ast.fix_missing_locations(node)

    def visit_Try(self, node):
        if node.finalbody:
            self.error(node, "les blocs « finally » sont interdits dans un script")
        return super().visit_Try(node)


def check_source(source: str, mode: str = "exec") -> str | None:
    """Why this source is refused (French), or None when it compiles under the sandbox."""
    return _check_source(source, mode)


@lru_cache(maxsize=4096)
def _check_source(source: str, mode: str) -> str | None:
    # Every run checks its source again (a refused script never runs): cached, as compiling.
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as err:
        return f"erreur de syntaxe ligne {err.lineno} : {err.msg}"
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return "les imports sont interdits dans un script"
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            return f"« {node.id} » est interdit dans un script"
        if isinstance(node, ast.Try) and node.finalbody or \
                type(node).__name__ == "TryStar":
            return "les blocs « finally » et « except* » sont interdits dans un script"
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
    return compile_restricted(source, filename=SCRIPT_FILENAME, mode=mode, policy=BoundedPolicy)


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """SpiffWorkflow script environment whose code is compiled by RestrictedPython."""

    def __init__(self, helpers: dict | None = None, time_limit: float | None = None,
                 max_data_bytes: int | None = None):
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
            "_mul_": bounded_mul, "_pow_": bounded_pow, "_lshift_": bounded_lshift,
            "_catchable_": catchable,
        }
        super().__init__({**base, **(helpers or {})})
        self.time_limit = TIME_LIMIT_SECONDS if time_limit is None else time_limit
        self.max_data_bytes = MAX_DATA_BYTES if max_data_bytes is None else max_data_bytes

    def _code(self, source: str, mode: str):
        reason = check_source(source, mode)
        if reason:
            raise ScriptRefused(reason)
        return _compile(source, mode)

    def _run(self, code, scope: dict, what: str):
        """Run compiled code under the time limit; every exception leaves as an Exception."""
        try:
            with Watchdog(self.time_limit):
                return eval(code, scope)
        except TimeUp:
            raise ScriptLimitExceeded(
                f"{what} de « {_current_task.get() or '?'} » a dépassé "
                f"{self.time_limit:g} s".replace(".", ",")) from None
        except Exception:
            raise
        except BaseException as err:  # noqa: BLE001 - SystemExit, KeyboardInterrupt…
            raise ScriptFailed(f"{what} de « {_current_task.get() or '?'} » a levé "
                               f"{type(err).__name__}" + (f" : {err}" if str(err) else "")
                               ) from None

    def evaluate(self, expression, context, external_context=None):
        scope = {**self.globals, **(external_context or {}), **context}
        return self._run(self._code(expression, "eval"), scope, "L'expression")

    def execute(self, script, context, external_context=None):
        clash = set(self.globals).intersection(context)
        if clash:
            raise ScriptRefused(f"des données portent le nom d'une fonction : {sorted(clash)}")
        scope = {**self.globals, **(external_context or {}), **context}
        token = script_scope.set(scope)
        try:
            self._run(self._code(script, "exec"), scope, "Le script")
        finally:
            script_scope.reset(token)
        self._copy_back(scope, context, external_context or {})
        self._check_size(context)
        return True

    def _check_size(self, context: dict) -> None:
        try:
            json_size_at_most(context, self.max_data_bytes)
        except TooBig:
            context.clear()  # never keep (nor copy to the next tasks) what was refused
            limit = f"{self.max_data_bytes / 1_000_000:g} Mo".replace(".", ",")
            raise ScriptLimitExceeded(
                f"Le script de « {_current_task.get() or '?'} » produit des données de plus "
                f"de {limit}") from None

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


class BoundedScriptEngine(PythonScriptEngine):
    """SpiffWorkflow's engine, naming the task in limit messages (« Le script de « X » a
    dépassé 2 s »), which become the task error SpiffWorkflow raises."""

    def evaluate(self, task, expression, external_context=None):
        token = _current_task.set(_task_label(task))
        try:
            return super().evaluate(task, expression, external_context)
        except WorkflowTaskException as err:
            cause = getattr(err, "__cause__", None) or getattr(err, "__context__", None)
            if isinstance(cause, (ScriptLimitExceeded, ScriptFailed)):
                raise WorkflowTaskException(str(cause), task=task, exception=cause) from cause
            raise
        finally:
            _current_task.reset(token)

    def execute(self, task, script, external_context=None):
        token = _current_task.set(_task_label(task))
        try:
            return super().execute(task, script, external_context)
        finally:
            _current_task.reset(token)

    def create_task_exec_exception(self, task, script, err):
        if isinstance(err, (ScriptLimitExceeded, ScriptFailed)):
            return WorkflowTaskException(str(err), task=task, exception=err)
        return super().create_task_exec_exception(task, script, err)


def _task_label(task) -> str:
    spec = getattr(task, "task_spec", None)
    return getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None) or \
        getattr(spec, "name", "") or ""


def domain_helpers() -> dict:
    """The pension rules scripts may call: the public API of `app.domain`."""
    from app import domain

    return {name: getattr(domain, name) for name in getattr(domain, "__all__", [])}


def clock_helpers() -> dict:
    """Scripts read time from the app clock (movable in tests and demo), never the OS."""
    from .clock import clock

    return {"aujourdhui": clock.today, "maintenant": lambda: clock.now().isoformat()}


def make_script_engine(time_limit: float | None = None,
                       max_data_bytes: int | None = None) -> PythonScriptEngine:
    """The engine every instance runs with: domain rules, clock and effect helpers."""
    return BoundedScriptEngine(environment=RestrictedEnvironment(
        {**domain_helpers(), **clock_helpers(), **SCRIPT_HELPERS}, time_limit=time_limit,
        max_data_bytes=max_data_bytes))
