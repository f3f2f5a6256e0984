"""Findings: the rows of the library's detection queries, as what `check` and `report` show.

One query row is one finding. Its file and line come from the query's
`location` columns, the values that tell it apart without line numbers from its
`identity` columns (queries/__init__.py documents both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import queries
from analyzer.store import GraphStore
from queries import Query

SEVERITY_RANK = {severity: rank for rank, severity in enumerate(queries.SEVERITIES)}


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
