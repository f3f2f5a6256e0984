"""Findings: the rows of the library's detection queries, as what `check` and `report` show.

One query row is one finding. Its file and line come from the query's
`location` columns, the values that tell it apart without line numbers from its
`identity` columns (queries/__init__.py documents both).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from analyzer import queries
from analyzer.store import GraphStore
from analyzer.queries import Query

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(queries.SEVERITIES)}
T = TypeVar("T")


@dataclass(frozen=True)
class Finding:
    check: str  # the query id
    severity: str
    title: str
    path: str | None
    line: int | None
    identity: tuple[Any, ...]  # values of the query's identity columns, in order
    message: str  # one sentence from the query's `message` template, e.g. `Class Big has 61 methods`
    row: dict[str, Any]


def run_query(store: GraphStore, query: Query, params: dict[str, str] | None = None,
              repository: str | None = None) -> list[dict[str, Any]]:
    """The query's rows as column -> value mappings, in the query's own order."""
    return store.query(query.cypher, query.bind(params), repository).dicts()


def findings_of(query: Query, rows: list[dict[str, Any]]) -> list[Finding]:
    path_column, line_column = query.location or (None, None)
    return [
        Finding(
            check=query.id, severity=query.severity, title=query.title,
            path=row.get(path_column) if path_column else None,
            line=row.get(line_column) if line_column else None,
            identity=tuple(_hashable(row[c]) for c in query.identity), message=query.render_message(row), row=row,
        )
        for row in rows
    ]


def collect_findings(store: GraphStore, repository: str | None = None,
                     params: dict[str, dict[str, str]] | None = None,
                     selected: set[str] | None = None) -> list[Finding]:
    """Findings of every detection query (or the `selected` ids), with per-query parameter overrides."""
    found: list[Finding] = []
    for query in queries.load_all():
        if query.kind != "detection" or (selected is not None and query.id not in selected):
            continue
        found.extend(findings_of(query, run_query(store, query, (params or {}).get(query.id), repository)))
    return found


def _hashable(value: Any) -> Any:
    return tuple(_hashable(v) for v in value) if isinstance(value, list) else value


@dataclass(frozen=True)
class RowFilter:
    """`--path GLOB`, `--machine NAME` and `--limit N` of `query` and `check`, over rows or findings alike.

    The path is matched with `fnmatch` against the repository-relative path (`*` crosses folders); a
    pattern without wildcards also matches everything under that folder. An item without a path is kept
    only when no path is asked for; its machine is the row's `machine` column, else the machine the scan
    recorded for its file (`machines_by_path`). `limit` keeps the first N of what is left, in order.
    """

    path: str | None = None
    machine: str | None = None
    limit: int | None = None

    @property
    def active(self) -> bool:
        return self.path is not None or self.machine is not None or self.limit is not None

    def keeps_path(self, path: str | None) -> bool:
        if self.path is None:
            return True
        if not path:
            return False
        pattern = self.path.rstrip("/")
        if not any(character in pattern for character in "*?["):
            return path == pattern or path.startswith(pattern + "/")
        return fnmatch.fnmatchcase(path, pattern)

    def select(self, items: list[T], place: Callable[[T], tuple[str | None, str | None]]) -> list[T]:
        """The items whose (path, machine) `place` gives pass the filter, at most `limit` of them."""
        kept = [item for item in items
                if self.keeps_path((where := place(item))[0]) and (self.machine is None or where[1] == self.machine)]
        return kept if self.limit is None else kept[: self.limit]


def row_place(row: dict[str, Any], path_column: str | None, machines: dict[str, str]) -> tuple[str | None, str | None]:
    """(path, machine) of a query row: its location column (or `path`), its `machine` column or its file's."""
    column = path_column or ("path" if "path" in row else None)
    path = row.get(column) if column else None
    path = path if isinstance(path, str) else None
    machine = row.get("machine") if "machine" in row else machines.get(path or "")
    return path, machine


def machines_by_path(store: GraphStore, repository: str | None = None) -> dict[str, str]:
    """The machine the scan recorded for every file of the current snapshot: modules, configs, requirements."""
    machines: dict[str, str] = {}
    for label in ("Module", "ConfigFile", "RequirementsFile"):
        result = store.query(f"MATCH (f:{label} {{snapshot: $snapshot}}) RETURN f.path, f.machine", {}, repository)
        machines.update((path, machine or "") for path, machine in result.rows)
    return machines
