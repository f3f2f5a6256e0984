"""The query library: one `.cypher` file per detection, metadata in its comment header.

Header lines look like `// key: value`; `param` and `column` may repeat:

    // id: god-objects
    // title: Classes with too many methods
    // severity: medium
    // description: What it finds. Why it matters. How to fix.
    // param: min_methods = 60
    // column: path
    // column: line

Every query anchors on `$snapshot`, which the store fills in. Query results
are sorted by the query itself (ORDER BY over all columns) so rows are deterministic.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SEVERITIES = ("info", "low", "medium", "high", "critical")
QUERY_FOLDER = Path(__file__).parent


class QueryError(ValueError):
    """A query file or a parameter is malformed; the message names which."""


@dataclass(frozen=True)
class Query:
    id: str
    title: str
    severity: str
    description: str
    cypher: str
    path: Path
    params: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)  # every other header key, e.g. tags

    def bind(self, overrides: dict[str, str] | None = None) -> dict[str, Any]:
        """Defaults with `--param k=v` overrides, converted to each default's type."""
        values = dict(self.params)
        for key, raw in (overrides or {}).items():
            if key not in self.params:
                raise QueryError(f"{self.id} has no parameter {key!r} (it takes: {', '.join(self.params) or 'none'})")
            default = self.params[key]
            try:
                values[key] = type(default)(raw) if not isinstance(default, bool) else raw.lower() in ("1", "true", "yes")
            except ValueError as error:
                raise QueryError(f"{self.id}: parameter {key} expects {type(default).__name__}, got {raw!r}") from error
        return values


def parse_query(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    params: dict[str, Any] = {}
    columns: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped.startswith("//"):
            continue
        key, sep, value = stripped[2:].strip().partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if key == "param":
            name, _, default = value.partition("=")
            try:
                params[name.strip()] = ast.literal_eval(default.strip())
            except (ValueError, SyntaxError) as error:
                raise QueryError(f"{path.name}: param {value!r} needs a literal default") from error
        elif key == "column":
            columns.append(value)
        elif key in header and key == "description":
            header[key] += " " + value
        else:
            header.setdefault(key, value)
    missing = [k for k in ("id", "title", "severity", "description") if k not in header]
    if missing:
        raise QueryError(f"{path.name}: header lacks {', '.join(missing)}")
    if header["severity"] not in SEVERITIES:
        raise QueryError(f"{path.name}: severity {header['severity']!r} is not one of {', '.join(SEVERITIES)}")
    if header["id"] != path.stem:
        raise QueryError(f"{path.name}: id {header['id']!r} must match the file name")
    cypher = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//")).strip()
    extra = {k: v for k, v in header.items() if k not in ("id", "title", "severity", "description")}
    return Query(header["id"], header["title"], header["severity"], header["description"], cypher, path,
                 params, tuple(columns), extra)


@cache
def load_all() -> tuple[Query, ...]:
    return tuple(parse_query(p) for p in sorted(QUERY_FOLDER.glob("*.cypher")))


def get(query_id: str) -> Query:
    for query in load_all():
        if query.id == query_id:
            return query
    known = ", ".join(q.id for q in load_all())
    raise QueryError(f"no query {query_id!r}; known: {known}")
