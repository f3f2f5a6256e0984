"""Descriptive reads of the code graph for the reports (not detections, so not in queries/).

Every read follows /work/shared/CYPHER.md: anchored on `$snapshot`, scalar columns,
COUNT { MATCH ... } for counts, ORDER BY over the columns so rows are deterministic.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from analyzer.store import GraphStore

REPOSITORY = """
MATCH (r:Repository {snapshot: $snapshot}), (s:Snapshot {snapshot: $snapshot})
RETURN r.name AS repository, r.root AS root, s.id AS snapshot, s.created_at AS created_at, s.files AS files,
       s.lines AS lines, s.parse_errors AS parse_errors
"""

MODULES = """
MATCH (m:Module {snapshot: $snapshot})
RETURN m.path AS path, m.name AS name, m.machine AS machine, m.lines AS lines, m.is_agent AS is_agent,
       m.is_test AS is_test, m.is_copy AS is_copy, m.copy_reason AS copy_reason, m.parse_status AS parse_status,
       m.imports_in AS imports_in, m.imports_out AS imports_out, m.normalized_hash AS normalized_hash,
       COUNT { MATCH (m)-[:DEFINES_CLASS]->(c:Class) } AS classes,
       COUNT { MATCH (m)-[:HAS_CUDA_CALL]->(g:CudaCall) } AS cuda_calls,
       COUNT { MATCH (m)-[:HAS_CUDA_CALL]->(r:CudaCall) WHERE r.kind = 'empty_cache' } AS cuda_releases,
       COUNT { MATCH (m)-[:HAS_EXCEPT]->(x:ExceptClause) WHERE x.kind <> 'specific' } AS broad_excepts,
       COUNT { MATCH (m)-[:HAS_TODO]->(t:Todo) } AS todos
ORDER BY path
"""

ENDPOINTS = """
MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint)
RETURN m.path AS path, e.line AS line, e.action AS action, e.port AS port, e.socket_kind AS socket_kind,
       e.host AS host, e.endpoint AS endpoint, e.port_source AS port_source, e.port_origin AS port_origin
ORDER BY path, line, action, port, socket_kind, host, endpoint, port_source, port_origin
"""

TODOS = """
MATCH (m:Module {snapshot: $snapshot})-[:HAS_TODO]->(t:Todo)
RETURN t.path AS path, t.line AS line, t.machine AS machine, t.tag AS tag, t.text AS text, t.ticket AS ticket,
       m.copy_reason AS copy
ORDER BY path, line, tag, text, ticket, copy
"""

# Configured dependencies that cross machines, with the modules both agents run (when their scripts resolve).
CROSS_MACHINE_DEPENDENCIES = """
MATCH (a:ConfiguredAgent {snapshot: $snapshot})-[d:DEPENDS_ON]->(b:ConfiguredAgent)
WHERE d.cross_machine
OPTIONAL MATCH (a)-[:RUNS]->(am:Module)
OPTIONAL MATCH (b)-[:RUNS]->(bm:Module)
RETURN a.name AS agent, a.machine AS machine, b.name AS depends_on, b.machine AS other_machine,
       am.path AS path, bm.path AS other_path
ORDER BY agent, machine, depends_on, other_machine, path, other_path
"""


def read(store: GraphStore, cypher: str, repository: str | None = None) -> list[dict[str, Any]]:
    return store.query(cypher, {}, repository).dicts()


def repository_info(store: GraphStore, repository: str | None = None) -> dict[str, Any]:
    rows = read(store, REPOSITORY, repository)
    return rows[0] if rows else {}


@contextmanager
def reading_store(location: str | None) -> Iterator[GraphStore]:
    """The store opened read-only for a report, closed afterwards; StoreError when it cannot be opened."""
    from analyzer.store import open_store

    store = open_store(location, read_only=True)
    try:
        yield store
    finally:
        store.close()
