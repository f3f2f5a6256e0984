"""The agent inventory: one row per module of the graph, agents first to read."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from analyzer import git
from analyzer.report.reads import ENDPOINTS, MODULES, read, repository_info
from analyzer.store import GraphStore

# Same floor as the duplicate-agents query's min_lines: tiny files (empty __init__.py) share one normalised hash.
DUPLICATE_MIN_LINES = 10

COLUMNS = ("name", "machine", "path", "agent", "lines", "classes", "imports_in", "imports_out", "ports_bound",
           "ports_connected", "cuda_calls", "broad_excepts", "todos", "last_modified", "duplicate_of")


def inventory(store: GraphStore, repository: str | None = None, root: Path | None = None,
              include_tests: bool = False) -> list[dict[str, Any]]:
    """Rows in COLUMNS order; `root` (default: the scanned folder recorded in the store) gives git dates."""
    modules = [m for m in read(store, MODULES, repository) if include_tests or not m["is_test"]]
    bound, connected = _ports(read(store, ENDPOINTS, repository))
    copies = _duplicates(modules)
    root = root or Path(repository_info(store, repository).get("root") or ".")
    dates = git.last_modified(root) if root.is_dir() else {}
    return [
        {
            "name": m["name"], "machine": m["machine"], "path": m["path"], "agent": bool(m["is_agent"]),
            "lines": m["lines"], "classes": m["classes"], "imports_in": m["imports_in"],
            "imports_out": m["imports_out"], "ports_bound": bound.get(m["path"], []),
            "ports_connected": connected.get(m["path"], []), "cuda_calls": m["cuda_calls"],
            "broad_excepts": m["broad_excepts"], "todos": m["todos"], "last_modified": dates.get(m["path"], ""),
            "duplicate_of": copies.get(m["path"], []),
        }
        for m in sorted(modules, key=lambda m: (not m["is_agent"], m["machine"], m["path"]))
    ]


def _ports(endpoints: list[dict[str, Any]]) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Path -> sorted distinct resolved ports it binds / connects to."""
    by_action: dict[str, dict[str, set[int]]] = {"bind": defaultdict(set), "connect": defaultdict(set)}
    for endpoint in endpoints:
        if endpoint["port"] is not None and endpoint["action"] in by_action:
            by_action[endpoint["action"]][endpoint["path"]].add(endpoint["port"])
    return ({path: sorted(ports) for path, ports in by_action["bind"].items()},
            {path: sorted(ports) for path, ports in by_action["connect"].items()})


def _duplicates(modules: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Path -> the other modules with the same normalised AST (copies, backups), for files of some size."""
    by_hash: dict[str, list[str]] = defaultdict(list)
    for m in modules:
        if m["normalized_hash"] and (m["lines"] or 0) >= DUPLICATE_MIN_LINES:
            by_hash[m["normalized_hash"]].append(m["path"])
    return {path: sorted(p for p in paths if p != path)
            for paths in by_hash.values() if len(paths) > 1 for path in paths}
