"""Side effects requested by BPMN scripts (letters, notifications), applied after the step.

Scripts cannot touch the database; they call `notifier("accuse_reception")` and the runtime
hands the collected effects to handlers registered by the app, inside the same transaction
(so a rolled-back step sends nothing). Sandbox runs collect them but never deliver them.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

_collected: ContextVar[list | None] = ContextVar("collected_effects", default=None)


@dataclass
class Effect:
    kind: str
    params: dict = field(default_factory=dict)


def notifier(modele: str, **params) -> None:
    """Script helper: ask for letter `modele` to be sent to the assuré after this step."""
    bucket = _collected.get()
    if bucket is None:
        raise RuntimeError("notifier() n'est utilisable que pendant une étape du processus")
    bucket.append(Effect(kind=str(modele), params=dict(params)))


class collecting:
    """Context manager gathering the effects of one step."""

    def __enter__(self) -> list[Effect]:
        self._bucket: list[Effect] = []
        self._token = _collected.set(self._bucket)
        return self._bucket

    def __exit__(self, *exc) -> None:
        _collected.reset(self._token)
