"""Shared fixtures: the bundled fixture repository and a store it was scanned into."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURE_REPO = ROOT / "fixtures" / "agent_system"
RAM_FOLDER = Path("/dev/shm")
RAM_FOLDER_ROOM = 2 * 1024**3  # bytes free a RAM folder needs before the tests put their folders in it


def pytest_configure(config) -> None:
    """Temporary folders (tmp_path, the stores, the caches) in RAM where there is a RAM folder with room and
    neither --basetemp nor TMPDIR chose a place: the embedded store syncs each of its schema statements to
    disk, and on a disk-backed /tmp that wait was most of a small scan's time. xdist workers inherit TMPDIR."""
    if config.option.basetemp or os.environ.get("TMPDIR") or not RAM_FOLDER.is_dir():
        return
    try:
        usage = shutil.disk_usage(RAM_FOLDER)
    except OSError:
        return  # not readable: the default temporary folder
    if usage.free >= RAM_FOLDER_ROOM and os.access(RAM_FOLDER, os.W_OK | os.X_OK):
        os.environ["TMPDIR"] = str(RAM_FOLDER)
        tempfile.tempdir = None  # gettempdir() reads TMPDIR again


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory) -> Path:
    """The per-user cache folder (default facts cache, local key) of this test session, not the user's own."""
    folder = tmp_path_factory.mktemp("user-cache")
    os.environ["ANALYZER_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def fixture_repo() -> Path:
    """The bundled two-machine agent repository (read-only: copy it before changing files)."""
    return FIXTURE_REPO


@pytest.fixture(scope="session")
def scanned_fixture(tmp_path_factory):
    """(store folder, report) after scanning the fixture repository into a fresh embedded store."""
    from analyzer.scan import ScanOptions, scan

    base = tmp_path_factory.mktemp("fixture-store")
    store = base / "store"
    report = scan(ScanOptions(repo=FIXTURE_REPO, store=str(store), cache_dir=str(base / "cache"), jobs=2))
    return store, report


@pytest.fixture(scope="session")
def fixture_cache_dir(scanned_fixture) -> Path:
    """The facts cache the scan of `scanned_fixture` filled."""
    return scanned_fixture[0].parent / "cache"


@pytest.fixture
def fixture_copy(tmp_path) -> Path:
    """A writable copy of the fixture repository."""
    target = tmp_path / "agent_system"
    shutil.copytree(FIXTURE_REPO, target)
    return target


def write_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write `files` (repo-relative path -> text or bytes) under `root`; returns `root`."""
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


def neo4j_uri() -> str | None:
    return os.environ.get("NEO4J_URI")
