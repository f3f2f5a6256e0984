"""The ZeroMQ topology: agents grouped by machine, edges from each connect to the binds of its port.

A connect is matched to every bind of the same resolved port anywhere in the
repository (machine-blind, as the orphan-connects query is: a connect's host is
usually a variable). Collisions come from the port-collisions query, orphan
connects from orphan-connects, so the diagram shows exactly what those queries report.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

import queries
from analyzer.findings import Finding, collect_findings, run_query
from analyzer.report.reads import CROSS_MACHINE_DEPENDENCIES, ENDPOINTS, MODULES, read
from analyzer.store import GraphStore

# Socket kind -> the messaging pattern an edge is coloured by.
PATTERN_OF_KIND = {
    "PUB": "pub-sub", "SUB": "pub-sub", "XPUB": "pub-sub", "XSUB": "pub-sub",
    "REQ": "req-rep", "REP": "req-rep", "ROUTER": "req-rep", "DEALER": "req-rep",
    "PUSH": "push-pull", "PULL": "push-pull", "PAIR": "pair",
}
PATTERN_COLOURS = {"pub-sub": "#1f77b4", "req-rep": "#2ca02c", "push-pull": "#ff7f0e", "pair": "#9467bd",
                   "other": "#7f7f7f", "depends": "#8c564b"}
HIGHLIGHT_COLOUR = "#d62728"  # collisions and orphan connects
LEGEND = (
    ("pub-sub", "PUB / SUB edge"), ("req-rep", "REQ / REP (ROUTER / DEALER) edge"), ("push-pull", "PUSH / PULL edge"),
    ("pair", "PAIR edge"), ("other", "socket kind unknown"), ("depends", "configured cross-machine dependency"),
)


@dataclass
class Port:
    port: int | None
    action: str
    socket_kind: str
    line: int
    port_source: str
    port_origin: str


@dataclass
class AgentNode:
    id: str  # the module's path
    label: str
    machine: str
    agent: bool
    backup: bool
    binds: list[Port] = field(default_factory=list)
    connects: list[Port] = field(default_factory=list)
    collision_ports: list[int] = field(default_factory=list)
    orphan_ports: list[int] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Edge:
    source: str  # connecting module path (or an unbound port node)
    target: str  # binding module path
    port: int | None
    pattern: str
    label: str
    cross_machine: bool = False
    orphan: bool = False


@dataclass
class Topology:
    nodes: list[AgentNode]
    unbound_ports: list[int]  # ports some module connects to and none binds: one node each
    edges: list[Edge]
    collisions: list[dict[str, Any]]  # port-collisions rows
    orphans: list[dict[str, Any]]  # orphan-connects rows
    dependencies: list[dict[str, Any]]  # configured cross-machine dependencies

    @property
    def machines(self) -> list[str]:
        return sorted({node.machine for node in self.nodes})

    def node_count(self) -> int:
        """Agents plus unbound-port nodes: what the diagram draws, machine boxes aside."""
        return len(self.nodes) + len(self.unbound_ports)

    def as_dict(self) -> dict[str, Any]:
        return {"machines": self.machines, **asdict(self)}


def build_topology(store: GraphStore, repository: str | None = None,
                   findings: list[Finding] | None = None) -> Topology:
    modules = {m["path"]: m for m in read(store, MODULES, repository) if not m["is_test"]}
    endpoints = [e for e in read(store, ENDPOINTS, repository) if e["path"] in modules]
    nodes = {path: _node(modules[path]) for path in sorted({e["path"] for e in endpoints})}
    for endpoint in endpoints:
        port = Port(endpoint["port"], endpoint["action"], endpoint["socket_kind"] or "", endpoint["line"],
                    endpoint["port_source"] or "", endpoint["port_origin"] or "")
        (nodes[endpoint["path"]].binds if port.action == "bind" else nodes[endpoint["path"]].connects).append(port)
    collisions = _rows(store, "port-collisions", repository)
    orphans = _rows(store, "orphan-connects", repository)
    for row in collisions:  # one row per machine and port: its first binder and the next one
        for path in (row["path"], row.get("other_path")):
            if path in nodes:
                _add_once(nodes[path].collision_ports, row["port"])
    for row in orphans:
        _add_once(nodes[row["path"]].orphan_ports, row["port"]) if row["path"] in nodes else None
    for finding in findings if findings is not None else collect_findings(store, repository):
        if finding.path in nodes:
            nodes[finding.path].findings.append(
                {"check": finding.check, "severity": finding.severity, "line": finding.line, "message": finding.message})
    dependencies = read(store, CROSS_MACHINE_DEPENDENCIES, repository)
    edges = [*_socket_edges(list(nodes.values())), *_orphan_edges(orphans, nodes),
             *_dependency_edges(dependencies, nodes)]
    unbound = sorted({row["port"] for row in orphans if row["path"] in nodes})
    return Topology(list(nodes.values()), unbound, edges, collisions, orphans, dependencies)


def _node(module: dict[str, Any]) -> AgentNode:
    label = module["path"].rsplit("/", 1)[-1].removesuffix(".py")
    return AgentNode(module["path"], label, module["machine"] or "(shared)", bool(module["is_agent"]),
                     bool(module["is_copy"]))


def _rows(store: GraphStore, query_id: str, repository: str | None) -> list[dict[str, Any]]:
    """A library query's rows, or none when the library has no such query."""
    known = {query.id: query for query in queries.load_all()}
    return run_query(store, known[query_id], None, repository) if query_id in known else []


def _add_once(values: list[int], value: int) -> None:
    if value not in values:
        values.append(value)


def _socket_edges(nodes: list[AgentNode]) -> list[Edge]:
    binders: dict[int, list[tuple[AgentNode, Port]]] = defaultdict(list)
    for node in nodes:
        for bind in node.binds:
            if bind.port is not None:
                binders[bind.port].append((node, bind))
    edges: dict[tuple[str, str, int], Edge] = {}
    for node in nodes:
        for connect in node.connects:
            if connect.port is None:
                continue
            for target, bind in binders.get(connect.port, []):
                if target.id != node.id:
                    edges.setdefault((node.id, target.id, connect.port), Edge(
                        node.id, target.id, connect.port, _pattern(bind.socket_kind or connect.socket_kind),
                        f"{connect.port} {connect.socket_kind or '?'}→{bind.socket_kind or '?'}",
                        cross_machine=node.machine != target.machine))
    return list(edges.values())


def _orphan_edges(orphans: list[dict[str, Any]], nodes: dict[str, AgentNode]) -> list[Edge]:
    """One edge per orphan-connects row, to the node of its unbound port."""
    return [Edge(row["path"], f"port:{row['port']}", row["port"], _pattern(row["socket_kind"]),
                 f"{row['port']} {row['socket_kind'] or '?'} (nothing binds)", orphan=True)
            for row in orphans if row["path"] in nodes]


def _dependency_edges(dependencies: list[dict[str, Any]], nodes: dict[str, AgentNode]) -> list[Edge]:
    return [Edge(row["path"], row["other_path"], None, "depends", f"{row['agent']} depends on {row['depends_on']}",
                 cross_machine=True)
            for row in dependencies if row["path"] in nodes and row["other_path"] in nodes]


def _pattern(socket_kind: str | None) -> str:
    return PATTERN_OF_KIND.get((socket_kind or "").upper(), "other")


# --- text renderings ------------------------------------------------------------------------------

def to_json(topology: Topology) -> str:
    return json.dumps(topology.as_dict(), indent=2, ensure_ascii=False)


def _safe_id(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def to_mermaid(topology: Topology) -> str:
    lines = ["flowchart LR"]
    for machine in topology.machines:
        lines.append(f'  subgraph {_safe_id("m_" + machine)}["{machine}"]')
        lines += [f'    {_safe_id(n.id)}["{n.label}"]' for n in topology.nodes if n.machine == machine]
        lines.append("  end")
    lines += [f'  {_safe_id(f"port:{port}")}(("{port}: nothing binds"))' for port in topology.unbound_ports]
    link_styles = []
    for index, edge in enumerate(topology.edges):
        arrow = "-.->" if edge.cross_machine or edge.orphan else "-->"
        lines.append(f'  {_safe_id(edge.source)} {arrow}|"{edge.label}"| {_safe_id(edge.target)}')
        colour = HIGHLIGHT_COLOUR if edge.orphan else PATTERN_COLOURS[edge.pattern]
        link_styles.append(f"  linkStyle {index} stroke:{colour},stroke-width:2px")
    lines += link_styles
    lines.append(f"  classDef collision stroke:{HIGHLIGHT_COLOUR},stroke-width:3px")
    lines.append(f"  classDef orphan fill:#fde0e0,stroke:{HIGHLIGHT_COLOUR}")
    lines += [f"  class {_safe_id(n.id)} collision" for n in topology.nodes if n.collision_ports]
    lines += [f"  class {_safe_id(f'port:{port}')} orphan" for port in topology.unbound_ports]
    return "\n".join(lines)


def to_dot(topology: Topology) -> str:
    lines = ["digraph zmq_topology {", "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for machine in topology.machines:
        lines.append(f'  subgraph "cluster_{machine}" {{ label="{machine}";')
        for node in (n for n in topology.nodes if n.machine == machine):
            style = f', color="{HIGHLIGHT_COLOUR}", penwidth=3' if node.collision_ports else ""
            lines.append(f'    "{node.id}" [label="{node.label}"{style}];')
        lines.append("  }")
    lines += [f'  "port:{port}" [label="{port}: nothing binds", shape=ellipse, color="{HIGHLIGHT_COLOUR}"];'
              for port in topology.unbound_ports]
    for edge in topology.edges:
        colour = HIGHLIGHT_COLOUR if edge.orphan else PATTERN_COLOURS[edge.pattern]
        style = ', style="dashed"' if edge.cross_machine or edge.orphan else ""
        lines.append(f'  "{edge.source}" -> "{edge.target}" [label="{edge.label}", color="{colour}"{style}];')
    lines.append('  subgraph "cluster_legend" { label="legend"; node [shape=plaintext];')
    lines += [f'    "legend_{key}" [label="{text}", fontcolor="{PATTERN_COLOURS[key]}"];' for key, text in LEGEND]
    lines += [f'    "legend_collision" [label="red border: port collision; red edge: orphan connect", '
              f'fontcolor="{HIGHLIGHT_COLOUR}"];', "  }", "}"]
    return "\n".join(lines)
