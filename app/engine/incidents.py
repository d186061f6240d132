"""What a failed step becomes: the French message of its incident, and what the caller is told.

The incident itself is recorded by the step machinery (app/engine/step.py), in a transaction of
its own, with what to replay.
"""
from __future__ import annotations

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


def incident_message(err: BaseException, phase: str = "engine") -> str:
    """The French message of an incident: SpiffWorkflow's (scripts, limits) as is, other
    exceptions with their kind and where they happened."""
    if isinstance(err, SpiffWorkflowException):
        return str(err).strip().removesuffix(".").strip()
    text = f"{type(err).__name__} : {err}" if str(err) else type(err).__name__
    if phase == "engine":
        return f"Erreur du moteur de processus : {text}"
    if phase == "worker":
        return f"Erreur pendant le déclenchement des minuteurs : {text}"
    return f"Erreur du traitement après l'étape ({phase}) : {text}"
