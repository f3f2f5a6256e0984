"""Fingerprints that name a finding by what it is, never by where the file's lines happen to sit.

Each finding gets a group key and a fingerprint:
- whole-graph (the query's identity leaves the file out, e.g. a cycle's members,
  or the query has no location): check id + the identity values;
- about a file (line 1 or no line: untested agents, duplicates, critical modules):
  check id + path + the identity values;
- at a line: check id + path + the identity values (the group), and the flagged
  statement's text without comments or whitespace (sources.py: the whole
  statement, or a compound statement's header) in the fingerprint.
Identical fingerprints in one run are told apart by their order (`#0`, `#1`, ...).
A query that declares no identity falls back to every column except line columns.

A baseline (or the base of `--base`) is matched in two passes (`Known.new`):
fingerprints first, then group counts, so a finding whose own statement was
edited (or a file-level one whose file moved its lines) still matches as long as
its group has no more findings than before.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:  # the baseline reads fingerprints without the query machinery
    from analyzer.findings import Finding
    from analyzer.queries import Query

StatementReader = Callable[[str, int], str]  # (path, 1-based line) -> the statement's normalised text
DIGITS = 40


def is_line_column(query: Query, column: str) -> bool:
    located_line = query.location[1] if query.location else None
    return column == located_line or column in ("line", "lines") or column.endswith("_line")


def is_whole_graph(query: Query) -> bool:
    return not query.location or bool(query.identity) and query.location[0] not in query.identity


def is_about_a_file(finding: Finding) -> bool:
    return finding.path is not None and (finding.line or 0) <= 1


def _identity(query: Query, finding: Finding) -> list[Any]:
    columns = query.identity or tuple(c for c in query.columns if not is_line_column(query, c))
    return [finding.row.get(c) for c in columns if c not in query.location]


def _text(key: Any) -> str:
    return json.dumps(key, default=str, sort_keys=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:DIGITS]


@dataclass(frozen=True)
class Prints:
    fingerprint: str
    group: str


def fingerprints(findings: list[Finding], queries_by_id: dict[str, Query], statement: StatementReader) -> list[Prints]:
    """One fingerprint and group per finding, in the given order."""
    order = sorted(range(len(findings)), key=lambda i: (findings[i].path or "", findings[i].line or 0, i))
    seen: Counter[str] = Counter()
    result: list[Prints] = [Prints("", "")] * len(findings)
    for index in order:
        finding = findings[index]
        query = queries_by_id[finding.check]
        if is_whole_graph(query):
            group = _text([query.id, _identity(query, finding)])
            key = group
        else:
            group = _text([query.id, finding.path, _identity(query, finding)])
            if finding.path is None or finding.line is None or is_about_a_file(finding):
                key = group  # no statement to read (a located query's row may leave its path empty)
            else:
                key = _text([group, statement(finding.path, finding.line)])
        occurrence = seen[key]
        seen[key] += 1
        result[index] = Prints(_digest(f"{key}#{occurrence}"), _digest(group))
    return result


class Printed(Protocol):
    @property
    def fingerprint(self) -> str: ...

    @property
    def group(self) -> str: ...


Item = TypeVar("Item", bound=Printed)


@dataclass
class Known:
    """Findings accepted before: a baseline's, or those at the base of `--base`."""

    fingerprints: set[str] = field(default_factory=set)
    groups: Counter[str] = field(default_factory=Counter)  # group -> how many findings it held

    @classmethod
    def of(cls, items: Iterable[Printed]) -> Known:
        known = cls()
        for item in items:
            known.fingerprints.add(item.fingerprint)
            known.groups[item.group] += 1
        return known

    def new(self, items: list[Item]) -> list[Item]:
        """The items this does not account for: fingerprint matches first, then what their groups have left."""
        left = Counter(self.groups)
        for item in items:
            if item.fingerprint in self.fingerprints:
                left[item.group] -= 1
        new = []
        for item in items:
            if item.fingerprint in self.fingerprints:
                continue
            if left[item.group] > 0:
                left[item.group] -= 1
            else:
                new.append(item)
        return new
