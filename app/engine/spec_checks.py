"""Checks of the task specs SpiffWorkflow built: every script, condition and timer compiles
under the sandbox; each human task sits in a lane with a role, names a valid form and
known screen properties. Same words as the raw-XML pass (lint), so both dedupe.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask as ManualTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask as NoneTaskMixin
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask as UserTaskMixin
from SpiffWorkflow.specs.MultiChoice import MultiChoice

from . import lint
from .bundle import DeployError
from .human_tasks import form_of, role_of_task, task_property
from .screen_kinds import PAGE_KINDS, PANEL_KINDS


def check_specs(specs, schemas, parser, errors) -> set[str]:
    """Check every task spec; return the extra files (forms, DMN, sub-BPMN) they use."""
    used: set[str] = set()
    for spec in specs:
        if spec is None:
            continue
        used.add(spec.file)
        for task_spec in spec.task_specs.values():
            used |= _check_task_spec(spec.file, task_spec, schemas, parser, errors)
    return used


def _human_kind(task_spec) -> str | None:
    for mixin, kind in ((UserTaskMixin, "userTask"), (ManualTaskMixin, "manualTask"),
                        (NoneTaskMixin, "task")):
        if isinstance(task_spec, mixin):
            return kind
    return None


def _check_task_spec(filename, task_spec, schemas, parser, errors) -> set[str]:
    used: set[str] = set()
    element = getattr(task_spec, "bpmn_id", None) or task_spec.name

    def refuse(reason):
        errors.append(DeployError(filename, element, reason))

    for label, source, mode in task_expressions(task_spec):
        reason = lint.expression_reason(label, source, mode)
        if reason:
            refuse(reason)
    kind = _human_kind(task_spec)
    if kind is not None:
        used |= _check_user_task(task_spec, kind, schemas, refuse)
    engine = getattr(task_spec, "dmnEngine", None)
    if engine is not None:
        ids = getattr(engine, "decision_ids", None) or [engine.decision_table.id]
        used |= {parser.decision_files[i] for i in ids if i in parser.decision_files}
    return used


def _check_user_task(task_spec, kind, schemas, refuse) -> set[str]:
    if role_of_task(task_spec) is None:
        refuse(lint.lane_reason(kind, task_spec.lane))
    for reason in screen_property_reasons(task_spec, kind):
        refuse(reason)
    form = form_of(task_spec)
    if form is None:
        return set()
    if form not in schemas:
        refuse(f"le formulaire « {form} » n'existe pas dans forms/ ou n'est pas valide")
        return set()
    return {form}


def screen_property_reasons(task_spec, kind: str = "userTask") -> list[str]:
    """What is wrong with the screen properties of a human task (see app/engine/screens.py):
    an `ecran` or a `panneau` the platform does not know, an `etape_ordre` not an integer."""

    task = f"{lint.HUMAN_KINDS.get(kind, 'la tâche').split(',')[0]} « " \
           f"{getattr(task_spec, 'bpmn_name', None) or task_spec.name} »"
    reasons = []
    for name, known, what in (("ecran", PAGE_KINDS, "l'écran"),
                              ("panneau", PANEL_KINDS, "le panneau")):
        value = task_property(task_spec, name)
        if value is not None and value.strip() and value.strip() not in known:
            reasons.append(
                f"{task} demande {what} « {value.strip()} », que la plateforme ne connaît pas "
                f": la propriété « {name} » vaut l'une de ces valeurs : {', '.join(known)}")
    ordre = task_property(task_spec, "etape_ordre")
    if ordre is not None and ordre.strip():
        try:
            int(ordre.strip())
        except ValueError:
            reasons.append(
                f"{task} a la propriété « etape_ordre » = « {ordre.strip()} », qui n'est pas un "
                "nombre entier : indiquez sa place dans les étapes du parcours (10, 20, 30…)")
    return reasons


def task_expressions(task_spec):
    """(label, source, compile mode) of every piece of code this task spec will run."""
    if getattr(task_spec, "script", None):
        yield "script", task_spec.script, "exec"
    for attr in ("prescript", "postscript"):
        if getattr(task_spec, attr, None):
            yield attr, getattr(task_spec, attr), "exec"
    if isinstance(task_spec, MultiChoice):
        for condition, _target in task_spec.cond_task_specs:
            if condition is not None:
                yield "condition", condition.args[0], "eval"
    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        yield "expression du minuteur", definition.expression, "eval"
    if getattr(definition, "expression", None) and not isinstance(definition,
                                                                  TimerEventDefinition):
        yield "condition d'événement", definition.expression, "eval"
