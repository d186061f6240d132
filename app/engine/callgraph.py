"""Call-activity cycles: a process that calls itself, directly or through others, is refused.

Such a process never stops: each call starts the called process again, inside the same step
(« instruction_invalidite → recours → instruction_invalidite »), holding a thread and the
instance until memory runs out. The graph comes from the BPMN XML: for every `process`, the
`calledElement` of each `callActivity` it contains (embedded sub-processes included).
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from lxml import etree

from .bundle import DeployError

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


@dataclass(frozen=True)
class Call:
    filename: str
    caller: str  # process id
    activity_id: str
    activity_name: str
    called: str  # process id


def calls_in(filename: str, text: str) -> list[Call]:
    """Every call activity of a BPMN file (an unreadable file has none: the parser says why)."""
    try:
        root = etree.fromstring(text.encode("utf-8"),
                                parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return []
    found = []
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        for activity in process.iter(f"{{{BPMN_NS}}}callActivity"):
            called = (activity.get("calledElement") or "").strip()
            if called:
                found.append(Call(filename, process.get("id", ""), activity.get("id", ""),
                                  (activity.get("name") or "").strip(), called))
    return found


def call_graph(bpmn: dict[str, str]) -> list[Call]:
    return [call for name, text in sorted(bpmn.items()) for call in calls_in(name, text)]


def cycle_through(call: Call, edges: dict[str, list[str]]) -> list[str] | None:
    """The shortest cycle made by `call` (caller → called → … → caller), or None."""
    previous: dict[str, str | None] = {call.called: None}
    queue = deque([call.called])
    while queue:
        node = queue.popleft()
        if node == call.caller:
            path = [node]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]])
            return [call.caller, *reversed(path)]
        for following in edges.get(node, []):
            if following not in previous:
                previous[following] = node
                queue.append(following)
    return None


def call_cycles(bpmn: dict[str, str]) -> list[tuple[Call, list[str]]]:
    """(call activity, cycle) for every call activity lying on a cycle."""
    calls = call_graph(bpmn)
    edges: dict[str, list[str]] = {}
    for call in calls:
        edges.setdefault(call.caller, []).append(call.called)
    found = []
    for call in calls:
        cycle = cycle_through(call, edges)
        if cycle is not None:
            found.append((call, cycle))
    return found


def cycle_message(call: Call, cycle: list[str]) -> str:
    label = f"« {call.activity_name} » ({call.activity_id})" if call.activity_name \
        else f"({call.activity_id})"
    how = "s'appelle lui-même" if len(cycle) == 2 else \
        "se rappelle lui-même à travers d'autres processus"
    return (f"l'activité d'appel {label} crée un cycle d'appels : « {' → '.join(cycle)} » "
            f"(le processus {how} : il ne se terminerait jamais)")


def call_cycle_errors(sources) -> list:
    """DeployErrors (see `specs.parse_sources`) for every call activity on a cycle."""
    return [DeployError(call.filename, call.activity_id, cycle_message(call, cycle))
            for call, cycle in call_cycles(sources.bpmn)]
