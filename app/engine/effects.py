"""Side effects requested by BPMN scripts (letters, dossier fields), applied after the step.

Scripts cannot touch the database; they call `notifier("accuse_reception")` or
`maj_dossier(statut="recue")` and the runtime hands the collected effects to hooks registered
by the app, inside the same transaction (a rolled-back step sends nothing). Sandbox runs
collect them but never deliver letters.
"""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field

_collected: ContextVar[list | None] = ContextVar("collected_effects", default=None)
# The data a script sees while it runs, so an effect can carry a snapshot of it.
script_scope: ContextVar[dict | None] = ContextVar("script_scope", default=None)


@dataclass
class Effect:
    kind: str  # "lettre" or "dossier"
    params: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)  # the script's variables when it asked


def _snapshot() -> dict:
    scope = script_scope.get() or {}
    return {k: v for k, v in scope.items() if not k.startswith("_") and not callable(v)}


def _collect(effect: Effect) -> None:
    bucket = _collected.get()
    if bucket is None:
        raise RuntimeError("utilisable seulement pendant une étape du processus")
    bucket.append(effect)


def notifier(modele: str, **params) -> None:
    """Script helper: send letter `modele` (messagerie + PDF) to the dossier's assuré."""
    _collect(Effect("lettre", {"modele": str(modele), **params}, _snapshot()))


def maj_dossier(**champs) -> None:
    """Script helper: update fields of the dossier row (statut, dates, décision…)."""
    _collect(Effect("dossier", dict(champs), _snapshot()))


SCRIPT_HELPERS = {"notifier": notifier, "maj_dossier": maj_dossier}


class collecting:
    """Context manager gathering the effects of one step."""

    def __enter__(self) -> list[Effect]:
        self._bucket: list[Effect] = []
        self._token = _collected.set(self._bucket)
        return self._bucket

    def __exit__(self, *exc) -> None:
        _collected.reset(self._token)
