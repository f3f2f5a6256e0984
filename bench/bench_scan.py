"""Scan benchmark: the developer's loop against one-process libcst parse-only, on generated corpora.

For each corpus size, in one run and in this order: libcst parse-only of every file in one process (the
floor), a cold scan (empty store and cache), a warm rescan (nothing changed), a rescan after one file
changed, `check` on that tree twice (the first runs the queries after the scan; the second, on a tree unchanged
since, answers with the report the first saved: the figure of the check-unchanged target), and a
`fix bare-except` dry run. Each step runs as a child process;
its wall time, CPU time (its own and its workers') and peak resident memory (`wait4`'s rusage, the largest
of the process and the workers it waited for) are reported, with wall and CPU as ratios to parse-only.

Targets (issue 17): cold CPU <= 1.5 x parse-only CPU (2-core wall <= 0.75 x); warm <= 0.05 x; one file
changed <= 1 s and <= 0.05 x; `check` unchanged <= 0.5 s; fix dry run <= 3 s at 750 files; peak memory
< 1.5 GB at 1M lines.

    python bench/bench_scan.py --lines 100000 --lines 1000000 [--markdown]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.corpus import generate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
EDIT = "\n# TODO: benchmark edit\n"
PARSE_ONLY = """
import sys
from pathlib import Path
import libcst
for path in sorted(Path(sys.argv[1]).rglob("*.py")):
    libcst.parse_module(path.read_bytes())
"""


@dataclass
class Step:
    step: str
    wall_s: float
    cpu_s: float
    peak_rss_mib: int
    wall_ratio: float = 0.0  # to parse-only's wall
    cpu_ratio: float = 0.0


def run_child(step: str, command: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)) -> tuple[Step, str]:
    """Run `command` to the end; its times and peak memory from the kernel's accounting of it and its children."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode not in ok:
        raise SystemExit(f"{step} failed ({process.returncode}): {stderr[-2000:]}")
    return Step(step, round(wall, 2), round(usage.ru_utime + usage.ru_stime, 2), usage.ru_maxrss // 1024), stdout


def cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from analyzer.cli import main; main()", *args]


def bench(lines: int, jobs: int, workdir: Path) -> tuple[dict, list[Step]]:
    repo = workdir / f"corpus-{lines}"
    if not repo.exists():
        generate(repo, lines)
    store, cache = workdir / f"store-{lines}", workdir / f"cache-{lines}"
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    # Every step reads and writes this corpus's store and cache, and nothing of the user's; with bytecode written,
    # as an installed tool has it (a developer's PYTHONDONTWRITEBYTECODE would time compiling the analyzer).
    env = {**{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPATH": str(ROOT),
           "ANALYZER_CACHE_DIR": str(cache), "ANALYZER_STORE": str(store)}
    scan = cli("scan", str(repo), "--jobs", str(jobs), "--json")
    steps = [run_child("parse-only (libcst, 1 process)", [sys.executable, "-c", PARSE_ONLY, str(repo)], env)[0]]
    cold, out = run_child("cold scan", scan, env)
    summary = json.loads(out)
    warm, out = run_child("warm rescan", scan, env)
    assert json.loads(out)["parsed"] == 0, out
    victim = sorted(repo.rglob("agent_*.py"))[0]
    original = victim.read_text()
    victim.write_text(original + EDIT)
    try:
        one, out = run_child("one file changed", scan, env)
        assert json.loads(out)["parsed"] == 1, out
        # 1: new findings (the corpus has planted problems); both exit codes are a finished run. The first
        # check after a scan runs the queries (and saves its report); asked again, it answers with that report.
        check_args = cli("check", str(repo), "--no-baseline", "--format", "json", "--jobs", str(jobs))
        check, first_report = run_child("check, first after the scan", check_args, env, ok=(0, 1))
        again, second_report = run_child("check again, unchanged tree", check_args, env, ok=(0, 1))
        assert second_report == first_report, "check answered another report on the same tree"
        fix, _ = run_child("fix bare-except, dry run", cli("fix", "bare-except", str(repo), "--jobs", str(jobs)), env,
                           ok=(0, 1))
    finally:
        victim.write_text(original)
    steps += [cold, warm, one, check, again, fix]
    for step in steps:
        step.wall_ratio = round(step.wall_s / steps[0].wall_s, 3)
        step.cpu_ratio = round(step.cpu_s / steps[0].cpu_s, 3)
    return {"lines": summary["lines"], "files": summary["files"], "jobs": jobs or os.cpu_count()}, steps


def table(corpus: dict, steps: list[Step], markdown: bool) -> str:
    title = f"{corpus['lines']:,} lines, {corpus['files']} files, {corpus['jobs']} jobs"
    header = ["step", "wall s", "CPU s", "wall / parse-only", "CPU / parse-only", "peak RSS MiB"]
    rows = [[s.step, s.wall_s, s.cpu_s, s.wall_ratio, s.cpu_ratio, s.peak_rss_mib] for s in steps]
    if not markdown:
        return "\n".join([title, " | ".join(header), *(" | ".join(map(str, row)) for row in rows)])
    lines = [f"**{title}**", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join([*lines, *("| " + " | ".join(map(str, row)) + " |" for row in rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, action="append", help="corpus size; repeatable (default 100000)")
    parser.add_argument("--jobs", type=int, default=0, help="scan processes (0: every core)")
    parser.add_argument("--workdir", type=Path, help="keep corpora here between runs (default: a temp folder)")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables (docs/performance.md)")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="analyzer-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    for lines in args.lines or [100_000]:
        corpus, steps = bench(lines, args.jobs, workdir)
        results.append({**corpus, "steps": [asdict(s) for s in steps]})
        print(table(corpus, steps, args.markdown), "\n", flush=True)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
