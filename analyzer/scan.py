"""The scan use case: files -> facts (parallel, cached) -> whole-repo resolution -> store."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from analyzer import __version__, configs
from analyzer.cache import (
    EntryFolder, FactCache, PackedFacts, default_cache_dir, graph_version, pack_facts, unpack_facts, write_atomically,
)
from analyzer.config import ScanConfig
from analyzer.contracts import Contract, Violation, add_violations, check_contracts, parse_contracts
from analyzer.copies import CopyIndex, classify_copies
from analyzer.discover import SourceFile, list_files, outside_links
from analyzer.endpoints import EndpointResolution, resolve_endpoints
from analyzer.facts import PARSE_ERROR, PARSE_OK, FileFacts, ParseErrorFact
from analyzer.credentials import CredentialScan, add_credentials
from analyzer.graph import build_snapshot, mark_copies
from analyzer.inputs import Inputs, read_inputs
from analyzer.narrowing.infer import Narrowing, narrow_excepts
from analyzer.requirements import RequirementsScan, add_requirements
from analyzer.resolve import Resolution, resolve_repository
from analyzer.store import DamagedSnapshotError, GraphStore, check_repository_name, open_store
from analyzer.testgaps import add_test_reach
from analyzer.workers import Failure, bounded_run, cycle_collector_paused

Progress = Callable[[int, int], None]  # (files done now, total files to parse)
SCAN_REPORTS = "scan-reports"  # in the cache folder: each repository's last report, by its inputs' fingerprint
NARROWING = "narrowing"  # in the cache folder: each repository's last narrowing verdicts, for the next scan to reuse


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


def _extract_one(cache_dir: str | None, max_bytes: int, work: tuple[str, str, str]) -> PackedFacts | FileFacts:
    """Worker: read, parse and cache one file; its facts go back packed as their cache entry."""
    from analyzer.extract import extract_file  # libcst, Bandit, radon: only where a file is parsed, not on a warm scan

    absolute, relative, machine = work
    try:
        data = Path(absolute).read_bytes()
    except OSError as error:
        return _unreadable(relative, machine, error)
    packed = pack_facts(extract_file(relative, data, machine, max_bytes), max_bytes)
    if cache_dir is not None:
        FactCache(cache_dir).put_packed(packed)
    return packed


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
    repo: Path, sources: list[SourceFile], hashes: list[str], config: ScanConfig, jobs: int, cache_dir: str | None,
    progress: Progress | None = None,
) -> tuple[list[FileFacts], int]:
    """Facts for every source file, from the cache where the bytes are known. Returns (facts, cache hits).

    Files not in the cache are parsed in worker processes, each under `config.max_file_seconds`. The files
    with no cache entry start parsing first, while the cached facts of the others are decoded.
    """
    cache = FactCache(cache_dir) if cache_dir else None
    facts: list[FileFacts | None] = [None] * len(sources)
    absent = [i for i, sha in enumerate(hashes) if cache is None or not sha or not cache.has(sha, config.max_file_bytes)]
    misses: list[int] = []  # in the order they were handed to the workers
    work: list[tuple[str, str, str]] = []
    finished = 0

    def done(position: int, outcome: PackedFacts | FileFacts | Failure) -> None:
        nonlocal finished
        if isinstance(outcome, PackedFacts):
            outcome = unpack_facts(outcome)
        facts[misses[position]] = _failed(work[position], outcome) if isinstance(outcome, Failure) else outcome
        finished += 1
        if progress:
            progress(finished, len(work))

    def parse(indexes: list[int]) -> None:
        batch = [(str(sources[i].location(repo)), sources[i].path, sources[i].machine) for i in indexes]
        misses.extend(indexes)
        work.extend(batch)
        if progress:
            progress(finished, len(work))
        parsing.submit(batch)

    jobs = max(1, jobs)
    if len(absent) > jobs:
        from analyzer.extract import load_extractors  # once here: the forked workers share it

        load_extractors()  # (a worker with a file or two loads it itself, while this process decodes)
    task = functools.partial(_extract_one, cache_dir, config.max_file_bytes)
    with bounded_run(task, jobs, config.max_file_seconds, done) as parsing:
        parse(absent)
        if cache is not None:
            unknown = set(absent)
            damaged = []  # entries present but refused (foreign, damaged, misfiled): parsed after all
            for index, (source, sha) in enumerate(zip(sources, hashes)):
                if index in unknown:
                    continue
                cached = cache.get(sha, config.max_file_bytes)
                if cached is None:
                    damaged.append(index)
                    continue
                cached.path, cached.machine = source.path, source.machine
                facts[index] = cached
            if damaged:
                parse(damaged)
    return [f for f in facts if f is not None], len(sources) - len(misses)


def scan(options: ScanOptions, progress: Progress | None = None, store: GraphStore | None = None) -> ScanReport:
    with cycle_collector_paused():  # about a third of a warm rescan's CPU otherwise
        return _scan(options, progress, store)


def _scan(options: ScanOptions, progress: Progress | None, store: GraphStore | None) -> ScanReport:
    started = time.perf_counter()
    repo = options.repo.resolve()
    name = check_repository_name(repo.name if options.repository is None else options.repository)
    # Known from the inputs alone, so an unchanged tree is recognised before any cached fact is decoded.
    inputs = read_inputs(repo, options.roots, options.exclude)
    config = inputs.config
    contracts = parse_contracts(config.raw.get("contracts"))  # a malformed contract stops the scan before parsing
    jobs = options.jobs or os.cpu_count() or 1
    cache_dir = str(options.cache_dir or default_cache_dir()) if options.use_cache else None
    owns_store = store is None
    store = store or open_store(options.store)
    try:
        answer, previous, repairs = _saved_answer(store, name, cache_dir, inputs.fingerprint)
        if answer is not None:
            return _unchanged(answer, name, repairs, started, repo, inputs)
        unchanged = previous is not None and previous.fingerprint == inputs.fingerprint
        found = _analyse(repo, name, inputs.sources, inputs.hashes, config, contracts, jobs, cache_dir, progress)
        if previous is not None and unchanged:
            snapshot = previous.snapshot
        else:
            snapshot = _write(store, name, repo, inputs.fingerprint, found, inputs.credentials, inputs.requirements)
        stamp = store.snapshot_stamp(name)
    finally:
        if owns_store:
            store.close()
    report = _report(name, snapshot, unchanged, found.files, found.resolution, found.copies,
                     len(found.files) - found.hits, found.hits, time.perf_counter() - started)
    report = replace(report, **configs.summary(found.deployment), **found.endpoints.summary(),
                     outside_links=outside_links(repo, config), settings_warnings=config.warnings, store_repairs=repairs)
    if cache_dir:
        _save_report(cache_dir, name, inputs.fingerprint, stamp, report)
    return report


def _saved_answer(store: GraphStore, name: str, cache_dir: str | None,
                  fingerprint_: str) -> tuple[ScanReport | None, _Current | None, list[str]]:
    """(the saved report when it answers for these inputs, else None; the current snapshot, None when the
    report answered or there is none; the repair a damaged one needs)."""
    saved = saved_scan(cache_dir, name) if cache_dir else None
    stamp = store.snapshot_stamp(name)
    if saved is not None and stamp is not None and saved.stamp == stamp:
        # The snapshot the report was saved with is current, its file untouched: known without opening it.
        if saved.fingerprint == fingerprint_:
            return saved.report, None, []
        return None, _Current(saved.report.snapshot, saved.fingerprint), []
    previous, repairs = _previous_snapshot(store, name)
    if cache_dir and saved is not None and saved.fingerprint == fingerprint_ and previous is not None \
            and previous.fingerprint == fingerprint_:
        report = replace(saved.report, snapshot=previous.snapshot)
        _save_report(cache_dir, name, fingerprint_, stamp, report)  # with the stamp of the store's file now
        return report, previous, repairs
    return None, previous, repairs


@dataclass(frozen=True)
class _Current:
    """The repository's current snapshot, as a rescan compares with it."""

    snapshot: str
    fingerprint: str  # of the inputs it was made from


def _unchanged(saved: ScanReport, name: str, repairs: list[str], started: float, repo: Path,
               inputs: Inputs) -> ScanReport:
    """The saved report of the scan that made the current snapshot, as a rescan of the same inputs reports it."""
    return replace(saved, repository=name, unchanged=True, parsed=0,
                   cache_hits=len(inputs.sources), seconds=round(time.perf_counter() - started, 3),
                   outside_links=outside_links(repo, inputs.config), settings_warnings=inputs.config.warnings,
                   store_repairs=repairs)


def _previous_snapshot(store: GraphStore, name: str) -> tuple[_Current | None, list[str]]:
    """The repository's current snapshot, and the repair a damaged one needs (the write sets it aside)."""
    try:
        info = {s.repository: s for s in store.list_snapshots(name)}.get(name)
    except DamagedSnapshotError as damage:
        return None, [f"{damage.damage}: a fresh snapshot replaces it; the damaged files are kept aside"]
    return (None if info is None else _Current(info.snapshot, info.fingerprint)), []


@dataclass
class _Analysis:
    """What a scan derives from the facts of every file."""

    files: list[FileFacts]
    hits: int  # facts read from the cache
    resolution: Resolution
    violations: list[Violation]
    deployment: configs.Deployment
    endpoints: EndpointResolution
    copies: CopyIndex


def _analyse(repo: Path, name: str, sources: list[SourceFile], hashes: list[str], config: ScanConfig,
             contracts: tuple[Contract, ...], jobs: int, cache_dir: str | None, progress: Progress | None) -> _Analysis:
    files, hits = collect_facts(repo, sources, hashes, config, jobs, cache_dir, progress)
    resolution = resolve_repository(files)
    # Each bare or broad handler's provable exceptions; a file's verdicts of the last scan are kept while the
    # files they read are unchanged.
    kept = _narrowing_folder(cache_dir)
    key = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()
    files, narrowing = narrow_excepts(files, config.raises, kept.read(key, Narrowing) if kept else None)
    if kept:
        kept.write(key, narrowing, Narrowing)
    deployment = configs.read_deployment(repo, config, files, cache_dir)
    endpoints = resolve_endpoints(files, deployment)
    copies = classify_copies(files, config.copies, ((e.importer, e.target) for e in resolution.edges),
                             {a.script_path for a in deployment.agents
                              if a.runs_module and not config.copies.is_copy(a.path)})
    return _Analysis(files, hits, resolution, check_contracts(contracts, resolution), deployment, endpoints, copies)


def _write(store: GraphStore, name: str, repo: Path, current_fingerprint: str, found: _Analysis,
           credentials: CredentialScan, requirements: RequirementsScan) -> str:
    """Build the snapshot's graph and write it; the snapshot's name as the store reports it."""
    snapshot = f"{name}@{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    meta = {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "analyzer_version": __version__,
        "fingerprint": current_fingerprint,
    }
    graph = build_snapshot(name, snapshot, str(repo), found.files, found.resolution, meta, found.copies,
                           found.endpoints)
    configs.add_deployment(graph, found.deployment, found.endpoints)
    add_test_reach(graph, found.resolution.edges)
    add_credentials(graph, credentials)
    add_requirements(graph, requirements)
    add_violations(graph, found.violations)
    mark_copies(graph, found.copies)
    return store.write_snapshot(graph).snapshot  # Neo4j keeps the id of a snapshot it changes in place


def _narrowing_folder(cache_dir: str | None) -> EntryFolder | None:
    """Signed entries of the analyzer's own version: a verdict is only reused by the code that made it."""
    return EntryFolder(Path(cache_dir) / NARROWING, graph_version()) if cache_dir else None


def _report_path(cache_dir: str, name: str) -> Path:
    return Path(cache_dir) / SCAN_REPORTS / (hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest() + ".json")


@dataclass
class SavedScan:
    """The repository's last scan report, saved in the cache folder for a rescan of the same inputs."""

    report: ScanReport
    fingerprint: str  # of the inputs the report was made from
    stamp: str | None  # the store's stamp of the snapshot the report describes (GraphStore.snapshot_stamp)


def _save_report(cache_dir: str, name: str, fingerprint_: str, stamp: str | None, report: ScanReport) -> None:
    data = json.dumps({"fingerprint": fingerprint_, "stamp": stamp, "report": report.as_dict()}, sort_keys=True)
    try:
        write_atomically(_report_path(cache_dir, name), data.encode("utf-8", "surrogateescape"))
    except OSError:
        pass  # a read-only or full cache folder: the next rescan recomputes the report


def saved_scan(cache_dir: str, name: str) -> SavedScan | None:
    """The repository's last saved report; None (recompute) when there is none or it cannot be read."""
    try:
        data = json.loads(_report_path(cache_dir, name).read_bytes())
        fields = dict(data["report"])
        fields["parse_failures"] = [ParseFailure(**failure) for failure in fields["parse_failures"]]
        fingerprint_, stamp = data["fingerprint"], data.get("stamp")
        if not isinstance(fingerprint_, str):
            return None
        return SavedScan(ScanReport(**fields), fingerprint_, stamp if isinstance(stamp, str) else None)
    except (OSError, ValueError, TypeError, KeyError):
        return None  # missing, from another version or damaged: a miss, never an error


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
