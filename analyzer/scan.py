"""The scan use case: files -> facts (parallel, cached) -> whole-repo resolution -> store."""

from __future__ import annotations

import functools
import gc
import hashlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analyzer import __version__, configs
from analyzer.cache import FactCache, default_cache_dir, graph_version, keyed_digest
from analyzer.config import ScanConfig, load_scan_config
from analyzer.contracts import add_violations, check_contracts, parse_contracts
from analyzer.copies import CopyIndex, classify_copies
from analyzer.discover import SourceFile, list_files, outside_links
from analyzer.endpoints import resolve_endpoints
from analyzer.facts import PARSE_ERROR, PARSE_OK, FileFacts, ParseErrorFact
from analyzer.credentials import add_credentials, find_credentials
from analyzer.graph import build_snapshot, mark_copies
from analyzer.narrowing.infer import narrow_excepts
from analyzer.requirements import add_requirements, find_requirements
from analyzer.resolve import Resolution, resolve_repository
from analyzer.schema import schema_digest
from analyzer.store import DamagedSnapshotError, GraphStore, check_repository_name, open_store
from analyzer.testgaps import add_test_reach
from analyzer.workers import Failure, run_bounded

Progress = Callable[[int, int], None]  # (files done now, total files to parse)


@dataclass
class ScanOptions:
    repo: Path
    store: str | None = None
    roots: list[str] | None = None
    exclude: list[str] | None = None
    jobs: int = 0  # 0: every core
    use_cache: bool = True
    cache_dir: str | None = None
    repository: str | None = None  # name in the store; default: the folder's name


@dataclass
class ParseFailure:
    path: str
    kind: str
    line: int
    message: str


@dataclass
class ScanReport:
    repository: str
    snapshot: str
    unchanged: bool
    files: int
    lines: int
    parse_failures: list[ParseFailure]
    imports_resolved: int
    imports_external: int
    import_cycles: int
    modules_in_cycles: int
    sockets: int
    endpoints: int
    excepts_by_kind: dict[str, int]
    swallowed_excepts: int
    todos: int
    cuda_calls: int
    shell_commands: int
    hardcoded_secrets: int
    classes: int
    functions: int
    parsed: int
    cache_hits: int
    seconds: float
    machines: dict[str, int] = field(default_factory=dict)
    copies: int = 0  # modules that are copies, by path or by content (docs/copies.md)
    content_copies: int = 0  # of those, copies by content alone
    copy_globs_to_add: list[str] = field(default_factory=list)  # extend-copies globs covering the content copies
    # Where endpoint ports come from (analyzer.facts.PORT_SOURCES and its buckets) and what the configs hold.
    endpoints_by_source: dict[str, int] = field(default_factory=dict)
    ports_from_code: int = 0  # literals, constants, `self.X = <number>` and the code's defaults
    ports_from_config: int = 0
    ports_unknown: int = 0
    tcp_endpoints: int = 0  # tcp (or unknown-scheme) binds and connects, and how many of them have a port
    tcp_endpoints_with_port: int = 0
    config_files: int = 0
    config_errors: list[str] = field(default_factory=list)
    configured_agents: int = 0
    outside_links: list[str] = field(default_factory=list)  # symbolic links out of the repository: not read
    settings_warnings: list[str] = field(default_factory=list)  # unknown [tool.analyzer] keys
    store_repairs: list[str] = field(default_factory=list)  # a damaged current snapshot this scan replaced

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["parse_failures"] = [failure.__dict__ for failure in self.parse_failures]
        return data


def _extract_one(cache_dir: str | None, max_bytes: int, work: tuple[str, str, str]) -> FileFacts:
    """Worker: read, parse and cache one file."""
    from analyzer.extract import extract_file  # libcst, Bandit, radon: only where a file is parsed, not on a warm scan

    absolute, relative, machine = work
    try:
        data = Path(absolute).read_bytes()
    except OSError as error:
        return _unreadable(relative, machine, error)
    facts = extract_file(relative, data, machine, max_bytes)
    if cache_dir is not None:
        FactCache(cache_dir).put(facts, max_bytes)
    return facts


def _unreadable(relative: str, machine: str, error: OSError) -> FileFacts:
    unreadable = ParseErrorFact("OSError", error.strerror or str(error), 0)
    return FileFacts(relative, machine, "", 0, parse_status=PARSE_ERROR, parse_error=unreadable)


def _failed(work: tuple[str, str, str], failure: Failure) -> FileFacts:
    """The facts of a file whose worker died, overran or failed: its bytes' hash and size, and the failure."""
    from analyzer.extract import line_count

    absolute, relative, machine = work
    try:
        data = Path(absolute).read_bytes()
    except OSError as error:
        return _unreadable(relative, machine, error)
    return FileFacts(relative, machine, hashlib.sha256(data).hexdigest(), len(data), line_count(data),
                     parse_status=PARSE_ERROR, parse_error=ParseErrorFact(failure.kind, failure.message, 1))


def collect_facts(
    repo: Path, sources: list[SourceFile], config: ScanConfig, jobs: int, cache_dir: str | None,
    progress: Progress | None = None,
) -> tuple[list[FileFacts], int]:
    """Facts for every source file, from the cache where the bytes are known. Returns (facts, cache hits).

    Files not in the cache are parsed in worker processes, each under `config.max_file_seconds`.
    """
    cache = FactCache(cache_dir) if cache_dir else None
    facts: list[FileFacts | None] = [None] * len(sources)
    misses: list[int] = []
    for index, source in enumerate(sources):
        cached = None
        if cache is not None:
            try:
                data = source.location(repo).read_bytes()
            except OSError:
                data = None
            if data is not None:
                cached = cache.get(hashlib.sha256(data).hexdigest(), config.max_file_bytes)
        if cached is not None:
            cached.path, cached.machine = source.path, source.machine
            facts[index] = cached
        else:
            misses.append(index)
    hits = len(sources) - len(misses)
    work = [(str(sources[i].location(repo)), sources[i].path, sources[i].machine) for i in misses]
    if progress:
        progress(0, len(work))
    finished = 0

    def done(position: int, outcome: FileFacts | Failure) -> None:
        nonlocal finished
        facts[misses[position]] = _failed(work[position], outcome) if isinstance(outcome, Failure) else outcome
        finished += 1
        if progress:
            progress(finished, len(work))

    task = functools.partial(_extract_one, cache_dir, config.max_file_bytes)
    run_bounded(task, work, max(1, jobs), config.max_file_seconds, done)
    return [f for f in facts if f is not None], hits


def fingerprint(files: list[FileFacts], config: ScanConfig, extra: str = "") -> str:
    """What a snapshot was built from, keyed with this user's local key: a snapshot planted in the store by
    the scanned repository cannot pass for an unchanged one."""
    # Every [tool.analyzer] setting, not a hand-kept list of the ones the graph depends on: a setting
    # forgotten here would give a stale "unchanged" scan; one that only `check` reads costs a rewrite.
    settings = json.dumps(config.raw, sort_keys=True, default=str)
    digest = hashlib.sha256(
        f"{graph_version()}|{schema_digest()}|{sorted(config.roots)}|{config.max_file_bytes}|{config.copies}|"
        f"{sorted(config.exclude)}|{settings}".encode("utf-8", "surrogateescape"))
    digest.update(extra.encode("utf-8", "surrogateescape"))  # deployment configs' paths and hashes
    for f in files:
        digest.update(f"{f.path}\0{f.sha256}\0{f.machine}\n".encode("utf-8", "surrogateescape"))
    return keyed_digest(digest.hexdigest())


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """A scan builds millions of small objects (cached facts, graph rows) that hold no reference cycles; the
    cycle collector's passes over them cost about a third of a warm rescan's CPU and free nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def scan(options: ScanOptions, progress: Progress | None = None, store: GraphStore | None = None) -> ScanReport:
    with _cycle_collector_paused():
        return _scan(options, progress, store)


def _scan(options: ScanOptions, progress: Progress | None, store: GraphStore | None) -> ScanReport:
    started = time.perf_counter()
    repo = options.repo.resolve()
    name = check_repository_name(repo.name if options.repository is None else options.repository)
    config = load_scan_config(repo, options.roots, options.exclude)
    contracts = parse_contracts(config.raw.get("contracts"))  # a malformed contract stops the scan before parsing
    jobs = options.jobs or os.cpu_count() or 1
    sources = list_files(repo, config)
    cache_dir = str(options.cache_dir or default_cache_dir()) if options.use_cache else None
    files, hits = collect_facts(repo, sources, config, jobs, cache_dir, progress)
    resolution = resolve_repository(files)
    files = narrow_excepts(files, config.raises)  # each bare or broad handler's provable exceptions
    violations = check_contracts(contracts, resolution)
    deployment = configs.read_deployment(repo, config, files, cache_dir)
    endpoints = resolve_endpoints(files, deployment)
    copies = classify_copies(files, config.copies, ((e.importer, e.target) for e in resolution.edges),
                             {a.script_path for a in deployment.agents if a.runs_module and not config.copies.is_copy(a.path)})
    credentials = find_credentials(repo, config)  # literal secrets in config files (keys and lines only)
    requirements = find_requirements(repo, config)  # requirements / constraints / pyproject dependency lists
    current_fingerprint = fingerprint(files, config, deployment.digest() + credentials.digest + requirements.digest)
    owns_store = store is None
    store = store or open_store(options.store)
    repairs = []
    try:
        try:
            previous = {s.repository: s for s in store.list_snapshots(name)}.get(name)
        except DamagedSnapshotError as damage:
            previous = None  # the write sets the damaged files aside
            repairs.append(f"{damage.damage}: a fresh snapshot replaces it; the damaged files are kept aside")
        if previous is not None and previous.fingerprint == current_fingerprint:
            snapshot, unchanged = previous.snapshot, True
        else:
            snapshot, unchanged = f"{name}@{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}", False
            meta = {
                "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "analyzer_version": __version__,
                "fingerprint": current_fingerprint,
            }
            graph = build_snapshot(name, snapshot, str(repo), files, resolution, meta, copies, endpoints)
            configs.add_deployment(graph, deployment, endpoints)
            add_test_reach(graph, resolution.edges)
            add_credentials(graph, credentials)
            add_requirements(graph, requirements)
            add_violations(graph, violations)
            mark_copies(graph, copies)
            snapshot = store.write_snapshot(graph).snapshot  # Neo4j keeps the id of a snapshot it changes in place
    finally:
        if owns_store:
            store.close()
    report = _report(name, snapshot, unchanged, files, resolution, copies, len(files) - hits, hits,
                     time.perf_counter() - started)
    return replace(report, **configs.summary(deployment), **endpoints.summary(),
                   outside_links=outside_links(repo, config), settings_warnings=config.warnings, store_repairs=repairs)


def _report(name, snapshot, unchanged, files: list[FileFacts], resolution: Resolution, copies: CopyIndex, parsed, hits,
            seconds) -> ScanReport:
    failures = _parse_failures(files)
    excepts = Counter(x.kind for f in files for x in f.excepts)
    return ScanReport(
        repository=name, snapshot=snapshot, unchanged=unchanged, files=len(files), lines=sum(f.lines for f in files),
        parse_failures=failures, imports_resolved=len({(e.importer, e.target) for e in resolution.edges}),
        imports_external=len(resolution.externals), import_cycles=len(resolution.cycles),
        modules_in_cycles=len(resolution.components), sockets=sum(len(f.sockets) for f in files),
        endpoints=sum(len(f.endpoints) for f in files),
        excepts_by_kind={k: excepts.get(k, 0) for k in ("bare", "broad", "specific")},
        swallowed_excepts=sum(1 for f in files for x in f.excepts if x.swallows),
        parsed=parsed, cache_hits=hits, seconds=round(seconds, 3),
        machines=dict(sorted(Counter(f.machine or "(shared)" for f in files).items())),
        copies=sum(1 for f in files if copies.is_copy(f.path)), content_copies=len(copies.content_copies),
        copy_globs_to_add=list(copies.suggested_globs), **_fact_totals(files),
    )


def _parse_failures(files: list[FileFacts]) -> list[ParseFailure]:
    return [ParseFailure(f.path, f.parse_error.kind, f.parse_error.line, f.parse_error.message)
            for f in files if f.parse_error is not None and f.parse_status != PARSE_OK]


# ScanReport field -> the FileFacts list whose total length it is.
TOTALS = {"todos": "todos", "cuda_calls": "cuda_calls", "shell_commands": "risky_calls", "hardcoded_secrets": "secrets",
          "classes": "classes", "functions": "functions"}


def _fact_totals(files: list[FileFacts]) -> dict[str, Any]:  # Any: spread into ScanReport's int fields
    return {field: sum(len(getattr(f, facts)) for f in files) for field, facts in TOTALS.items()}
