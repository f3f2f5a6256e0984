"""Sharded scans: a stable partition of the files, manifests, and finalize refusing what is incomplete."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.scan import ScanOptions
from analyzer.shard import ShardError, check_complete, finalize, manifest_folder, parse_shard, scan_shard, shard_of
from analyzer.store.ladybug import LadybugStore
from tests.conftest import write_repo
from tests.store.conftest import SMALL_REPO


def _options(tmp_path: Path, repo: Path, **extra) -> ScanOptions:
    return ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1, **extra)


def test_shard_of_is_a_stable_partition():
    paths = [f"main_pc_code/agents/agent_{i}.py" for i in range(400)]
    for count in (1, 2, 3, 7):
        shards = [shard_of(p, count) for p in paths]
        assert set(shards) == set(range(1, count + 1))
        assert all(shard_of(p, count) == s for p, s in zip(paths, shards))
    # Pinned: shards of one run must agree across machines, Python versions and hash seeds.
    assert [shard_of(p, 4) for p in ("a.py", "main_pc_code/agents/x.py", "pc2_code/y.py")] == [4, 3, 4]


@pytest.mark.parametrize("text, expected", [("1/1", (1, 1)), ("2/4", (2, 4)), (" 3 / 3 ", (3, 3))])
def test_parse_shard(text, expected):
    assert parse_shard(text) == expected


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/0", "-1/3", ""])
def test_parse_shard_rejects(text):
    with pytest.raises(ShardError):
        parse_shard(text)


def test_shards_record_manifests_and_write_no_graph(tmp_path, small_repo):
    parts = [scan_shard(_options(tmp_path, small_repo), (i, 2)) for i in (1, 2)]
    assert sorted(p.files for p in parts) == sorted(
        [sum(1 for f in SMALL_REPO if shard_of(f, 2) == 1), sum(1 for f in SMALL_REPO if shard_of(f, 2) == 2)])
    manifests = [json.loads(Path(p.manifest).read_text()) for p in parts]
    assert sorted(path for m in manifests for path, _ in m["files"]) == sorted(SMALL_REPO)
    assert LadybugStore(tmp_path / "store").list_snapshots() == []
    assert Path(parts[0].manifest).is_relative_to(tmp_path / "store" / "small" / "shards")


def test_finalize_refuses_a_missing_shard(tmp_path, small_repo):
    scan_shard(_options(tmp_path, small_repo), (1, 3))
    scan_shard(_options(tmp_path, small_repo), (3, 3))
    with pytest.raises(ShardError, match="shards 2/3 are missing"):
        finalize(_options(tmp_path, small_repo))
    assert LadybugStore(tmp_path / "store").list_snapshots() == []


def test_finalize_refuses_without_any_shard(tmp_path, small_repo):
    with pytest.raises(ShardError, match="no shard manifests"):
        finalize(_options(tmp_path, small_repo))


def test_finalize_refuses_a_file_changed_since_its_shard(tmp_path, small_repo):
    for i in (1, 2):
        scan_shard(_options(tmp_path, small_repo), (i, 2))
    (small_repo / "pc2_code/agents/a.py").write_text("from agents import b  # edited\n")
    with pytest.raises(ShardError, match=r"1 file\(s\) changed .*pc2_code/agents/a.py"):
        check_complete(_options(tmp_path, small_repo))


def test_finalize_refuses_another_file_list(tmp_path, small_repo):
    for i in (1, 2):
        scan_shard(_options(tmp_path, small_repo), (i, 2))
    write_repo(small_repo, {"pc2_code/agents/new.py": "x = 1\n"})
    with pytest.raises(ShardError, match="another file list"):
        check_complete(_options(tmp_path, small_repo))


def test_finalize_refuses_facts_missing_from_the_cache(tmp_path, small_repo):
    for i in (1, 2):
        scan_shard(_options(tmp_path, small_repo), (i, 2))
    shutil.rmtree(tmp_path / "cache")  # e.g. each CI job had its own cache folder
    with pytest.raises(ShardError, match="must share --cache-dir"):
        check_complete(_options(tmp_path, small_repo))


def test_finalize_writes_the_snapshot_and_drops_its_manifests(tmp_path, small_repo):
    parts = [scan_shard(_options(tmp_path, small_repo), (i, 2)) for i in (1, 2)]
    report = finalize(_options(tmp_path, small_repo))
    assert (report.files, report.parsed, report.import_cycles) == (len(SMALL_REPO), 0, 2)
    assert not Path(parts[0].manifest).parent.exists()
    store = LadybugStore(tmp_path / "store")
    assert [s.snapshot for s in store.list_snapshots()] == [report.snapshot]
    assert store.query("MATCH (c:ImportCycle {snapshot: $snapshot}) RETURN c.members ORDER BY c.members").rows == [
        ["main_pc_code.agents.pub,main_pc_code.utils.helper"], ["pc2_code.agents.a,pc2_code.agents.b"]]


def test_neo4j_shards_keep_manifests_in_the_cache_folder(tmp_path, small_repo):
    options = ScanOptions(repo=small_repo, store="bolt://127.0.0.1:1", cache_dir=str(tmp_path / "cache"))
    folder = manifest_folder(options, "small", "k")
    assert folder == tmp_path / "cache" / "shards" / "small" / "k"
    part = scan_shard(options, (1, 1))  # a shard never connects to the server
    assert Path(part.manifest).is_relative_to(tmp_path / "cache" / "shards")


def test_shards_need_the_cache(tmp_path, small_repo):
    with pytest.raises(ShardError, match="drop --no-cache"):
        scan_shard(_options(tmp_path, small_repo, use_cache=False), (1, 2))


def test_cli_shards_then_finalize(tmp_path, small_repo):
    runner = CliRunner()
    common = ["--store", str(tmp_path / "store"), "--cache-dir", str(tmp_path / "cache")]
    for i in (1, 2):
        result = runner.invoke(app, ["scan", str(small_repo), "--shard", f"{i}/2", *common, "--json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["shard"] == i
    result = runner.invoke(app, ["scan", str(small_repo), "--finalize", *common, "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["files"] == len(SMALL_REPO)
    both = runner.invoke(app, ["scan", str(small_repo), "--shard", "1/2", "--finalize", *common])
    assert both.exit_code == 2 and "separate steps" in both.output
    bad = runner.invoke(app, ["scan", str(small_repo), "--shard", "3/2", *common])
    assert bad.exit_code == 2 and "between 1 and N" in bad.output
