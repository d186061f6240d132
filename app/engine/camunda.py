"""What a Camunda 7 (`camunda:`) or Camunda 8 (`zeebe:`) diagram means on this platform.

Diagrams drawn in Camunda Modeler carry engine-specific attributes and expressions that
SpiffWorkflow ignores (a service task with a Java class simply does nothing here) or that
fail as Python (a `${…}` JUEL or `= …` FEEL condition). `explain_camunda` lists each one, in
French, naming the element: what it meant in Camunda, what happens here, what to write
instead.
"""
from __future__ import annotations

import io
import re
import tokenize

from lxml import etree

from .bundle import DeployError
from .camunda_texts import (
    CAMUNDA_ATTRIBUTES,
    CAMUNDA_ELEMENTS,
    KINDS,
    USELESS,
    ZEEBE_ELEMENTS,
)

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA_DMN = "http://camunda.org/schema/1.0/dmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
CAMUNDA_NAMESPACES = {CAMUNDA: "camunda", CAMUNDA_DMN: "camunda", ZEEBE: "zeebe"}

# Children of an extension element: explained with their parent, not again.
INNER = {"inputParameter", "outputParameter", "property", "formField", "validation",
         "constraint", "value", "script", "string", "expression", "header", "input", "output",
         "list", "map", "entry", "inputOutput", "connectorId", "field", "properties"}
SUBSCRIPTION_OWNERS = {"message"}


def explain_camunda(filename: str, text: str) -> list[DeployError]:
    """One French message per Camunda feature found (element id first); [] if none."""
    try:
        root = etree.fromstring(text.encode("utf-8"), etree.XMLParser(
            resolve_entities=False, no_network=True, huge_tree=False))
    except (etree.XMLSyntaxError, ValueError):
        return []
    found: list[DeployError] = []

    def add(element, reason: str) -> None:
        owner = _owner(element)
        found.append(DeployError(filename, owner.get("id") or "",
                                 f"{_label(owner)} : {reason}"))

    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element)
        if name.namespace in CAMUNDA_NAMESPACES:
            _explain_extension(element, name, add)
            continue
        _explain_attributes(element, add)
        _explain_expressions(element, name.localname, add)
        language = (element.get("expressionLanguage") or "").lower()
        if language and language not in PYTHON_SCRIPTS:
            add(element, f"expressionLanguage=\"{_short(language)}\" : Camunda évalue ces "
                         "expressions dans ce langage, ici elles sont évaluées en Python ; "
                         "retirez l'attribut et écrivez les expressions en Python.")
    return found


NOT_OWNERS = {"extensionElements", "conditionExpression", "script", "timeDuration",
              "timeDate", "timeCycle", "condition", "multiInstanceLoopCharacteristics"}


def _owner(element):
    """The BPMN/DMN element an attribute or expression belongs to (task, flow, event…)."""
    current = element
    while current is not None:
        name = etree.QName(current)
        if (name.namespace not in CAMUNDA_NAMESPACES and current.get("id")
                and name.localname not in NOT_OWNERS
                and not name.localname.endswith("EventDefinition")):
            return current
        current = current.getparent()
    return element


def _label(element) -> str:
    name = (element.get("name") or "").strip()
    kind = KINDS.get(etree.QName(element).localname, etree.QName(element).localname)
    ident = element.get("id") or ""
    if name:
        return f"« {name} » ({ident})" if ident else f"« {name} »"
    return f"{kind} ({ident})" if ident else kind


def _explain_attributes(element, add) -> None:
    attributes = {etree.QName(key): value for key, value in element.attrib.items()}
    for key, value in attributes.items():
        prefix = CAMUNDA_NAMESPACES.get(key.namespace or "")
        if prefix is None:
            continue
        local = key.localname
        if local == "topic" and any(k.localname == "type" and k.namespace == key.namespace
                                    for k in attributes):
            continue  # explained with camunda:type
        meaning, here = CAMUNDA_ATTRIBUTES.get(local, (
            "c'est un réglage propre au moteur", f"ignoré ici ; {USELESS}"))
        shown = f"{prefix}:{local}=\"{_short(value)}\""
        if local == "type":
            topic = next((v for k, v in attributes.items() if k.localname == "topic"), "")
            if topic:
                shown += f" avec {prefix}:topic=\"{_short(topic)}\""
        extra = ""
        if local in {"expression", "delegateExpression", "assignee", "candidateGroups",
                     "candidateUsers"} and _is_juel(value):
            extra = " (expression JUEL, non évaluée ici)"
        add(element, f"{shown} : dans Camunda, {meaning}{extra} ; {here}.")


def _explain_extension(element, name, add) -> None:
    local = name.localname
    parent = element.getparent()
    parent_local = etree.QName(parent).localname if parent is not None else ""
    parent_namespace = etree.QName(parent).namespace if parent is not None else ""
    if parent_namespace in CAMUNDA_NAMESPACES:
        return  # inside another Camunda element: explained with it
    if parent_local != "extensionElements" and local in INNER:
        return
    prefix = CAMUNDA_NAMESPACES[name.namespace]
    table = ZEEBE_ELEMENTS if name.namespace == ZEEBE else CAMUNDA_ELEMENTS
    meaning, here = table.get(local, ("c'est une extension propre au moteur",
                                      f"ignorée ici ; {USELESS}"))
    details = _extension_details(element, local)
    add(element, f"<{prefix}:{local}>{details} : dans Camunda, {meaning} ; {here}.")


def _extension_details(element, local: str) -> str:
    """The values worth repeating (job type, form id, assignee, correlation key…)."""
    keys = {"taskDefinition": ("type",), "formDefinition": ("formKey", "formId"),
            "assignmentDefinition": ("assignee", "candidateGroups", "candidateUsers"),
            "calledElement": ("processId",), "calledDecision": ("decisionId",),
            "subscription": ("correlationKey",), "script": ("expression",),
            "executionListener": ("event", "class", "expression", "delegateExpression"),
            "taskListener": ("event", "class", "expression", "delegateExpression")}
    parts = [f"{key}=\"{_short(element.get(key))}\"" for key in keys.get(local, ())
             if element.get(key)]
    if local == "calledDecision" and element.get("resultVariable"):
        parts.append(f"resultVariable=\"{_short(element.get('resultVariable'))}\"")
    if local == "subscription" and element.get("correlationKey"):
        python = to_python(element.get("correlationKey"))
        if python:
            parts.append(f"(en Python : {python})")
    return f" ({', '.join(parts)})" if parts else ""


TIMERS = {"timeDuration", "timeDate", "timeCycle"}
ISO_TIMER = re.compile(r"^(R\d*/)?(P(?=\d|T\d)[\dYMWD]*(T[\d.HMS]+)?|\d{4}-\d{2}-\d{2}T[\d:.+\-Z]+)$")
PYTHON_SCRIPTS = {"", "python", "text/x-python", "py"}


def _explain_expressions(element, local: str, add) -> None:
    text = (element.text or "").strip()
    if local in {"conditionExpression", "condition"} and text:
        language = (element.get("language") or "").lower()
        if _is_feel(text) or _is_juel(text) or language in {"feel", "juel", "javascript",
                                                            "groovy"}:
            add(element, _condition_message(text, language))
    elif local in TIMERS and text:
        if _is_feel(text) or _is_juel(text):
            python = to_python(text)
            suggestion = (f"écrivez `{python}`" if python else
                          "écrivez une expression Python qui donne une durée ISO 8601 entre "
                          "guillemets, par ex. `\"P2M\"`, ou une date")
            add(element, f"le minuteur « {_short(text)} » est en {_language(text)} : Camunda "
                         f"l'évalue, ici le minuteur est une expression Python et celle-ci "
                         f"serait refusée ; {suggestion}.")
        elif ISO_TIMER.match(text):
            add(element, f"le minuteur « {text} » est écrit sans guillemets comme dans "
                         f"Camunda ; ici le minuteur est une expression Python : écrivez "
                         f"`\"{text}\"` (entre guillemets).")
    elif local == "scriptTask":
        script_format = (element.get("scriptFormat") or "").strip().lower()
        script = next((c.text or "" for c in element if isinstance(c.tag, str)
                       and etree.QName(c).localname == "script"), "")
        if script_format not in PYTHON_SCRIPTS or _is_feel(script.strip()):
            shown = script_format or "FEEL"
            add(element, f"le script est en {shown} : Camunda l'exécute avec son moteur de "
                         "scripts, ici seuls les scripts Python (restreints) sont exécutés et "
                         "celui-ci serait refusé ; réécrivez-le en Python (par ex. "
                         "`total = montant * 2`) et retirez scriptFormat ou mettez "
                         "scriptFormat=\"python\".")


def _condition_message(text: str, language: str) -> str:
    python = to_python(text)
    kind = _language(text) if (_is_feel(text) or _is_juel(text)) else language
    start = (f"la condition « {_short(text)} » est en {kind} : Camunda l'évalue, ici les "
             "conditions sont des expressions Python sur les variables du dossier")
    if python:
        return f"{start} ; écrivez `{python}`."
    return (f"{start} ; réécrivez-la en Python (and, or, not, ==, !=, <, >, les variables par "
            "leur nom, par ex. `montant > 100 and categorie == 2`).")


def _language(text: str) -> str:
    return "FEEL (Camunda 8)" if _is_feel(text) else "JUEL (Camunda 7)"


def _is_feel(text: str) -> bool:
    return text.startswith("=")


def _is_juel(text: str) -> bool:
    return bool(re.fullmatch(r"\s*[$#]\{.*\}\s*", text or "", re.DOTALL))


def _short(value: str | None, limit: int = 80) -> str:
    value = " ".join((value or "").split())
    return value if len(value) <= limit else value[:limit - 1] + "…"


# ----- JUEL / FEEL → Python for simple expressions --------------------------------------
WORDS = {"and": "and", "or": "or", "not": "not", "eq": "==", "ne": "!=", "lt": "<",
         "gt": ">", "le": "<=", "ge": ">=", "true": "True", "false": "False", "null": "None",
         "div": "/", "mod": "%"}
# JUEL/FEEL words with no one-to-one Python spelling: no suggestion rather than a wrong one.
UNSUPPORTED = {"empty", "instanceof", "if", "then", "else", "some", "every", "satisfies",
               "for", "return", "between", "in", "is", "function", "True", "False", "None"}
SYMBOLS = {"&&": "and", "||": "or", "!": "not", "==": "==", "!=": "!=", "=": "==", "<": "<",
           ">": ">", "<=": "<=", ">=": ">=", "(": "(", ")": ")", "+": "+", "-": "-",
           "*": "*", "/": "/"}
LEXEME = re.compile(r"\s*(?:(?P<string>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
                    r"|(?P<number>\d+(?:\.\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<symbol>&&|\|\||==|!=|<=|>=|[!=<>()+\-*/]))")


def to_python(expression: str) -> str | None:
    """`${a > 100 && b == "x"}` or `= a > 100 and b = "x"` → `a > 100 and b == "x"`;
    None when the expression is not simple enough to translate safely."""
    body = (expression or "").strip()
    juel = re.fullmatch(r"[$#]\{(.*)\}", body, re.DOTALL)
    if juel:
        body = juel.group(1)
    elif body.startswith("="):
        body = body[1:]
    else:
        return None
    out: list[str] = []
    position, body = 0, body.strip()
    while position < len(body):
        match = LEXEME.match(body, position)
        if not match or match.end() == position:
            return None
        position = match.end()
        if match.group("string"):
            out.append(match.group("string"))
        elif match.group("number"):
            out.append(match.group("number"))
        elif match.group("name"):
            word = match.group("name")
            if word in UNSUPPORTED:
                return None
            following = body[position:].lstrip()[:1]
            if following == "(" and word != "not":
                return None  # a function call: no safe translation
            out.append(WORDS.get(word, word))
        else:
            out.append(SYMBOLS[match.group("symbol")])
    if not out:
        return None
    python = " ".join(out).replace("( ", "(").replace(" )", ")")
    python = re.sub(r"\bnot \(", "not (", python)
    try:
        compile(python, "<condition>", "eval")
        list(tokenize.generate_tokens(io.StringIO(python).readline))
    except (SyntaxError, tokenize.TokenError):
        return None
    return python
