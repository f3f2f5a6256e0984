"""Query benchmark: every query of the library on the embedded store holding a synthetic repository's graph.

Target (issue "The Cypher query library and `analyzer query`"): each query answers
in well under a second on the graph of a 1M-line repository.

    python bench/bench_queries.py --lines 1000000 --workdir /tmp/qbench

The corpus (bench/corpus.py), the facts cache and the store are kept in --workdir,
so a second run only times the queries. Each query runs once to warm up (the first
run of the process also opens the database file, ~0.1 s, paid before timing),
then --runs times; the median counts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analyzer import queries  # noqa: E402
from analyzer.scan import ScanOptions, scan  # noqa: E402
from analyzer.store.ladybug import LadybugStore  # noqa: E402
from analyzer.schema import NODE_TABLES, REL_TABLES  # noqa: E402
from bench.corpus import generate  # noqa: E402

TARGET_S = 1.0


def build_store(lines: int, workdir: Path, jobs: int) -> tuple[Path, dict]:
    """Generate the corpus (once) and scan it into an embedded store (the facts cache makes a rescan quick)."""
    repo = workdir / f"corpus-{lines}"
    if not repo.exists():
        generate(repo, lines)
    store = workdir / f"store-{lines}"
    started = time.perf_counter()
    report = scan(ScanOptions(repo=repo, store=str(store), cache_dir=str(workdir / f"cache-{lines}"), jobs=jobs))
    summary = {"lines": report.lines, "files": report.files, "scan_s": round(time.perf_counter() - started, 1),
               "parsed": report.parsed, "cache_hits": report.cache_hits}
    return store, summary


def graph_size(store: LadybugStore) -> tuple[int, int]:
    nodes = sum(store.query(f"MATCH (n:{t.name}) RETURN count(n) AS n").rows[0][0] for t in NODE_TABLES)
    rels = sum(store.query(f"MATCH ()-[r:{name}]->() RETURN count(r) AS n").rows[0][0]
               for name in sorted({r.name for r in REL_TABLES}))
    return nodes, rels


def time_query(store: LadybugStore, query: queries.Query, runs: int) -> dict:
    params = query.bind()
    started = time.perf_counter()
    rows = len(store.query(query.cypher, params).rows)
    first = time.perf_counter() - started
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        store.query(query.cypher, params)
        times.append(time.perf_counter() - started)
    return {"query": query.id, "rows": rows, "first_ms": round(first * 1000, 1),
            "median_ms": round(statistics.median(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=1_000_000, help="corpus size (default 1000000)")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per query; the median counts")
    parser.add_argument("--jobs", type=int, default=0, help="scan processes (0: every core)")
    parser.add_argument("--query", action="append", help="only this query id; repeatable")
    parser.add_argument("--workdir", type=Path, help="keep corpus, cache and store here (default: a temp folder)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="analyzer-qbench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    store_path, summary = build_store(args.lines, workdir, args.jobs)
    store = LadybugStore(store_path, read_only=True)
    try:
        summary["nodes"], summary["relationships"] = graph_size(store)  # also opens the database before timing
        selected = [q for q in queries.load_all() if not args.query or q.id in args.query]
        results = [time_query(store, query, args.runs) for query in selected]
    finally:
        store.close()
    slow = [r["query"] for r in results if r["median_ms"] >= TARGET_S * 1000]
    if args.json:
        print(json.dumps({"graph": summary, "queries": results, "over_target": slow}, indent=2))
        return
    print(" ".join(f"{k}={v}" for k, v in summary.items()))
    width = max(len(r["query"]) for r in results)
    print(f"{'query':<{width}}  {'rows':>7}  {'first ms':>9}  {'median ms':>9}  {'max ms':>8}")
    for r in results:
        print(f"{r['query']:<{width}}  {r['rows']:>7}  {r['first_ms']:>9}  {r['median_ms']:>9}  {r['max_ms']:>8}")
    total = sum(r["median_ms"] for r in results)
    print(f"{len(results)} queries, median total {total:.0f} ms; target < {TARGET_S * 1000:.0f} ms each; "
          f"over target: {', '.join(slow) or 'none'}")


if __name__ == "__main__":
    main()
