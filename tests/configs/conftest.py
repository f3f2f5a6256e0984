"""Helpers for config tests: write a small repository, read its deployment, extract its facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.config import ScanConfig
from analyzer.extract import extract_file
from tests.conftest import write_repo



@pytest.fixture
def make_repo(tmp_path):
    def make(files: dict[str, str | bytes], roots=("main_pc_code", "pc2_code")) -> tuple[Path, ScanConfig]:
        repo = write_repo(tmp_path / "repo", files)
        return repo, ScanConfig(roots=list(roots))
    return make


def python_facts(repo: Path, config: ScanConfig):
    """Facts of every .py file under `repo`, extracted in-process (no store, no cache)."""
    from analyzer.discover import list_files

    return [extract_file(s.path, (repo / s.path).read_bytes(), s.machine, config.max_file_bytes)
            for s in list_files(repo, config)]
