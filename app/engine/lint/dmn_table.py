"""Raw-XML checks of one DMN decision: its table, columns, rules and every cell, compiled
exactly as SpiffWorkflow's DMN engine will evaluate it."""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from ..messages_fr import clean, python_fr
from .common import JUEL, Problem, check_source, label, local, q

HIT_POLICIES = {"UNIQUE", "FIRST", "ANY", "COLLECT"}
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')  # as DMNEngine.evaluate


@dataclass
class Decision:
    id: str
    name: str
    element: object
    namespace: str
    requires: list[str] = field(default_factory=list)
    ok: bool = True  # no problem at all
    parseable: bool = True  # SpiffWorkflow can build and run it (old versions stay loadable)


class DecisionTableChecker:
    """Adds a Problem per finding; `structural` when SpiffWorkflow could not even build the
    decision (a version deployed with it no longer loads)."""

    def __init__(self, decision: Decision, problems: list[Problem]):
        self.decision = decision
        self.problems = problems
        self.ns = decision.namespace
        self.structural = False

    def refuse(self, reason: str, structural: bool = False) -> None:
        self.structural = self.structural or structural
        self.problems.append(Problem(self.decision.id,
                                     f"décision {label(self.decision.element)} : {reason}"))

    def run(self) -> None:
        tables = self.decision.element.findall(q("decisionTable", self.ns))
        if not tables:
            other = next((local(c.tag) for c in self.decision.element
                          if local(c.tag) in {"literalExpression", "context", "invocation",
                                              "relation", "list", "functionDefinition"}), None)
            self.refuse(("elle est écrite sous forme " + (f"« {other} »" if other else
                                                          "vide"))
                        + " : seules les tables de décision (decisionTable) sont exécutées. "
                          "Réécrivez-la en table", True)
            return
        if len(tables) > 1:
            self.refuse("une décision ne peut contenir qu'une table")
        table = tables[0]
        if not table.get("id"):
            self.refuse("sa table de décision n'a pas d'identifiant : ajoutez un attribut id "
                        "à l'élément decisionTable (le ré-enregistrer dans un modeleur DMN le "
                        "fait)", True)
            return
        self._hit_policy(table)
        inputs = self._inputs(table)
        outputs = self._outputs(table)
        if inputs is None or outputs is None:
            return
        for number, rule in enumerate(table.findall(q("rule", self.ns)), start=1):
            self._rule(rule, number, inputs, outputs)
        for child in table:
            if isinstance(child.tag, str) and local(child.tag) not in {
                    "input", "output", "rule", "annotation", "description",
                    "extensionElements"}:
                self.refuse(f"élément « {local(child.tag)} » inconnu dans la table")

    def _hit_policy(self, table) -> None:
        policy = (table.get("hitPolicy") or "UNIQUE").upper()
        if policy not in HIT_POLICIES:
            self.refuse(f"la politique de résultat « {policy} » n'est pas prise en charge : "
                        "choisissez UNIQUE, FIRST, ANY ou COLLECT")
        if table.get("aggregation"):
            self.refuse(f"l'agrégation « {table.get('aggregation')} » (COLLECT avec somme, "
                        "nombre, min ou max) n'est pas prise en charge : utilisez COLLECT "
                        "sans agrégation puis un script")

    def _inputs(self, table):
        inputs = []
        for number, element in enumerate(table.findall(q("input", self.ns)), start=1):
            column = _column(element, number, "entrée")
            if not element.get("id"):
                self.refuse(f"la colonne d'entrée {column} n'a pas d'identifiant (id)", True)
                return None
            text = element.find(f"{q('inputExpression', self.ns)}/{q('text', self.ns)}")
            expression = text.text if text is not None else None
            if not (expression or "").strip():
                self.refuse(f"la colonne d'entrée {column} n'a pas d'expression : indiquez la "
                            "donnée lue, en Python (par exemple montant)")
                inputs.append((column, None))
                continue
            reason = check_source(expression, "eval")
            if reason:
                self.refuse(f"colonne d'entrée {column} : l'expression « {clean(expression, 80)}"
                            f" » est refusée : {reason}{_feel_hint(expression)}")
                inputs.append((column, None))
                continue
            inputs.append((column, expression))
        return inputs

    def _outputs(self, table):
        outputs = []
        for number, element in enumerate(table.findall(q("output", self.ns)), start=1):
            column = _column(element, number, "sortie")
            if not element.get("id"):
                self.refuse(f"la colonne de sortie {column} n'a pas d'identifiant (id)", True)
                return None
            if not (element.get("name") or element.get("label")):
                self.refuse(f"la colonne de sortie {column} n'a pas de nom : donnez-lui le "
                            "nom de la donnée qu'elle produit (attribut name)")
            outputs.append(column)
        if not outputs:
            self.refuse("la table n'a aucune colonne de sortie")
        return outputs

    def _rule(self, rule, number, inputs, outputs) -> None:
        where = f"règle {number}" + (f" ({rule.get('id')})" if rule.get("id") else "")
        if not rule.get("id"):
            self.refuse(f"{where} : la règle n'a pas d'identifiant (id)", True)
            return
        entries = rule.findall(q("inputEntry", self.ns))
        results = rule.findall(q("outputEntry", self.ns))
        if len(entries) != len(inputs) or len(results) != len(outputs):
            self.refuse(f"{where} : {len(entries)} cellule(s) d'entrée et {len(results)} de "
                        f"sortie pour {len(inputs)} colonne(s) d'entrée et {len(outputs)} de "
                        "sortie", True)
            return
        for entry, (column, expression) in zip(entries, inputs, strict=True):
            if not entry.get("id"):
                self.refuse(f"{where}, colonne {column} : la cellule n'a pas d'identifiant "
                            "(id)", True)
                continue
            text = _text(entry, self.ns)
            if text is None or text == "-" or expression is None:
                continue
            reason = input_cell_reason(expression, text)
            if reason:
                self.refuse(f"{where}, colonne {column} : cellule « {clean(text, 80)} » "
                            f"refusée : {reason}")
        for entry, column in zip(results, outputs, strict=True):
            if not entry.get("id"):
                self.refuse(f"{where}, colonne {column} : la cellule n'a pas d'identifiant "
                            "(id)", True)
                continue
            text = _text(entry, self.ns)
            if not text:
                continue
            reason = check_source(text, "eval")
            if reason:
                self.refuse(f"{where}, colonne {column} : cellule « {clean(text, 80)} » "
                            f"refusée : {reason}{_feel_hint(text)}")


def _text(entry, ns):
    node = entry.find(q("text", ns))
    return node.text if node is not None else None


def _column(element, number: int, kind: str) -> str:
    name = element.get("label") or element.get("name") or element.get("id") or ""
    return f"« {clean(name, 60)} »" if name else f"n° {number} ({kind})"


def input_cell_reason(input_expression: str, cell: str) -> str | None:
    """Compile an input cell exactly as SpiffWorkflow's DMNEngine.evaluate will build it."""
    if not cell.strip():
        return "la cellule ne contient que des espaces : videz-la ou écrivez « - » (toute valeur)"
    if re.match(r"\s*not\s*\(", cell):
        return ("« not(…) » est une négation FEEL ; ici elle comparerait la colonne à un "
                "booléen" + _feel_hint(cell))
    match = _QUESTION.sub("dmninputexpr", cell)
    if "dmninputexpr" in match:
        reason = check_source(match, "eval")
        return f"{reason}{_feel_hint(cell)}" if reason else None
    try:
        ast.parse(match)
        expression = f"({input_expression}) == ({match})"
        try:
            body = ast.parse(match.strip(), mode="eval").body
        except SyntaxError:
            body = None
        if isinstance(body, ast.Tuple) and not match.strip().startswith("("):
            return ("une liste de valeurs à la manière FEEL n'est pas comprise ici : écrivez "
                    f"in ({clean(match, 60)}) précédé de « ? », par exemple ? in ({clean(match, 60)})")
    except SyntaxError:
        try:
            ast.parse(f"v {match}")
        except SyntaxError as err:
            return f"erreur de syntaxe : {python_fr(err.msg)}{_feel_hint(cell)}"
        if input_expression.rstrip()[-1:].isalnum() and match[:1].isalpha():
            return (f"la cellule commence par un mot (« {clean(match, 40)} ») : écrivez-la avec "
                    "« ? » pour la valeur de la colonne, par exemple ? " + clean(match, 40))
        expression = input_expression + match
    reason = check_source(expression, "eval")
    return f"{reason}{_feel_hint(cell)}" if reason else None


def _feel_hint(text: str) -> str:
    if JUEL.search(text):
        return " — expression Camunda « ${…} » : écrivez-la en Python"
    if ".." in text:
        return (" — intervalle FEEL : écrivez une comparaison Python avec « ? », par exemple "
                "1 <= ? <= 5")
    if re.match(r"\s*not\s*\(", text):
        return " — négation FEEL : écrivez par exemple ? != \"valeur\""
    if re.search(r"\b(date|time|date and time|duration)\s*\(", text):
        return " — fonction de date FEEL : comparez des textes ISO, par exemple ? >= \"2024-01-01\""
    return " — écrivez une expression Python (texte entre guillemets, nombre, True/False)"
