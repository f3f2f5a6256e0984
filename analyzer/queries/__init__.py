"""The query library: one `.cypher` file per rule; everything about the rule is in its comment header.

Header lines look like `// key: value`; `param` and `column` may repeat:

    // id: god-objects
    // title: Classes with too many methods
    // severity: medium                 (info, low, medium, high, critical)
    // category: structure              (one of CATEGORIES: the report's sections)
    // precision: high                  (how often a row is a true finding: low, medium, high, very-high)
    // tags: maintainability, CWE-1093  (comma-separated; CWE ids where one applies)
    // what: What it finds.
    // why: Why it matters.
    // fix: How to fix it.
    // fixed_by: bare-except            (optional: the codemod that really fixes every row)
    // message: Class {class} has {methods} methods
    // param: min_methods = 60
    // column: path
    // column: line
    // location: path, line
    // identity: path, class

`message` is one sentence per row: `{column}` is replaced by the row's value (lists
joined with ", "), `{column|text}` by `text` when the value is empty. `location`
names the columns holding a finding's file and line (for SARIF, CI annotations,
reports); `identity` names the columns that tell one finding from another without
line numbers (a baseline fingerprint survives code moves); both default to none.
`kind: report` marks a query that describes the system rather than flagging a
problem (e.g. zmq-topology); `analyzer check` runs the others. docs/queries.md,
SARIF rules, the report's categories and fix suggestions are all derived from
this header: adding a detection means writing its `.cypher` and its examples.

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
import os
import re
import sysconfig
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SEVERITIES = ("info", "low", "medium", "high", "critical")
PRECISIONS = ("low", "medium", "high", "very-high")
# Report sections, in the order the report shows them, with what each holds.
CATEGORIES = {
    "zmq": "ZeroMQ sockets, ports and peers",
    "config": "deployment configs: startup configs, ports.yaml, compose, .env",
    "structure": "imports, cycles, copies, complexity",
    "exceptions": "bare, broad and swallowing exception handlers",
    "security": "shell commands, credentials, unauthenticated endpoints, Bandit",
    "gpu": "CUDA placement and GPU memory",
    "performance": "work repeated per request or per loop iteration",
    "requirements": "requirements and dependency declarations",
    "tests": "what the tests reach",
    "hygiene": "logging and asyncio idioms",
    "debt": "TODO, FIXME, HACK and XXX comments",
}
# The rule files live in queries/ at the top of a checkout (editable installs read them there); a wheel
# installs them as data under the environment's prefix, so no top-level `queries` package is installed.
_CHECKOUT_FOLDER = Path(__file__).resolve().parents[2] / "queries"
QUERY_FOLDER = (_CHECKOUT_FOLDER if (_CHECKOUT_FOLDER.parent / "pyproject.toml").is_file() and _CHECKOUT_FOLDER.is_dir()
                else Path(sysconfig.get_path("data")) / "share" / "agent-graph-analyzer" / "queries")
# A folder holding a whole library instead of the bundled one (a team's own copy with its own rules).
LIBRARY_ENV = "ANALYZER_QUERIES"
KINDS = ("detection", "report")
REQUIRED_KEYS = ("id", "title", "severity", "category", "precision", "what", "why", "fix", "message")
OPTIONAL_KEYS = ("tags", "fixed_by", "kind", "location", "identity")
# SARIF `security-severity` (0-10, as CodeQL and GitHub code scanning read it) of rules tagged `security`.
SECURITY_SEVERITY = {"info": "1.0", "low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}
MESSAGE_FIELD = re.compile(r"\{(?P<column>\w+)(?:\|(?P<empty>[^}]*))?\}")


class QueryError(ValueError):
    """A query file or a parameter is malformed; the message names which."""


@dataclass(frozen=True)
class Query:
    id: str
    title: str
    severity: str
    category: str
    precision: str
    what: str
    why: str
    fix: str
    message: str  # template over the row's columns, see render_message
    cypher: str
    path: Path
    tags: tuple[str, ...] = ()
    fixed_by: str = ""  # the codemod that fixes every row, "" for none
    params: dict[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] = ()
    location: tuple[str, ...] = ()  # (file column, line column), or () for a finding without one
    identity: tuple[str, ...] = ()  # columns naming the finding without line numbers
    kind: str = "detection"

    @property
    def cwe_ids(self) -> tuple[str, ...]:
        return tuple(tag for tag in self.tags if tag.startswith("CWE-"))

    @property
    def security_severity(self) -> str | None:
        return SECURITY_SEVERITY[self.severity] if "security" in self.tags else None

    def render_message(self, row: dict[str, Any]) -> str:
        """The rule's one-sentence message for one of its rows."""
        def field_text(match: re.Match[str]) -> str:
            value = row.get(match["column"])
            if isinstance(value, (list, tuple)):
                value = ", ".join(map(str, value))
            if value is None or value == "":
                return match["empty"] if match["empty"] is not None else ""
            return str(value)
        return MESSAGE_FIELD.sub(field_text, self.message)

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


def _header(path: Path, text: str) -> tuple[dict[str, str], dict[str, Any], list[str]]:
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
        elif key not in REQUIRED_KEYS and key not in OPTIONAL_KEYS:
            raise QueryError(f"{path.name}: unknown header key {key!r} (known: "
                             f"{', '.join((*REQUIRED_KEYS, *OPTIONAL_KEYS, 'param', 'column'))})")
        elif key in header:
            raise QueryError(f"{path.name}: header key {key!r} is given twice")
        else:
            header[key] = value
    return header, params, columns


def _one_of(path: Path, key: str, value: str, allowed) -> str:
    if value not in allowed:
        raise QueryError(f"{path.name}: {key} {value!r} is not one of {', '.join(allowed)}")
    return value


def parse_query(path: Path) -> Query:
    text = path.read_text(encoding="utf-8")
    header, params, columns = _header(path, text)
    missing = [k for k in REQUIRED_KEYS if k not in header]
    if missing:
        raise QueryError(f"{path.name}: header lacks {', '.join(missing)}")
    if header["id"] != path.stem:
        raise QueryError(f"{path.name}: id {header['id']!r} must match the file name")
    location = _column_list(path, "location", header.get("location", ""), columns)
    if location and len(location) != 2:
        raise QueryError(f"{path.name}: location names a file column and a line column")
    unknown = [m["column"] for m in MESSAGE_FIELD.finditer(header["message"]) if m["column"] not in columns]
    if unknown:
        raise QueryError(f"{path.name}: message names {', '.join(unknown)}, which no `// column:` line declares")
    cypher = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//")).strip()
    return Query(
        id=header["id"], title=header["title"], severity=_one_of(path, "severity", header["severity"], SEVERITIES),
        category=_one_of(path, "category", header["category"], CATEGORIES),
        precision=_one_of(path, "precision", header["precision"], PRECISIONS),
        what=header["what"], why=header["why"], fix=header["fix"], message=header["message"], cypher=cypher,
        path=path, tags=tuple(t.strip() for t in header.get("tags", "").split(",") if t.strip()),
        fixed_by=header.get("fixed_by", ""), params=params, columns=tuple(columns), location=location,
        identity=_column_list(path, "identity", header.get("identity", ""), columns),
        kind=_one_of(path, "kind", header.get("kind", "detection"), KINDS),
    )


def library_folder() -> Path:
    """The bundled queries, or the folder env ANALYZER_QUERIES names."""
    return Path(os.environ.get(LIBRARY_ENV) or QUERY_FOLDER)


def load_all() -> tuple[Query, ...]:
    return _load(library_folder())


@cache
def _load(folder: Path) -> tuple[Query, ...]:
    if not folder.is_dir():
        raise QueryError(f"{LIBRARY_ENV}={folder} is not a folder of .cypher files")
    return tuple(parse_query(p) for p in sorted(folder.glob("*.cypher")))


def get(query_id: str) -> Query:
    for query in load_all():
        if query.id == query_id:
            return query
    known = ", ".join(q.id for q in load_all())
    raise QueryError(f"no query {query_id!r}; known: {known}")
