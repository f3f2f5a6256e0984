"""Store-write benchmark: facts (nodes + relationships) written per second, per adapter.

A synthetic GraphSnapshot shaped like a scan of an agent system (modules, functions,
except clauses, endpoints, imports) is written to the embedded store and, when
NEO4J_URI is set, to Neo4j once per batch size (the adapter's UNWIND batch rows).
Each write replaces the previous snapshot, so the Neo4j figure includes deleting it.

    python bench/bench_store.py --modules 2000 --batch-rows 1000,5000,20000
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from analyzer.graph import GraphSnapshot, _empty_tables  # noqa: E402


def synthetic_graph(modules: int, repository: str = "bench", functions: int = 12, excepts: int = 4) -> GraphSnapshot:
    """`modules` modules with `functions` functions, `excepts` except clauses, 2 endpoints and 3 imports each."""
    snapshot = f"{repository}@{uuid.uuid4().hex[:12]}"
    nodes, rels = _empty_tables()
    graph = GraphSnapshot(repository, snapshot, "/bench", nodes, rels)
    nodes["Snapshot"].add(id=snapshot, snapshot=snapshot, repository=repository, created_at="2025-01-01T00:00:00+00:00",
                          analyzer_version="bench", fingerprint=uuid.uuid4().hex, files=modules, lines=modules * 200,
                          parse_errors=0)
    for m in range(modules):
        machine = ("main_pc_code", "pc2_code")[m % 2]
        path = f"{machine}/agents/agent_{m}.py"
        module_id = f"{snapshot}|{path}"
        nodes["Module"].add(id=module_id, snapshot=snapshot, repository=repository, name=path[:-3].replace("/", "."),
                            path=path, machine=machine, sha256=f"{m:064x}", lines=200, size=6000, parse_status="ok",
                            parse_error="", is_package=False, is_test=False, is_agent=True, component=-1,
                            imports_out=3, imports_in=3)
        located = {"snapshot": snapshot, "path": path, "machine": machine}
        for f in range(functions):
            node_id = f"{module_id}#F{f}"
            nodes["Function"].add(id=node_id, **located, line=10 + f * 12, name=f"handle_{f}", qualname=f"Agent.handle_{f}",
                                  class_name="Agent", end_line=20 + f * 12, complexity=f % 7 + 1)
            rels["DEFINES_FUNCTION"].add(**{"from": module_id, "to": node_id})
        for x in range(excepts):
            node_id = f"{module_id}#X{x}"
            nodes["ExceptClause"].add(id=node_id, **located, line=15 + x * 30, kind=("bare", "broad", "specific")[x % 3],
                                      types="Exception", swallows=x % 2 == 0, reraises=False, logs_traceback=False,
                                      function=f"handle_{x}")
            rels["HAS_EXCEPT"].add(**{"from": module_id, "to": node_id})
        for e in range(2):
            node_id = f"{module_id}#E{e}"
            nodes["Endpoint"].add(id=node_id, **located, line=40 + e, action=("bind", "connect")[e],
                                  endpoint=f"tcp://*:{5000 + m}", scheme="tcp", host="*", port=5000 + m,
                                  port_source="literal", port_confidence="certain", port_expr="",
                                  port_origin=f"{path}:{40 + e}", target_machine=machine, site=f"{path}:{40 + e}",
                                  socket_kind="REP")
            rels["HAS_ENDPOINT"].add(**{"from": module_id, "to": node_id})
    for m in range(modules):
        source = nodes["Module"].data["id"][m]
        for step in (1, 7, 31):
            target = nodes["Module"].data["id"][(m + step) % modules]
            if target != source:
                rels["IMPORTS"].add(**{"from": source, "to": target}, line=3, lines="3", lazy=False, guarded=False)
    return graph


def facts(graph: GraphSnapshot) -> int:
    return sum(len(c) for c in graph.nodes.values()) + sum(len(c) for c in graph.rels.values())


def timed_write(store, graph: GraphSnapshot) -> float:
    started = time.perf_counter()
    store.write_snapshot(graph)
    return time.perf_counter() - started


def bench_embedded(modules: int, rounds: int) -> dict:
    from analyzer.store.ladybug import LadybugStore

    with tempfile.TemporaryDirectory() as folder:
        store = LadybugStore(folder)
        times = [timed_write(store, synthetic_graph(modules)) for _ in range(rounds)]
    size = facts(synthetic_graph(modules))
    return {"store": "embedded", "facts": size, "seconds": round(min(times), 3),
            "facts_per_second": round(size / min(times))}


def bench_neo4j(modules: int, rounds: int, batch_rows: int) -> dict:
    from analyzer.store.neo4j import Neo4jStore

    repository = f"bench-{uuid.uuid4().hex[:8]}"
    store = Neo4jStore.connect(os.environ["NEO4J_URI"], batch_rows=batch_rows)
    try:
        store.ensure_schema()
        times = [timed_write(store, synthetic_graph(modules, repository)) for _ in range(rounds)]
        store.drop_repository(repository)
    finally:
        store.close()
    size = facts(synthetic_graph(modules))
    return {"store": "neo4j", "batch_rows": batch_rows, "facts": size, "seconds": round(min(times), 3),
            "facts_per_second": round(size / min(times))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modules", type=int, action="append", help="graph size in modules (repeatable; default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="writes per measurement; the fastest counts")
    parser.add_argument("--batch-rows", default="1000,5000,20000", help="Neo4j UNWIND batch sizes to compare")
    args = parser.parse_args()
    results = []
    for modules in args.modules or [2000]:
        results.append({"modules": modules, **bench_embedded(modules, args.rounds)})
        print(json.dumps(results[-1]), flush=True)
        if os.environ.get("NEO4J_URI"):
            for rows in (int(r) for r in args.batch_rows.split(",")):
                results.append({"modules": modules, **bench_neo4j(modules, args.rounds, rows)})
                print(json.dumps(results[-1]), flush=True)
        else:
            print(json.dumps({"store": "neo4j", "skipped": "NEO4J_URI is not set"}), flush=True)


if __name__ == "__main__":
    main()
