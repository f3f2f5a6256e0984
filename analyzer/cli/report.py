"""`analyzer report`: the consolidated discovery report, Markdown or self-contained HTML."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, fail

FORMATS = ("markdown", "html")


def report_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="markdown or html.")] = "markdown",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to FILE instead of printing.")] = None,
    store: Annotated[Optional[str], typer.Option(help="Embedded store folder, or bolt://... / neo4j://...; default: env ANALYZER_STORE or .analyzer/store.")] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", help="Repository in the store (when it holds several).")] = None,
) -> None:
    """Everything a newcomer needs first: headline figures, findings by severity, category and machine,
    hotspots, import cycles, port collisions, GPU agents, requirements drift, and what to fix first
    (severity x count x fan-in, with the `analyzer fix` command where a codemod exists).

    Finding counts are the rows `analyzer query <id>` returns on the same store.
    The HTML version adds the interactive topology and bar charts, in one offline file.
    """
    from analyzer.report.discovery import build_report, to_html, to_markdown
    from analyzer.report.reads import reading_store
    from analyzer.store import StoreError

    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
    try:
        with reading_store(store) as graph:
            report = build_report(graph, repository)
    except StoreError as error:
        fail(str(error))
    text = to_html(report) if output_format == "html" else to_markdown(report)
    if out is None:
        print(text)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out} ({report.headline['findings']} findings)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
