"""What the interactive commands cost: start-up, `check` on an unchanged tree, a codemod dry run on the cache.

    PYTHONPATH=. .venv/bin/python bench/bench_startup.py --lines 130000 --runs 10

Times `analyzer --version` and `analyzer --help` (the median of --runs, wall and CPU of the child process),
then generates the benchmark corpus (bench/corpus.py), scans it once, and times `analyzer check` on the
unchanged tree and `analyzer fix bare-except` / `port-literals` dry runs with the facts cache the scan
left and with --no-cache (every file parsed). The two dry runs must print the same diff.
Targets: start-up under 150 ms, check unchanged under 0.5 s, a dry run on the cache of a 750-file tree under 3 s
(for a tree where a minority of files has sites: the cache spares the files without one, not the parse of
those with one; the summary line gives the count).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.corpus import generate  # noqa: E402

# Written bytecode as an installed tool has it (a developer's PYTHONDONTWRITEBYTECODE would time compiling).
ENV = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/")}
CLI = [sys.executable, "-c", "from analyzer.cli import main; main()"]


def timed(args: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float, subprocess.CompletedProcess]:
    """(wall seconds, CPU seconds of the child, the result) of one `analyzer ARGS` run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=ROOT, env=ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode not in ok:
        raise SystemExit(f"analyzer {' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), result


def median_of(runs: int, args: list[str], ok: tuple[int, ...] = (0,)) -> dict:
    timed(args, ok)  # the first run writes bytecode and warms the page cache
    samples = [timed(args, ok) for _ in range(runs)]
    return {"wall_ms": round(statistics.median(s[0] for s in samples) * 1000),
            "cpu_ms": round(statistics.median(s[1] for s in samples) * 1000)}


def summary_line(stderr: str, codemod: str) -> str:
    return next((line.strip() for line in stderr.splitlines() if line.startswith(codemod)), "")


def bench(lines: int, runs: int, workdir: Path) -> list[tuple[str, dict]]:
    rows = [("--version", median_of(runs, ["--version"])), ("--help", median_of(runs, ["--help"]))]
    repo = workdir / f"corpus-{lines}"
    if not repo.exists():
        generate(repo, lines)
    store, cache = str(workdir / f"store-{lines}"), str(workdir / f"cache-{lines}")
    timed(["scan", str(repo), "--store", store, "--cache-dir", cache])
    check = ["check", str(repo), "--store", store, "--cache-dir", cache, "--no-baseline", "--format", "json"]
    rows.append(("check unchanged", median_of(max(1, runs // 3), check, ok=(0, 1))))
    for codemod in ("bare-except", "port-literals"):
        fix = ["fix", codemod, str(repo), "--cache-dir", cache]
        cached_wall, cached_cpu, cached = timed(fix, ok=(0, 1))
        full_wall, full_cpu, full = timed([*fix, "--no-cache"], ok=(0, 1))
        if cached.stdout != full.stdout:
            raise SystemExit(f"fix {codemod}: the run on the cache printed another diff than the full run")
        rows.append((f"fix {codemod} (cache)", {"wall_ms": round(cached_wall * 1000), "cpu_ms": round(cached_cpu * 1000),
                                                 "summary": summary_line(cached.stderr, codemod)}))
        rows.append((f"fix {codemod} (--no-cache)", {"wall_ms": round(full_wall * 1000), "cpu_ms": round(full_cpu * 1000)}))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=130_000, help="corpus size (130000: about 750 files)")
    parser.add_argument("--runs", type=int, default=10, help="runs per start-up timing (the median is shown)")
    parser.add_argument("--workdir", type=Path, help="keep the corpus, store and cache here (default: a temp folder)")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="analyzer-bench-startup-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for name, figures in bench(args.lines, args.runs, workdir):
        print(f"{name:28} " + "  ".join(f"{key} {value}" for key, value in figures.items()))
    print("targets: --version and --help wall_ms < 150, check unchanged wall_ms < 500, fix on the cache < 3000 "
          "on a 750-file tree")


if __name__ == "__main__":
    main()
