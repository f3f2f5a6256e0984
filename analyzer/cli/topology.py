"""`analyzer topology`: the ZeroMQ socket graph as self-contained HTML, Mermaid, Graphviz dot or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, err_console, fail

FORMATS = ("html", "mermaid", "dot", "json")


def topology_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="html, mermaid, dot or json.")] = "html",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to FILE (default for html: topology.html; others print).")] = None,
    include_copies: Annotated[bool, typer.Option("--include-copies", help="Draw archived and backup copies too in mermaid, dot and json (the HTML always carries them, behind its `copies` switch).")] = False,
    store: Annotated[Optional[str], typer.Option(help="Embedded store folder, or bolt://... / neo4j://...; default: env ANALYZER_STORE or .analyzer/store.")] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", help="Repository in the store (when it holds several).")] = None,
) -> None:
    """Draw who talks to whom: agents grouped by machine, an edge from each connect to the binds of its port.

    The HTML page (one offline file) shows the live agents, one box per machine side by side;
    search by agent, module or port; click an agent for its peers, ports, socket kinds and
    findings (the rest dims); filter by machine, socket kind or problem (port collisions,
    connects nobody serves, socket kind mismatches, cross-machine links); switch to the port
    view to see ports between their binders and connectors; show copies with the switch.

    Mermaid and dot stay within what GitHub's Mermaid renders (500 edges, 50,000 characters
    a diagram): a larger graph becomes one diagram per machine, or only its problems, and the
    output says so.

    Examples:

        analyzer topology --out topology.html

        analyzer topology --format mermaid --out topology.md

        analyzer topology --format dot | dot -Tsvg -O
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
    title = f"ZeroMQ topology: {name}"
    drawn = model if include_copies or output_format == "html" else model.live()
    note = ""
    if output_format == "html":
        text = topology_page(model, title)
    elif output_format == "json":
        text = topo.to_json(drawn)
    elif output_format == "mermaid":
        plan = topo.plan_diagrams(drawn, topo.mermaid_diagram)
        text, note = topo.render_mermaid(plan, title), plan.note
    else:
        plan = topo.plan_diagrams(drawn, topo.dot_diagram)
        text, note = topo.render_dot(plan), plan.note
    target = out or (Path("topology.html") if output_format == "html" else None)
    if output_format == "html":
        drawn = model.live()
        left_out = f"; {model.copies} copies behind its copies switch" if model.copies else ""
    else:
        left_out = f"; {model.copies} copies left out (--include-copies)" if drawn is not model and model.copies else ""
    if target is None:
        print(text)
        if note or left_out:
            err_console.print(f"{note} {left_out.lstrip('; ')}".strip(), highlight=False, soft_wrap=True)
        return
    target.write_text(text, encoding="utf-8")
    console.print(f"wrote {target} ({drawn.node_count()} nodes, {len(drawn.edges)} edges{left_out})"
                  + (f"; {note}" if note else ""), highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("topology")(topology_command)
