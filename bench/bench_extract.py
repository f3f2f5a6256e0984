"""Where extraction's CPU goes, next to the parse floor: one process, no workers, no store.

Issue 17 item 4 asks for a cold scan within 1.5 x the one-process libcst parse-only CPU.
This prints the parse-only CPU (each tree dropped as the bench_scan floor does), the CPU
of `extract_file` over the same files, and the share of each stage measured inside it
(each stage's function is timed in place for the run; nothing else changes).

    python bench/bench_extract.py --lines 100000
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import libcst as cst

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import analyzer.extract as extract  # noqa: E402
from analyzer.extract import bandit, definitions  # noqa: E402
from bench.corpus import generate  # noqa: E402

# (module, function, label): the stages of extract_file that cost more than a few percent of the parse.
STAGES = (
    (cst, "parse_module", "libcst parse"),
    (extract, "_python_tree", "CPython ast.parse"),
    (extract, "PythonTree", "one walk of the ast (lines, strings, hash)"),
    (extract, "index_lines", "line index (tagged comments)"),
    (extract, "walk", "walk + every extractor's handlers"),
    (definitions, "summarize", "raise facts (analyzer/extract/raising.py)"),
    (definitions, "cc_visit_ast", "radon complexity"),
    (bandit, "bandit_findings", "Bandit"),
)


def _timed(spent: Counter[str], function, label: str):
    def run(*args, **kwargs):
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            spent[label] += time.process_time() - started
    return run


def measure(repo: Path) -> tuple[float, float, Counter[str]]:
    sources = [(path.relative_to(repo).as_posix(), path.read_bytes()) for path in sorted(repo.rglob("*.py"))]
    extract.extract_file("warm_up.py", b"import pickle\npickle.loads(b)\n")  # Bandit's plugins load once per process
    parse_module = cst.parse_module
    started = time.process_time()
    for _, data in sources:
        parse_module(data)
    parse = time.process_time() - started
    spent: Counter[str] = Counter()
    originals = [(module, name, getattr(module, name)) for module, name, _ in STAGES]
    for (module, name, label), (_, _, function) in zip(STAGES, originals):
        setattr(module, name, _timed(spent, function, label))
    try:
        started = time.process_time()
        for path, data in sources:
            extract.extract_file(path, data)
        total = time.process_time() - started
    finally:
        for module, name, function in originals:
            setattr(module, name, function)
    return parse, total, spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=100_000, help="corpus size (default 100000)")
    parser.add_argument("--workdir", type=Path, help="keep the corpus here between runs (default: a temp folder)")
    args = parser.parse_args()
    repo = (args.workdir or Path(tempfile.mkdtemp(prefix="analyzer-bench-"))) / f"corpus-{args.lines}"
    if not repo.exists():
        generate(repo, args.lines)
    parse, total, spent = measure(repo)
    print(f"libcst parse-only CPU {parse:.2f} s; extract_file CPU {total:.2f} s = {total / parse:.2f} x parse-only")
    for label, seconds in spent.most_common():
        print(f"  {label:45s} {seconds:6.2f} s  {seconds / parse:5.2f} x")
    rest = total - sum(spent.values())
    print(f"  {'the rest':45s} {rest:6.2f} s  {rest / parse:5.2f} x")


if __name__ == "__main__":
    main()
