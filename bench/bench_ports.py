"""How many tcp binds and connects get a port, on the fixture and on generated agent trees.

    PYTHONPATH=. .venv/bin/python bench/bench_ports.py --lines 100000

Scans the bundled fixture, then the benchmark corpus (bench/corpus.py) without
and with deployment configs (bench/bench_configs.py writes a startup config
per machine, ports.yaml, compose and .env), and prints, for each, the scan
summary's share of tcp (or unknown-scheme) endpoints with a port and where
the ports come from (analyzer.facts.PORT_SOURCES buckets).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analyzer.scan import ScanOptions, scan  # noqa: E402
from bench.bench_configs import write_configs  # noqa: E402
from bench.corpus import generate  # noqa: E402


def share(repo: Path, work: Path) -> str:
    report = scan(ScanOptions(repo=repo, store=str(work / f"store-{repo.name}"), use_cache=False, jobs=2))
    percent = 100 * report.tcp_endpoints_with_port / max(1, report.tcp_endpoints)
    return (f"{report.tcp_endpoints_with_port} of {report.tcp_endpoints} tcp endpoints have a port ({percent:.1f} %); "
            f"from code {report.ports_from_code}, from configs {report.ports_from_config}, unknown {report.ports_unknown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="ports-bench-"))
    try:
        print("fixture:", share(ROOT / "fixtures" / "agent_system", work))
        corpus = work / "corpus"
        generate(corpus, args.lines)
        print("corpus, no configs:", share(corpus, work))
        configured = work / "configured"
        shutil.copytree(corpus, configured)
        write_configs(configured, 0)
        print("corpus, with configs:", share(configured, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
