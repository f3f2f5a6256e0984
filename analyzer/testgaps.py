"""Which modules the tests reach: a module is tested when a test module imports it,
directly or through other modules (computed here with networkx, since Cypher's
variable-length paths are not portable for this; see /work/shared/CYPHER.md).

Rules `untested-agents` and `test-coverage-ratio` read `Module.tested` and `Module.package`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from analyzer.graph import GraphSnapshot, is_test_path
from analyzer.resolve import ImportEdge

if TYPE_CHECKING:
    import networkx as nx

_TESTS = object()  # one source node standing for every test module


def tested_modules(paths: Iterable[str], edges: Iterable[ImportEdge]) -> set[str]:
    """Non-test modules reachable from a test module along import edges (lazy and guarded ones included)."""
    import networkx as nx  # loaded where a graph is built, not by an unchanged rescan (docs/performance.md)

    graph: nx.DiGraph[object] = nx.DiGraph()  # module paths and _TESTS
    graph.add_edges_from((edge.importer, edge.target) for edge in edges)
    tests = [path for path in paths if is_test_path(path)]
    graph.add_edges_from((_TESTS, path) for path in tests)
    if not tests:
        return set()
    reached = nx.descendants(graph, _TESTS)
    return {path for path in reached if isinstance(path, str) and not is_test_path(path)}


def package_of(path: str) -> str:
    """The folder a module sits in, as a dotted name ("" at the repository root)."""
    return path.rsplit("/", 1)[0].replace("/", ".") if "/" in path else ""


def add_test_reach(graph: GraphSnapshot, edges: Iterable[ImportEdge]) -> None:
    """Fill the Module rows' `tested` and `package` columns."""
    modules = graph.nodes["Module"]
    paths = modules.data["path"]
    tested = tested_modules(paths, edges)
    modules.data["tested"] = [path in tested for path in paths]
    modules.data["package"] = [package_of(path) for path in paths]
