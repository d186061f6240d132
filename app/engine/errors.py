"""What the runtime service raises; the web layer maps each to an HTTP status."""


class RuntimeServiceError(Exception):
    status = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class NotFound(RuntimeServiceError):
    status = 404


class Forbidden(RuntimeServiceError):
    status = 403


class Conflict(RuntimeServiceError):
    """Someone else changed the instance first (double submit, two agents, stale page)."""

    status = 409


class DeadlinePassed(Conflict):
    """The task's deadline passed before the click: its due timer fired first and took the
    task away (a tacit refusal, a reminder…)."""


class FormInvalid(RuntimeServiceError):
    status = 422

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("Le formulaire contient des erreurs.")


class IncidentRaised(RuntimeServiceError):
    """A script failed: the step was rolled back and an incident recorded (nothing lost)."""

    status = 500

    def __init__(self, incident_id: int, message: str):
        self.incident_id = incident_id
        super().__init__(message)


class DoorFailed(RuntimeServiceError):
    """The completion door's own checks failed (a bug in a screen's checks): the request's
    error, rolled back, never an incident of the dossier, whose engine did not run."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def door_checks(prepare, *args) -> dict:
    """`prepare(*args)`, its failures other than refusals wrapped in `DoorFailed`."""
    try:
        return prepare(*args)
    except RuntimeServiceError:
        raise  # a refusal (FormInvalid…), for the caller
    except Exception as err:
        raise DoorFailed(err) from err
