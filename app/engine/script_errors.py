"""What the script sandbox raises (French messages): refusals, limits, escaped failures."""
from __future__ import annotations


class ScriptRefused(ValueError):
    """A script, condition or expression that must not run (French message)."""


class ScriptLimitExceeded(ScriptRefused):
    """A script went past its time or data limit, or asked for a huge value (French)."""


class ScriptFailed(RuntimeError):
    """A script raised a BaseException (SystemExit…): re-raised as an ordinary exception."""
