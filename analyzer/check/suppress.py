"""Inline suppressions (`# analyzer: ignore[check-id]`) and per-path ignores from the config."""

from __future__ import annotations

import fnmatch
import re

SUPPRESSION = re.compile(r"#\s*analyzer:\s*ignore\b(?:\[(?P<ids>[^\]]*)\])?")
EVERY_CHECK = "*"


def suppressed_ids(line: str) -> set[str] | None:
    """Check ids a line suppresses ({"*"} for a bare `ignore`), None when it has no suppression."""
    match = SUPPRESSION.search(line)
    if match is None:
        return None
    ids = match.group("ids")
    if ids is None:
        return {EVERY_CHECK}
    return {part.strip() for part in ids.split(",") if part.strip()}


def is_suppressed(check: str, line: str) -> bool:
    ids = suppressed_ids(line)
    return ids is not None and (EVERY_CHECK in ids or check in ids)


def is_ignored_for_path(check: str, path: str | None, per_path_ignores: dict[str, list[str]]) -> bool:
    if not path:
        return False
    for pattern, checks in per_path_ignores.items():
        if (EVERY_CHECK in checks or check in checks) and fnmatch.fnmatch(path, pattern):
            return True
    return False
