"""Raw-XML checks of one DMN file: its decisions, their ids and what they require.

Each decision's table is checked by `dmn_table`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from .common import (
    BPMN,
    DMN_NAMESPACES,
    Problem,
    bounded,
    label,
    local,
    namespace,
    parse_xml,
    q,
    unique,
    xsd_errors,
    xsd_problems,
)
from .dmn_table import Decision, DecisionTableChecker

_DMN_XSD = {
    "1.1": "DMN.xsd",
    "1.2": "DMN12.xsd",
    "1.3": "DMN13.xsd",
}


@dataclass
class DmnLint:
    problems: list[Problem] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)


def lint_dmn(text: str) -> DmnLint:
    """Problems of one DMN file, and its decisions (`ok` ones can be parsed and run)."""
    result = DmnLint()
    root, reason = parse_xml(text)
    if root is None:
        result.problems.append(Problem("", reason, True))
        return result
    ns = namespace(root.tag)
    if local(root.tag) != "definitions" or ns not in DMN_NAMESPACES:
        known = ", ".join(f"DMN {v}" for v in DMN_NAMESPACES.values())
        what = ("c'est un fichier BPMN : enregistrez-le avec l'extension .bpmn" if ns == BPMN
                else f"élément racine « {local(root.tag)} » dans l'espace de noms "
                     f"« {ns or 'aucun'} » ; la plateforme lit {known}")
        result.problems.append(Problem("", f"ce n'est pas un fichier DMN lisible : {what}",
                                       True))
        return result
    version = DMN_NAMESPACES[ns]
    if version in _DMN_XSD:
        from SpiffWorkflow.dmn.parser.BpmnDmnParser import XSD_DIR

        errors = xsd_errors(root, f"dmn{version}", os.path.join(XSD_DIR, _DMN_XSD[version]))
        result.problems.extend(xsd_problems(root, errors))
    decisions = root.findall(q("decision", ns))
    if not decisions:
        result.problems.append(Problem("", "aucune décision dans ce fichier DMN : ajoutez une "
                                           "décision avec sa table", True))
    seen: set[str] = set()
    for element in decisions:
        ident = element.get("id") or ""
        if not ident:
            result.problems.append(Problem("", (
                f"la décision « {element.get('name') or 'sans nom'} » n'a pas d'identifiant : "
                "ajoutez-lui un attribut id (c'est lui que la tâche de règle métier appelle)"),
                True))
            continue
        if ident in seen:
            result.problems.append(Problem(ident, f"deux décisions ont l'id « {ident} »", True))
            continue
        seen.add(ident)
        decision = Decision(ident, element.get("name") or ident, element, ns)
        before = len(result.problems)
        checker = DecisionTableChecker(decision, result.problems)
        checker.run()
        decision.ok = len(result.problems) == before
        decision.parseable = not checker.structural
        result.decisions.append(decision)
    _check_requirements(result)
    result.problems = bounded(unique(result.problems))
    return result


def _check_requirements(result: DmnLint) -> None:
    by_id = {d.id: d for d in result.decisions}
    for decision in result.decisions:
        for requirement in decision.element.iter(q("requiredDecision", decision.namespace)):
            href = requirement.get("href") or ""
            target = href.removeprefix("#")
            if target not in by_id:
                result.problems.append(Problem(decision.id, (
                    f"la décision {label(decision.element)} requiert « {href} », qui n'est pas "
                    "une décision de ce fichier : les décisions requises doivent être dans le "
                    "même fichier DMN")))
                decision.ok = decision.parseable = False
            elif target not in decision.requires:
                decision.requires.append(target)

    def visit(ident, path):
        if ident in path:
            cycle = " → ".join([*path[path.index(ident):], ident])
            result.problems.append(Problem(ident, f"les décisions se requièrent en boucle : "
                                                  f"{cycle}"))
            for member in path:
                by_id[member].ok = by_id[member].parseable = False
            return
        for required in by_id[ident].requires:
            visit(required, [*path, ident])

    for decision in result.decisions:
        visit(decision.id, [])
    # A decision is usable only if everything it requires is.
    changed = True
    while changed:
        changed = False
        for decision in result.decisions:
            if decision.ok and any(not by_id[r].ok for r in decision.requires if r in by_id):
                decision.ok, changed = False, True
            if decision.parseable and any(not by_id[r].parseable for r in decision.requires
                                          if r in by_id):
                decision.parseable, changed = False, True
