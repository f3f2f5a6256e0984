"""The agent inventory: one row per module of the graph, agents first to read, copies left out unless asked for.

A column that stays blank says why in the inventory's notes (`last_modified` outside
git, `machine` for code outside every machine root), so an empty cell is never a mystery.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analyzer import git
from analyzer.report.reads import ENDPOINTS, MODULES, read, repository_info
from analyzer.store import GraphStore

# Same floor as the duplicate-agents query's min_lines: tiny files (empty __init__.py) share one normalised hash.
DUPLICATE_MIN_LINES = 10

COLUMNS = ("name", "machine", "path", "agent", "copy", "lines", "classes", "imports_in", "imports_out", "ports_bound",
           "ports_connected", "cuda_calls", "broad_excepts", "todos", "last_modified", "duplicate_of")


@dataclass
class Inventory:
    rows: list[dict[str, Any]]  # in COLUMNS order
    copies_left_out: int
    notes: list[str]  # why a column is blank


def inventory(store: GraphStore, repository: str | None = None, root: Path | None = None,
              include_tests: bool = False, include_copies: bool = False) -> Inventory:
    """`root` (default: the scanned folder recorded in the store) gives git dates."""
    modules = [m for m in read(store, MODULES, repository) if include_tests or not m["is_test"]]
    listed = [m for m in modules if include_copies or not m["is_copy"]]
    bound, connected = _ports(read(store, ENDPOINTS, repository))
    duplicates = _duplicates(modules)
    root = root or Path(repository_info(store, repository).get("root") or ".")
    no_history = git.why_no_history(root)
    dates = {} if no_history else git.last_modified(root)
    rows = [
        {
            "name": m["name"], "machine": m["machine"], "path": m["path"], "agent": bool(m["is_agent"]),
            "copy": m["copy_reason"] or "", "lines": m["lines"], "classes": m["classes"],
            "imports_in": m["imports_in"], "imports_out": m["imports_out"], "ports_bound": bound.get(m["path"], []),
            "ports_connected": connected.get(m["path"], []), "cuda_calls": m["cuda_calls"],
            "broad_excepts": m["broad_excepts"], "todos": m["todos"], "last_modified": dates.get(m["path"], ""),
            "duplicate_of": duplicates.get(m["path"], []),
        }
        for m in sorted(listed, key=lambda m: (not m["is_agent"], m["machine"], m["path"]))
    ]
    return Inventory(rows, len(modules) - len(listed), _notes(rows, no_history))


def _notes(rows: list[dict[str, Any]], no_history: str | None) -> list[str]:
    notes = []
    if no_history and rows:
        notes.append(f"last_modified is blank: {no_history}.")
    elif undated := sum(1 for row in rows if not row["last_modified"]):
        notes.append(f"last_modified is blank for {undated} file(s) git has no commit of (new or untracked).")
    if shared := sum(1 for row in rows if not row["machine"]):
        notes.append(f"machine is blank for {shared} module(s) outside every machine root (shared code).")
    return notes


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
