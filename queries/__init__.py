"""The query library: one `.cypher` file per detection, metadata in its comment header.

Header lines look like `// key: value`; `param` and `column` may repeat:

    // id: god-objects
    // title: Classes with too many methods
    // severity: medium
    // description: What it finds. Why it matters. How to fix.
    // param: min_methods = 60
    // column: path
    // column: line
    // location: path, line
    // identity: path, class

`location` names the columns holding a finding's file and line (for SARIF, CI
annotations, reports); `identity` names the columns that tell one finding from
another without line numbers (a baseline fingerprint survives code moves); both
default to none. `kind: report` marks a query that describes the system rather
than flagging a problem (e.g. zmq-topology); `analyzer check` runs the others.

Every query anchors on `$snapshot`, which the store fills in. Query results
are sorted by the query itself (ORDER BY over all columns) so rows are deterministic.

Each query carries its own examples in `<id>.examples.yaml` beside it:

    flags:                      # repositories the query must flag, with every row it returns
      - name: a class at the threshold
        params: {min_methods: 3}    # optional overrides of the defaults
        files:                      # path -> content of a small repository
          agents/big.py: |
            class Big: ...
        rows:
          - {path: agents/big.py, line: 1, class: Big, methods: 3}
    passes:                     # repositories it must return no row for
      - name: ...
        files: {...}

tests/queries/ generates one test per example, and docs/queries.md shows them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SEVERITIES = ("info", "low", "medium", "high", "critical")
QUERY_FOLDER = Path(__file__).parent
KINDS = ("detection", "report")


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
    location: tuple[str, ...] = ()  # (file column, line column), or () for a finding without one
    identity: tuple[str, ...] = ()  # columns naming the finding without line numbers
    kind: str = "detection"
    metadata: dict[str, str] = field(default_factory=dict)  # every other header key, e.g. tags

    @property
    def examples_path(self) -> Path:
        return self.path.with_name(f"{self.id}.examples.yaml")

    def examples(self) -> list["Example"]:
        """The query's own examples (flags first), or [] when it has none."""
        if not self.examples_path.is_file():
            return []
        try:
            data = yaml.safe_load(self.examples_path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise QueryError(f"{self.examples_path.name}: {error}") from error
        examples = []
        for group, flags in (("flags", True), ("passes", False)):
            for entry in data.get(group) or []:
                rows = entry.get("rows") or []
                if flags != bool(rows):
                    raise QueryError(f"{self.examples_path.name}: {entry.get('name')!r} under {group} "
                                     + ("lists no rows" if flags else "must not list rows"))
                examples.append(Example(self.id, entry["name"], entry["files"], entry.get("params") or {},
                                        [dict(row) for row in rows]))
        return examples

    def bind(self, overrides: dict[str, str] | None = None) -> dict[str, Any]:
        """Defaults with `--param k=v` overrides, converted to each default's type."""
        values = dict(self.params)
        for key, raw in (overrides or {}).items():
            if key not in self.params:
                raise QueryError(f"{self.id} has no parameter {key!r} (it takes: {', '.join(self.params) or 'none'})")
            default = self.params[key]
            try:
                values[key] = _convert(default, raw)
            except ValueError as error:
                raise QueryError(f"{self.id}: parameter {key} expects {type(default).__name__}, got {raw!r}") from error
        return values


def _convert(default: Any, raw: str) -> Any:
    """A `--param` text as the default's type; a list default takes comma-separated items."""
    if isinstance(default, bool):
        if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
            raise ValueError(raw)
        return raw.lower() in ("1", "true", "yes")
    if isinstance(default, list):
        return [item.strip() for item in raw.split(",") if item.strip()]
    return type(default)(raw)


@dataclass(frozen=True)
class Example:
    """A small repository and every row the query returns on it (none: a should-not-flag case)."""

    query_id: str
    name: str
    files: dict[str, str]
    params: dict[str, Any]
    rows: list[dict[str, Any]]

    @property
    def flags(self) -> bool:
        return bool(self.rows)


def _column_list(path: Path, key: str, value: str, columns: list[str]) -> tuple[str, ...]:
    names = tuple(name.strip() for name in value.split(",") if name.strip())
    unknown = [name for name in names if name not in columns]
    if unknown:
        raise QueryError(f"{path.name}: {key} names {', '.join(unknown)}, which no `// column:` line declares")
    return names


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
    kind = header.get("kind", "detection")
    if kind not in KINDS:
        raise QueryError(f"{path.name}: kind {kind!r} is not one of {', '.join(KINDS)}")
    location = _column_list(path, "location", header.get("location", ""), columns)
    if location and len(location) != 2:
        raise QueryError(f"{path.name}: location names a file column and a line column")
    identity = _column_list(path, "identity", header.get("identity", ""), columns)
    cypher = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//")).strip()
    own = ("id", "title", "severity", "description", "location", "identity", "kind")
    extra = {k: v for k, v in header.items() if k not in own}
    return Query(header["id"], header["title"], header["severity"], header["description"], cypher, path,
                 params, tuple(columns), location, identity, kind, extra)


@cache
def load_all() -> tuple[Query, ...]:
    return tuple(parse_query(p) for p in sorted(QUERY_FOLDER.glob("*.cypher")))


def get(query_id: str) -> Query:
    for query in load_all():
        if query.id == query_id:
            return query
    known = ", ".join(q.id for q in load_all())
    raise QueryError(f"no query {query_id!r}; known: {known}")
