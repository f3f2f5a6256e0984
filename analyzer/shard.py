"""Sharded scans: n jobs each parse a stable 1/n of the files, one finalize writes the graph.

    analyzer scan PATH --shard 1/4 --cache-dir C --store S   # 4 CI jobs or machines, any order
    analyzer scan PATH --shard 2/4 --cache-dir C --store S
    ...
    analyzer scan PATH --finalize --cache-dir C --store S    # once, after all 4

A shard picks its files by a stable hash of their paths, parses them into the
shared facts cache and writes a manifest (which files, their content hashes);
it never touches the graph. Finalize checks that all n manifests of this file
list are present and still match the files on disk and the cache, then runs
the ordinary scan: every file's facts come from the cache, imports, components
and cycles are resolved over the whole repository, and one snapshot is written
and made current atomically, exactly as an unsharded scan writes it. So
sharding works the same on both stores.

Manifests live under the embedded store's folder (`STORE/REPO/shards/KEY/`) or,
for Neo4j (no folder to share), under the cache folder
(`CACHE/shards/REPO/KEY/`). KEY is a digest of the file list and scan settings,
so shards of another file list never mix. Jobs on several machines share the
cache folder (and the embedded store folder), e.g. as CI artifacts.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from analyzer.cache import FactCache, facts_version, default_cache_dir
from analyzer.config import ScanConfig, load_scan_config
from analyzer.discover import SourceFile, list_files
from analyzer.inputs import source_hashes
from analyzer.scan import Progress, ScanOptions, ScanReport, collect_facts, scan
from analyzer.store import is_server_url, resolve_store_location
from analyzer.store.ladybug import repository_key

MANIFEST_FORMAT = 1


class ShardError(RuntimeError):
    """A shard or finalize cannot run as asked; the message says why and what to do."""


@dataclass(frozen=True)
class ShardReport:
    repository: str
    shard: int
    of: int
    files: int  # this shard's files
    total_files: int  # the whole repository's
    parsed: int
    cache_hits: int
    manifest: str
    seconds: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def parse_shard(text: str) -> tuple[int, int]:
    """`2/4` -> (2, 4); shards count from 1."""
    index, sep, count = text.partition("/")
    if not (sep and index.strip().isdigit() and count.strip().isdigit()):
        raise ShardError(f"--shard takes I/N, e.g. 2/4 (got {text!r})")
    i, n = int(index), int(count)
    if not 1 <= i <= n:
        raise ShardError(f"--shard {text}: I must be between 1 and N")
    return i, n


def shard_of(path: str, count: int) -> int:
    """The shard (1..count) a repo-relative path belongs to: stable across machines and Python runs."""
    digest = hashlib.sha256(path.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def file_list_key(sources: list[SourceFile], config: ScanConfig) -> str:
    """Digest of what every shard must agree on: the files, their machines, the settings facts depend on."""
    digest = hashlib.sha256(f"{facts_version()}|{sorted(config.roots)}|{config.max_file_bytes}".encode())
    for source in sources:
        digest.update(f"{source.path}\0{source.machine}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:20]


def _cache_dir(options: ScanOptions, flag: str) -> str:
    if not options.use_cache:
        raise ShardError(f"{flag} works through the facts cache: drop --no-cache")
    return str(options.cache_dir or default_cache_dir())


def manifest_folder(options: ScanOptions, repository: str, key: str) -> Path:
    location = resolve_store_location(options.store)
    if is_server_url(location):
        return Path(options.cache_dir or default_cache_dir()) / "shards" / repository_key(repository) / key
    return Path(location) / repository_key(repository) / "shards" / key


def _plan(options: ScanOptions) -> tuple[Path, ScanConfig, list[SourceFile], str, str]:
    repo = options.repo.resolve()
    config = load_scan_config(repo, options.roots, options.exclude)
    sources = list_files(repo, config)
    name = options.repository or repo.name
    return repo, config, sources, name, file_list_key(sources, config)


def scan_shard(options: ScanOptions, shard: tuple[int, int], progress: Progress | None = None) -> ShardReport:
    """Parse this shard's files into the cache and record them in its manifest."""
    started = time.perf_counter()
    index, count = shard
    cache_dir = _cache_dir(options, "--shard")
    repo, config, sources, name, key = _plan(options)
    mine = [s for s in sources if shard_of(s.path, count) == index]
    jobs = options.jobs or os.cpu_count() or 1
    files, hits = collect_facts(repo, mine, source_hashes(repo, mine), config, jobs, cache_dir, progress)
    manifest = {
        "format": MANIFEST_FORMAT, "repository": name, "shard": index, "of": count, "file_list": key,
        "facts_version": facts_version(), "max_file_bytes": config.max_file_bytes,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": [[f.path, f.sha256] for f in files],
    }
    folder = manifest_folder(options, name, key)
    path = folder / f"shard-{index}-of-{count}.json"
    _write_atomically(path, json.dumps(manifest, indent=1, sort_keys=True))
    return ShardReport(name, index, count, len(mine), len(sources), len(mine) - hits, hits, str(path),
                       round(time.perf_counter() - started, 3))


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)


def _load_manifests(folder: Path) -> list[dict]:
    manifests = []
    for path in sorted(folder.glob("shard-*-of-*.json")):
        try:
            manifests.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as error:
            raise ShardError(f"unreadable shard manifest {path}: {error}") from error
    return manifests


def check_complete(options: ScanOptions) -> Path:
    """The manifest folder, once every shard is in and matches the files and the cache; else ShardError."""
    cache_dir = _cache_dir(options, "--finalize")
    repo, config, sources, name, key = _plan(options)
    folder = manifest_folder(options, name, key)
    manifests = _load_manifests(folder) if folder.is_dir() else []
    if not manifests:
        others = [p.name for p in folder.parent.iterdir()] if folder.parent.is_dir() else []
        hint = (" (there are manifests of another file list: files were added, removed or excluded since, "
                "or --roots/--exclude differ)") if others else ""
        raise ShardError(f"no shard manifests for this file list in {folder.parent}{hint}: run "
                         f"`analyzer scan PATH --shard I/N` for every I first, with the same --store and --cache-dir")
    counts = sorted({m["of"] for m in manifests})
    if len(counts) > 1:
        raise ShardError(f"shard manifests in {folder} disagree on N ({', '.join(map(str, counts))}): "
                         "remove the folder and rerun the shards")
    count = counts[0]
    missing = sorted(set(range(1, count + 1)) - {m["shard"] for m in manifests})
    if missing:
        raise ShardError(f"shards {', '.join(f'{i}/{count}' for i in missing)} are missing in {folder}: "
                         "run them before --finalize")
    recorded = {path: sha for m in manifests for path, sha in m["files"]}
    if set(recorded) != {s.path for s in sources}:
        raise ShardError(f"shard manifests in {folder} do not cover the repository's files: rerun the shards")
    locations = {s.path: s.location(repo) for s in sources}
    _check_hashes_and_cache(locations, recorded, FactCache(cache_dir), config.max_file_bytes, cache_dir)
    return folder


def _check_hashes_and_cache(locations: dict[str, Path], recorded: dict[str, str], cache: FactCache, max_bytes: int,
                            cache_dir: str) -> None:
    changed, uncached = [], []
    for path, sha in sorted(recorded.items()):
        try:
            actual = hashlib.sha256(locations[path].read_bytes()).hexdigest()
        except OSError:
            actual = ""  # unreadable now and then: the scan records it as such
        if actual != sha:
            changed.append(path)
        elif sha and cache.get(sha, max_bytes) is None:
            uncached.append(path)
    if changed:
        raise ShardError(f"{len(changed)} file(s) changed since their shard scanned them (first: {changed[0]}): "
                         "rerun the shards")
    if uncached:
        raise ShardError(f"the facts of {len(uncached)} file(s) are not in the cache {cache_dir} (first: "
                         f"{uncached[0]}): shards and --finalize must share --cache-dir")


def finalize(options: ScanOptions, progress: Progress | None = None) -> ScanReport:
    """Check every shard is in, write the whole-repository snapshot from the cache, drop the manifests."""
    folder = check_complete(options)
    report = scan(options, progress)
    shutil.rmtree(folder, ignore_errors=True)
    return report
