"""What a failed step becomes: the French message of its incident, and what the caller is told.

The incident itself is recorded by the step machinery (app/engine/step.py), in a transaction of
its own, with what to replay.
"""
from __future__ import annotations

import re

from SpiffWorkflow.exceptions import SpiffWorkflowException

INCIDENT_TEXT = ("Une erreur technique est survenue pendant le traitement ; votre saisie est "
                 "conservée et un incident a été signalé au superviseur.")


class CreationFailed(Exception):
    """The first engine steps of a new instance failed (raised by the step machinery, caught by
    `Runtime.start`, which then records the incident on a saved instance)."""

    def __init__(self, error: BaseException, phase: str):
        super().__init__(str(error))
        self.error, self.phase = error, phase


class StepFailed(Exception):
    """A BaseException (SystemExit…) raised during a step, as an ordinary exception."""


def as_exception(err: BaseException) -> Exception:
    """`err` as the cause of the error the caller gets: itself, or a StepFailed wrapping a
    BaseException (SystemExit…)."""
    if isinstance(err, Exception):
        return err
    wrapped = StepFailed(f"{type(err).__name__} : {err}")
    wrapped.__cause__ = err
    return wrapped


# Python's error kinds, as a superviseur reads them (the original words follow in quotes).
PYTHON_KINDS = {
    "ZeroDivisionError": "division par zéro", "NameError": "variable inconnue",
    "KeyError": "clé absente des données", "TypeError": "valeur d'un type inattendu",
    "ValueError": "valeur invalide", "AttributeError": "attribut inconnu",
    "IndexError": "élément de liste absent", "OverflowError": "nombre trop grand",
    "RecursionError": "appels imbriqués sans fin", "MemoryError": "mémoire épuisée",
}
_KIND = re.compile(r"^(\w+(?:Error|Exception))\s*:\s*(.*)$", re.DOTALL)


def incident_message(err: BaseException, phase: str = "engine") -> str:
    """The French message of an incident: where it failed and what happened, Python's own
    words kept in quotes for the technicians (the trace has the rest)."""
    if isinstance(err, SpiffWorkflowException):
        text = _french(str(err).strip().removesuffix(".").strip())
        spec = getattr(err, "task_spec", None)
        name = getattr(spec, "bpmn_name", None) or getattr(spec, "bpmn_id", None)
        return f"Échec de l'étape « {name} » : {text}" if name else text
    text = _french(f"{type(err).__name__} : {err}" if str(err) else type(err).__name__)
    if phase == "engine":
        return f"Erreur du moteur de processus : {text}"
    if phase == "worker":
        return f"Erreur pendant le déclenchement des minuteurs : {text}"
    return f"Erreur du traitement après l'étape ({phase}) : {text}"


def _french(text: str) -> str:
    found = _KIND.match(text)
    if not found:
        return text
    kind, detail = found.group(1), found.group(2).strip()
    words = PYTHON_KINDS.get(kind, "erreur inattendue")
    return f"{words} (« {detail} »)" if detail else words
