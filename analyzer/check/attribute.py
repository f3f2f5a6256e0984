"""Under `--base`: put each new finding on a line the change touched, so a reviewer reads it in the diff.

A change often causes a finding at the other end: a new bind collides with an
old one, a renumbered port leaves a connect orphaned, a new import closes a
cycle. A new finding is shown, first match wins:
1. at its own line, when the diff touched it;
2. at a `path:line` its row names that the diff touched (the other bind of a
   collision, a cycle's closing import, the config line a port came from);
3. at the first changed line inside its own statement (a method added to a god
   class, a branch to a complex function; a file-level finding: the whole file);
4. at a changed line that holds one of its ports (added or removed text), e.g.
   the renumbered bind an orphaned connect used to reach;
5. at the first changed line of its own file, else of a file its row names,
   that mentions another member (a cycle of configured agents, a cycle through
   modules whose imports have no line in the row), else at that file's first
   changed line;
6. nowhere: no file or line (a GitHub annotation without a place), the
   sentence still saying where the finding is.
A finding shown away from its own place starts its sentence with that place
and calls the line it is shown on `this line` (`pc2_code/agents/tutoring_agent.py:16:
A REQ socket connects to port 5620, bound by a PUB socket at this line`), so it
names the peer and never the changed file as its own peer. The other end's copy of a symmetric finding (port collisions list both
binds) is dropped when it lands where the finding of the changed end already
is, and identical lines are shown once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import replace
from pathlib import Path
from typing import Any

from analyzer.check.reported import Reported
from analyzer.check.sources import SourceLines
from analyzer.git import WHOLE_FILE, Diff
from analyzer.resolve import module_name

PATH_LINE = re.compile(r"(?P<path>[\w.\-/]*\w\.\w+):(?P<line>\d+)")
Place = tuple[str, int | None]


def row_texts(value: Any) -> Iterable[str]:
    """Every text in a row value; graph rows hold member lists as comma-joined text."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from row_texts(item)
    elif isinstance(value, str):
        yield value
        if "," in value:
            yield from (part.strip() for part in value.split(","))


def named_places(item: Reported) -> list[Place]:
    """What the finding's row and sentence name, in row order: `X_path`/`X_line` column pairs,
    `path:line` texts, then every bare text (a path or module name; line None)."""
    row = item.finding.row
    places: list[Place] = []
    for column, value in row.items():
        if column.endswith("path") and isinstance(value, str) and value:
            line = row.get(column.removesuffix("path") + "line")
            places.append((value, line if isinstance(line, int) else None))
    texts = [*row_texts(list(row.values())), item.finding.message]
    places += [(m["path"], int(m["line"])) for text in texts for m in PATH_LINE.finditer(text)]
    places += [(text, None) for text in texts]
    return list(dict.fromkeys(places))


def _files_named(item: Reported, paths: Iterable[str]) -> list[Place]:
    """Those of `paths` the finding names (as a path, `path:line` or a module name)."""
    by_name: dict[str, str] = {}
    for path in paths:
        by_name.setdefault(path, path)
        if path.endswith(".py"):
            by_name.setdefault(module_name(path), path)
    found: list[Place] = []
    for text, line in named_places(item):
        named = by_name.get(text)
        if named and (named, line) not in found:
            found.append((named, line))
    return found


def concerns(item: Reported, files: Set[str], ported: Set[Place] = frozenset()) -> bool:
    """The finding is in one of `files`, names one (pre-commit's staged files), or is at or names an endpoint
    in `ported`: those whose port one of `files` gives (a staged ports.yaml moves a port into a collision)."""
    if item.finding.path in files or _files_named(item, files):
        return True
    return bool(ported) and ((item.finding.path, item.finding.line) in ported
                             or any(place in ported for place in named_places(item)))


def attribute(items: list[Reported], diff: Diff, sources: SourceLines) -> list[Reported]:
    """New findings placed on changed lines (see the module docstring), without duplicates."""
    return _distinct([_place(item, diff, sources) for item in items])


def _moved(item: Reported, path: str | None, line: int | None) -> Reported:
    return replace(item, path=path, line=line, attributed=True)


def _place(item: Reported, diff: Diff, sources: SourceLines) -> Reported:
    own_path, own_line = item.finding.path, item.finding.line
    if own_path and diff.touches(own_path, own_line):
        return item
    named = _files_named(item, diff.lines)
    for path, line in named:
        if line is not None and (path, line) != (own_path, own_line) and diff.touches(path, line):
            return _moved(item, path, line)
    if own_path in diff.lines:
        start, end = sources.extent(own_path, own_line or 1)
        inside = sorted(n for n in diff.lines[own_path] or () if start <= n <= end)
        if inside:
            return _moved(item, own_path, inside[0])
    port_line = _line_holding_a_port(item, diff)
    if port_line is not None:
        return _moved(item, *port_line)
    files = [*([own_path] if own_path in diff.lines else []), *(path for path, _ in named if path != own_path)]
    if files:
        return _moved(item, files[0], _line_naming_a_member(item, files[0], diff.lines[files[0]], sources))
    return _moved(item, None, None)


def _ports(item: Reported) -> set[int]:
    return {value for column, value in item.finding.row.items()
            if (column == "port" or column.endswith("_port")) and isinstance(value, int) and value > 0}


def _line_holding_a_port(item: Reported, diff: Diff) -> Place | None:
    patterns = [re.compile(rf"(?<!\d){port}(?!\d)") for port in sorted(_ports(item))]
    if not patterns:
        return None
    for path in sorted(diff.texts):
        for line, texts in sorted(diff.texts[path].items()):
            if any(p.search(text) for p in patterns for text in texts):
                return path, line
    return None


def _line_naming_a_member(item: Reported, path: str, lines: set[int] | None, sources: SourceLines) -> int:
    """The first changed line of `path` that mentions another member of the finding, else its first changed line."""
    candidates = sorted(lines) if lines is not WHOLE_FILE else list(range(1, len(sources.lines(path)) + 1))
    words = {Path(text).stem.rsplit(".", 1)[-1] for text, _ in named_places(item)}
    words = {w for w in words if len(w) >= 3 and w != Path(path).stem}
    return next((n for n in candidates if any(w in sources.line(path, n) for w in words)),
                candidates[0] if candidates else 1)


def _distinct(items: list[Reported]) -> list[Reported]:
    """Drop the other end's copy of a finding where the changed end's own copy is shown, then identical lines."""
    local = {(i.finding.check, i.path, i.line) for i in items if i.path and i.path == i.finding.path}
    kept, seen = [], set()
    for item in items:
        spot = (item.finding.check, item.path, item.line)
        other_end = item.path and item.finding.path != item.path and spot in local and \
            any(path == item.path for path, _ in named_places(item))
        text = (*spot, item.message)
        if other_end or text in seen:
            continue
        seen.add(text)
        kept.append(item)
    return kept
