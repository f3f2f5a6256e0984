"""`analyzer inventory`: one row per module (agents first): machine, size, imports, ports, CUDA, debt, age, copies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, fail

FORMATS = ("table", "csv", "json")
STORE_HELP = "Embedded store folder, or bolt://... / neo4j://...; default: env ANALYZER_STORE or .analyzer/store."


def inventory_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    store: Annotated[Optional[str], typer.Option(help=STORE_HELP)] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", help="Repository in the store (when it holds several).")] = None,
    root: Annotated[Optional[Path], typer.Option(help="Checkout for git dates; default: the folder that was scanned.")] = None,
    tests: Annotated[bool, typer.Option("--tests", help="Include test modules.")] = False,
    agents_only: Annotated[bool, typer.Option("--agents", help="Only agent modules.")] = False,
) -> None:
    """List every agent and module of the scanned system with its vital figures.

    Columns: name, machine, path, agent, lines, classes, imports in/out, resolved
    ZeroMQ ports bound / connected, CUDA calls, broad excepts, TODOs, last commit
    date (git), and the modules with the same normalised code (duplicate_of).
    """
    from analyzer.cli.query import print_rows
    from analyzer.report.inventory import COLUMNS, inventory
    from analyzer.report.reads import reading_store
    from analyzer.store import StoreError

    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
    try:
        with reading_store(store) as graph:
            rows = inventory(graph, repository, root, include_tests=tests)
    except StoreError as error:
        fail(str(error))
    rows = [row for row in rows if row["agent"] or not agents_only]
    if output_format == "table":
        _print_table(rows)
        return
    print_rows(list(COLUMNS), [[row[c] for c in COLUMNS] for row in rows], output_format, "inventory")


def _print_table(rows: list[dict]) -> None:
    from rich.table import Table

    table = Table(title=f"inventory ({len(rows)} modules, {sum(r['agent'] for r in rows)} agents)", title_justify="left")
    for column in ("path", "machine", "lines", "classes", "in/out", "binds", "connects", "cuda", "broad exc.",
                   "todos", "last modified", "duplicate of"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            f"[bold]{row['path']}[/]" if row["agent"] else row["path"], row["machine"], str(row["lines"]),
            str(row["classes"]), f"{row['imports_in']}/{row['imports_out']}",
            " ".join(map(str, row["ports_bound"])), " ".join(map(str, row["ports_connected"])),
            str(row["cuda_calls"] or ""), str(row["broad_excepts"] or ""), str(row["todos"] or ""),
            row["last_modified"][:10], " ".join(row["duplicate_of"]),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("inventory")(inventory_command)
