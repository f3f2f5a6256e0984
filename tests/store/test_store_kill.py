"""A scan SIGKILLed while it writes leaves the previous snapshot current and queryable, on every adapter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.scan import ScanOptions, scan
from analyzer.shard import scan_shard
from analyzer.store.ladybug import repository_key
from tests.conftest import write_repo

ROOT = Path(__file__).resolve().parents[2]
GENERATED = 300
BODY = "".join(f"def f{i}(x):\n    try:\n        return x + {i}\n    except Exception:\n        pass\n" for i in range(40))


def _writing(backend, name: str, previous: str, server) -> bool:
    """True once the new snapshot's write has begun (it is not current yet, or not finished)."""
    if server is None:
        folder = Path(backend.location) / name
        return any(p.suffix == ".lbdb" and p.name != repository_key(previous) + ".lbdb" for p in folder.iterdir())
    found = server.query("MATCH (s:Snapshot) WHERE s.repository = $name RETURN count(s) AS n", {"name": name},
                         repository=name).rows[0][0]
    return found > 1


def _kill_during_write(backend, repo: Path, name: str, previous: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = backend.open() if backend.kind == "neo4j" else None
    process = subprocess.Popen(
        [sys.executable, "-c", "from analyzer.cli import main; main()", "scan", str(repo), "--store", backend.location,
         "--cache-dir", backend.cache_dir, "--repo", name, "--jobs", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    try:
        while not _writing(backend, name, previous, server):
            assert process.poll() is None, "the scan ended before its write was seen"
            assert time.monotonic() < deadline, "the scan never started writing"
            time.sleep(0.002 if server is None else 0.02)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        if server is not None:
            server.close()


@pytest.mark.slow
def test_sigkill_mid_write_keeps_the_previous_snapshot(backend, tmp_path):
    name = backend.name("kill")
    repo = write_repo(tmp_path / "tree", {"agents/seed.py": "import zmq\n"})
    options = ScanOptions(repo=repo, store=backend.location, cache_dir=backend.cache_dir, jobs=1, repository=name)
    before = scan(options)
    write_repo(repo, {f"agents/gen{i}.py": BODY for i in range(GENERATED)})
    scan_shard(options, (1, 1))  # facts cached, so the killed scan reaches its write quickly

    _kill_during_write(backend, repo, name, before.snapshot)

    store = backend.open()
    try:
        assert [s.snapshot for s in store.list_snapshots(name)] == [before.snapshot]
        rows = store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN m.path AS path", repository=name).rows
        assert rows == [["agents/seed.py"]]
    finally:
        store.close()
    # The next scan takes over (a killed scan's Neo4j lease expires) and removes the leftovers.
    store = backend.open(lease_seconds=2.0) if backend.kind == "neo4j" else backend.open()
    try:
        assert scan(options, store=store).files == GENERATED + 1
        assert [s.snapshot for s in store.list_snapshots(name)] != [before.snapshot]
        snapshots = store.query("MATCH (s:Snapshot) WHERE s.repository = $name RETURN count(s) AS n",
                                {"name": name}, repository=name).rows[0][0]
        assert snapshots == 1
    finally:
        store.close()
    if backend.kind == "embedded":
        assert len(list((Path(backend.location) / name).glob("*.lbdb"))) == 1
