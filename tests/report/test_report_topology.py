"""analyzer topology on the fixture: edges connect -> bind, problems from their queries, copies apart, diagrams that fit."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from analyzer import queries
from analyzer.cli import app
from analyzer.findings import run_query
from analyzer.report.topology import (MAX_CHARACTERS, MAX_EDGES, AgentNode, Edge, Topology, build_topology,
                                      mermaid_diagram, plan_diagrams, to_dot, to_mermaid)
from analyzer.store import open_store


def _model_and_rows(store_path):
    store = open_store(str(store_path), read_only=True)
    try:
        rows = {query_id: run_query(store, queries.get(query_id))
                for query_id in ("port-collisions", "socket-kind-mismatch", "orphan-connects")}
        return build_topology(store), rows
    finally:
        store.close()


def test_topology_model_on_fixture(scanned_fixture):
    model, rows = _model_and_rows(scanned_fixture[0])
    edges = {(e.source, e.target, e.port): e for e in model.edges}
    pubsub = edges[("main_pc_code/agents/stt_agent.py", "main_pc_code/agents/audio_capture_agent.py", 5556)]
    assert pubsub.pattern == "pub-sub" and not pubsub.cross_machine
    assert (pubsub.connect_kind, pubsub.bind_kind) == ("SUB", "PUB")
    assert edges[("main_pc_code/agents/session_agent.py", "main_pc_code/agents/memory_agent.py", 5560)].pattern == "req-rep"
    cross = edges[("main_pc_code/agents/health_monitor.py", "pc2_code/agents/emotion_agent.py", 5620)]
    assert cross.cross_machine
    assert model.unbound_ports == [row["port"] for row in rows["orphan-connects"]] == [5712]
    assert edges[("main_pc_code/agents/chitchat_agent.py", "port:5712", 5712)].orphan
    # A collision marks every binder of the (machine, port) the query reports, however many rows it gives a problem.
    contested = {(row["machine"], row["port"]) for row in rows["port-collisions"]}
    flagged = {node.id for node in model.nodes if node.collision_ports}
    assert flagged == {node.id for node in model.nodes for bind in node.binds if (node.machine, bind.port) in contested}
    assert flagged >= {row["path"] for row in rows["port-collisions"]} | {
        "main_pc_code/agents/health_monitor.py", "main_pc_code/agents/audio_capture_agent.py"}
    # Socket kind mismatches are the query's rows, on the edge from the connect to the bind.
    assert {(e.source, e.port, e.target) for e in model.edges if e.mismatch} == {
        (row["path"], row["port"], row["bind_path"]) for row in rows["socket-kind-mismatch"]} != set()
    assert model.machines == ["(shared)", "main_pc_code", "pc2_code"]
    depends = [e for e in model.edges if e.pattern == "depends"]
    assert depends and all(e.cross_machine for e in depends)
    monitor = next(node for node in model.nodes if node.id == "main_pc_code/agents/health_monitor.py")
    audio = next(node for node in model.nodes if node.id == "main_pc_code/agents/audio_capture_agent.py")
    assert {f["check"] for f in audio.findings} >= {"port-collisions"}  # the row sits at the port's first bind
    assert {(p.port, p.port_source) for p in monitor.binds} >= {(5556, "literal")}
    assert (monitor.name, monitor.copy) == ("main_pc_code.agents.health_monitor", False)


def test_live_view_leaves_copies_and_their_edges_out(scanned_fixture):
    model, _ = _model_and_rows(scanned_fixture[0])
    copies = {node.id for node in model.nodes if node.copy}
    assert "main_pc_code/agents/translator_agent_backup.py" in copies
    assert model.copies == len(copies)
    live = model.live()
    assert {node.id for node in live.nodes} == {node.id for node in model.nodes} - copies
    assert live.edges == [e for e in model.edges if e.source not in copies and e.target not in copies]


def test_mermaid_and_dot_texts(scanned_fixture):
    model, _ = _model_and_rows(scanned_fixture[0])
    mermaid = to_mermaid(model)
    assert mermaid.startswith("flowchart LR") and "```" not in mermaid  # small enough: one diagram, no page
    assert 'subgraph m_pc2_code["pc2_code"]' in mermaid
    monitor = next(i for i, n in enumerate(model.nodes) if n.id == "main_pc_code/agents/health_monitor.py")
    assert f'n{monitor}["health_monitor"]' in mermaid and f"class n{monitor} collision" in mermaid
    assert mermaid.count("linkStyle") == len(model.edges)
    dot = to_dot(model)
    assert dot.count(" -> ") == len(model.edges) and 'subgraph "cluster_main_pc_code"' in dot
    assert dot.count("{") == dot.count("}")


def _big(agents_per_machine: int, links_per_machine: int, cross: int) -> Topology:
    """Two machines of agents in a ring of links each, plus `cross` links between the machines."""
    nodes = [AgentNode(f"{m}/agents/agent_{i}.py", f"agent_{i}", f"{m}.agents.agent_{i}", m, True, False, "")
             for m in ("main_pc_code", "pc2_code") for i in range(agents_per_machine)]
    edges = []
    for machine in ("main_pc_code", "pc2_code"):
        for k in range(links_per_machine):
            source, target = k % agents_per_machine, (k * 7 + 1) % agents_per_machine
            edges.append(Edge(f"{machine}/agents/agent_{source}.py", f"{machine}/agents/agent_{target}.py",
                              6000 + k, "req-rep", f"{6000 + k} REQ→REP", "REQ", "REP"))
    edges += [Edge(f"main_pc_code/agents/agent_{k}.py", f"pc2_code/agents/agent_{k}.py", 7000 + k, "pub-sub",
                   f"{7000 + k} SUB→PUB", "SUB", "PUB", cross_machine=True) for k in range(cross)]
    return Topology(nodes, [], edges, [], [], [], [])


def _diagrams(page: str) -> list[str]:
    return re.findall(r"```mermaid\n(.*?)\n```", page, re.DOTALL)


def test_mermaid_splits_per_machine_when_the_whole_graph_is_too_large():
    model = _big(agents_per_machine=120, links_per_machine=300, cross=20)
    assert len(model.edges) > MAX_EDGES
    page = to_mermaid(model, "ZeroMQ topology: big")
    assert page.startswith("# ZeroMQ topology: big") and "one diagram per machine" in page
    diagrams = _diagrams(page)
    assert len(diagrams) == 2
    for diagram in diagrams:
        assert len(diagram) <= MAX_CHARACTERS and diagram.count("linkStyle") <= MAX_EDGES
    # Every link is in some diagram; a cross-machine link in both machines' diagrams.
    assert sum(d.count("linkStyle") for d in diagrams) == len(model.edges) + 20


def test_mermaid_keeps_only_the_problems_when_one_machine_is_too_large():
    model = _big(agents_per_machine=200, links_per_machine=700, cross=30)
    plan = plan_diagrams(model, mermaid_diagram)
    assert "only the problems" in plan.note
    assert [len(d.topology.edges) for d in plan.diagrams] == [30]
    assert all(e.cross_machine for d in plan.diagrams for e in d.topology.edges)
    dot = to_dot(model)
    assert dot.startswith("// The whole graph") and dot.count(" -> ") == 30


def test_topology_cli_json_and_html_file(scanned_fixture, tmp_path):
    store = str(scanned_fixture[0])
    result = CliRunner().invoke(app, ["topology", "--store", store, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["unbound_ports"] == [5712] and not any(node["copy"] for node in data["nodes"])
    drawn = {n["id"] for n in data["nodes"]} | {f"port:{p}" for p in data["unbound_ports"]}
    assert {e["source"] for e in data["edges"]} | {e["target"] for e in data["edges"]} <= drawn
    with_copies = json.loads(CliRunner().invoke(app, ["topology", "--store", store, "--format", "json",
                                                      "--include-copies"]).stdout)
    assert len(with_copies["nodes"]) - len(data["nodes"]) == sum(node["copy"] for node in with_copies["nodes"]) > 0
    target = tmp_path / "topology.html"
    result = CliRunner().invoke(app, ["topology", "--store", store, "--out", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "cytoscape" in page and 'id="topo-search"' in page and 'id="view-ports"' in page
    assert "<script src=" not in page and "<link" not in page
