"""`analyzer inventory`: one row per module (agents first): machine, size, imports, ports, CUDA, debt, age, copies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, err_console, fail

FORMATS = ("table", "csv", "json")
STORE_HELP = "Embedded store folder, or bolt://... / neo4j://...; default: env ANALYZER_STORE or .analyzer/store."


def inventory_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
    store: Annotated[Optional[str], typer.Option(help=STORE_HELP)] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", help="Repository in the store (when it holds several).")] = None,
    root: Annotated[Optional[Path], typer.Option(help="Checkout for git dates; default: the folder that was scanned.")] = None,
    tests: Annotated[bool, typer.Option("--tests", help="Include test modules.")] = False,
    agents_only: Annotated[bool, typer.Option("--agents", help="Only agent modules.")] = False,
    include_copies: Annotated[bool, typer.Option("--include-copies", help="List archived and backup copies too (the `copy` column says why each is one).")] = False,
) -> None:
    """List every live agent and module of the scanned system with its vital figures.

    Columns: name, machine, path, agent, copy (why it is a copy, with --include-copies),
    lines, classes, imports in/out, resolved ZeroMQ ports bound / connected, CUDA calls,
    broad excepts, TODOs, last commit date (git), and the modules with the same
    normalised code (duplicate_of, copies included). A column left blank says why
    (under the table; on stderr for csv and json).

    Examples:

        analyzer inventory --agents

        analyzer inventory --include-copies --format csv > inventory.csv
    """
    from analyzer.cli.query import print_rows
    from analyzer.report.inventory import COLUMNS, inventory
    from analyzer.report.reads import reading_store
    from analyzer.store import StoreError

    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
    try:
        with reading_store(store) as graph:
            listing = inventory(graph, repository, root, include_tests=tests, include_copies=include_copies)
    except StoreError as error:
        fail(str(error))
    rows = [row for row in listing.rows if row["agent"] or not agents_only]
    left_out = (f"; {listing.copies_left_out} copies left out (--include-copies)"
                if listing.copies_left_out else "")
    if output_format == "table":
        _print_table(rows, left_out)
        for note in listing.notes:
            console.print(note, highlight=False, markup=False, soft_wrap=True)
        return
    print_rows(list(COLUMNS), [[row[c] for c in COLUMNS] for row in rows], output_format, "inventory")
    for note in [*listing.notes, *([left_out.lstrip("; ") + "."] if left_out else [])]:
        err_console.print(note, highlight=False, markup=False, soft_wrap=True)


def _print_table(rows: list[dict], left_out: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"inventory ({len(rows)} modules, {sum(r['agent'] for r in rows)} agents{left_out})",
                  title_justify="left")
    for column in ("path", "machine", "lines", "classes", "in/out", "binds", "connects", "cuda", "broad exc.",
                   "todos", "last modified", "duplicate of"):
        table.add_column(column, overflow="fold")
    for row in rows:
        path = escape(row["path"]) + (f" (copy: {escape(row['copy'])})" if row["copy"] else "")
        table.add_row(
            f"[bold]{path}[/]" if row["agent"] else path, row["machine"], str(row["lines"]),
            str(row["classes"]), f"{row['imports_in']}/{row['imports_out']}",
            " ".join(map(str, row["ports_bound"])), " ".join(map(str, row["ports_connected"])),
            str(row["cuda_calls"] or ""), str(row["broad_excepts"] or ""), str(row["todos"] or ""),
            row["last_modified"][:10], " ".join(row["duplicate_of"]),
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command("inventory")(inventory_command)
