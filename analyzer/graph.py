"""Facts -> graph rows: the snapshot every store adapter writes, in the schema's columns."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from analyzer.copies import CopyIndex, has_content
from analyzer.facts import MODULE_TRAITS, FileFacts
from analyzer.kinds import facts_of, kind_named, node_kinds
from analyzer.resolve import Resolution, module_name, pair_timing
from analyzer.schema import NODES_BY_NAME, RELS_BY_NAME

if TYPE_CHECKING:  # analyzer.endpoints reads the configs package, whose graph rows import this module
    import networkx as nx

    from analyzer.endpoints import EndpointResolution, ResolvedEndpoint

TEST_STEM_RE = re.compile(r"(^test_)|(_test$)|(^conftest$)")
AGENT_DIRS = frozenset({"agents", "services"})


def is_test_path(path: str) -> bool:
    parts = path.split("/")
    stem = parts[-1].removesuffix(".py")
    return any(p in ("tests", "test") for p in parts[:-1]) or bool(TEST_STEM_RE.search(stem))


def is_agent_module(facts: FileFacts) -> bool:
    """An agent: a module in an agents/ or services/ folder, or one that serves sockets from a main."""
    parts = facts.path.split("/")
    if parts[-1] == "__init__.py" or is_test_path(facts.path):
        return False
    return bool(AGENT_DIRS.intersection(parts[:-1])) or (facts.has_main_guard and bool(facts.endpoints))


@dataclass
class Columns:
    """Rows of one table held column-wise, ready for Arrow or UNWIND batches."""

    names: tuple[str, ...]
    data: dict[str, list[Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.data = {name: [] for name in self.names}

    def add(self, **row: Any) -> None:
        for name in self.names:
            self.data[name].append(row.get(name))

    def extend(self, count: int, **columns: list[Any]) -> None:
        """`count` rows given column by column (each a list of `count` values); a column left out is None:
        a file's hundred rows of one table at once, at a fraction of the cost of `add` row by row."""
        for name in self.names:
            values = columns.get(name)
            self.data[name].extend([None] * count if values is None else values)

    def __len__(self) -> int:
        return len(self.data[self.names[0]]) if self.names else 0

    def rows(self) -> list[dict[str, Any]]:
        return [dict(zip(self.names, values)) for values in zip(*(self.data[n] for n in self.names))]


@dataclass
class GraphSnapshot:
    repository: str
    snapshot: str
    root: str
    nodes: dict[str, Columns]
    rels: dict[str, Columns]

    def count(self, table: str) -> int:
        return len(self.nodes.get(table) or self.rels[table])


def _empty_tables() -> tuple[dict[str, Columns], dict[str, Columns]]:
    nodes = {name: Columns(tuple(t.columns)) for name, t in NODES_BY_NAME.items()}
    rels = {name: Columns(tuple(t.columns)) for name, t in RELS_BY_NAME.items()}
    return nodes, rels


def build_snapshot(
    repository: str, snapshot: str, root: str, files: list[FileFacts], resolution: Resolution, meta: dict[str, Any],
    copies: CopyIndex, endpoints: EndpointResolution,
) -> GraphSnapshot:
    nodes, rels = _empty_tables()
    graph = GraphSnapshot(repository, snapshot, root, nodes, rels)
    module_ids = {f.path: f"{snapshot}|{f.path}" for f in files}
    imports_out: Counter[str] = Counter()
    imports_in: Counter[str] = Counter()

    _add_import_edges(graph, resolution, module_ids, imports_out, imports_in)
    resolved: dict[str, list[ResolvedEndpoint]] = defaultdict(list)
    for endpoint in endpoints.endpoints:
        resolved[endpoint.path].append(endpoint)
    for facts in files:
        _add_module(graph, facts, module_ids[facts.path], resolution, imports_out, imports_in, copies)
        _add_endpoints(graph, module_ids[facts.path], resolved.get(facts.path, []))
    _add_cycles(graph, resolution, module_ids)
    _add_reach(graph, resolution)
    _add_duplicate_keys(graph, files, module_ids)
    nodes["Snapshot"].add(
        id=snapshot, snapshot=snapshot, repository=repository, created_at=meta["created_at"],
        analyzer_version=meta["analyzer_version"], fingerprint=meta["fingerprint"], files=len(files),
        lines=sum(f.lines for f in files), parse_errors=sum(1 for f in files if f.parse_error and f.parse_status != "ok"),
    )
    return graph


def _add_import_edges(graph, resolution: Resolution, module_ids, imports_out, imports_in) -> None:
    pairs: dict[tuple[str, str], list] = defaultdict(list)
    for edge in resolution.edges:
        pairs[(edge.importer, edge.target)].append(edge)
    rows: dict[str, list[Any]] = {"from": [], "to": [], "line": [], "lines": [], "lazy": [], "guarded": []}
    for (importer, target), edges in sorted(pairs.items()):
        lines = sorted({e.line for e in edges})
        lazy, guarded = pair_timing(edges)
        for column, value in zip(rows.values(), (module_ids[importer], module_ids[target], lines[0],
                                                 ",".join(map(str, lines)), lazy, guarded)):
            column.append(value)
        imports_out[importer] += 1
        imports_in[target] += 1
    graph.rels["IMPORTS"].extend(len(pairs), **rows)  # column by column: tens of thousands of pairs
    packages: dict[tuple[str, str], list] = defaultdict(list)
    stdlib: dict[str, bool] = {}
    for external in resolution.externals:
        packages[(external.importer, external.package)].append(external)
        stdlib[external.package] = external.stdlib
    snapshot = graph.snapshot
    for name in sorted(stdlib):
        graph.nodes["Package"].add(id=f"{snapshot}|pkg:{name}", snapshot=snapshot, name=name, stdlib=stdlib[name])
    for (importer, package), found in sorted(packages.items()):
        lazy, guarded = pair_timing(found)
        graph.rels["IMPORTS_PACKAGE"].add(
            **{"from": module_ids[importer], "to": f"{snapshot}|pkg:{package}"},
            line=min(e.line for e in found), lazy=lazy, guarded=guarded,
        )


def _add_module(graph: GraphSnapshot, facts: FileFacts, module_id: str, resolution: Resolution, imports_out, imports_in,
                copies: CopyIndex) -> None:
    snapshot, nodes = graph.snapshot, graph.nodes
    error = facts.parse_error
    component = resolution.components.get(facts.path, -1)
    nodes["Module"].add(
        id=module_id, snapshot=snapshot, repository=graph.repository, name=module_name(facts.path), path=facts.path,
        machine=facts.machine, sha256=facts.sha256, normalized_hash=facts.normalized_hash, lines=facts.lines,
        size=facts.size, parse_status=facts.parse_status, parse_error=error.kind if error else "",
        parse_error_message=error.message if error else "", parse_error_line=error.line if error else 0,
        is_package=facts.path.endswith("__init__.py"), is_test=is_test_path(facts.path),
        is_copy=copies.is_copy(facts.path), copy_reason=copies.reason(facts.path), is_agent=is_agent_module(facts), has_main_guard=facts.has_main_guard,
        component=component, component_size=resolution.component_sizes.get(component, 0),
        file_name=facts.path.rsplit("/", 1)[-1],
        imports_out=imports_out[facts.path], imports_in=imports_in[facts.path],
        **{trait: getattr(facts, trait) for trait in MODULE_TRAITS},
    )
    located = {"snapshot": snapshot, "path": facts.path, "machine": facts.machine}
    _add_definitions(graph, facts, module_id, located)
    for kind in node_kinds():
        if kind.own_rows:
            continue
        items = facts_of(facts, kind)
        if items:
            _add_items(graph, items, kind.id_tag, kind.label, kind.relationship, module_id, located,
                       **{name: [",".join(getattr(item, name)) for item in items] for name in kind.joined})


def _add_definitions(graph: GraphSnapshot, facts: FileFacts, module_id: str, located: dict[str, str]) -> None:
    """The module's classes and functions, and which functions are methods of which class."""
    first_ids: dict[str, str] = {}  # class name -> the node of its first definition
    if facts.classes:
        class_ids = _add_items(graph, facts.classes, kind_named("classes").id_tag, "Class", "DEFINES_CLASS",
                               module_id, located, bases=[",".join(c.bases) for c in facts.classes])
        for cls, node_id in zip(facts.classes, class_ids):
            first_ids.setdefault(cls.name, node_id)
    if facts.functions:
        function_ids = _add_items(graph, facts.functions, kind_named("functions").id_tag, "Function",
                                  "DEFINES_FUNCTION", module_id, located)
        methods = [(first_ids[f.class_name], node_id) for f, node_id in zip(facts.functions, function_ids)
                   if f.class_name in first_ids and f.qualname == f"{f.class_name}.{f.name}"]
        graph.rels["HAS_METHOD"].extend(len(methods), **{"from": [m[0] for m in methods], "to": [m[1] for m in methods]})


def _add_items(graph: GraphSnapshot, items: list[Any], id_tag: str, table: str, relationship: str, module_id: str,
               located: dict[str, str], **computed: list[Any]) -> list[str]:
    """A module's facts of one kind as rows of `table` (each fact's fields, `computed` ones replacing theirs),
    each defined by the module through `relationship`; their node ids."""
    count = len(items)
    ids = [f"{module_id}#{id_tag}{n}" for n in range(count)]
    fields = items[0].__slots__
    columns = {name: [getattr(item, name) for item in items]
               for name in graph.nodes[table].names if name not in computed and name in fields}
    graph.nodes[table].extend(count, **columns, **computed, **{name: [value] * count for name, value in located.items()},
                              id=ids)
    graph.rels[relationship].extend(count, **{"from": [module_id] * count, "to": ids})
    return ids


def endpoint_id(module_id: str, index: int) -> str:
    return f"{module_id}#{kind_named('endpoints').id_tag}{index}"


def _add_endpoints(graph: GraphSnapshot, module_id: str, endpoints: list[ResolvedEndpoint]) -> None:
    """Endpoint rows: what the code writes (the fact) and what analyzer/endpoints.py resolved."""
    for endpoint in endpoints:
        fact, node_id = endpoint.fact, endpoint_id(module_id, endpoint.index)
        graph.nodes["Endpoint"].add(
            id=node_id, snapshot=graph.snapshot, path=endpoint.path, machine=endpoint.machine, line=fact.line,
            action=fact.action, endpoint=fact.endpoint, scheme=fact.scheme, host=fact.host, port=endpoint.port,
            port_source=endpoint.source, port_confidence=endpoint.confidence, port_origin=endpoint.origin,
            port_candidates=",".join(map(str, endpoint.candidates)), port_expr=fact.port_expr,
            target_machine=endpoint.target_machine, site=endpoint.site, socket_variable=fact.socket_variable,
            socket_kind=fact.socket_kind, function=fact.function, class_name=fact.class_name,
        )
        graph.rels["HAS_ENDPOINT"].add(**{"from": module_id, "to": node_id})


def _add_cycles(graph: GraphSnapshot, resolution: Resolution, module_ids: dict[str, str]) -> None:
    paths_by_name = {module_name(p): p for p in module_ids}
    for n, cycle in enumerate(resolution.cycles):
        node_id = f"{graph.snapshot}|cycle:{n}"
        first = paths_by_name[cycle.members[0]]
        graph.nodes["ImportCycle"].add(
            id=node_id, snapshot=graph.snapshot, members=",".join(cycle.members), size=len(cycle.members),
            closing_lines=",".join(map(str, cycle.closing_lines)), timing=cycle.timing,
            closing_imports=",".join(f"{paths_by_name[m]}:{line}" for m, line in zip(cycle.members, cycle.closing_lines)),
            component=resolution.components.get(first, -1),
        )
        for position, member in enumerate(cycle.members):
            graph.rels["IN_CYCLE"].add(**{"from": module_ids[paths_by_name[member]], "to": node_id}, position=position)


def _add_reach(graph: GraphSnapshot, resolution: Resolution) -> None:
    """Module.dependents / dependent_agents: non-test modules / agents that import it, directly or through others.

    One pass over the import graph's condensation in topological order, with module sets as bit masks.
    """
    modules = graph.nodes["Module"].data
    paths = modules["path"]
    import networkx as nx  # loaded where a graph is built, not by an unchanged check (docs/performance.md)

    index = {path: i for i, path in enumerate(paths)}
    imports: nx.DiGraph[int] = nx.DiGraph()
    imports.add_nodes_from(range(len(paths)))
    imports.add_edges_from((index[e.importer], index[e.target]) for e in resolution.edges)
    counted = sum(1 << i for i, is_test in enumerate(modules["is_test"]) if not is_test)
    agents = sum(1 << i for i, is_agent in enumerate(modules["is_agent"]) if is_agent)
    dag = nx.condensation(imports)
    importers: dict[int, int] = {}  # component -> its members and every module that imports into it
    for component in nx.topological_sort(dag):
        reach = sum(1 << i for i in dag.nodes[component]["members"])
        for upstream in dag.predecessors(component):
            reach |= importers[upstream]
        importers[component] = reach
    mapping = dag.graph["mapping"]
    others = [importers[mapping[i]] & ~(1 << i) for i in range(len(paths))]
    modules["dependents"] = [(bits & counted).bit_count() for bits in others]
    modules["dependent_agents"] = [(bits & agents).bit_count() for bits in others]


def mark_copies(graph: GraphSnapshot, copies: CopyIndex) -> None:
    """`is_copy` of every node that has a path besides modules (configs, requirements, credentials): from the
    path rules, after every part of the graph is added."""
    for table, columns in graph.nodes.items():
        if table != "Module" and "is_copy" in columns.data and "path" in columns.data:
            columns.data["is_copy"] = [copies.is_copy(path) for path in columns.data["path"]]


def _duplicate_keys(facts: FileFacts) -> set[tuple[str, str]]:
    """What two copies of an agent share: the normalised content (of a module that has some: every empty
    `__init__.py` sharing one key made the pairs grow with the square of their number), an agent's file
    name, an agent class name."""
    keys = {("content", facts.normalized_hash)} if has_content(facts) else set()
    if is_agent_module(facts):
        keys.add(("file_name", facts.path.rsplit("/", 1)[-1]))
        keys.update(("class", c.name) for c in facts.classes
                    if c.name.endswith("Agent") or any("Agent" in base for base in c.bases))
    return keys


def _add_duplicate_keys(graph: GraphSnapshot, files: list[FileFacts], module_ids: dict[str, str]) -> None:
    """DuplicateKey nodes for keys two or more non-test modules share, so queries/duplicate-agents.cypher
    meets candidate pairs through them instead of comparing every module with every other."""
    holders: dict[tuple[str, str], list[str]] = defaultdict(list)
    for facts in files:
        if not is_test_path(facts.path):
            for key in _duplicate_keys(facts):
                holders[key].append(facts.path)
    snapshot = graph.snapshot
    for (kind, value), paths in sorted(holders.items()):
        if len(paths) < 2:
            continue
        key_id = f"{snapshot}|dup:{kind}:{value}"
        graph.nodes["DuplicateKey"].add(id=key_id, snapshot=snapshot, kind=kind, value=value)
        for path in paths:
            graph.rels["HAS_DUPLICATE_KEY"].add(**{"from": module_ids[path], "to": key_id})
