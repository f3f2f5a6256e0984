"""What reading deployment configs adds to a scan, on a generated agent tree.

    PYTHONPATH=. .venv/bin/python bench/bench_configs.py --lines 300000

Generates the benchmark corpus (bench/corpus.py), then a startup config per
machine listing every agent (or the first --agents of them) (port, health port, dependencies, a `*_port`
param), a ports.yaml entry per agent, a compose file and a .env. Scans it cold
(no facts cache) and warm (every file cached), timing the config work inside
the scan (reading, resolving every endpoint's port, graph rows) against the whole scan.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer import configs  # noqa: E402
from analyzer import scan as scan_module  # noqa: E402
from analyzer.scan import ScanOptions, scan  # noqa: E402
from bench.corpus import MACHINES, generate  # noqa: E402

ENTRY = ("  - {{name: Agent{i:04d}, script_path: agents/agent_{i:04d}.py, host: 0.0.0.0, port: {port}, "
         "health_check_port: {health}, required: true, dependencies: [{deps}], params: {{upstream_port: {up}}}}}\n")


def write_configs(repo: Path, limit: int) -> int:
    agents = sorted(repo.glob("*/agents/agent_*.py"))[: limit or None]
    registry = ["ports:\n"]
    for machine in MACHINES:
        lines = ["# generated\nglobal_settings: {health_checks: {interval_seconds: 30}}\nservices:\n"]
        mine = [p for p in agents if p.parts[-3] == machine]
        for n, path in enumerate(mine):
            i = int(path.stem.rsplit("_", 1)[1])
            deps = ", ".join(f"Agent{int(p.stem.rsplit('_', 1)[1]):04d}" for p in mine[max(0, n - 2):n])
            lines.append(ENTRY.format(i=i, port=5000 + i, health=6000 + i, deps=deps, up=5000 + (i + 1) % len(agents)))
            registry.append(f"  AGENT_{i:04d}_REP: {{port: {5000 + i}, machine: {machine}, socket: REP}}\n")
        folder = repo / machine / "config"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "startup_config.yaml").write_text("".join(lines))
    (repo / "config").mkdir(exist_ok=True)
    (repo / "config" / "ports.yaml").write_text("".join(registry))
    (repo / "docker-compose.yml").write_text("services:\n  bus:\n    environment: {BUS_PORT: '4999'}\n    ports: ['4999:4999']\n")
    (repo / ".env").write_text("MAIN_PC_IP=10.0.0.1\nPC2_IP=10.0.0.2\nPORT_OFFSET=0\n")
    return len(agents)


# The steps scan() calls for configs and ports: reading, resolving every endpoint, the graph rows.
TIMED = ((configs, "read_deployment"), (scan_module, "resolve_endpoints"), (configs, "add_deployment"))


class Timer:
    """Wraps the config and port-resolution steps scan() calls, summing their time."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.originals = [getattr(owner, name) for owner, name in TIMED]

    def wrap(self, function):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
        return timed

    def __enter__(self):
        for (owner, name), original in zip(TIMED, self.originals):
            setattr(owner, name, self.wrap(original))
        return self

    def __exit__(self, *exc):
        for (owner, name), original in zip(TIMED, self.originals):
            setattr(owner, name, original)


def measure(repo: Path, work: Path, runs: int, cold: bool) -> tuple[float, float, dict]:
    totals, shares = [], []
    report = None
    for n in range(runs):
        store = work / f"store-{cold}-{n}"
        with Timer() as timer:
            started = time.perf_counter()
            report = scan(ScanOptions(repo=repo, store=str(store), jobs=2, use_cache=not cold, cache_dir=str(work / "cache")))
            total = time.perf_counter() - started
        totals.append(total)
        shares.append(timer.seconds)
    return statistics.median(totals), statistics.median(shares), report.as_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--agents", type=int, default=0, help="configure this many agents (0: every generated one)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="config-bench-"))
    repo = work / "repo"
    files = generate(repo, args.lines)
    agents = write_configs(repo, args.agents)
    scan(ScanOptions(repo=repo, store=str(work / "warmup"), jobs=2, cache_dir=str(work / "cache")))  # fills the cache
    for label, cold in (("cold (no cache)", True), ("warm (all cached)", False)):
        total, config_seconds, report = measure(repo, work, args.runs, cold)
        print(f"{label}: {files} files, {report['lines']} lines, {agents} configured agents "
              f"({report['configured_agents']} read), ports from code/configs/unknown "
              f"{report['ports_from_code']}/{report['ports_from_config']}/{report['ports_unknown']}: "
              f"scan {total:.2f} s, configs and ports {config_seconds * 1000:.0f} ms = {100 * config_seconds / total:.1f} %")


if __name__ == "__main__":
    main()
