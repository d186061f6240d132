"""BPMN scripts, conditions and timer expressions run under RestrictedPython.

Why: analysts edit scripts in the browser, so a script must not import modules, open files,
reach dunder attributes or the network. Only the pension rules of `app.domain` and a few
harmless builtins are exposed.

Scripts are also bounded, so that one diagram cannot hold a thread or the database:
- in time: `sys.settrace` watches the lines of the script's own frames (filename "<bpmn>")
  and stops it past `time_limit` seconds; C-level builtins that could run long on their own
  are bounded instead (`range`, `pow`, `*`, `**`, `<<` on huge operands);
- in data: the task data a script leaves behind must stay under `max_data_bytes` of JSON;
- whatever a script raises, `BaseException` included (`SystemExit`…), leaves as an ordinary
  exception, which SpiffWorkflow turns into a task error and the runtime into an incident.
A script cannot catch the stop signal (`except:` means `except Exception:` here) and cannot
use `finally` (it would run after the tracer is gone).
"""
from __future__ import annotations

import ast
import os
import sys
import time
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

SCRIPT_FILENAME = "<bpmn>"
# Defaults, overridable by environment variables or per environment (`time_limit`…).
TIME_LIMIT_SECONDS = float(os.environ.get("SCRIPT_TIME_LIMIT_SECONDS", "2"))
MAX_DATA_BYTES = int(os.environ.get("SCRIPT_MAX_DATA_BYTES", str(1_000_000)))
MAX_ITEMS = 1_000_000  # longest range / repeated sequence a script may build in one go
CHECK_EVERY = 200  # opcodes between two looks at the clock
MAX_INT_BITS = 100_000  # biggest integer `**`, `*` or `<<` may produce (~30 000 digits)

# Names a script may never mention, even if some later change exposed them by mistake.
FORBIDDEN_NAMES = frozenset({
    "open", "exec", "eval", "compile", "__import__", "globals", "locals", "vars", "input",
    "breakpoint", "help", "exit", "quit", "memoryview", "getattr", "setattr", "delattr",
})


class ScriptRefused(ValueError):
    """A script, condition or expression that must not run (French message)."""


class ScriptLimitExceeded(ScriptRefused):
    """A script went past its time or data limit, or asked for a huge value (French)."""


class ScriptFailed(RuntimeError):
    """A script raised a BaseException (SystemExit…): re-raised as an ordinary exception."""


class _TimeUp(BaseException):
    """Raised into the script by the tracer; scripts cannot catch it (see `_catchable`)."""


# What the running script belongs to, for messages: (« Le script », « Calculer le montant »).
_current_task: ContextVar[str] = ContextVar("current_script_task", default="")


def _bounded_range(*args):
    try:
        values = range(*args)
        size = len(values)
    except OverflowError:
        size = MAX_ITEMS + 1
    if size > MAX_ITEMS:
        raise ScriptLimitExceeded(f"range() de plus de {MAX_ITEMS:_} valeurs refusé"
                                  .replace("_", " "))
    return values


def _check_int_bits(bits: int, what: str) -> None:
    if bits > MAX_INT_BITS:
        raise ScriptLimitExceeded(f"{what} : nombre trop grand (plus de {MAX_INT_BITS} bits)")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mul(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and _is_int(n) and len(seq) * n > MAX_ITEMS:
            raise ScriptLimitExceeded(f"répétition de plus de {MAX_ITEMS:_} éléments refusée"
                                      .replace("_", " "))
    if _is_int(a) and _is_int(b):
        _check_int_bits(a.bit_length() + b.bit_length(), "multiplication")
    return a * b


def _pow(a, b, mod=None):
    if mod is None and _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        _check_int_bits(a.bit_length() * b, "puissance")
    return pow(a, b) if mod is None else pow(a, b, mod)


def _lshift(a, b):
    if _is_int(a) and _is_int(b) and a:
        _check_int_bits(a.bit_length() + b, "décalage")
    return a << b


def _catchable(kind):
    """What an `except` clause of a script may catch: only `Exception` subclasses, so the
    time limit (and SystemExit…) always goes through the script's handlers."""
    if isinstance(kind, tuple):
        return tuple(_catchable(k) for k in kind)
    if isinstance(kind, type) and issubclass(kind, BaseException) and \
            not issubclass(kind, Exception):
        return Exception
    return kind


def _inplacevar(op: str, x, y):
    ops = {"+=": lambda: x + y, "-=": lambda: x - y, "*=": lambda: _mul(x, y),
           "/=": lambda: x / y}
    if op not in ops:
        raise ScriptRefused(f"opérateur {op} non autorisé")
    return ops[op]()


EXTRA_BUILTINS = {
    "dict": dict, "list": list, "set": set, "min": min, "max": max, "sum": sum, "any": any,
    "all": all, "enumerate": enumerate, "sorted": sorted, "reversed": reversed,
    "Decimal": Decimal, "date": date, "datetime": datetime, "timedelta": timedelta,
    "range": _bounded_range, "pow": _pow,
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


class _Watchdog:
    """`sys.settrace` hook: stops the script's own frames once the deadline has passed.

    Only frames compiled from BPMN sources are traced (helpers and SpiffWorkflow run at full
    speed). Raising from a tracer removes it, which is why scripts may neither catch the
    signal nor run `finally` blocks after it.
    """

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self.countdown = CHECK_EVERY

    def __enter__(self):
        self.previous = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(self.previous)

    def _call(self, frame, event, arg):
        if frame.f_code.co_filename != SCRIPT_FILENAME:
            return None
        # Per-opcode events: a one-line loop (`while True: pass`, nested comprehensions)
        # emits no further "line" event.
        frame.f_trace_lines, frame.f_trace_opcodes = False, True
        self._check()
        return self._opcode

    def _opcode(self, frame, event, arg):
        self.countdown -= 1
        if self.countdown <= 0:
            self.countdown = CHECK_EVERY
            self._check()
        return self._opcode

    def _check(self) -> None:
        if time.monotonic() > self.deadline:
            self.expired = True
            raise _TimeUp


class _TooBig(Exception):
    pass


def json_size_at_most(value, limit: int) -> int:
    """Roughly the size in bytes of `value` as JSON; raises _TooBig past `limit` (without
    ever building the text, so shared or cyclic structures stop early)."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 + 4 * len(item)
            for key, sub in item.items():
                total += len(key) if isinstance(key, str) else 8
                stack.append(sub)
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += 2 + len(item)
            if total > limit:
                raise _TooBig
            stack.extend(item)
        elif isinstance(item, (bytes, bytearray)):
            total += len(item)
        elif _is_int(item):
            total += item.bit_length() // 3 + 1
        else:
            total += 24  # numbers, dates, None…
        if total > limit:
            raise _TooBig
    return total


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
            "_mul_": _mul, "_pow_": _pow, "_lshift_": _lshift, "_catchable_": _catchable,
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
            with _Watchdog(self.time_limit):
                return eval(code, scope)
        except _TimeUp:
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
        except _TooBig:
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
