"""What only a Neo4j server shows: readers that keep their snapshot through a replace, the server's
notifications, a second writer waiting for the first, one repository name per git remote and branch, and
`analyzer check --store neo4j` end to end. Each test skips without NEO4J_URI (tests/store/conftest.py)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from analyzer.scan import ScanOptions, scan
from analyzer.store import StoreError
from analyzer.store.neo4j import LEASE_LABEL, _Lease, scan_source
from analyzer.schema import REL_TABLES, SNAPSHOT_NODE_TABLES
from tests.conftest import write_repo
from tests.store.conftest import SMALL_REPO

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.neo4j, pytest.mark.slow]  # a server round trip each, several CLI runs and git


def _options(backend, repo, name, **extra) -> ScanOptions:
    return ScanOptions(repo=repo, store=backend.location, cache_dir=backend.cache_dir, jobs=1, repository=name, **extra)


def _modules(store, snapshot: str) -> int:
    return store.query_snapshot(snapshot, "MATCH (m:Module {snapshot: $snapshot}) RETURN count(m) AS n").rows[0][0]


def _facts(store, snapshot: str) -> int:
    """Every node and relationship of `snapshot`, label by label (through the snapshot indexes)."""
    counts = [f"MATCH (n:{label} {{snapshot: $snapshot}}) RETURN count(n) AS n" for label in SNAPSHOT_NODE_TABLES]
    counts += [f"MATCH (:{rel.source} {{snapshot: $snapshot}})-[r:{rel.name}]->() RETURN count(r) AS n"
               for rel in REL_TABLES]
    return sum(store.query_snapshot(snapshot, cypher).rows[0][0] for cypher in counts)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from analyzer.cli import main; main()", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


# --- readers and replaces ---------------------------------------------------------------------------


def test_a_reader_keeps_its_snapshot_whole_through_a_replace(neo4j_backend, small_repo):
    name = neo4j_backend.name("held")
    first = scan(_options(neo4j_backend, small_repo, name))
    reader, writer = neo4j_backend.open(), neo4j_backend.open(reader_wait=0.5)
    try:
        with reader.reading(name) as held:
            assert held == first.snapshot
            before = _facts(reader, held)
            write_repo(small_repo, {"main_pc_code/agents/extra.py": "import zmq\n"})
            second = scan(_options(neo4j_backend, small_repo, name), store=writer)
            assert reader.current_snapshot(name) == second.snapshot
            assert _facts(reader, held) == before and _modules(reader, held) == len(SMALL_REPO)  # not a node gone
        # Released: the next write removes the snapshot it kept.
        write_repo(small_repo, {"main_pc_code/agents/more.py": "import zmq\n"})
        scan(_options(neo4j_backend, small_repo, name), store=writer)
        assert _facts(reader, held) == 0
    finally:
        reader.close()
        writer.close()


# --- notifications ----------------------------------------------------------------------------------


def test_unknown_labels_raise_no_notification_and_a_deprecation_is_one_line(neo4j_backend, small_repo, caplog):
    name = neo4j_backend.name("notes")
    scan(_options(neo4j_backend, small_repo, name))
    store = neo4j_backend.open()
    caplog.set_level(logging.INFO, logger="analyzer.store.neo4j")

    def reported() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "analyzer.store.neo4j"]

    try:
        rows = store.query("MATCH (m:Module {snapshot: $snapshot})-[:NO_SUCH_TYPE]->(x:NoSuchLabel) "
                           "RETURN x.no_such_property AS nothing", repository=name).rows
        assert rows == [] and reported() == []  # filtered on the server: nothing came back to report
        store.query("MATCH (m:Module {snapshot: $snapshot}) RETURN id(m) AS old LIMIT 1", repository=name)
    finally:
        store.close()
    [record] = reported()  # id() is deprecated: that matters, once, in one line
    assert record.levelno == logging.WARNING and record.name == "analyzer.store.neo4j"
    assert "id" in record.getMessage() and "\n" not in record.getMessage()


def test_cli_query_prints_no_server_notification(neo4j_backend, small_repo):
    name = neo4j_backend.name("quiet")
    scan(_options(neo4j_backend, small_repo, name))
    result = _cli("query", "--cypher", "MATCH (m:Module {snapshot: $snapshot})-[:NO_SUCH_TYPE]->(x:NoSuchLabel) "
                  "RETURN x.no_such_property AS nothing", "--store", neo4j_backend.location, "--repo", name,
                  "--format", "json")  # names no server has: three unknown-name warnings, all filtered
    assert result.returncode == 0 and json.loads(result.stdout) == [] and result.stderr == "", result.stderr
    deprecated = _cli("query", "--cypher", "MATCH (m:Module {snapshot: $snapshot}) RETURN id(m) AS old LIMIT 1",
                      "--store", neo4j_backend.location, "--repo", name, "--format", "json")
    assert deprecated.returncode == 0 and len(deprecated.stderr.splitlines()) == 1
    assert deprecated.stderr.startswith("Neo4j warning: ") and "Received notification" not in deprecated.stderr


# --- writers ------------------------------------------------------------------------------------------


def test_a_second_writer_waits_for_a_live_lease_then_writes(neo4j_backend, small_repo):
    name = neo4j_backend.name("lease")
    scan(_options(neo4j_backend, small_repo, name))
    holder, waiting = neo4j_backend.open(lease_seconds=2.0), neo4j_backend.open(lease_seconds=2.0, lease_wait=1.0)
    lease = _Lease(holder, name, f"{name}@other-writer")
    lease.acquire()  # another scan's write, heartbeat running
    write_repo(small_repo, {"pc2_code/agents/late.py": "import zmq\n"})  # so the next scan has something to write
    try:
        started = time.monotonic()
        with pytest.raises(StoreError, match=f"another scan is writing '{name}'.*waited 4 s"):
            scan(_options(neo4j_backend, small_repo, name, use_cache=False), store=waiting)
        assert time.monotonic() - started >= 4.0  # a live lease holds at least twice its lifetime
        patient = neo4j_backend.open(lease_seconds=2.0, lease_wait=60.0)
        try:
            threading.Timer(2.0, lease.release).start()  # the first writer finishes while the second waits
            report = scan(_options(neo4j_backend, small_repo, name, use_cache=False), store=patient)
            assert [s.snapshot for s in patient.list_snapshots(name)] == [report.snapshot]
            leases = patient._read(f"MATCH (l:{LEASE_LABEL} {{repository: $name}}) RETURN count(l) AS n", name=name)
            assert leases == [{"n": 0}]
        finally:
            patient.close()
    finally:
        lease.release()
        holder.close()
        waiting.close()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                        "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"})


def test_scan_source_names_remote_branch_and_folder_without_credentials(tmp_path):
    repo = write_repo(tmp_path / "proj", {"svc/a.py": "x = 1\n"})
    assert scan_source(str(repo)) is None  # not in git: no claim
    _git(repo, "init", "-q", "-b", "main")
    assert scan_source(str(repo)) == "(no remote)#main"
    _git(repo, "remote", "add", "origin", "https://user:s3cret@git.example.com/org/proj.git")
    assert scan_source(str(repo / "svc")) == "git.example.com/org/proj#main:svc/"
    _git(repo, "remote", "set-url", "origin", "git@git.example.com:org/proj.git")
    assert scan_source(str(repo)) == "git.example.com/org/proj#main"


def test_a_repository_name_belongs_to_one_branch_on_a_shared_server(neo4j_backend, tmp_path):
    repo = write_repo(tmp_path / "proj", SMALL_REPO)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", "git@git.example.com:org/proj.git")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    name = neo4j_backend.name("proj")
    first = scan(_options(neo4j_backend, repo, name))
    _git(repo, "checkout", "-q", "-b", "feature")
    write_repo(repo, {"main_pc_code/agents/extra.py": "import zmq\n"})
    result = _cli("scan", str(repo), "--store", neo4j_backend.location, "--repo", name, "--cache-dir",
                  neo4j_backend.cache_dir)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    message = " ".join(result.stderr.split())
    assert f"holds repository '{name}' scanned from git.example.com/org/proj#main" in message
    assert f"pass --repo NAME to keep both (e.g. --repo {name}@feature)" in message
    store = neo4j_backend.open()
    try:
        assert [s.snapshot for s in store.list_snapshots(name)] == [first.snapshot]  # main's graph untouched
    finally:
        store.close()
    branch = neo4j_backend.name("proj@feature")
    assert branch == f"{name}@feature"  # the name the refusal suggests
    assert scan(_options(neo4j_backend, repo, branch)).files == len(SMALL_REPO) + 1  # side by side
    _git(repo, "checkout", "-q", "main")
    assert scan(_options(neo4j_backend, repo, name)).snapshot  # main rescans under its own name


# --- the check command on the server -------------------------------------------------------------------


def test_check_on_neo4j_finds_what_it_finds_on_the_embedded_store(neo4j_backend, fixture_repo, tmp_path):
    name = neo4j_backend.name("check")
    reports = {}
    for store in (neo4j_backend.location, str(tmp_path / "embedded")):
        result = _cli("check", str(fixture_repo), "--store", store, "--repo", name, "--format", "json",
                      "--cache-dir", neo4j_backend.cache_dir, "--fail-on", "critical")
        assert result.returncode in (0, 1) and "Traceback" not in result.stderr, result.stderr
        reports[store] = json.loads(result.stdout)
    on_server, on_disk = reports.values()
    assert on_server["findings"] and on_server["findings"] == on_disk["findings"]
