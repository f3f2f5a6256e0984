"""The ZeroMQ topology: agents grouped by machine, edges from each connect to the binds of its port.

A connect is matched to every bind of the same resolved port anywhere in the
repository (machine-blind, as the orphan-connects query is: a connect's host is
usually a variable). The problems come from the library's queries, so the
diagram shows exactly what they report: port-collisions (by machine and port),
orphan-connects (by module and port) and socket-kind-mismatch (by connect and bind).
Copies (`Module.is_copy`) are in the model, marked; the views leave them out by default.

Mermaid and Graphviz renderings stay within what GitHub's Mermaid renders
(MAX_EDGES edges, MAX_CHARACTERS characters per diagram): the whole graph when it
fits, else one diagram per machine, else only the problems, each time saying so.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from analyzer import queries
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
HIGHLIGHT_COLOUR = "#d62728"  # collisions, orphan connects, kind mismatches
LEGEND = (
    ("pub-sub", "PUB / SUB"), ("req-rep", "REQ / REP, ROUTER / DEALER"), ("push-pull", "PUSH / PULL"),
    ("pair", "PAIR"), ("other", "socket kind unknown"), ("depends", "configured cross-machine dependency"),
)
# The problems a view can be limited to, with how the page and the text renderings name them.
PROBLEMS = {"collision": "port collisions", "orphan": "connects nobody serves",
            "mismatch": "socket kind mismatches", "cross": "cross-machine links"}
SHARED_MACHINE = "(shared)"  # modules outside every machine root
# GitHub renders a Mermaid diagram of at most 500 edges and 50,000 characters; Graphviz has no limit, but a
# diagram past that size is not read either, so DOT is held to the same.
MAX_EDGES = 500
MAX_CHARACTERS = 50_000


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
    name: str  # the dotted module name
    machine: str
    agent: bool
    copy: bool
    copy_reason: str
    binds: list[Port] = field(default_factory=list)
    connects: list[Port] = field(default_factory=list)
    collision_ports: list[int] = field(default_factory=list)  # ports port-collisions reports on this machine
    orphan_ports: list[int] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Edge:
    source: str  # connecting module path
    target: str  # binding module path, or `port:N` for a port nothing binds
    port: int | None
    pattern: str
    label: str
    connect_kind: str = ""
    bind_kind: str = ""
    cross_machine: bool = False
    orphan: bool = False
    mismatch: bool = False

    @property
    def problem(self) -> bool:
        return self.orphan or self.mismatch or self.cross_machine


@dataclass
class Topology:
    nodes: list[AgentNode]
    unbound_ports: list[int]  # ports some module connects to and none binds: one node each
    edges: list[Edge]
    collisions: list[dict[str, Any]]  # port-collisions rows
    orphans: list[dict[str, Any]]  # orphan-connects rows
    mismatches: list[dict[str, Any]]  # socket-kind-mismatch rows
    dependencies: list[dict[str, Any]]  # configured cross-machine dependencies

    @property
    def machines(self) -> list[str]:
        return sorted({node.machine for node in self.nodes})

    @property
    def copies(self) -> int:
        return sum(node.copy for node in self.nodes)

    def node_count(self) -> int:
        """Agents plus unbound-port nodes: what the diagram draws, machine boxes aside."""
        return len(self.nodes) + len(self.unbound_ports)

    def as_dict(self) -> dict[str, Any]:
        return {"machines": self.machines, "problems": PROBLEMS, **asdict(self)}

    def drawing(self) -> dict[str, Any]:
        """What the HTML view draws: the model without the queries' rows, whose marks the nodes and edges carry."""
        return {key: value for key, value in self.as_dict().items()
                if key not in ("collisions", "orphans", "mismatches", "dependencies")}

    def live(self) -> Topology:
        """The same topology without copies: their nodes, their edges, the unbound ports only they connect to."""
        keep = [node for node in self.nodes if not node.copy]
        ids = {node.id for node in keep}
        return self.subset(keep, [e for e in self.edges if e.source in ids and (e.target in ids or e.orphan)])

    def subset(self, nodes: list[AgentNode], edges: list[Edge]) -> Topology:
        """A view of these nodes and edges; unbound ports are those the edges still reach."""
        unbound = sorted({e.port for e in edges if e.orphan and e.port is not None})
        return replace(self, nodes=nodes, edges=edges, unbound_ports=unbound)

    def problem_nodes(self) -> set[str]:
        return {node.id for node in self.nodes if node.collision_ports or node.orphan_ports}


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
    mismatches = _rows(store, "socket-kind-mismatch", repository)
    contested = {(row.get("machine") or "", row.get("port")) for row in collisions}
    for node in nodes.values():
        machine = modules[node.id]["machine"] or ""
        node.collision_ports = sorted({b.port for b in node.binds if b.port is not None and (machine, b.port) in contested})
    for row in orphans:
        if row.get("path") in nodes and row.get("port") not in nodes[row["path"]].orphan_ports:
            nodes[row["path"]].orphan_ports.append(row["port"])
    for finding in findings if findings is not None else collect_findings(store, repository):
        if finding.path in nodes:
            nodes[finding.path].findings.append(
                {"check": finding.check, "severity": finding.severity, "line": finding.line, "message": finding.message})
    mismatched = {(row.get("path"), row.get("port"), row.get("bind_path")) for row in mismatches}
    dependencies = read(store, CROSS_MACHINE_DEPENDENCIES, repository)
    edges = [*_socket_edges(list(nodes.values()), mismatched), *_orphan_edges(orphans, nodes),
             *_dependency_edges(dependencies, nodes)]
    unbound = sorted({row["port"] for row in orphans if row.get("path") in nodes})
    return Topology(list(nodes.values()), unbound, edges, collisions, orphans, mismatches, dependencies)


def _node(module: dict[str, Any]) -> AgentNode:
    label = module["path"].rsplit("/", 1)[-1].removesuffix(".py")
    return AgentNode(module["path"], label, module["name"] or "", module["machine"] or SHARED_MACHINE,
                     bool(module["is_agent"]), bool(module["is_copy"]), module["copy_reason"] or "")


def _rows(store: GraphStore, query_id: str, repository: str | None) -> list[dict[str, Any]]:
    """A library query's rows, or none when the library has no such query."""
    known = {query.id: query for query in queries.load_all()}
    return run_query(store, known[query_id], None, repository) if query_id in known else []


def _socket_edges(nodes: list[AgentNode], mismatched: set[tuple[Any, Any, Any]]) -> list[Edge]:
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
                        connect.socket_kind, bind.socket_kind, cross_machine=node.machine != target.machine,
                        mismatch=(node.id, connect.port, target.id) in mismatched))
    return list(edges.values())


def _orphan_edges(orphans: list[dict[str, Any]], nodes: dict[str, AgentNode]) -> list[Edge]:
    """One edge per orphan-connects row, to the node of its unbound port."""
    return [Edge(row["path"], f"port:{row['port']}", row["port"], _pattern(row.get("socket_kind")),
                 f"{row['port']} {row.get('socket_kind') or '?'} (nothing binds)", row.get("socket_kind") or "",
                 orphan=True)
            for row in orphans if row.get("path") in nodes]


def _dependency_edges(dependencies: list[dict[str, Any]], nodes: dict[str, AgentNode]) -> list[Edge]:
    return [Edge(row["path"], row["other_path"], None, "depends", f"{row['agent']} depends on {row['depends_on']}",
                 cross_machine=True)
            for row in dependencies if row["path"] in nodes and row["other_path"] in nodes]


def _pattern(socket_kind: str | None) -> str:
    return PATTERN_OF_KIND.get((socket_kind or "").upper(), "other")


# --- views that fit ---------------------------------------------------------------------------------

@dataclass
class Diagram:
    title: str
    topology: Topology


@dataclass
class DiagramPlan:
    diagrams: list[Diagram]
    note: str  # how the graph was split or limited, "" when it is drawn whole


def per_machine(topology: Topology) -> list[Diagram]:
    """One view per machine: its agents, the edges touching them, and the agents elsewhere they talk to."""
    by_id = {node.id: node for node in topology.nodes}
    views = []
    for machine in topology.machines:
        edges = [e for e in topology.edges
                 if machine == by_id[e.source].machine or (e.target in by_id and machine == by_id[e.target].machine)]
        ids = {node.id for node in topology.nodes if node.machine == machine}
        ids |= {end for e in edges for end in (e.source, e.target) if end in by_id}
        views.append(Diagram(machine, topology.subset([n for n in topology.nodes if n.id in ids], edges)))
    return views


def problems_only(topology: Topology) -> Topology:
    """The agents with a problem, the problem edges (orphan, kind mismatch, cross-machine) and their ends."""
    edges = [e for e in topology.edges if e.problem]
    ids = topology.problem_nodes() | {end for e in edges for end in (e.source, e.target)}
    return topology.subset([n for n in topology.nodes if n.id in ids], edges)


def plan_diagrams(topology: Topology, render: Callable[[Topology], str]) -> DiagramPlan:
    """The whole graph if it fits, else one diagram per machine, else the problems (per machine if need be)."""
    def fits(view: Topology) -> bool:
        return len(view.edges) <= MAX_EDGES and len(render(view)) <= MAX_CHARACTERS

    whole = len(render(topology))
    if len(topology.edges) <= MAX_EDGES and whole <= MAX_CHARACTERS:
        return DiagramPlan([Diagram("", topology)], "")
    size = f"{len(topology.edges)} edges, {whole:,} characters"
    limit = f"more than a diagram renders ({MAX_EDGES} edges, {MAX_CHARACTERS:,} characters)"
    machines = per_machine(topology)
    if all(fits(d.topology) for d in machines):
        return DiagramPlan(machines, f"The whole graph ({size}) is {limit}: one diagram per machine, each with the "
                                     "agents of other machines it talks to.")
    problems = problems_only(topology)
    rest = ("Everything else: `analyzer topology --format html` (searchable, filterable) or `--format json`.")
    if fits(problems):
        return DiagramPlan([Diagram("problems", problems)],
                           f"The whole graph ({size}) is {limit}, and so is one machine's: only the problems "
                           f"({', '.join(PROBLEMS.values())}): {len(problems.edges)} edges. {rest}")
    diagrams = [Diagram(f"{d.title}: problems", _cut(d.topology, fits)) for d in per_machine(problems)]
    cut = sum(len(d.topology.edges) for d in per_machine(problems)) - sum(len(d.topology.edges) for d in diagrams)
    return DiagramPlan(diagrams, f"The whole graph ({size}) is {limit}, and so are one machine's and all its "
                                 f"problems: the problems ({', '.join(PROBLEMS.values())}) per machine"
                                 + (f", {cut} edges left out to fit" if cut else "") + f". {rest}")


def _cut(view: Topology, fits: Callable[[Topology], bool]) -> Topology:
    """The view's first edges that fit (nodes kept only while an edge or a problem needs them)."""
    low, high = 0, len(view.edges)
    while low < high:  # the largest prefix of edges that fits
        middle = (low + high + 1) // 2
        if fits(_prefix(view, middle)):
            low = middle
        else:
            high = middle - 1
    return _prefix(view, low)


def _prefix(view: Topology, count: int) -> Topology:
    edges = view.edges[:count]
    ids = view.problem_nodes() | {end for e in edges for end in (e.source, e.target)}
    return view.subset([n for n in view.nodes if n.id in ids], edges)


# --- text renderings ------------------------------------------------------------------------------

def to_json(topology: Topology) -> str:
    return json.dumps(topology.as_dict(), indent=2, ensure_ascii=False)


def _safe_id(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)


def _edge_colour(edge: Edge) -> str:
    return HIGHLIGHT_COLOUR if edge.orphan or edge.mismatch else PATTERN_COLOURS[edge.pattern]


def mermaid_diagram(topology: Topology) -> str:
    """Short node ids (`n12`, `port_5599`) keep a diagram under GitHub's character limit; labels carry the names."""
    ids = {node.id: f"n{index}" for index, node in enumerate(topology.nodes)}
    ids.update({f"port:{port}": f"port_{port}" for port in topology.unbound_ports})
    lines = ["flowchart LR"]
    for machine in topology.machines:
        lines.append(f'  subgraph {_safe_id("m_" + machine)}["{machine}"]')
        lines += [f'    {ids[n.id]}["{n.label}"]' for n in topology.nodes if n.machine == machine]
        lines.append("  end")
    lines += [f'  port_{port}(("{port}: nothing binds"))' for port in topology.unbound_ports]
    link_styles = []
    for index, edge in enumerate(topology.edges):
        arrow = "-.->" if edge.cross_machine or edge.orphan else "-->"
        lines.append(f'  {ids[edge.source]} {arrow}|"{edge.label}"| {ids[edge.target]}')
        link_styles.append(f"  linkStyle {index} stroke:{_edge_colour(edge)},stroke-width:2px")
    lines += link_styles
    lines.append(f"  classDef collision stroke:{HIGHLIGHT_COLOUR},stroke-width:3px")
    lines.append(f"  classDef orphan fill:#fde0e0,stroke:{HIGHLIGHT_COLOUR}")
    lines += [f"  class {ids[n.id]} collision" for n in topology.nodes if n.collision_ports]
    lines += [f"  class port_{port} orphan" for port in topology.unbound_ports]
    return "\n".join(lines)


def dot_diagram(topology: Topology, name: str = "zmq_topology") -> str:
    lines = [f'digraph "{name}" {{', "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for machine in topology.machines:
        lines.append(f'  subgraph "cluster_{machine}" {{ label="{machine}";')
        for node in (n for n in topology.nodes if n.machine == machine):
            style = f', color="{HIGHLIGHT_COLOUR}", penwidth=3' if node.collision_ports else ""
            lines.append(f'    "{node.id}" [label="{node.label}"{style}];')
        lines.append("  }")
    lines += [f'  "port:{port}" [label="{port}: nothing binds", shape=ellipse, color="{HIGHLIGHT_COLOUR}"];'
              for port in topology.unbound_ports]
    for edge in topology.edges:
        style = ', style="dashed"' if edge.cross_machine or edge.orphan else ""
        lines.append(f'  "{edge.source}" -> "{edge.target}" [label="{edge.label}", color="{_edge_colour(edge)}"{style}];')
    lines.append('  subgraph "cluster_legend" { label="legend"; node [shape=plaintext];')
    lines += [f'    "legend_{key}" [label="{text}", fontcolor="{PATTERN_COLOURS[key]}"];' for key, text in LEGEND]
    lines += [f'    "legend_collision" [label="red border: port collision; red edge: connect nobody serves or '
              f'socket kinds that do not pair", fontcolor="{HIGHLIGHT_COLOUR}"];', "  }", "}"]
    return "\n".join(lines)


def to_mermaid(topology: Topology, title: str = "ZeroMQ topology") -> str:
    return render_mermaid(plan_diagrams(topology, mermaid_diagram), title)


def render_mermaid(plan: DiagramPlan, title: str) -> str:
    """One Mermaid diagram when the graph fits; else a Markdown page of diagrams that do, saying how it was split."""
    if not plan.note:
        return mermaid_diagram(plan.diagrams[0].topology)
    sections = [f"## {d.title}\n\n```mermaid\n{mermaid_diagram(d.topology)}\n```" for d in plan.diagrams]
    return "\n\n".join([f"# {title}", plan.note, *sections]) + "\n"


def to_dot(topology: Topology) -> str:
    return render_dot(plan_diagrams(topology, dot_diagram))


def render_dot(plan: DiagramPlan) -> str:
    """One digraph when the graph fits; else several in one file (`dot -Tsvg -O` draws each), saying why."""
    if not plan.note:
        return dot_diagram(plan.diagrams[0].topology)
    return "\n\n".join([f"// {plan.note}",
                        *(dot_diagram(d.topology, f"zmq_{_safe_id(d.title)}") for d in plan.diagrams)]) + "\n"
