"""Cost of the security, performance and test-gap extraction: cold scans with and without it.

Issue 10's target: the scan with the ZmqAuth, Route, HotPath and Bandit extractors and
the config-credentials pass stays within 15% of the scan without them. Each scan runs
in its own process (the worker pool forks from it, so the variant reaches the workers);
variants alternate and the best of `--repeats` is kept. CPU seconds (the scan process
and its workers) are reported beside wall seconds: on a shared machine they move less.

    python bench/bench_security.py --lines 100000 --repeats 3 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_OVERHEAD = 0.15

# Run in the child: drop the security extractors and the credentials pass for the "without" variant.
SCAN_VARIANT = """
import sys
from pathlib import Path

import analyzer.extract as extract
import analyzer.scan as scan_module
from analyzer.credentials import CredentialScan
from analyzer.extract.bandit import BanditExtractor
from analyzer.extract.hotpaths import HotPathExtractor
from analyzer.extract.routes import RouteExtractor
from analyzer.extract.security import ZmqAuthExtractor

variant, repo, store, jobs = sys.argv[1:5]
if variant == "without":
    security = (ZmqAuthExtractor, RouteExtractor, HotPathExtractor, BanditExtractor)
    extract.EXTRACTORS = tuple(e for e in extract.EXTRACTORS if e not in security)
    scan_module.find_credentials = lambda repo, config: CredentialScan([], "", 0)
scan_module.scan(scan_module.ScanOptions(repo=Path(repo), store=store, use_cache=False, jobs=int(jobs)))
"""


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_scan(variant: str, repo: Path, store: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one cold scan in a child process."""
    cpu_before, started = _cpu_of_children(), time.perf_counter()
    result = subprocess.run([sys.executable, "-c", SCAN_VARIANT, variant, str(repo), str(store), str(jobs)],
                            capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{variant} scan failed: {result.stderr[-2000:]}")
    return wall, _cpu_of_children() - cpu_before


def extraction_cpu(repo: Path, repeats: int) -> dict[str, float]:
    """Best CPU seconds of extracting every file in this process, with and without the security extractors:
    the extraction share alone, without the store write and with less noise from other processes."""
    import analyzer.extract as extract
    from analyzer.extract.bandit import BanditExtractor
    from analyzer.extract.hotpaths import HotPathExtractor
    from analyzer.extract.routes import RouteExtractor
    from analyzer.extract.security import ZmqAuthExtractor

    security = (ZmqAuthExtractor, RouteExtractor, HotPathExtractor, BanditExtractor)
    variants = {"without": tuple(e for e in extract.EXTRACTORS if e not in security), "with": extract.EXTRACTORS}
    sources = [(path.relative_to(repo).as_posix(), path.read_bytes()) for path in sorted(repo.rglob("*.py"))]
    best = {name: float("inf") for name in variants}
    try:
        for _ in range(repeats):
            for name, extractors in variants.items():
                extract.EXTRACTORS = extractors
                started = time.process_time()
                for path, data in sources:
                    extract.extract_file(path, data)
                best[name] = min(best[name], time.process_time() - started)
    finally:
        extract.EXTRACTORS = variants["with"]
    return best


def bench(lines: int, repeats: int, jobs: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-security-") as temp:
        repo = Path(temp) / "repo"
        files = generate(repo, lines)
        best: dict[str, tuple[float, float]] = {}
        for attempt in range(repeats):
            for variant in ("without", "with"):
                wall, cpu = timed_scan(variant, repo, Path(temp) / f"store-{variant}-{attempt}", jobs)
                previous = best.get(variant, (float("inf"), float("inf")))
                best[variant] = (min(previous[0], wall), min(previous[1], cpu))
        extraction = extraction_cpu(repo, repeats)
    (wall_without, cpu_without), (wall_with, cpu_with) = best["without"], best["with"]
    return {
        "lines": lines, "files": files, "jobs": jobs, "repeats": repeats,
        "wall_without_s": round(wall_without, 2), "wall_with_s": round(wall_with, 2),
        "wall_overhead": round(wall_with / wall_without - 1, 3),
        "cpu_without_s": round(cpu_without, 2), "cpu_with_s": round(cpu_with, 2),
        "cpu_overhead": round(cpu_with / cpu_without - 1, 3),
        "extract_cpu_without_s": round(extraction["without"], 2), "extract_cpu_with_s": round(extraction["with"], 2),
        "extract_overhead": round(extraction["with"] / extraction["without"] - 1, 3),
        "within_target": wall_with <= wall_without * (1 + TARGET_OVERHEAD),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, action="append", help="corpus size (repeatable; default 100000)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    results = [bench(lines, args.repeats, args.jobs) for lines in args.lines or [100_000]]
    print(json.dumps(results, indent=2))
    if not all(result["within_target"] for result in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
