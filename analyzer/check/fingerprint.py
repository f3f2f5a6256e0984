"""Fingerprints that name a finding without line numbers, so moved code stays baselined.

- A finding at a place in one file (its query's identity includes the file, or
  declares none): check id + file + the flagged line's text, whitespace-normalised,
  + the other identity values + its index among identical ones in that file.
- A whole-graph finding (an identity without the file, e.g. a cycle's members,
  or no location at all): check id + the identity values (canonical member lists)
  + its index among identical ones.
A query that declares no identity falls back to every column except line columns.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from analyzer.check.suppress import SUPPRESSION
from analyzer.findings import Finding
from queries import Query

LineReader = Callable[[str, int], str]  # (path, 1-based line) -> the line's text, "" if unknown


def normalised(text: str) -> str:
    """Whitespace collapsed and any `# analyzer: ignore[...]` dropped: adding or removing one moves nothing."""
    return " ".join(SUPPRESSION.sub("", text).split())


def is_line_column(query: Query, column: str) -> bool:
    located_line = query.location[1] if query.location else None
    return column == located_line or column in ("line", "lines") or column.endswith("_line")


def is_whole_graph(query: Query) -> bool:
    return not query.location or bool(query.identity) and query.location[0] not in query.identity


def _identity(query: Query, finding: Finding, skip: tuple[str, ...]) -> list[Any]:
    columns = query.identity or tuple(c for c in query.columns if not is_line_column(query, c))
    return [finding.row.get(c) for c in columns if c not in skip]


def _key(query: Query, finding: Finding, read_line: LineReader) -> list[Any]:
    if is_whole_graph(query):
        return [query.id, _identity(query, finding, ())]
    text = normalised(read_line(finding.path, finding.line)) if finding.path and finding.line else ""
    return [query.id, finding.path, text, _identity(query, finding, query.location)]


def fingerprints(findings: list[Finding], queries_by_id: dict[str, Query], read_line: LineReader) -> list[str]:
    """One fingerprint per finding, in the given order; identical keys are told apart by position."""
    order = sorted(range(len(findings)), key=lambda i: (findings[i].path or "", findings[i].line or 0, i))
    seen: Counter[str] = Counter()
    result = [""] * len(findings)
    for index in order:
        finding = findings[index]
        key = json.dumps(_key(queries_by_id[finding.check], finding, read_line), default=str, sort_keys=True)
        occurrence = seen[key]
        seen[key] += 1
        result[index] = hashlib.sha256(f"{key}#{occurrence}".encode()).hexdigest()[:40]
    return result
