"""The bounds of BPMN scripts, so that one diagram cannot hold a thread or the database:
- in time: `sys.settrace` watches the lines of the script's own frames (filename "<bpmn>")
  and stops it past `time_limit` seconds; C-level builtins that could run long on their own
  are bounded instead (`range`, `pow`, `*`, `**`, `<<` on huge operands);
- in data: the task data a script leaves behind must stay under `max_data_bytes` of JSON.
A script cannot catch the stop signal (`except:` means `except Exception:` here) and cannot
use `finally` (it would run after the tracer is gone). The sandbox that applies these bounds
is app/engine/scripting.py.
"""
from __future__ import annotations

import os
import sys
import time

from .script_errors import ScriptLimitExceeded

SCRIPT_FILENAME = "<bpmn>"
# Defaults, overridable by environment variables or per environment (`time_limit`…).
TIME_LIMIT_SECONDS = float(os.environ.get("SCRIPT_TIME_LIMIT_SECONDS", "2"))
MAX_DATA_BYTES = int(os.environ.get("SCRIPT_MAX_DATA_BYTES", str(1_000_000)))
MAX_ITEMS = 1_000_000  # longest range / repeated sequence a script may build in one go
CHECK_EVERY = 200  # opcodes between two looks at the clock
MAX_INT_BITS = 100_000  # biggest integer `**`, `*` or `<<` may produce (~30 000 digits)


class TimeUp(BaseException):
    """Raised into the script by the tracer; scripts cannot catch it (see `catchable`)."""


# C-level builtins and operators run untraced (the watchdog cannot stop them): a script
# reaches them through these, which refuse huge operands up front.
def bounded_range(*args):
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


def bounded_mul(a, b):
    for seq, n in ((a, b), (b, a)):
        if isinstance(seq, (str, bytes, list, tuple)) and _is_int(n) and len(seq) * n > MAX_ITEMS:
            raise ScriptLimitExceeded(f"répétition de plus de {MAX_ITEMS:_} éléments refusée"
                                      .replace("_", " "))
    if _is_int(a) and _is_int(b):
        _check_int_bits(a.bit_length() + b.bit_length(), "multiplication")
    return a * b


def bounded_pow(a, b, mod=None):
    if mod is None and _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        _check_int_bits(a.bit_length() * b, "puissance")
    return pow(a, b) if mod is None else pow(a, b, mod)


def bounded_lshift(a, b):
    if _is_int(a) and _is_int(b) and a:
        _check_int_bits(a.bit_length() + b, "décalage")
    return a << b


def catchable(kind):
    """What an `except` clause of a script may catch: only `Exception` subclasses, so the
    time limit (and SystemExit…) always goes through the script's handlers."""
    if isinstance(kind, tuple):
        return tuple(catchable(k) for k in kind)
    if isinstance(kind, type) and issubclass(kind, BaseException) and \
            not issubclass(kind, Exception):
        return Exception
    return kind


class Watchdog:
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
            raise TimeUp


class TooBig(Exception):
    """Task data past the size limit (raised by `json_size_at_most`)."""


def json_size_at_most(value, limit: int) -> int:
    """Roughly the size in bytes of `value` as JSON; raises TooBig past `limit` (without
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
                raise TooBig
            stack.extend(item)
        elif isinstance(item, (bytes, bytearray)):
            total += len(item)
        elif _is_int(item):
            total += item.bit_length() // 3 + 1
        else:
            total += 24  # numbers, dates, None…
        if total > limit:
            raise TooBig
    return total
