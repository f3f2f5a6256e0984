"""`analyzer topology`: the ZeroMQ socket graph as self-contained HTML, Mermaid, Graphviz dot or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, fail

FORMATS = ("html", "mermaid", "dot", "json")


def topology_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="html, mermaid, dot or json.")] = "html",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to FILE (default for html: topology.html; others print).")] = None,
    store: Annotated[Optional[str], typer.Option(help="Embedded store folder, or bolt://... / neo4j://...; default: env ANALYZER_STORE or .analyzer/store.")] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", help="Repository in the store (when it holds several).")] = None,
) -> None:
    """Draw who talks to whom: agents grouped by machine, an edge from each connect to the binds of its port.

    Edges are coloured by messaging pattern (PUB/SUB, REQ/REP, PUSH/PULL);
    port collisions (red border) and connects to ports nothing binds (red
    diamond) come from the port-collisions and orphan-connects queries; dashed
    edges cross machines, including configured cross-machine dependencies.
    The HTML is one file with the graph library inlined: open it offline, pan,
    zoom, click an agent for its file, ports (and how each was resolved) and findings.
    """
    from analyzer.report import topology as topo
    from analyzer.report.html import topology_page
    from analyzer.report.reads import reading_store, repository_info
    from analyzer.store import StoreError

    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
    try:
        with reading_store(store) as graph:
            model = topo.build_topology(graph, repository)
            name = repository_info(graph, repository).get("repository", "repository")
    except StoreError as error:
        fail(str(error))
    renderers = {"html": lambda m: topology_page(m, f"ZeroMQ topology: {name}"), "mermaid": topo.to_mermaid,
                 "dot": topo.to_dot, "json": topo.to_json}
    text = renderers[output_format](model)
    target = out or (Path("topology.html") if output_format == "html" else None)
    if target is None:
        print(text)
        return
    target.write_text(text, encoding="utf-8")
    console.print(f"wrote {target} ({model.node_count()} nodes, {len(model.edges)} edges)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("topology")(topology_command)
