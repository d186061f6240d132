"""Call-activity cycles are refused at deploy: a process calling itself, directly or through
other processes, would never stop (its step holds a thread and the database)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.engine.callgraph import call_cycles
from app.engine.deploy import deploy, read_folders
from app.engine.specs import DeployRefused, Sources, parse_sources
from app.models import ProcessVersion

from .conftest import FIXTURES, ROOT


def process(key: str, name: str, calls: dict[str, tuple[str, str]]) -> str:
    """A process: start → one call activity per entry (id → (name, called)) → end."""
    steps, flows, previous = [], [], "debut"
    for index, (activity_id, (label, called)) in enumerate(calls.items()):
        steps.append(f'<bpmn:callActivity id="{activity_id}" name="{label}" '
                     f'calledElement="{called}"><bpmn:incoming>f{index}</bpmn:incoming>'
                     f'<bpmn:outgoing>f{index + 1}</bpmn:outgoing></bpmn:callActivity>')
        flows.append(f'<bpmn:sequenceFlow id="f{index}" sourceRef="{previous}" '
                     f'targetRef="{activity_id}" />')
        previous = activity_id
    last = len(calls)
    flows.append(f'<bpmn:sequenceFlow id="f{last}" sourceRef="{previous}" targetRef="fin" />')
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="Definitions_{key}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{key}" name="{name}" isExecutable="true">
    <bpmn:startEvent id="debut"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>
    {''.join(steps)}
    <bpmn:endEvent id="fin"><bpmn:incoming>f{last}</bpmn:incoming></bpmn:endEvent>
    {''.join(flows)}
  </bpmn:process>
</bpmn:definitions>"""


def refusal(sources: Sources) -> str:
    with pytest.raises(DeployRefused) as caught:
        parse_sources(sources)
    return str(caught.value)


def test_a_process_calling_itself_is_refused_naming_the_call_activity():
    sources = Sources(bpmn={"boucle.bpmn": process(
        "boucle", "Boucle", {"rappel": ("Se rappeler", "boucle")})})
    message = refusal(sources)
    print(message)
    assert "boucle.bpmn" in message
    assert "« Se rappeler » (rappel)" in message
    assert "« boucle → boucle »" in message
    assert "cycle d'appels" in message


def test_a_cycle_through_another_process_is_refused_in_each_file():
    sources = Sources(bpmn={
        "instruction.bpmn": process("instruction_invalidite", "Instruction",
                                    {"appel_recours": ("Recours amiable", "recours")}),
        "recours.bpmn": process("recours", "Recours",
                                {"reinstruire": ("Réinstruire la demande",
                                                 "instruction_invalidite")}),
    })
    message = refusal(sources)
    print(message)
    assert "« Recours amiable » (appel_recours)" in message
    assert "« instruction_invalidite → recours → instruction_invalidite »" in message
    assert "« Réinstruire la demande » (reinstruire)" in message
    assert "« recours → instruction_invalidite → recours »" in message


def test_a_longer_cycle_is_named_whole_and_a_call_outside_it_is_not_blamed():
    sources = Sources(bpmn={
        "a.bpmn": process("proc_a", "A", {"vers_b": ("Vers B", "proc_b")}),
        "b.bpmn": process("proc_b", "B", {"vers_c": ("Vers C", "proc_c")}),
        "c.bpmn": process("proc_c", "C", {"vers_a": ("Vers A", "proc_a")}),
        "d.bpmn": process("proc_d", "D", {"vers_a_aussi": ("Vers A aussi", "proc_a")}),
    })
    found = {call.activity_id: cycle for call, cycle in call_cycles(sources.bpmn)}
    assert found == {"vers_b": ["proc_a", "proc_b", "proc_c", "proc_a"],
                     "vers_c": ["proc_b", "proc_c", "proc_a", "proc_b"],
                     "vers_a": ["proc_c", "proc_a", "proc_b", "proc_c"]}
    assert "proc_a → proc_b → proc_c → proc_a" in refusal(sources)


def test_a_call_inside_an_embedded_subprocess_counts_for_its_process():
    text = process("englobant", "Englobant", {}).replace(
        '<bpmn:endEvent id="fin">',
        '<bpmn:subProcess id="bloc"><bpmn:startEvent id="s1" />'
        '<bpmn:callActivity id="interne" name="Appel interne" calledElement="englobant" />'
        '</bpmn:subProcess><bpmn:endEvent id="fin">')
    found = call_cycles({"englobant.bpmn": text})
    assert [(c.activity_id, cycle) for c, cycle in found] == [
        ("interne", ["englobant", "englobant"])]


def test_a_chain_without_cycle_deploys(session_factory):
    sources = Sources(bpmn={
        "a.bpmn": process("proc_a", "A", {"vers_b": ("Vers B", "proc_b")}),
        "b.bpmn": process("proc_b", "B", {}),
    })
    assert call_cycles(sources.bpmn) == []
    with session_factory() as session, session.begin():
        report = deploy(session, sources, "test")
    assert report.new_versions == {"proc_a": 1, "proc_b": 1}


def test_a_refused_cycle_writes_nothing(session_factory):
    sources = Sources(bpmn={"boucle.bpmn": process(
        "boucle", "Boucle", {"rappel": ("Se rappeler", "boucle")})})
    with pytest.raises(DeployRefused, match="cycle d'appels"), session_factory() as session, \
            session.begin():
        deploy(session, sources, "test")
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 0


def test_the_real_processes_and_the_fixtures_still_deploy(session_factory):
    real = read_folders(ROOT / "processes", ROOT / "forms")
    assert call_cycles(real.bpmn) == []
    with session_factory() as session, session.begin():
        report = deploy(session, real, "test")
    assert {"demande_pension_invalidite", "instruction_invalidite",
            "recours_amiable"} <= set(report.new_versions)
    assert parse_sources(read_folders(FIXTURES / "processes", FIXTURES / "forms"))


def test_a_cycle_deployed_before_the_check_stops_as_an_incident(session_factory, runtime,
                                                                 users, monkeypatch):
    """Versions deployed under older checks still load (SpecCache is lenient): their
    endless calls are cut by the runtime's engine guard instead of holding the thread."""
    import time

    from app.engine import callgraph
    from app.engine.errors import IncidentRaised
    from app.models import Incident

    monkeypatch.setattr(callgraph, "call_cycles", lambda bpmn: [])
    sources = Sources(bpmn={"boucle.bpmn": process(
        "boucle", "Boucle", {"rappel": ("Se rappeler", "boucle")})})
    with session_factory() as session, session.begin():
        deploy(session, sources, "test")
    began = time.perf_counter()
    with pytest.raises(IncidentRaised):
        runtime.start("boucle", user_id=users["superviseur"].id)
    elapsed = time.perf_counter() - began
    print(f"\nappel récursif arrêté après {elapsed:.2f} s")
    assert elapsed < 30
    with session_factory() as session:
        message = session.scalars(select(Incident.message)).one()
    assert "L'étape ne s'arrête pas" in message
