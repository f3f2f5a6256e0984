"""`analyzer report`: the consolidated discovery report, Markdown or self-contained HTML."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, fail

FORMATS = ("markdown", "html")


def report_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="markdown or html.")] = "markdown",
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to FILE instead of printing.")] = None,
    rows: Annotated[int, typer.Option(min=1, help="Rows a table shows before it says how many more there are and the command that lists them.")] = 25,
    store: Annotated[Optional[str], typer.Option(help="Embedded store folder, or bolt://... / neo4j://...; default: env ANALYZER_STORE or .analyzer/store.")] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", help="Repository in the store (when it holds several).")] = None,
) -> None:
    """Everything a newcomer needs first: what to fix first and the findings of those checks,
    the ZeroMQ topology (HTML), findings by severity, category and machine, hotspots, GPU agents.

    "What to fix first" ranks checks by risk to running agents from their rule headers:
    severity, then category (ZeroMQ and configs before structure, exceptions, security,
    ... debt last), then precision; findings in copies are counted apart. A fix is
    suggested only where the rule names a codemod that fixes it. Every table cut to
    --rows says "25 of 458 rows" and the command that lists them all.

    Finding counts are the rows `analyzer query <id>` returns on the same store.
    The HTML version adds the interactive topology and bar charts, in one offline file.

    Examples:

        analyzer report --format html --out report.html

        analyzer report --rows 50 > report.md
    """
    from analyzer.report.discovery import build_report, to_html, to_markdown
    from analyzer.report.reads import reading_store
    from analyzer.store import StoreError

    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
    options = "".join(f" {flag} {shlex.quote(value)}" for flag, value in (("--store", store), ("--repo", repository))
                      if value)
    try:
        with reading_store(store) as graph:
            report = build_report(graph, repository, options)
    except StoreError as error:
        fail(str(error))
    text = to_html(report, rows) if output_format == "html" else to_markdown(report, rows)
    if out is None:
        print(text)
        return
    out.write_text(text, encoding="utf-8")
    console.print(f"wrote {out} ({report.headline['findings']} findings)", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("report")(report_command)
