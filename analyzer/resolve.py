"""Whole-repository facts: imports resolved to modules, and import cycles.

Agent systems put several folders on `sys.path`, so `from agents.x import y`
inside `main_pc_code/` means `main_pc_code/agents/x.py`. A name is looked up
against the repository root, then the importer's own top-level folder, then the
other top-level folders; the deepest match wins, earlier bases break ties. A
standard-library name never resolves to a same-named folder in the repository.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from analyzer.facts import FileFacts, ImportFact

if TYPE_CHECKING:
    import networkx as nx

STDLIB = frozenset(sys.stdlib_module_names)
MAX_CYCLE_LENGTH = 8
MAX_CYCLES_PER_COMPONENT = 200


def module_name(path: str) -> str:
    """`main_pc_code/agents/x.py` -> `main_pc_code.agents.x`; packages drop `__init__`."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


@dataclass(frozen=True, slots=True)
class ImportEdge:
    importer: str  # path
    target: str  # path
    line: int
    lazy: bool  # ImportFact.lazy: inside a function
    guarded: bool  # ImportFact.guarded: at import time, inside a try with handlers


@dataclass(frozen=True, slots=True)
class ExternalImport:
    importer: str
    package: str  # top-level distribution-ish name, e.g. "torch"
    line: int
    lazy: bool
    guarded: bool
    stdlib: bool


# When an import cycle runs (ImportCycle.timing), from the imports of its steps:
LAZY = "lazy"  # a step is imported only inside functions: the cycle closes when that function runs, not at import time
GUARDED = "guarded"  # every step runs at import time, one only inside try/except: its ImportError is swallowed
IMPORT_TIME = "import-time"  # every step runs unguarded at import time


@dataclass(frozen=True, slots=True)
class ImportCycle:
    members: tuple[str, ...]  # module names, rotated to start at the smallest
    closing_lines: tuple[int, ...]  # line of the import from members[i] to members[i+1]
    timing: str  # LAZY, GUARDED or IMPORT_TIME


def pair_timing(edges: Iterable[ImportEdge | ExternalImport]) -> tuple[bool, bool]:
    """(lazy, guarded) of one importer's imports of one target: lazy when every one is inside a function;
    guarded when, of those that run at import time, every one is inside a try with handlers."""
    eager = [edge for edge in edges if not edge.lazy]
    return not eager, bool(eager) and all(edge.guarded for edge in eager)


@dataclass
class Resolution:
    edges: list[ImportEdge] = field(default_factory=list)
    externals: list[ExternalImport] = field(default_factory=list)
    components: dict[str, int] = field(default_factory=dict)  # path -> SCC id, only modules in a cycle
    component_sizes: dict[int, int] = field(default_factory=dict)
    cycles: list[ImportCycle] = field(default_factory=list)


class ModuleIndex:
    """Dotted names of every repository module, under each base folder."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.by_base: dict[str, dict[str, str]] = defaultdict(dict)
        self.bases: list[str] = []
        tops = set()
        for path in paths:
            name = module_name(path)
            if not name:
                continue
            self.by_base[""][name] = path
            top, _, rest = name.partition(".")
            if rest:
                tops.add(top)
                self.by_base[top][rest] = path
        self.bases = sorted(tops)

    def _search_order(self, importer: str) -> list[str]:
        own = importer.split("/", 1)[0] if "/" in importer else ""
        order = [""]
        if own in self.by_base and own:
            order.append(own)
        order.extend(b for b in self.bases if b != own)
        return order

    def find(self, candidates: list[str], importer: str) -> str | None:
        """Deepest candidate name that exists under any base; ties go to the earlier base."""
        best: tuple[int, str] | None = None
        for base in self._search_order(importer):
            names = self.by_base.get(base, {})
            for candidate in candidates:
                path = names.get(candidate)
                if path is not None:
                    depth = candidate.count(".")
                    if best is None or depth > best[0]:
                        best = (depth, path)
                    break
        return best[1] if best else None


def _package_of(path: str) -> list[str]:
    parts = module_name(path).split(".")
    return parts if path.endswith("__init__.py") else parts[:-1]


def _prefixes(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(parts), 0, -1)]


def resolve_import(index: ModuleIndex, importer: str, fact: ImportFact) -> tuple[list[str], str | None]:
    """Repository paths an import reaches, or the external package it names."""
    if fact.level:
        package = _package_of(importer)
        if fact.level > 1:
            package = package[: len(package) - (fact.level - 1)]
        base = ".".join([*package, fact.module] if fact.module else package)
        names = index.by_base[""]
        return _from_targets(base, fact, lambda c: names.get(c)), None
    top = fact.module.split(".")[0]
    if top in STDLIB:
        return [], top
    if fact.is_from:
        targets = _from_targets(fact.module, fact, lambda c: index.find([c], importer))
        return (targets, None) if targets else ([], top)
    found = index.find(_prefixes(fact.module), importer)
    return ([found], None) if found else ([], top)


def _from_targets(base: str, fact: ImportFact, lookup) -> list[str]:
    """`from base import a, b`: submodules a and b where they exist, else base itself."""
    targets = []
    missing_name = False
    for name in fact.names:
        submodule = lookup(f"{base}.{name}") if name != "*" and base else (lookup(name) if name != "*" else None)
        if submodule:
            targets.append(submodule)
        else:
            missing_name = True
    if missing_name and base:
        for prefix in _prefixes(base):
            module = lookup(prefix)
            if module:
                targets.append(module)
                break
    return sorted(set(targets))


def resolve_repository(files: list[FileFacts]) -> Resolution:
    index = ModuleIndex(f.path for f in files)
    resolution = Resolution()
    for facts in files:
        for fact in facts.imports:
            targets, external = resolve_import(index, facts.path, fact)
            for target in targets:
                if target != facts.path:
                    resolution.edges.append(ImportEdge(facts.path, target, fact.line, fact.lazy, fact.guarded))
            if external is not None:
                resolution.externals.append(
                    ExternalImport(facts.path, external, fact.line, fact.lazy, fact.guarded, external in STDLIB)
                )
    _find_cycles(resolution)
    return resolution


def _find_cycles(resolution: Resolution) -> None:
    import networkx as nx  # loaded where a graph is built, not by an unchanged check (docs/performance.md)

    graph: nx.DiGraph[str] = nx.DiGraph()
    lines: dict[tuple[str, str], int] = {}
    pairs: dict[tuple[str, str], list[ImportEdge]] = defaultdict(list)
    for edge in resolution.edges:
        graph.add_edge(edge.importer, edge.target)
        key = (edge.importer, edge.target)
        lines[key] = min(lines.get(key, edge.line), edge.line)
        pairs[key].append(edge)
    timings = {key: pair_timing(edges) for key, edges in pairs.items()}
    components = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    components.sort()
    for component_id, members in enumerate(components):
        resolution.component_sizes[component_id] = len(members)
        for path in members:
            resolution.components[path] = component_id
        for cycle in bounded_cycles(graph, members, MAX_CYCLE_LENGTH, MAX_CYCLES_PER_COMPONENT):
            resolution.cycles.append(_canonical_cycle(cycle, lines, timings))
    resolution.cycles.sort(key=lambda c: (len(c.members), c.members))


def bounded_cycles(graph: nx.DiGraph, members: list[str], length_bound: int, limit: int) -> list[list[str]]:
    """Elementary cycles of at most `length_bound` modules inside one strongly connected component, each
    once, starting at its smallest module name: every 2-cycle first, then longer ones, at most `limit`.

    networkx's `simple_cycles(length_bound=...)` recomputes the components after removing each node, which
    is quadratic in the component's size (two minutes on a 3,667-module component of a 1M-line repository);
    here each start only explores nodes ranked above it that can still lead back within the bound.
    """
    order = sorted(members, key=module_name)
    rank = {path: i for i, path in enumerate(order)}
    successors = {path: sorted((n for n in graph.successors(path) if n in rank), key=rank.__getitem__) for path in order}
    cycles = [[a, b] for a in order for b in successors[a] if rank[b] > rank[a] and a in successors[b]]
    for start in order:
        if len(cycles) >= limit:
            break
        cycles.extend(_cycles_from(start, graph, rank, successors, length_bound, limit - len(cycles)))
    return cycles[:limit]


def _cycles_from(start, graph, rank, successors, length_bound: int, limit: int) -> list[list[str]]:
    """Cycles of 3 or more modules through `start` whose other members rank above it."""
    floor = rank[start]
    back = {start: 0}  # fewest steps back to start through modules ranked above it, within the bound
    frontier = [start]
    for depth in range(1, length_bound):
        reached = []
        for node in frontier:
            for before in graph.predecessors(node):
                if rank.get(before, -1) > floor and before not in back:
                    back[before] = depth
                    reached.append(before)
        frontier = reached
    found: list[list[str]] = []
    path, on_path = [start], {start}

    def extend(node: str) -> None:
        for step in successors[node]:
            if len(found) >= limit:
                return
            if step == start:
                if len(path) >= 3:
                    found.append(list(path))
            elif step in back and step not in on_path and len(path) + back[step] <= length_bound:
                path.append(step)
                on_path.add(step)
                extend(step)
                on_path.discard(path.pop())

    extend(start)
    return found


def _canonical_cycle(cycle: list[str], lines: dict[tuple[str, str], int],
                     timings: dict[tuple[str, str], tuple[bool, bool]]) -> ImportCycle:
    names = [module_name(p) for p in cycle]
    start = names.index(min(names))
    paths = cycle[start:] + cycle[:start]
    pairs = list(zip(paths, paths[1:] + paths[:1]))
    if any(timings[pair][0] for pair in pairs):
        timing = LAZY
    elif any(timings[pair][1] for pair in pairs):
        timing = GUARDED
    else:
        timing = IMPORT_TIME
    return ImportCycle(tuple(module_name(p) for p in paths), tuple(lines[p] for p in pairs), timing)
