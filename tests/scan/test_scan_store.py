"""Scan into the embedded store and read it back through Cypher."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.cache import FactCache
from analyzer.scan import SCAN_REPORTS, ScanOptions, scan
from analyzer.store import open_store
from analyzer.store.ladybug import LadybugStore

ROOT = Path(__file__).resolve().parents[2]


def _write(repo: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


SMALL_REPO = {
    "main_pc_code/agents/pub.py": "import zmq\nclass Pub:\n    def run(self):\n        s = ctx.socket(zmq.PUB)\n        s.bind('tcp://*:5556')\n",
    "main_pc_code/agents/sub.py": "import zmq\ns = ctx.socket(zmq.SUB)\ns.connect('tcp://localhost:5556')  # TODO(#9): config\n",
    "pc2_code/broken.py": b"print 'py2'\n",
    "pc2_code/latin.py": b"x = '\xe9'\n",
}


@pytest.fixture
def small_repo(tmp_path):
    repo = tmp_path / "repo"
    _write(repo, SMALL_REPO)
    return repo


def test_scan_round_trip_counts_through_cypher(small_repo, tmp_path):
    report = scan(ScanOptions(repo=small_repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1))
    assert (report.files, len(report.parse_failures), report.endpoints, report.todos) == (4, 2, 2, 1)
    store = open_store(str(tmp_path / "store"))
    rows = store.query(
        "MATCH (m:Module {snapshot: $snapshot})-[:HAS_ENDPOINT]->(e:Endpoint) "
        "RETURN m.path AS path, e.action AS action, e.port AS port, e.socket_kind AS kind ORDER BY path"
    ).rows
    assert rows == [["main_pc_code/agents/pub.py", "bind", 5556, "PUB"], ["main_pc_code/agents/sub.py", "connect", 5556, "SUB"]]
    failures = store.query(
        "MATCH (m:Module {snapshot: $snapshot}) WHERE m.parse_status = 'error' RETURN m.path, m.parse_error ORDER BY m.path"
    ).rows
    assert failures == [["pc2_code/broken.py", "SyntaxError"], ["pc2_code/latin.py", "UnicodeDecodeError"]]


def test_rescan_uses_the_cache_and_replaces_the_snapshot(small_repo, tmp_path):
    options = ScanOptions(repo=small_repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1)
    first = scan(options)
    unchanged = scan(options)
    assert (unchanged.parsed, unchanged.cache_hits, unchanged.unchanged) == (0, 4, True)
    assert unchanged.snapshot == first.snapshot
    (small_repo / "main_pc_code/agents/sub.py").write_text("import zmq\n")
    edited = scan(options)
    assert (edited.parsed, edited.cache_hits, edited.unchanged, edited.endpoints) == (1, 3, False, 1)
    store = open_store(str(tmp_path / "store"))
    assert [s.snapshot for s in store.list_snapshots()] == [edited.snapshot]
    assert len(list((tmp_path / "store" / "repo").glob("*.lbdb"))) == 1
    assert store.query("MATCH (e:Endpoint {snapshot: $snapshot}) RETURN count(e)").rows == [[1]]


def test_an_unchanged_tree_is_answered_from_its_inputs_without_decoding_a_fact(small_repo, tmp_path, monkeypatch):
    _write(small_repo, {"main_pc_code/config/startup_config.yaml": "agents:\n  - {name: Pub, script_path: agents/pub.py, port: 5556}\n"})
    options = ScanOptions(repo=small_repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1)
    first = scan(options)
    assert first.configured_agents == 1

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("a fact was decoded for an unchanged tree")

    with monkeypatch.context() as patched:
        patched.setattr(FactCache, "get", no_decoding)
        unchanged = scan(options)
    changing = ("unchanged", "parsed", "cache_hits", "seconds")
    assert (unchanged.unchanged, unchanged.parsed, unchanged.cache_hits) == (True, 0, 4)
    assert ({k: v for k, v in unchanged.as_dict().items() if k not in changing}
            == {k: v for k, v in first.as_dict().items() if k not in changing})
    # Any input the snapshot is built from makes it a real rescan again: a config file, then a source file.
    (small_repo / "main_pc_code/config/startup_config.yaml").write_text("agents: []\n")
    config_changed = scan(options)
    assert (config_changed.unchanged, config_changed.configured_agents) == (False, 0)
    (small_repo / "pc2_code/broken.py").write_text("x = 1\n")
    source_changed = scan(options)
    assert (source_changed.unchanged, source_changed.parsed, len(source_changed.parse_failures)) == (False, 1, 1)


def test_an_unchanged_rescan_opens_no_snapshot_until_its_file_is_touched(small_repo, tmp_path, monkeypatch):
    options = ScanOptions(repo=small_repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1)
    first = scan(options)
    real = LadybugStore._open_current

    def no_open(*_args, **_kwargs):
        raise AssertionError("the unchanged snapshot was opened")

    with monkeypatch.context() as patched:
        patched.setattr(LadybugStore, "_open_current", no_open)
        unchanged = scan(options)
    assert (unchanged.unchanged, unchanged.snapshot, unchanged.files) == (True, first.snapshot, first.files)
    # A database file changed behind the store's back (same name): opened and read before it is trusted.
    [database] = (tmp_path / "store" / "repo").glob("*.lbdb")
    os.utime(database, ns=(0, 0))
    opened = []
    monkeypatch.setattr(LadybugStore, "_open_current", lambda *a, **k: opened.append(1) or real(*a, **k))
    again = scan(options)
    assert opened and (again.unchanged, again.snapshot) == (True, first.snapshot)


def test_a_damaged_saved_report_is_recomputed(small_repo, tmp_path):
    options = ScanOptions(repo=small_repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1)
    first = scan(options)
    [saved] = (tmp_path / "cache" / SCAN_REPORTS).glob("*.json")
    saved.write_text('{"fingerprint": "x", "report": ')
    again = scan(options)
    assert (again.unchanged, again.files, again.endpoints) == (True, first.files, first.endpoints)
    assert json.loads(saved.read_text())["report"]["files"] == first.files  # rewritten whole


def test_two_repositories_live_side_by_side(small_repo, tmp_path):
    store_dir = str(tmp_path / "store")
    other = tmp_path / "other"
    _write(other, {"x.py": "import zmq\n"})
    scan(ScanOptions(repo=small_repo, store=store_dir, use_cache=False, jobs=1))
    scan(ScanOptions(repo=other, store=store_dir, use_cache=False, jobs=1))
    store = open_store(store_dir)
    assert sorted(s.repository for s in store.list_snapshots()) == ["other", "repo"]
    assert store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)", repository="other").rows == [[1]]
    assert store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)", repository="repo").rows == [[4]]


def test_parallel_scan_equals_serial_scan(small_repo, tmp_path):
    _write(small_repo, {f"main_pc_code/gen/m{i}.py": f"import os\ntry:\n    x = {i}\nexcept:\n    pass\n" for i in range(40)})
    serial = scan(ScanOptions(repo=small_repo, store=str(tmp_path / "s1"), use_cache=False, jobs=1))
    parallel = scan(ScanOptions(repo=small_repo, store=str(tmp_path / "s2"), use_cache=False, jobs=2))
    keep = lambda r: {k: v for k, v in r.as_dict().items() if k not in ("snapshot", "seconds")}  # noqa: E731
    assert keep(serial) == keep(parallel)


def test_cli_scan_json_and_clear_error_without_a_scan(small_repo, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["scan", str(small_repo), "--store", str(tmp_path / "store"), "--no-cache", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["files"] == 4 and summary["excepts_by_kind"] == {"bare": 0, "broad": 0, "specific": 0}
    missing = runner.invoke(app, ["scan", str(tmp_path / "nope")])
    assert missing.exit_code == 2


@pytest.mark.slow
def test_sigkill_during_scan_leaves_previous_snapshot_queryable(tmp_path):
    repo = tmp_path / "big"
    _write(repo, {"agents/seed.py": "import zmq\n"})
    store_dir = tmp_path / "store"
    before = scan(ScanOptions(repo=repo, store=str(store_dir), use_cache=False, jobs=1))
    body = "".join(f"def f{i}(x):\n    try:\n        return x + {i}\n    except Exception:\n        pass\n" for i in range(60))
    _write(repo, {f"agents/gen{i}.py": body for i in range(600)})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for delay in (0.5, 1.5, 3.0):
        process = subprocess.Popen(
            [sys.executable, "-c", "from analyzer.cli import main; main()", "scan", str(repo), "--store", str(store_dir),
             "--no-cache", "--jobs", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        store = open_store(str(store_dir))
        current = store.list_snapshots()[0].snapshot
        count = store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)").rows[0][0]
        # Either the kill came before the pointer switch (old graph) or after (complete new graph).
        assert (current, count) == (before.snapshot, 1) or count == 601
