"""Store benchmark: writing a generated repository's graph and every library query, embedded store beside Neo4j.

For each corpus size (bench/corpus.py generates it once into --workdir; the facts
cache makes later runs skip parsing), the graph is built once and then:

- written to a fresh embedded store and to Neo4j (NEO4J_URI, e.g. from
  `scripts/neo4j-local.sh start`): a first write, then a replacing write of the same
  graph under a new snapshot id (on Neo4j it includes deleting the old snapshot);
- every query of the library is timed on both stores (one warm-up run, then --runs
  runs, the median counts) and its rows compared: a difference is reported as a bug.

    scripts/neo4j-local.sh start && . .neo4j/env
    python bench/bench_store.py --lines 100000,1000000 --workdir /tmp/store-bench

Without NEO4J_URI only the embedded store is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analyzer import queries  # noqa: E402
from analyzer.export import CapturingStore  # noqa: E402
from analyzer.graph import Columns, GraphSnapshot  # noqa: E402
from analyzer.scan import ScanOptions, scan  # noqa: E402
from bench.corpus import generate  # noqa: E402

TARGET_S = 1.0


def build_graph(lines: int, workdir: Path, repository: str) -> GraphSnapshot:
    """The graph a scan of the `lines`-line corpus writes (corpus and facts cache kept in `workdir`)."""
    repo = workdir / f"corpus-{lines}"
    if not repo.exists():
        generate(repo, lines)
    capture = CapturingStore()
    scan(ScanOptions(repo=repo, cache_dir=str(workdir / f"cache-{lines}"), repository=repository), store=capture)
    return capture.graphs[0]


def renamed(graph: GraphSnapshot) -> GraphSnapshot:
    """The same graph under a new snapshot id (every id and `snapshot` value rewritten), for a replacing write."""
    old, new = graph.snapshot, f"{graph.repository}@{uuid.uuid4().hex[:12]}"

    def moved(columns: Columns) -> Columns:
        copy = Columns(columns.names)
        for name in columns.names:
            values = columns.data[name]
            if name in ("id", "snapshot", "from", "to"):
                values = [v.replace(old, new, 1) if isinstance(v, str) else v for v in values]
            copy.data[name] = list(values)
        return copy

    return replace(graph, snapshot=new, nodes={k: moved(v) for k, v in graph.nodes.items()},
                   rels={k: moved(v) for k, v in graph.rels.items()})


def facts(graph: GraphSnapshot) -> int:
    return sum(len(c) for c in graph.nodes.values()) + sum(len(c) for c in graph.rels.values())


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return round(time.perf_counter() - started, 2)


def time_queries(store, repository: str, runs: int, selected: list[queries.Query]) -> dict[str, dict]:
    results = {}
    for query in selected:
        params = query.bind()
        rows = store.query(query.cypher, params, repository).rows  # warm-up: caches, query plans
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            store.query(query.cypher, params, repository)
            times.append(time.perf_counter() - started)
        results[query.id] = {"rows": rows, "median_ms": round(statistics.median(times) * 1000, 1)}
    return results


def bench_size(lines: int, workdir: Path, runs: int, selected: list[queries.Query]) -> dict:
    from analyzer.store.ladybug import LadybugStore

    repository = f"bench-{lines}"
    graph = build_graph(lines, workdir, repository)
    result: dict = {"lines": lines, "facts": facts(graph), "nodes": sum(len(c) for c in graph.nodes.values())}
    with tempfile.TemporaryDirectory(dir=workdir) as folder:
        embedded = LadybugStore(folder)
        result["embedded_write_s"] = timed(lambda: embedded.write_snapshot(graph))
        result["embedded_replace_s"] = timed(lambda: embedded.write_snapshot(renamed(graph)))
        on_disk = time_queries(embedded, repository, runs, selected)
        embedded.close()
    on_server: dict[str, dict] = {}
    if os.environ.get("NEO4J_URI"):
        from analyzer.store.neo4j import Neo4jStore

        server = Neo4jStore.connect()
        try:
            server.ensure_schema()
            server.drop_repository(repository)  # a previous, interrupted run's
            result["neo4j_write_s"] = timed(lambda: server.write_snapshot(graph))
            result["neo4j_replace_s"] = timed(lambda: server.write_snapshot(renamed(graph)))
            on_server = time_queries(server, repository, runs, selected)
            result["neo4j_drop_s"] = timed(lambda: server.drop_repository(repository))
        finally:
            server.close()
    result["queries"] = [
        {"query": query.id, "rows": len(on_disk[query.id]["rows"]), "embedded_ms": on_disk[query.id]["median_ms"],
         **({"neo4j_ms": on_server[query.id]["median_ms"],
             "same_rows": on_server[query.id]["rows"] == on_disk[query.id]["rows"]} if on_server else {})}
        for query in selected
    ]
    return result


def print_table(result: dict) -> None:
    print(" ".join(f"{k}={v}" for k, v in result.items() if k != "queries"))
    width = max(len(q["query"]) for q in result["queries"])
    print(f"{'query':<{width}}  {'rows':>6}  {'embedded ms':>11}  {'neo4j ms':>9}  same rows")
    for q in result["queries"]:
        print(f"{q['query']:<{width}}  {q['rows']:>6}  {q['embedded_ms']:>11}  {q.get('neo4j_ms', '-'):>9}  "
              f"{q.get('same_rows', '-')}")
    for store in ("embedded", "neo4j"):
        slow = [q["query"] for q in result["queries"] if q.get(f"{store}_ms", 0) >= TARGET_S * 1000]
        print(f"{store}: over {TARGET_S * 1000:.0f} ms: {', '.join(slow) or 'none'}")
    different = [q["query"] for q in result["queries"] if q.get("same_rows") is False]
    print(f"different rows on the two stores: {', '.join(different) or 'none'}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", default="100000,1000000", help="corpus sizes, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per query; the median counts")
    parser.add_argument("--query", action="append", help="only this query id; repeatable")
    parser.add_argument("--workdir", type=Path, help="keep corpora and facts caches here (default: a temp folder)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="analyzer-store-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    selected = [q for q in queries.load_all() if not args.query or q.id in args.query]
    results = []
    for lines in (int(n) for n in args.lines.split(",")):
        results.append(bench_size(lines, workdir, args.runs, selected))
        if not args.json:
            print_table(results[-1])
    if not os.environ.get("NEO4J_URI"):
        print("neo4j: skipped, NEO4J_URI is not set (scripts/neo4j-local.sh start)", file=sys.stderr)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
