"""Secret médical as an invariant of every deployable version, not a convention.

Forms and fields that hold medical content say so in their JSON Schema with the custom
keyword `x-secret-medical`:

- `"x-secret-medical": true` at the root of a form: the form belongs to the médecin-conseil;
  every field is medical unless it says `"x-secret-medical": false` (the avis, the catégorie,
  a convocation's date and place: what the Service Invalidité or the assuré may receive);
- `"x-secret-medical": true` on a field of any form: that field (and what it contains) is
  medical, and the form holding it becomes a médecin-conseil form.

`check_medical_secret` (called by `specs.parse_sources`, so deployment, the studio's save and
« Valider », test runs and `flask deploy` all refuse) says, in French and naming the task:

1. a task whose form holds medical content must sit in a lane mapped to a medical role
   (MEDICAL_ROLES: the médecin-conseil of « Service médical », the médecins of the
   « Commission médicale de recours amiable », who are bound by the same secret) — a lane
   lost by an editor, or a task moved to another lane, is refused rather than defaulted to
   the agents;
2. a task outside such a lane may not show, as a field of its form, a medical variable that a
   médecin-conseil task's form produces (the data would flow into the agent's or assuré's page).

`role_for_task` is the run-time counterpart: the role whose inbox gets a user task, never a
default.
"""
from __future__ import annotations

import json

from app.models.user import MEDICAL_ROLES, ROLE_LABELS

from .bundle import DeployError
from .human_tasks import form_of, role_of_task

MARKER = "x-secret-medical"
MEDICAL_ROLE = "medecin_conseil"  # the role of the medical lanes' usual name
MEDICAL_LANES = "« Service médical » ou « Commission médicale de recours amiable »"


class RoleUnresolved(ValueError):
    """A human task whose lane gives no role, or a medical form outside a médecin-conseil
    lane: it must not be handed to anyone by default. Not a refusal for the caller but a
    fault of the version: the runtime rolls the step back and records an incident."""


def role_label(role: str | None) -> str:
    return ROLE_LABELS.get(role or "", role or "aucun")


def task_label(task_spec) -> str:
    """« Examen médical » (examen_medical)"""
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name
    name = getattr(task_spec, "bpmn_name", None) or element
    return f"« {name} » ({element})"


# ----- what a form says about itself -----------------------------------------------------
def _load(schema) -> dict | None:
    if isinstance(schema, dict):
        return schema
    try:
        found = json.loads(schema)
    except (TypeError, ValueError):
        return None
    return found if isinstance(found, dict) else None


def medical_fields(schema) -> set[str]:
    """Dotted paths of the medical fields of a form (JSON text or dict)."""
    schema = _load(schema)
    if schema is None:
        return set()
    found: set[str] = set()
    _walk(schema, "", schema.get(MARKER) is True, found)
    return found


def _walk(schema: dict, prefix: str, inherited: bool, found: set[str]) -> None:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        marker = sub.get(MARKER)
        medical = marker if isinstance(marker, bool) else inherited
        path = f"{prefix}{name}"
        if medical:
            found.add(path)
        _walk(sub, f"{path}.", medical, found)
        items = sub.get("items")
        if isinstance(items, dict):
            _walk(items, f"{path}[].", medical, found)


def is_medical_form(schema) -> bool:
    """True when the form, or any of its fields, holds medical content."""
    schema = _load(schema)
    if schema is None:
        return False
    return schema.get(MARKER) is True or bool(medical_fields(schema))


def medical_variables(schema) -> set[str]:
    """Task-data names (top-level fields) that carry medical content from this form."""
    return {path.split(".", 1)[0].split("[", 1)[0] for path in medical_fields(schema)}


def top_fields(schema) -> set[str]:
    schema = _load(schema)
    properties = (schema or {}).get("properties")
    return set(properties) if isinstance(properties, dict) else set()


# ----- deployment check ------------------------------------------------------------------
def _human_tasks(processes) -> list[tuple[str, object]]:
    """(file, task spec) of every task naming a form, each BPMN element once."""
    seen, found = set(), []
    for parsed in processes.values():
        for spec in [parsed.spec, *parsed.subprocess_specs.values()]:
            if spec is None:
                continue
            for task_spec in spec.task_specs.values():
                key = (spec.file, getattr(task_spec, "bpmn_id", None) or task_spec.name)
                if form_of(task_spec) and key not in seen:
                    seen.add(key)
                    found.append((spec.file, task_spec))
    return found


def check_medical_secret(processes: dict, forms: dict) -> list[DeployError]:
    """Errors (French, naming each task) for every breach of the secret médical.

    `processes`: ParsedProcess by key (specs.parse_sources); `forms`: form name → JSON text
    (or dict)."""
    schemas = {name: _load(text) for name, text in forms.items()}
    schemas = {name: s for name, s in schemas.items() if s is not None}
    tasks = _human_tasks(processes)
    errors: list[DeployError] = []
    producers: dict[str, list[tuple[str, str]]] = {}  # medical variable → (task, form)
    for filename, task_spec in tasks:
        form = form_of(task_spec)
        schema = schemas.get(form)
        if schema is None or not is_medical_form(schema):
            continue
        role = role_of_task(task_spec)
        if role in MEDICAL_ROLES:
            for variable in sorted(medical_variables(schema)):
                producers.setdefault(variable, []).append((task_label(task_spec), form))
            continue
        errors.append(DeployError(filename, _element(task_spec), (
            f"secret médical : la tâche {task_label(task_spec)} utilise le formulaire "
            f"« {form} », qui contient des informations médicales ; elle doit être dans un "
            f"couloir du médecin-conseil ({MEDICAL_LANES}), or elle est dans le couloir "
            f"« {task_spec.lane or 'aucun'} » (rôle {role_label(role)}). Déploiement refusé : "
            "vérifiez le couloir de la tâche (et celui de son sous-processus).")))
    for filename, task_spec in tasks:
        form = form_of(task_spec)
        schema = schemas.get(form)
        role = role_of_task(task_spec)
        if schema is None or role in MEDICAL_ROLES or is_medical_form(schema):
            continue
        for variable in sorted(top_fields(schema) & set(producers)):
            source, source_form = producers[variable][0]
            errors.append(DeployError(filename, _element(task_spec), (
                f"secret médical : la tâche {task_label(task_spec)} (rôle {role_label(role)}) "
                f"afficherait dans son formulaire « {form} » le champ « {variable} », une "
                f"donnée médicale saisie par le médecin-conseil dans la tâche {source} "
                f"(formulaire « {source_form} »). Retirez ce champ, ou marquez-le "
                f"« {MARKER}: false » dans « {source_form} » s'il peut être transmis.")))
    return list(dict.fromkeys(errors))


def _element(task_spec) -> str:
    return getattr(task_spec, "bpmn_id", None) or task_spec.name


# ----- run time --------------------------------------------------------------------------
def role_for_task(task_spec, forms: dict | None = None) -> str:
    """The role whose inbox gets this human task. Never a default: a lane without a role, or
    a medical form outside a médecin-conseil lane, raises RoleUnresolved."""
    role = role_of_task(task_spec)
    if role is None:
        raise RoleUnresolved(
            f"La tâche {task_label(task_spec)} est dans le couloir "
            f"« {task_spec.lane or 'aucun'} », qui ne correspond à aucun rôle : elle n'est "
            "attribuée à personne (jamais aux agents par défaut). Corrigez le couloir et "
            "redéployez.")
    form = form_of(task_spec)
    if forms and form in forms and role not in MEDICAL_ROLES and is_medical_form(forms[form]):
        raise RoleUnresolved(
            f"Secret médical : la tâche {task_label(task_spec)} utilise le formulaire "
            f"« {form} », réservé au médecin-conseil, mais son couloir donne le rôle "
            f"{role_label(role)}.")
    return role
