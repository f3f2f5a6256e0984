"""A rescan writes only what changed, and the snapshot it leaves equals a full scan of the same tree.

Each step changes the copied fixture repository the way a developer does (an edit, a deletion, a rename, a
file that stops parsing, a changed deployment config), rescans it into the store that holds the previous
snapshot, scans the same tree from nothing into a fresh store, and compares every library query's rows and
every table's rows. The steps build on each other, so later differences apply to a snapshot that was
itself written as a difference.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import msgpack
import pytest

from analyzer import queries
from analyzer.export import read_graph
from analyzer.scan import ScanOptions, scan
from analyzer.schema import NODE_TABLES, REL_TABLES
from analyzer.store import open_store
from analyzer.store import ladybug
from analyzer.store.ladybug import DB_SUFFIX, IMAGE_SUFFIX, LadybugStore, repository_key
from tests.conftest import write_repo
from tests.store.conftest import normalized

ROOT = Path(__file__).resolve().parents[2]
AGENT = "main_pc_code/agents/memory_agent.py"
CONFIG = "main_pc_code/config/startup_config.yaml"


def _open(backend, location: str):
    return backend.open() if backend.kind == "neo4j" else LadybugStore(location)


def _row_key(store, repository: str) -> str:
    """The value the current snapshot's rows carry in `snapshot` (and as their ids' prefix)."""
    return store.query("MATCH (s:Snapshot {snapshot: $snapshot}) RETURN s.snapshot", repository=repository).rows[0][0]


def _answers(store, repository: str) -> dict[str, list]:
    """Every library query's rows and every table's rows, with the snapshot's row key and the repository's name
    taken out."""
    key = _row_key(store, repository)

    def clean(value):
        return value.replace(key, "<snapshot>").replace(repository, "<repo>") if isinstance(value, str) else value

    def rows(cypher: str, params: dict | None = None) -> list[list]:
        return [[clean(v) for v in row] for row in store.query(cypher, params, repository=repository).rows]

    answers = {}
    for query in queries.load_all():
        answers[query.id] = rows(query.cypher, query.bind())
    for table in NODE_TABLES:
        if table.name in ("Snapshot", "Repository"):
            continue  # the scan's name and time: differ between any two scans
        columns = ", ".join(f"n.`{c}`" for c in table.columns)
        answers[table.name] = sorted(rows(f"MATCH (n:{table.name} {{snapshot: $snapshot}}) RETURN {columns}"), key=repr)
    for rel in REL_TABLES:
        columns = "".join(f", r.`{p}`" for p in rel.properties)
        answers[rel.name] = sorted(rows(f"MATCH (a:{rel.source} {{snapshot: $snapshot}})-[r:{rel.name}]->"
                                        f"(b:{rel.target}) RETURN a.id, b.id{columns}"), key=repr)
    return answers


def _edit(repo: Path) -> None:
    path = repo / AGENT
    path.write_text(path.read_text() + "\nimport json\n\ndef extra():\n    try:\n        pass\n    except:\n"
                    "        pass  # TODO: added\n")


HELPER = "main_pc_code/utils/payload_reader.py"


def _call_a_helper(repo: Path) -> None:
    """A broad handler in the agent around a call into another module: narrowing follows the call."""
    (repo / HELPER).write_text("def load(path):\n    return open(path).read()\n")
    path = repo / AGENT
    path.write_text(path.read_text() + "\nfrom utils.payload_reader import load\n\n\ndef read_payload(path):\n"
                    "    try:\n        return load(path)\n    except Exception:\n        return None\n")


def _change_the_helper(repo: Path) -> None:
    """Only the helper changes: the agent's handler is narrowed again from its cached raise facts."""
    (repo / HELPER).write_text("import json\n\n\ndef load(path):\n    return json.loads(path)\n")


def _delete(repo: Path) -> None:
    (repo / "main_pc_code/agents/chitchat_agent.py").unlink()


def _rename(repo: Path) -> None:
    (repo / "main_pc_code/agents/nlu_agent.py").rename(repo / "main_pc_code/agents/nlu_service.py")


def _break(repo: Path) -> None:
    path = repo / "main_pc_code/agents/translator_agent.py"
    path.write_text(path.read_text() + "\ndef broken(:\n")


def _reconfigure(repo: Path) -> None:
    path = repo / CONFIG
    path.write_text(path.read_text().replace("port: 5570", "port: 5571"))


STEPS = [_edit, _call_a_helper, _change_the_helper, _delete, _rename, _break, _reconfigure]


@pytest.mark.slow
def test_each_rescan_writes_a_difference_that_equals_a_full_scan(backend, tmp_path, monkeypatch):
    # Differences grow the small fixture's file fast; here every step is to be one, not a compacting whole write.
    monkeypatch.setattr(ladybug, "MAX_GROWTH", 100.0)
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "agent_system", repo)
    name = backend.name("incremental")
    incremental = ScanOptions(repo=repo, store=backend.location, cache_dir=backend.cache_dir, jobs=2, repository=name)
    first = scan(incremental)
    assert "port: 5570" in (repo / CONFIG).read_text()  # the config step changes something real
    narrowed: dict = {}  # step -> what the agent's handler around the helper's call narrows to
    for number, step in enumerate(STEPS):
        step(repo)
        report = scan(incremental)
        fresh_name = backend.name(f"fresh{number}")
        fresh_location = backend.location if backend.kind == "neo4j" else str(tmp_path / f"fresh{number}")
        # From nothing: every file parsed again, none of the incremental scan's cached facts read.
        scan(ScanOptions(repo=repo, store=fresh_location, use_cache=False, jobs=2, repository=fresh_name))
        incremental_store, fresh_store = _open(backend, backend.location), _open(backend, fresh_location)
        try:
            # Written as a difference: the rows kept the first snapshot's key; the pointer names the scan's.
            assert incremental_store.current_snapshot(name) == report.snapshot
            assert _row_key(incremental_store, name) == first.snapshot, step.__name__
            assert _answers(incremental_store, name) == _answers(fresh_store, fresh_name), step.__name__
            if step in (_call_a_helper, _change_the_helper):
                narrowed[step] = incremental_store.query(
                    "MATCH (e:ExceptClause {snapshot: $snapshot, path: $path, function: 'read_payload'}) "
                    "RETURN e.narrow_types", {"path": AGENT}, repository=name).rows
            if step is STEPS[-1]:  # and an export reads it back as the same graph
                assert normalized(read_graph(incremental_store, name), name) == \
                    normalized(read_graph(fresh_store, fresh_name), fresh_name)
        finally:
            incremental_store.close()
            fresh_store.close()
    # Only the helper changed, yet the agent's handler narrows to the new helper's exceptions.
    opened, parsed = narrowed[_call_a_helper], narrowed[_change_the_helper]
    assert len(opened) == len(parsed) == 1 and "" not in (opened[0][0], parsed[0][0]) and opened != parsed


# Runs `analyzer scan` with the difference's write held at one point until it is killed there.
PAUSED_SCAN = """
import pathlib, sys, time
import analyzer.store.ladybug as ladybug
marker, point = pathlib.Path(sys.argv[1]), sys.argv[2]

def hold():
    marker.touch()
    time.sleep(600)

if point == "commit":  # every statement of the difference ran; its transaction is not committed
    apply = ladybug._apply
    def paused_apply(connection, graph, delta, row_key):
        class Held:
            def execute(self, cypher, *args):
                if cypher == "COMMIT":
                    hold()
                return connection.execute(cypher, *args)
        return apply(Held(), graph, delta, row_key)
    ladybug._apply = paused_apply
elif point == "switch":  # the new snapshot is complete and closed; CURRENT still names the previous one
    save = ladybug.save_image
    def paused_save(*args, **kwargs):
        save(*args, **kwargs)
        hold()
    ladybug.save_image = paused_save
else:  # Neo4j: every statement of the difference ran in its transaction, which is not committed
    import analyzer.store.neo4j as neo4j
    neo4j_apply = neo4j._apply
    def paused_neo4j_apply(tx, graph, delta, key):
        neo4j_apply(tx, graph, delta, key)
        hold()
    neo4j._apply = paused_neo4j_apply
from analyzer.cli import main
sys.argv = ["analyzer", "scan", *sys.argv[3:]]
main()
"""


def _kill_when_held(marker: Path, point: str, options: ScanOptions) -> None:
    """Run the scan `options` describe in a child held at `point` of its difference write; SIGKILL it there."""
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED_SCAN, str(marker), point, str(options.repo), "--store", options.store,
         "--cache-dir", options.cache_dir, "--repo", options.repository, "--jobs", "2"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    try:
        while not marker.exists():
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the scan never reached its write"
            time.sleep(0.01)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()


@pytest.mark.slow
@pytest.mark.parametrize("point", ["commit", "switch"])
def test_a_scan_killed_while_it_writes_a_difference_keeps_the_previous_snapshot(tmp_path, point):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "agent_system", repo)
    options = ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=2,
                          repository="system")
    before = scan(options)
    store = open_store(options.store)
    try:
        answers = _answers(store, "system")
    finally:
        store.close()
    _edit(repo)
    _kill_when_held(tmp_path / "held", point, options)
    folder = Path(options.store) / "system"
    assert len(list(folder.glob(f"*{DB_SUFFIX}"))) == 2  # the killed scan's copy is there, not current
    store = open_store(options.store)
    try:
        assert [s.snapshot for s in store.list_snapshots("system")] == [before.snapshot]
        assert _answers(store, "system") == answers
    finally:
        store.close()
    after = scan(options)  # takes over: removes the leftover and writes the difference again
    assert after.snapshot != before.snapshot
    assert [p.name for p in folder.glob(f"*{DB_SUFFIX}")] == [repository_key(after.snapshot) + DB_SUFFIX]
    fresh = ScanOptions(repo=repo, store=str(tmp_path / "fresh"), cache_dir=options.cache_dir, jobs=2,
                        repository="system")
    scan(fresh)
    incremental_store, fresh_store = open_store(options.store), open_store(fresh.store)
    try:
        assert _row_key(incremental_store, "system") == before.snapshot
        assert _answers(incremental_store, "system") == _answers(fresh_store, "system")
    finally:
        incremental_store.close()
        fresh_store.close()


@pytest.mark.slow
@pytest.mark.slow
@pytest.mark.neo4j
def test_a_scan_killed_inside_its_neo4j_difference_leaves_the_snapshot_as_it_was(neo4j_backend, tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "fixtures" / "agent_system", repo)
    name = neo4j_backend.name("killed")
    options = ScanOptions(repo=repo, store=neo4j_backend.location, cache_dir=neo4j_backend.cache_dir, jobs=2,
                          repository=name)
    before = scan(options)
    store = neo4j_backend.open()
    try:
        answers, current = _answers(store, name), store.list_snapshots(name)
    finally:
        store.close()
    _edit(repo)
    _kill_when_held(tmp_path / "held", "neo4j", options)
    store = neo4j_backend.open()
    try:  # the transaction was rolled back: the same snapshot, fingerprint and rows
        assert store.list_snapshots(name) == current
        assert _answers(store, name) == answers
    finally:
        store.close()
    store = neo4j_backend.open(lease_seconds=2.0)  # the killed scan's lease expires
    try:
        after = scan(options, store=store)
        assert after.snapshot == before.snapshot and not after.unchanged  # changed in place this time
        fresh_name = neo4j_backend.name("killed-fresh")
        scan(ScanOptions(repo=repo, store=neo4j_backend.location, cache_dir=neo4j_backend.cache_dir, jobs=2,
                         repository=fresh_name), store=store)
        assert _answers(store, name) == _answers(store, fresh_name)
    finally:
        store.close()


def test_an_image_not_signed_by_this_user_is_never_a_base(tmp_path):
    fillers = {f"lib/m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(20)}  # a change is a small share
    repo = write_repo(tmp_path / "repo", {"agents/a.py": "import zmq\n", "agents/b.py": "from agents import a\n",
                                          **fillers})
    options = ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1,
                          repository="r")
    first = scan(options)
    image = Path(options.store) / "r" / (repository_key(first.snapshot) + DB_SUFFIX + IMAGE_SUFFIX)
    envelope = msgpack.unpackb(image.read_bytes())
    image.write_bytes(msgpack.packb({"body": envelope["body"], "signature": bytes(32)}))  # a planted copy
    write_repo(repo, {"agents/b.py": "from agents import a\nimport os\n"})
    second = scan(options)
    store = LadybugStore(options.store)
    try:
        assert _row_key(store, "r") == second.snapshot  # written whole, not onto the first snapshot's rows
    finally:
        store.close()
    write_repo(repo, {"agents/b.py": "from agents import a\nimport sys\n"})
    third = scan(options)  # the image the second scan signed is a base again
    store = LadybugStore(options.store)
    try:
        assert _row_key(store, "r") == second.snapshot != third.snapshot
        assert store.query("MATCH (m:Module {snapshot: $snapshot})-[:IMPORTS_PACKAGE]->(p:Package) "
                           "RETURN m.path, p.name ORDER BY m.path").rows == [["agents/a.py", "zmq"], ["agents/b.py", "sys"]]
    finally:
        store.close()


def test_a_rescan_opens_only_the_copy_it_writes_while_the_current_file_is_as_the_last_scan_left_it(tmp_path, monkeypatch):
    fillers = {f"lib/m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(20)}
    repo = write_repo(tmp_path / "repo", {"agents/a.py": "import zmq\n", **fillers})
    options = ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1,
                          repository="r")
    first = scan(options)
    real_database = ladybug._ladybug().Database
    opened: list[str] = []

    def database(path, *args, **kwargs):
        opened.append(Path(path).name)
        return real_database(path, *args, **kwargs)

    monkeypatch.setattr(ladybug._ladybug(), "Database", database)
    write_repo(repo, {"agents/a.py": "import zmq\n# TODO: one\n"})
    second = scan(options)
    assert opened == [repository_key(second.snapshot) + DB_SUFFIX]  # the copy; the current one is known from its image
    current = Path(options.store) / "r" / opened[0]
    os.utime(current, ns=(current.stat().st_atime_ns, current.stat().st_mtime_ns + 1))  # touched since: not vouched for
    opened.clear()
    write_repo(repo, {"agents/a.py": "import zmq\n# TODO: two\n"})
    third = scan(options)
    assert opened == [current.name, repository_key(third.snapshot) + DB_SUFFIX]  # read (row key, fingerprint), then written
    store = LadybugStore(options.store)
    try:
        assert _row_key(store, "r") == first.snapshot  # both rescans were differences onto the first file
        assert store.query("MATCH (t:Todo {snapshot: $snapshot}) RETURN t.text", repository="r").rows == [["two"]]
    finally:
        store.close()


@pytest.mark.slow
def test_a_file_grown_by_differences_is_written_whole_again(tmp_path, monkeypatch):
    monkeypatch.setattr(ladybug, "MAX_GROWTH", 1.0)  # any growth past the whole write compacts
    fillers = {f"lib/m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(20)}
    repo = write_repo(tmp_path / "repo", {"agents/a.py": "import zmq\n", **fillers})
    options = ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1,
                          repository="r")
    first = scan(options)
    keys = []
    for n in range(2):
        write_repo(repo, {"agents/a.py": f"import zmq\n# TODO: {n}\n"})
        scan(options)
        store = LadybugStore(options.store)
        try:
            keys.append(_row_key(store, "r"))
        finally:
            store.close()
    second = keys[1]
    assert keys[0] == first.snapshot  # a difference onto the first file, which grew
    assert second not in (first.snapshot, keys[0])  # then a whole write under the scan's own name
