"""The store contract, run on every adapter: write, replace, query, several repositories, shards, failures.

Each test runs on the embedded store and, when NEO4J_URI is set, on Neo4j.
"""

from __future__ import annotations

import copy

import pytest

from analyzer.export import CapturingStore, read_graph
from analyzer.scan import ScanOptions, scan
from analyzer.shard import finalize, scan_shard
from analyzer.store import StoreError

from tests.conftest import write_repo
from tests.store.conftest import SMALL_REPO, normalized


def _options(backend, repo, name, **extra) -> ScanOptions:
    return ScanOptions(repo=repo, store=backend.location, cache_dir=backend.cache_dir, jobs=1, repository=name, **extra)


def _build(repo, name: str):
    """The graph a scan of `repo` writes, built without a store."""
    capture = CapturingStore()
    scan(ScanOptions(repo=repo, use_cache=False, jobs=1, repository=name), store=capture)
    return capture.graphs[0]


def _count(store, name: str, label: str = "Module", snapshot: str | None = None) -> int:
    if snapshot is None:
        return store.query(f"MATCH (n:{label} {{snapshot: $snapshot}}) RETURN count(n) AS n", repository=name).rows[0][0]
    return store.query(f"MATCH (n:{label}) WHERE n.snapshot = $old RETURN count(n) AS n", {"old": snapshot},
                       repository=name).rows[0][0]


def test_write_then_query_the_current_snapshot(backend, small_repo):
    name = backend.name("small")
    report = scan(_options(backend, small_repo, name))
    store = backend.open()
    try:
        [info] = store.list_snapshots(name)
        assert (info.repository, info.snapshot, info.current) == (name, report.snapshot, True)
        rows = store.query(
            "MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint) "
            "RETURN m.path AS path, e.action AS action, e.port AS port ORDER BY path", repository=name).rows
        assert rows == [["main_pc_code/agents/pub.py", "bind", 5556], ["main_pc_code/agents/sub.py", "connect", 5556]]
        assert store.query("MATCH (r:Repository {snapshot: $snapshot}) RETURN r.current_snapshot AS s",
                           repository=name).rows == [[report.snapshot]]
        assert store.query("MATCH (n:Module {snapshot: $snapshot}) WHERE n.path = $p RETURN n.lines AS n",
                           {"p": "pc2_code/agents/a.py"}, repository=name).rows == [[1]]
    finally:
        store.close()


@pytest.mark.slow  # reading 44 tables back opens the embedded database 44 times (~5 s)
def test_every_table_reads_back_as_written(backend, fixture_repo):
    """Same labels, types and properties on every adapter: the graph read back through Cypher is the graph written."""
    name = backend.name("roundtrip")
    graph = _build(fixture_repo, name)
    expected = normalized(copy.deepcopy(graph), name)
    expected["Repository"] = [(("current_snapshot", "<snapshot>"), ("id", "<repo>"), ("name", "<repo>"),
                               ("root", str(fixture_repo.resolve())), ("snapshot", "<snapshot>"))]
    store = backend.open()
    try:
        store.write_snapshot(graph)
        back = read_graph(store, name)
    finally:
        store.close()
    assert back.snapshot == graph.snapshot
    assert normalized(back, name) == expected
    assert sum(1 for rows in expected.values() if rows) >= 40  # the fixture fills (nearly) every table


def test_replace_switches_the_pointer_and_removes_the_old_snapshot(backend, small_repo):
    name = backend.name("replace")
    first = scan(_options(backend, small_repo, name))
    store = backend.open()
    try:
        [before] = store.list_snapshots(name)
    finally:
        store.close()
    write_repo(small_repo, {"main_pc_code/agents/extra.py": "import zmq\n"})
    second = scan(_options(backend, small_repo, name))
    assert not second.unchanged  # a new snapshot, or (Neo4j, a small difference) the same one changed in place
    store = backend.open()
    try:
        [after] = store.list_snapshots(name)
        assert after.snapshot == second.snapshot and after.fingerprint != before.fingerprint
        assert before.snapshot == first.snapshot
        assert _count(store, name) == len(SMALL_REPO) + 1
        # Every row left is the current snapshot's: the rows of the embedded store's difference writes keep
        # the key of the file they were first written to (`$snapshot` is that key), the replaced one is gone.
        assert store.query("MATCH (n:Module) WHERE n.repository = $name AND n.snapshot <> $snapshot "
                           "RETURN count(n) AS n", {"name": name}, repository=name).rows == [[0]]
        assert store.query("MATCH (s:Snapshot) WHERE s.repository = $name RETURN s.id AS id", {"name": name},
                           repository=name).rows == [[second.snapshot]]
    finally:
        store.close()
    unchanged = scan(_options(backend, small_repo, name))
    assert (unchanged.unchanged, unchanged.snapshot) == (True, second.snapshot)


def test_repositories_live_side_by_side(backend, small_repo, tmp_path):
    one, two = backend.name("one"), backend.name("two")
    other = write_repo(tmp_path / "other", {"x.py": "import zmq\n"})
    scan(_options(backend, small_repo, one))
    scan(_options(backend, other, two))
    write_repo(other, {"y.py": "import os\n"})
    scan(_options(backend, other, two))  # replacing one repository leaves the other alone
    store = backend.open()
    try:
        assert {s.repository for s in store.list_snapshots()} >= {one, two}
        assert [s.repository for s in store.list_snapshots(two)] == [two]
        assert _count(store, one) == len(SMALL_REPO)
        assert _count(store, two) == 2
        with pytest.raises(StoreError, match="pass --repo"):
            store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)")
        with pytest.raises(StoreError, match="no scan of repository"):
            store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)", repository=backend.name("never"))
    finally:
        store.close()


@pytest.mark.slow
def test_shards_then_finalize_write_exactly_the_unsharded_graph(backend, fixture_repo):
    plain, sharded = backend.name("plain"), backend.name("sharded")
    scan(_options(backend, fixture_repo, plain, use_cache=False))
    parts = [scan_shard(_options(backend, fixture_repo, sharded), (i, 3)) for i in (1, 2, 3)]
    assert sum(p.files for p in parts) == parts[0].total_files and all(p.files for p in parts)
    report = finalize(_options(backend, fixture_repo, sharded))
    assert (report.parsed, report.cache_hits) == (0, parts[0].total_files)  # every fact came from the shards
    store = backend.open()
    try:
        whole, pieced = read_graph(store, plain), read_graph(store, sharded)
    finally:
        store.close()
    assert normalized(pieced, sharded) == normalized(whole, plain)
    assert len(whole.rels["IMPORTS"]) and len(whole.nodes["ImportCycle"])  # cross-shard facts are in it


@pytest.mark.parametrize("damage", ["duplicate node id", "relationship to a missing node"])
def test_a_failed_write_leaves_the_previous_snapshot_current(backend, small_repo, damage):
    name = backend.name("failed")
    before = scan(_options(backend, small_repo, name))
    write_repo(small_repo, {"main_pc_code/agents/extra.py": "import zmq\n"})
    broken = _build(small_repo, name)
    if damage == "duplicate node id":
        broken.nodes["Module"].add(**broken.nodes["Module"].rows()[0])
    else:
        broken.rels["IMPORTS"].add(**{"from": broken.nodes["Module"].data["id"][0], "to": "nowhere"}, line=1)
    store = backend.open()
    try:
        with pytest.raises(StoreError):
            store.write_snapshot(broken)
        assert [s.snapshot for s in store.list_snapshots(name)] == [before.snapshot]
        assert _count(store, name) == len(SMALL_REPO)
        assert _count(store, name, snapshot=broken.snapshot) == 0  # nothing of the failed write is left
    finally:
        store.close()
    assert scan(_options(backend, small_repo, name)).files == len(SMALL_REPO) + 1  # and the next write works
