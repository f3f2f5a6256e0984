"""Requirements through a real scan: graph rows in the embedded store, includes, and the snapshot fingerprint."""

from __future__ import annotations

from pathlib import Path

from analyzer.config import load_scan_config
from analyzer.requirements import find_requirements
from analyzer.scan import ScanOptions, scan
from analyzer.store import open_store


def rows(store_path: Path, cypher: str) -> list[list]:
    store = open_store(str(store_path))
    try:
        return store.query(cypher, {}).rows
    finally:
        store.close()


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


def test_fixture_requirements_in_the_graph(scanned_fixture):
    store_path, _ = scanned_fixture
    files = rows(store_path, "MATCH (f:RequirementsFile {snapshot: $snapshot}) "
                             "RETURN f.path, f.machine, f.kind, f.requirements, f.is_copy ORDER BY f.path")
    # The backup's requirements belong to the machine they copy, marked as a copy (docs/copies.md).
    assert files == [["backups/2025-07-01/main_pc_code/requirements.txt", "main_pc_code", "requirements", 3, True],
                     ["main_pc_code/requirements.txt", "main_pc_code", "requirements", 7, False],
                     ["pc2_code/requirements.txt", "pc2_code", "requirements", 5, False]]
    torch = rows(store_path, "MATCH (f:RequirementsFile {snapshot: $snapshot})-[:DECLARES_REQUIREMENT]->(r:Requirement) "
                             "WHERE r.name = 'torch' RETURN r.machine, r.line, r.specifier, r.raw, r.kind, r.is_copy "
                             "ORDER BY r.machine, r.is_copy")
    assert torch == [["main_pc_code", 2, "==2.0.0", "torch==2.0.0", "requirements", False],
                     ["main_pc_code", 1, "==1.13.1", "torch==1.13.1", "requirements", True],
                     ["pc2_code", 2, "==2.2.1", "torch==2.2.1", "requirements", False]]


def test_includes_are_followed_and_linked(tmp_path):
    repo = write(tmp_path / "repo", {
        "main_pc_code/requirements.txt": "-r ../common/base-deps.txt\n-c ../shared-pins.txt\ntorch==2.0.0\n",
        "common/base-deps.txt": "pyzmq==25.1.2\n",
        "shared-pins.txt": "numpy<2\n",
        "main_pc_code/agent.py": "import zmq\n",
    })
    found = find_requirements(repo, load_scan_config(repo))
    assert [(f.path, f.machine, f.kind) for f in found.files] == [
        ("common/base-deps.txt", "common", "requirements"),
        ("main_pc_code/requirements.txt", "main_pc_code", "requirements"),
        ("shared-pins.txt", "", "constraints"),
    ]
    store_path = tmp_path / "store"
    scan(ScanOptions(repo=repo, store=str(store_path), use_cache=False, jobs=1))
    assert rows(store_path, "MATCH (a:RequirementsFile {snapshot: $snapshot})-[i:INCLUDES_REQUIREMENTS]->"
                            "(b:RequirementsFile) RETURN a.path, i.line, i.constraint, b.path ORDER BY i.line") == [
        ["main_pc_code/requirements.txt", 1, False, "common/base-deps.txt"],
        ["main_pc_code/requirements.txt", 2, True, "shared-pins.txt"],
    ]


def test_a_changed_requirements_file_makes_a_new_snapshot(tmp_path):
    repo = write(tmp_path / "repo", {"main_pc_code/requirements.txt": "torch==2.0.0\n",
                                     "main_pc_code/agent.py": "import zmq\n"})
    options = ScanOptions(repo=repo, store=str(tmp_path / "store"), use_cache=False, jobs=1)
    first = scan(options)
    assert scan(options).unchanged
    (repo / "main_pc_code/requirements.txt").write_text("torch==2.2.1\n", encoding="utf-8")
    changed = scan(options)
    assert not changed.unchanged and changed.snapshot != first.snapshot
    assert rows(tmp_path / "store", "MATCH (r:Requirement {snapshot: $snapshot}) RETURN r.specifier") == [["==2.2.1"]]
