"""The bundled fixture repository, scanned into the embedded store, holds exactly what expected.json lists."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from analyzer.store import open_store

FIXTURE_REPO = Path(__file__).resolve().parents[2] / "fixtures" / "agent_system"

EXPECTED = json.loads((FIXTURE_REPO / "expected.json").read_text())

# expected.json key -> (Cypher returning the key's fields in order, the fields)
LOCATED = {
    "endpoints": ("MATCH (e:Endpoint {snapshot: $snapshot}) RETURN e.path, e.line, e.action, e.port, e.port_source, e.socket_kind",
                  ("path", "line", "action", "port", "port_source", "socket_kind")),
    "sockets": ("MATCH (s:Socket {snapshot: $snapshot}) RETURN s.path, s.line, s.kind", ("path", "line", "kind")),
    "excepts": ("MATCH (x:ExceptClause {snapshot: $snapshot}) RETURN x.path, x.line, x.kind, x.swallows",
                ("path", "line", "kind", "swallows")),
    "todos": ("MATCH (t:Todo {snapshot: $snapshot}) RETURN t.path, t.line, t.tag, t.ticket", ("path", "line", "tag", "ticket")),
    "cuda_calls": ("MATCH (g:CudaCall {snapshot: $snapshot}) RETURN g.path, g.line, g.kind", ("path", "line", "kind")),
    "risky_calls": ("MATCH (r:RiskyCall {snapshot: $snapshot}) RETURN r.path, r.line, r.kind, r.detail",
                    ("path", "line", "kind", "detail")),
    "hardcoded_secrets": ("MATCH (s:HardcodedSecret {snapshot: $snapshot}) RETURN s.path, s.line, s.target, s.written_as",
                          ("path", "line", "target", "written_as")),
    "parse_errors": ("MATCH (m:Module {snapshot: $snapshot}) WHERE m.parse_status <> 'ok' RETURN m.path, m.parse_error",
                     ("path", "kind")),
    "god_classes": ("MATCH (c:Class {snapshot: $snapshot}) WHERE c.method_count >= 60 RETURN c.path, c.name, c.method_count",
                    ("path", "name", "methods")),
    "complex_functions": ("MATCH (f:Function {snapshot: $snapshot}) WHERE f.complexity >= 20 RETURN f.path, f.qualname, f.complexity",
                          ("path", "qualname", "complexity")),
}


@pytest.fixture(scope="module")
def store(scanned_fixture):
    folder, _report = scanned_fixture
    return open_store(str(folder))


def _rows(store, cypher, fields):
    rows = [dict(zip(fields, row)) for row in store.query(cypher).rows]
    return sorted(rows, key=lambda r: tuple(str(r[f]) for f in fields))


def _sorted(items, fields):
    return sorted(items, key=lambda r: tuple(str(r[f]) for f in fields))


@pytest.mark.parametrize("key", sorted(LOCATED))
def test_located_facts_match_exactly(store, key):
    cypher, fields = LOCATED[key]
    expected = [{f: item[f] for f in fields} for item in EXPECTED[key]]
    assert _rows(store, cypher, fields) == _sorted(expected, fields)


def test_module_count_and_main_guards(store):
    assert store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)").rows == [[EXPECTED["python_files"]]]
    guards = store.query("MATCH (m:Module {snapshot: $snapshot}) WHERE m.has_main_guard RETURN m.path ORDER BY m.path").rows
    assert [row[0] for row in guards] == sorted(EXPECTED["main_guards"])


def test_import_cycles(store):
    rows = store.query("MATCH (c:ImportCycle {snapshot: $snapshot}) RETURN c.members, c.timing").rows
    found = sorted((sorted(members.split(",")), timing) for members, timing in rows)
    expected = sorted((sorted(c["members"]), c["timing"]) for c in EXPECTED["import_cycles"])
    assert found == expected


def test_duplicate_groups(store):
    rows = store.query("MATCH (m:Module {snapshot: $snapshot}) WHERE m.parse_status = 'ok' RETURN m.normalized_hash, m.path").rows
    groups = defaultdict(list)
    for digest, path in rows:
        groups[digest].append(path)
    found = sorted(sorted(paths) for paths in groups.values() if len(paths) > 1)
    assert found == sorted(sorted(group) for group in EXPECTED["duplicate_groups"])


def test_roots_come_from_the_repositorys_pyproject(store):
    machines = store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN DISTINCT m.machine ORDER BY m.machine").rows
    assert [row[0] for row in machines] == sorted(["", *EXPECTED["roots"]])
