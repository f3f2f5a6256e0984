"""analyzer topology on the fixture: edges connect -> bind, collisions and orphan connects from their queries."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import queries
from analyzer.cli import app
from analyzer.findings import run_query
from analyzer.report.topology import build_topology, to_dot, to_mermaid
from analyzer.store import open_store


def _model_and_collisions(store_path):
    store = open_store(str(store_path), read_only=True)
    try:
        collisions = run_query(store, queries.get("port-collisions"))
        return build_topology(store), collisions
    finally:
        store.close()


def test_topology_model_on_fixture(scanned_fixture):
    model, collisions = _model_and_collisions(scanned_fixture[0])
    edges = {(e.source, e.target, e.port): e for e in model.edges}
    pubsub = edges[("main_pc_code/agents/stt_agent.py", "main_pc_code/agents/audio_capture_agent.py", 5556)]
    assert pubsub.pattern == "pub-sub" and not pubsub.cross_machine
    assert edges[("main_pc_code/agents/session_agent.py", "main_pc_code/agents/memory_agent.py", 5560)].pattern == "req-rep"
    cross = edges[("main_pc_code/agents/health_monitor.py", "pc2_code/agents/emotion_agent.py", 5620)]
    assert cross.cross_machine
    assert model.unbound_ports == [5712]
    assert edges[("main_pc_code/agents/chitchat_agent.py", "port:5712", 5712)].orphan
    flagged = {node.id for node in model.nodes if node.collision_ports}
    assert flagged == {row[column] for row in collisions for column in ("path", "other_path") if row[column]} == {
        "main_pc_code/agents/health_monitor.py", "main_pc_code/agents/audio_capture_agent.py",
        "main_pc_code/agents/chitchat_agent.py"}
    assert model.machines == ["(shared)", "main_pc_code", "pc2_code"]
    depends = [e for e in model.edges if e.pattern == "depends"]
    assert depends and all(e.cross_machine for e in depends)
    audio = next(node for node in model.nodes if node.id == "main_pc_code/agents/audio_capture_agent.py")
    assert {f["check"] for f in audio.findings} >= {"port-collisions"}
    assert {(p.port, p.port_source) for p in audio.binds} >= {(5556, "literal")}


def test_mermaid_and_dot_texts(scanned_fixture):
    model, _ = _model_and_collisions(scanned_fixture[0])
    mermaid = to_mermaid(model)
    assert mermaid.startswith("flowchart LR")
    assert 'subgraph m_pc2_code["pc2_code"]' in mermaid
    assert "class main_pc_code_agents_health_monitor_py collision" in mermaid
    assert mermaid.count("linkStyle") == len(model.edges)
    dot = to_dot(model)
    assert dot.count(" -> ") == len(model.edges) and 'subgraph "cluster_main_pc_code"' in dot
    assert dot.count("{") == dot.count("}")


def test_topology_cli_json_and_html_file(scanned_fixture, tmp_path):
    store = str(scanned_fixture[0])
    result = CliRunner().invoke(app, ["topology", "--store", store, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["unbound_ports"] == [5712]
    drawn = {n["id"] for n in data["nodes"]} | {f"port:{p}" for p in data["unbound_ports"]}
    assert {e["source"] for e in data["edges"]} | {e["target"] for e in data["edges"]} <= drawn
    target = tmp_path / "topology.html"
    result = CliRunner().invoke(app, ["topology", "--store", store, "--out", str(target)])
    assert result.exit_code == 0, result.output
    page = target.read_text(encoding="utf-8")
    assert "cytoscape" in page
    assert "<script src=" not in page and "<link" not in page
