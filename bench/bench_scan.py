"""Scan benchmark: parse-only vs cold scan, warm rescan, one-file-changed rescan, memory.

Targets (issue "Scan a repository into an embedded code graph"):
cold scan <= 0.75 x one-process libcst parse-only time; warm rescan <= 0.05 x;
one file changed <= 1 s; cost per line flat from 100k to 1M lines; peak memory < 1.5 GB at 1M lines.

    python bench/bench_scan.py --lines 100000 --lines 1000000
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import libcst as cst

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def parse_only(repo: Path) -> float:
    files = sorted(repo.rglob("*.py"))
    started = time.perf_counter()
    for path in files:
        cst.parse_module(path.read_bytes())
    return time.perf_counter() - started


def timed_scan(repo: Path, store: Path, cache: Path, jobs: int) -> tuple[float, dict, int]:
    """Run `analyzer scan` in a child process; returns (seconds, summary, peak RSS in MiB of the scan process)."""
    command = [sys.executable, "-c", "from analyzer.cli import main; main()", "scan", str(repo), "--store", str(store),
               "--cache-dir", str(cache), "--jobs", str(jobs), "--json"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"scan failed: {result.stderr[-2000:]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return seconds, json.loads(result.stdout), peak // 1024


def bench(lines: int, jobs: int, workdir: Path) -> dict:
    repo = workdir / f"corpus-{lines}"
    if not repo.exists():
        generate(repo, lines)
    store, cache = workdir / f"store-{lines}", workdir / f"cache-{lines}"
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    parse = parse_only(repo)
    cold, summary, cold_peak = timed_scan(repo, store, cache, jobs)
    warm, warm_summary, _ = timed_scan(repo, store, cache, jobs)
    victim = sorted(repo.rglob("agent_*.py"))[0]
    victim.write_text(victim.read_text() + "\n# TODO: benchmark edit\n")
    one, one_summary, _ = timed_scan(repo, store, cache, jobs)
    victim.write_text(victim.read_text().removesuffix("\n# TODO: benchmark edit\n"))
    assert warm_summary["parsed"] == 0 and one_summary["parsed"] == 1, (warm_summary, one_summary)
    return {
        "lines": summary["lines"], "files": summary["files"], "parse_only_s": round(parse, 2), "cold_s": round(cold, 2),
        "warm_s": round(warm, 2), "one_changed_s": round(one, 2), "cold_ratio": round(cold / parse, 3),
        "warm_ratio": round(warm / parse, 3), "cold_us_per_line": round(cold / summary["lines"] * 1e6, 1),
        "peak_rss_mib": cold_peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, action="append", help="corpus size; repeatable (default 100000)")
    parser.add_argument("--jobs", type=int, default=0, help="scan processes (0: every core)")
    parser.add_argument("--workdir", type=Path, help="keep corpora here between runs (default: a temp folder)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="analyzer-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = [bench(lines, args.jobs, workdir) for lines in args.lines or [100_000]]
    columns = list(results[0])
    print(" | ".join(columns))
    for row in results:
        print(" | ".join(str(row[c]) for c in columns))
    print("targets: cold_ratio <= 0.75, warm_ratio <= 0.05, one_changed_s <= 1, peak_rss_mib < 1536 at 1M lines")


if __name__ == "__main__":
    main()
