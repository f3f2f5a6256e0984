"""The check use case: scan, run the enabled detection queries, keep what is new, decide the exit code."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

from analyzer import queries
from analyzer import git
from analyzer.cache import default_cache_dir
from analyzer.check.attribute import PATH_LINE, attribute, concerns
from analyzer.check.baseline import read_baseline
from analyzer.check.fingerprint import Known, fingerprints
from analyzer.check.options import CheckOptions, baseline_file
from analyzer.check.reported import Reported
from analyzer.check.sources import SourceLines
from analyzer.check.suppress import is_ignored_for_path, is_suppressed
from analyzer.config import CheckConfig, ConfigError, load_check_config, read_tool_table
from analyzer.findings import SEVERITY_RANK, Finding, collect_findings
from analyzer.scan import ScanOptions, scan
from analyzer.store import open_store
from analyzer.queries import Query


# Where each endpoint's port came from (`path:line` of the config that gave it, or the code itself).
ENDPOINT_ORIGINS = """
MATCH (e:Endpoint {snapshot: $snapshot})
WHERE e.port_origin <> ''
RETURN e.path AS path, e.line AS line, e.port_origin AS origin
ORDER BY path, line, origin
"""


@dataclass
class CheckResult:
    repository: str
    checks: list[Query]
    fail_on: str
    findings: list[Reported]  # what is reported, new only when a baseline or base was given
    suppressed: int = 0  # inline `# analyzer: ignore`
    ignored: int = 0  # per-path ignores
    known: int = 0  # in the baseline, or already at the base
    baseline: Path | None = None  # the baseline file compared with, None for none
    base: str | None = None  # the commit compared with under --base
    sources_read: dict[str, str] = field(default_factory=dict)  # files the findings were placed with -> sha256

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
    baseline = baseline_file(repo, config, options)
    accepted = read_baseline(baseline) if baseline is not None else None  # a bad baseline fails before the scan
    current = _current(options, repo, config)
    new = current.findings
    if accepted is not None:
        new = accepted.new(new)
    commit = None
    if options.base:
        commit = git.merge_base(repo, options.base)
        new = _base_findings(options, repo, commit, current).new(new)
    known = len(current.findings) - len(new)
    if commit is not None:
        new = attribute(new, git.diff_since(repo, commit), current.sources)
    if options.files is not None:
        files = set(options.files)
        ported = _endpoints_ported_by(options.store, current.repository, files)
        new = [item for item in new if concerns(item, files, ported)]
    return CheckResult(
        current.repository, current.checks, fail_on,
        sorted(new, key=lambda r: (r.path or "", r.line or 0, r.finding.check, r.fingerprint)),
        suppressed=current.suppressed, ignored=current.ignored, known=known, baseline=baseline, base=commit,
        sources_read=current.sources.digests(),
    )


def _scan(options: CheckOptions, repo: Path, store: str | None) -> str:
    report = scan(ScanOptions(repo=repo, store=store, roots=options.roots, exclude=options.exclude, jobs=options.jobs,
                              use_cache=options.use_cache, cache_dir=options.cache_dir, repository=options.repository),
                  options.progress)
    return report.repository


def _findings(store_location: str | None, name: str, checks: list[Query],
              params: dict[str, dict[str, str]]) -> list[Finding]:
    store = open_store(store_location)
    try:
        return collect_findings(store, name, params, {q.id for q in checks})
    finally:
        store.close()


def _endpoints_ported_by(store_location: str | None, name: str, files: set[str]) -> set[tuple[str, int | None]]:
    """(path, line) of the binds and connects whose port one of `files` gives (a ports.yaml, a startup config):
    what a staged config change moves, though the findings' rows may not name the config."""
    store = open_store(store_location)
    try:
        rows = store.query(ENDPOINT_ORIGINS, {}, name).dicts()
    finally:
        store.close()
    return {(row["path"], row["line"]) for row in rows
            if any(match["path"] in files for match in PATH_LINE.finditer(row["origin"] or ""))}


def _fingerprinted(found: list[Finding], checks: list[Query], sources: SourceLines) -> list[Reported]:
    prints = fingerprints(found, {q.id: q for q in checks}, sources.statement)
    reported = [Reported(f, p.fingerprint, p.group, f.path, f.line) for f, p in zip(found, prints)]
    return sorted(reported, key=lambda r: (r.path or "", r.line or 0))  # matching keeps the earliest in a group


def _base_findings(options: CheckOptions, repo: Path, commit: str, current: _Current) -> Known:
    """The unsuppressed findings at `commit`, scanned from a temporary worktree into a temporary store
    (the facts cache is shared: unchanged files are not parsed again)."""
    cache_dir = str(Path(options.cache_dir or default_cache_dir()).resolve()) if options.use_cache else None
    with tempfile.TemporaryDirectory(prefix="analyzer-base-store-") as store_folder, \
            git.worktree(repo, commit) as base_repo:
        store = str(Path(store_folder) / "store")
        _scan(replace(options, cache_dir=cache_dir, repository=current.repository), base_repo, store)
        sources = SourceLines(base_repo)
        found = _findings(store, current.repository, current.checks, current.params)
        return Known.of(item for item in _fingerprinted(found, current.checks, sources)
                        if not (item.path and item.line
                                and is_suppressed(item.finding.check, sources.line(item.path, item.line))))
