"""Running a query on a small repository written from one of its examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from analyzer.scan import ScanOptions, scan
from analyzer.store import open_store
from analyzer.queries import Example, Query
from tests.conftest import write_repo


def param_texts(params: dict[str, Any]) -> dict[str, str]:
    """Example parameters as `--param` would give them (lists comma-separated)."""
    return {k: ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in params.items()}


def scan_files(files: dict[str, str], workdir: Path) -> Path:
    """Scan `files` into a fresh embedded store; returns the store folder (query it with `query_rows`)."""
    repo = write_repo(workdir / "repo", files)
    store_path = workdir / "store"
    scan(ScanOptions(repo=repo, store=str(store_path), use_cache=False, jobs=1))
    return store_path


def query_rows(store_path: Path, query: Query, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The query's rows on the store's repository, as column -> value mappings."""
    store = open_store(str(store_path))
    try:
        result = store.query(query.cypher, query.bind(param_texts(params or {})))
    finally:
        store.close()
    return [dict(zip(result.columns, row)) for row in result.rows]


def run_on_files(query: Query, files: dict[str, str], params: dict[str, Any], workdir: Path) -> list[dict[str, Any]]:
    """Scan `files` into a fresh embedded store and return the query's rows as column -> value mappings."""
    return query_rows(scan_files(files, workdir), query, params)


def run_example(query: Query, example: Example, workdir: Path) -> list[dict[str, Any]]:
    return run_on_files(query, example.files, example.params, workdir)
