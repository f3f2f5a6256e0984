"""The check use case: scan, run the enabled detection queries, keep what is new, decide the exit code."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import queries
from analyzer.cache import default_cache_dir
from analyzer.check import git
from analyzer.check.baseline import read_baseline
from analyzer.check.fingerprint import fingerprints, is_whole_graph
from analyzer.check.sources import SourceLines
from analyzer.check.suppress import is_ignored_for_path, is_suppressed
from analyzer.config import CheckConfig, ConfigError, load_check_config, read_tool_table
from analyzer.findings import SEVERITY_RANK, Finding, collect_findings
from analyzer.resolve import module_name
from analyzer.scan import ScanOptions, scan
from analyzer.store import open_store
from queries import Query


@dataclass
class CheckOptions:
    repo: Path
    store: str | None = None
    cache_dir: str | None = None
    use_cache: bool = True
    jobs: int = 0
    run_scan: bool = True
    repository: str | None = None  # name in the store; default: the folder's name
    roots: list[str] | None = None
    exclude: list[str] | None = None
    select: list[str] | None = None  # check ids to run instead of the configured ones
    ignore: list[str] = field(default_factory=list)  # check ids to skip
    params: dict[str, dict[str, str]] = field(default_factory=dict)  # check id -> parameter -> value
    fail_on: str | None = None
    baseline: Path | None = None
    base: str | None = None  # git ref: report only findings introduced since its merge base with HEAD
    files: list[str] | None = None  # repo-relative: report only findings touching these (pre-commit)


@dataclass(frozen=True)
class Reported:
    """A finding as the check shows it: its fingerprint and where it points (moved by --base when
    a whole-graph finding is attributed to a changed line)."""

    finding: Finding
    fingerprint: str
    path: str | None
    line: int | None
    attributed: bool = False


@dataclass
class CheckResult:
    repository: str
    checks: list[Query]
    fail_on: str
    findings: list[Reported]  # what is reported, new only when a baseline or base was given
    suppressed: int = 0  # inline `# analyzer: ignore`
    ignored: int = 0  # per-path ignores
    known: int = 0  # in the baseline, or already at the base

    @property
    def failing(self) -> list[Reported]:
        threshold = SEVERITY_RANK[self.fail_on]
        return [r for r in self.findings if SEVERITY_RANK[r.finding.severity] >= threshold]

    @property
    def exit_code(self) -> int:
        return 1 if self.failing else 0


def select_checks(config: CheckConfig, options: CheckOptions) -> list[Query]:
    detections = {q.id: q for q in queries.load_all() if q.kind == "detection"}
    named = [*(config.enable or []), *config.disable, *(options.select or []), *options.ignore,
             *config.params, *options.params]
    unknown = sorted({name for name in named if name not in detections})
    if unknown:
        raise ConfigError(f"unknown check id(s): {', '.join(unknown)} (known: {', '.join(detections)})")
    wanted = options.select or config.enable or list(detections)
    skipped = {*config.disable, *options.ignore}
    return [detections[name] for name in detections if name in wanted and name not in skipped]


def check_params(config: CheckConfig, options: CheckOptions, checks: list[Query]) -> dict[str, dict[str, str]]:
    """Config parameters under command-line ones, validated now (a bad one is an error, not a silent default)."""
    merged = {check: {**config.params.get(check, {}), **options.params.get(check, {})}
              for check in {*config.params, *options.params}}
    for query in checks:
        query.bind(merged.get(query.id))
    return merged


@dataclass
class _Current:
    repository: str
    checks: list[Query]
    params: dict[str, dict[str, str]]
    sources: SourceLines
    findings: list[Reported]  # neither suppressed inline nor ignored for their path
    suppressed: int
    ignored: int


def _current(options: CheckOptions, repo: Path, config: CheckConfig) -> _Current:
    checks = select_checks(config, options)
    params = check_params(config, options, checks)
    name = _scan(options, repo, options.store) if options.run_scan else options.repository or repo.name
    sources = SourceLines(repo)
    current = _Current(name, checks, params, sources, [], 0, 0)
    for item in _fingerprinted(_findings(options.store, name, checks, params), checks, sources):
        if is_ignored_for_path(item.finding.check, item.path, config.per_path_ignores):
            current.ignored += 1
        elif item.path and item.line and is_suppressed(item.finding.check, sources.line(item.path, item.line)):
            current.suppressed += 1
        else:
            current.findings.append(item)
    return current


def all_findings(options: CheckOptions) -> tuple[str, list[Reported]]:
    """Every finding of the enabled checks that is not suppressed or ignored: what a baseline records."""
    repo = options.repo.resolve()
    current = _current(options, repo, load_check_config(read_tool_table(repo)))
    return current.repository, current.findings


def run_check(options: CheckOptions) -> CheckResult:
    repo = options.repo.resolve()
    config = load_check_config(read_tool_table(repo))
    fail_on = options.fail_on or config.fail_on
    if fail_on not in SEVERITY_RANK:
        raise ConfigError(f"fail_on {fail_on!r} is not one of {', '.join(SEVERITY_RANK)}")
    current = _current(options, repo, config)
    kept = current.findings
    known: set[str] = set()
    baseline = options.baseline or (Path(config.baseline) if config.baseline else None)
    if baseline is not None:
        known |= read_baseline(baseline if baseline.is_absolute() else repo / baseline)
    if options.base:
        commit = git.merge_base(repo, options.base)
        known |= _base_fingerprints(options, repo, commit, current)
        changed = git.changed_lines(repo, commit)
        kept = [item if item.fingerprint in known else _attribute(item, changed, current.sources) for item in kept]
    new = [item for item in kept if item.fingerprint not in known]
    known_count = len(kept) - len(new)
    if options.files is not None:
        new = [item for item in new if _touches(item, set(options.files))]
    return CheckResult(
        current.repository, current.checks, fail_on,
        sorted(new, key=lambda r: (r.path or "", r.line or 0, r.finding.check, r.fingerprint)),
        suppressed=current.suppressed, ignored=current.ignored, known=known_count,
    )


def _scan(options: CheckOptions, repo: Path, store: str | None) -> str:
    report = scan(ScanOptions(repo=repo, store=store, roots=options.roots, exclude=options.exclude, jobs=options.jobs,
                              use_cache=options.use_cache, cache_dir=options.cache_dir, repository=options.repository))
    return report.repository


def _findings(store_location: str | None, name: str, checks: list[Query],
              params: dict[str, dict[str, str]]) -> list[Finding]:
    store = open_store(store_location)
    try:
        return collect_findings(store, name, params, {q.id for q in checks})
    finally:
        store.close()


def _fingerprinted(found: list[Finding], checks: list[Query], sources: SourceLines) -> list[Reported]:
    prints = fingerprints(found, {q.id: q for q in checks}, sources.line)
    return [Reported(f, p, f.path, f.line) for f, p in zip(found, prints)]


def _base_fingerprints(options: CheckOptions, repo: Path, commit: str, current: _Current) -> set[str]:
    """Fingerprints of the unsuppressed findings at `commit`, scanned from a temporary worktree into a
    temporary store (the facts cache is shared: unchanged files are not parsed again)."""
    cache_dir = str(Path(options.cache_dir or default_cache_dir()).resolve()) if options.use_cache else None
    with tempfile.TemporaryDirectory(prefix="analyzer-base-store-") as store_folder, \
            git.worktree(repo, commit) as base_repo:
        store = str(Path(store_folder) / "store")
        _scan(replace(options, cache_dir=cache_dir, repository=current.repository), base_repo, store)
        sources = SourceLines(base_repo)
        found = _findings(store, current.repository, current.checks, current.params)
        reported = _fingerprinted(found, current.checks, sources)
        return {item.fingerprint for item in reported
                if not (item.path and item.line and is_suppressed(item.finding.check, sources.line(item.path, item.line)))}


PATH_LINE = re.compile(r"^(?P<path>.+):(?P<line>\d+)$")


def _row_strings(value: Any) -> Iterable[str]:
    """Every text in a row value; graph rows hold member lists as comma-joined text."""
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _row_strings(item)
    elif isinstance(value, str):
        yield value
        if "," in value:
            yield from (part.strip() for part in value.split(","))


def _row_places(item: Reported) -> list[tuple[str, int | None]]:
    """(path or module name, line if the text was `path:line`) for every text of the finding's row."""
    places = []
    for text in _row_strings(list(item.finding.row.values())):
        match = PATH_LINE.match(text)
        places.append((match["path"], int(match["line"])) if match else (text, None))
    return places


def _referenced(item: Reported, paths: Iterable[str]) -> list[tuple[str, int | None]]:
    """Those of `paths` the finding's row names (as a path, `path:line` or a module name), in the row's order."""
    by_name = {}
    for path in paths:
        by_name.setdefault(path, path)
        if path.endswith(".py"):
            by_name.setdefault(module_name(path), path)
    found: list[tuple[str, int | None]] = []
    for text, line in _row_places(item):
        path = by_name.get(text)
        if path and (path, line) not in found:
            found.append((path, line))
    return found


def _touches(item: Reported, files: set[str]) -> bool:
    return item.path in files or bool(_referenced(item, files))


def _attribute(item: Reported, changed: dict[str, set[int] | None], sources: SourceLines) -> Reported:
    """A new finding at a changed line: its own if the diff touched it; else, for a whole-graph finding,
    a `path:line` of its row that the diff touched (a cycle's closing import), else the changed line of a
    member file that names another member, else that file's first changed line."""
    own = changed.get(item.path) if item.path in changed else set()
    if item.path in changed and (own is None or item.line in own or not is_whole_graph_row(item)):
        return item
    referenced = _referenced(item, changed)
    touched = [(path, line) for path, line in referenced if line is not None
               and (changed[path] is None or line in changed[path])]
    if touched:
        return replace(item, path=touched[0][0], line=touched[0][1], attributed=True)
    if not referenced:
        return item
    path = referenced[0][0]
    return replace(item, path=path, line=_line_naming_a_member(item, path, changed[path], sources), attributed=True)


def _line_naming_a_member(item: Reported, path: str, lines: set[int] | None, sources: SourceLines) -> int:
    """The first changed line of `path` that mentions another member of the finding, else its first changed line."""
    candidates = sorted(lines) if lines is not None else list(range(1, len(sources.lines(path)) + 1))
    words = {Path(text).stem.rsplit(".", 1)[-1] for text, _ in _row_places(item)}
    words = {w for w in words if len(w) >= 3 and w != Path(path).stem}
    return next((n for n in candidates if any(w in sources.line(path, n) for w in words)),
                candidates[0] if candidates else 1)


def is_whole_graph_row(item: Reported) -> bool:
    return is_whole_graph(queries.get(item.finding.check))
