"""A store that heals: every kind of damage to a current snapshot is named by `query` with the command that
repairs it, and the next scan sets the damaged files aside and writes a fresh snapshot, leaving other
repositories alone. Readers never see a snapshot vanish while scans replace it."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import time
from pathlib import Path

import pytest

from analyzer.scan import ScanOptions, scan
from analyzer.store import DamagedSnapshotError
from analyzer.store.ladybug import CURRENT, DB_SUFFIX, LadybugStore, repository_key
from tests.conftest import write_repo
from tests.hardening.hostile import cli

COUNT = "MATCH (m:Module {snapshot: $snapshot}) RETURN count(m)"


def _damage_database(path: Path, kind: str, store: Path) -> None:
    if kind == "truncated":
        with open(path, "r+b") as handle:
            handle.truncate(5000)
    elif kind == "garbled":
        with open(path, "r+b") as handle:
            handle.write(os.urandom(8192))
    elif kind == "directory":
        path.unlink()
        path.mkdir()
    elif kind == "garbage wal":
        Path(f"{path}.wal").write_bytes(os.urandom(10_000))
    elif kind == "missing":
        path.unlink()
    elif kind == "garbage CURRENT":
        (path.parent / CURRENT).write_bytes(b"\xff\xfe\x00garbage\n\n../../etc")
    elif kind == "foreign":  # another repository's snapshot under this one's name
        other = store / "bystander"
        shutil.copy(other / (repository_key((other / CURRENT).read_text().strip()) + DB_SUFFIX), path)


KINDS = ["truncated", "garbled", "directory", "garbage wal", "missing", "garbage CURRENT", "foreign"]


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".lock"}


@pytest.fixture
def two_repositories(tmp_path):
    store = tmp_path / "store"
    victim = write_repo(tmp_path / "victim", {"a.py": "import os\n", "b.py": "import json\n"})
    bystander = write_repo(tmp_path / "bystander", {"c.py": "x = 1\n"})
    for repo in (victim, bystander):
        scan(ScanOptions(repo=repo, store=str(store), use_cache=False, jobs=1))
    return store, victim


@pytest.mark.parametrize("kind", [k if k == "truncated" else pytest.param(k, marks=pytest.mark.slow) for k in KINDS])
def test_damage_is_named_by_query_and_repaired_by_scan(two_repositories, kind):
    store, victim = two_repositories
    folder = store / "victim"
    database = folder / (repository_key((folder / CURRENT).read_text().strip()) + DB_SUFFIX)
    bystander = _tree(store / "bystander")
    _damage_database(database, kind, store)
    reader = LadybugStore(store, read_only=True)
    with pytest.raises(DamagedSnapshotError) as damage:
        reader.query(COUNT, repository="victim")
    reader.close()
    assert f"the current snapshot of 'victim' in {store} is damaged (" in str(damage.value)
    assert f"`analyzer scan PATH --repo victim --store {store}` writes a fresh one" in str(damage.value)
    report = scan(ScanOptions(repo=victim, store=str(store), use_cache=False, jobs=1))
    assert report.store_repairs == [f"{damage.value.damage}: a fresh snapshot replaces it; the damaged files are kept aside"]
    assert any(".damaged-" in p.name for p in folder.iterdir())  # kept for inspection
    reader = LadybugStore(store, read_only=True)
    try:
        assert reader.query(COUNT, repository="victim").rows == [[2]]
        assert reader.query(COUNT, repository="bystander").rows == [[1]]
    finally:
        reader.close()
    assert _tree(store / "bystander") == bystander
    assert scan(ScanOptions(repo=victim, store=str(store), use_cache=False, jobs=1)).store_repairs == []


@pytest.mark.slow
def test_query_on_a_damaged_store_prints_the_repair_in_one_line(two_repositories):
    store, _victim = two_repositories
    folder = store / "victim"
    _damage_database(folder / (repository_key((folder / CURRENT).read_text().strip()) + DB_SUFFIX), "truncated", store)
    result = cli("query", "--cypher", COUNT, "--store", str(store), "--repo", "victim")
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "damaged" in result.stderr and "analyzer scan PATH --repo victim" in result.stderr


def _read_until(store: str, stop, failures, successes) -> None:
    while not stop.is_set():
        reader = LadybugStore(store, read_only=True)
        try:
            count = reader.query(COUNT, repository="repo").rows[0][0]
            assert count >= 1
            with successes.get_lock():
                successes.value += 1
        except Exception as error:  # analyzer: ignore[broad-except] - every failure of a reader is what this counts
            failures.put(f"{type(error).__name__}: {error}")
        finally:
            reader.close()
        time.sleep(0.05)  # 20 of these on two cores must leave the scan some


@pytest.mark.slow
def test_twenty_readers_during_scans_never_fail(tmp_path):
    repo = write_repo(tmp_path / "repo", {f"agents/a{i}.py": f"import os\nX = {i}\n" for i in range(20)})
    store = str(tmp_path / "store")
    scan(ScanOptions(repo=repo, store=store, use_cache=False, jobs=1))
    context = multiprocessing.get_context("fork")
    stop, failures, successes = context.Event(), context.Queue(), context.Value("i", 0)
    readers = [context.Process(target=_read_until, args=(store, stop, failures, successes), daemon=True)
               for _ in range(20)]
    for reader in readers:
        reader.start()
    try:
        for round_ in range(3):
            (repo / "agents" / f"new{round_}.py").write_text("import json\n")
            scan(ScanOptions(repo=repo, store=store, use_cache=False, jobs=1))
            time.sleep(0.2)
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=60)
    problems = []
    while not failures.empty():
        problems.append(failures.get())
    assert problems == []
    assert successes.value >= 60
    leftovers = [p.name for p in (tmp_path / "store" / "repo").iterdir() if p.name.endswith(DB_SUFFIX)]
    assert len(leftovers) <= 2  # the current one, and at most one a reader held during the last collection
