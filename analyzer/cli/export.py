"""`analyzer export --format neo4j-admin DIR [PATH]`: the graph as `neo4j-admin database import` CSVs.

With PATH the repository is scanned (facts from the cache) straight into the files;
without it the current snapshot(s) of `--store` are read back. The import command
is printed on stdout (and saved as DIR/neo4j-admin-import.sh); the summary goes to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import err_console, fail

FORMATS = ("neo4j-admin",)


def export_command(
    folder: Annotated[Path, typer.Argument(help="Folder to write the CSV files into (created if missing).", metavar="DIR")],
    path: Annotated[Optional[Path], typer.Argument(help="Repository to scan and export. Default: export what --store holds.", exists=True, file_okay=False, metavar="[PATH]")] = None,
    export_format: Annotated[str, typer.Option("--format", help="Export format: neo4j-admin (CSV for `neo4j-admin database import full`).")] = "neo4j-admin",
    store: Annotated[Optional[str], typer.Option(help="Store to read when no PATH is given (folder, bolt://..., or `neo4j`).")] = None,
    repo_name: Annotated[Optional[str], typer.Option("--repo", help="Only this repository of the store (default: all of them); with PATH, its name.")] = None,
    roots: Annotated[Optional[str], typer.Option(help="With PATH: machine roots, comma-separated.")] = None,
    cache_dir: Annotated[Optional[str], typer.Option(help="With PATH: facts cache folder.")] = None,
    paths_as: Annotated[Optional[str], typer.Option(help="Where neo4j-admin will see DIR, e.g. /import inside the container (default: DIR's absolute path).")] = None,
    database: Annotated[str, typer.Option(help="Database name in the import command.")] = "neo4j",
    overwrite_database: Annotated[bool, typer.Option("--overwrite-database", help="Write the command with --overwrite-destination: it DELETES the database first, every repository in it, not only the ones exported.")] = False,
) -> None:
    """Write the code graph as the CSV files that `neo4j-admin database import full` loads, and print the command.

    The command creates the database and fails when it exists; with --overwrite-database it replaces
    it, and everything in it is lost.

    \b
    Examples:
      analyzer export neo4j-import .                      # scan . into CSVs
      analyzer export neo4j-import --store bolt://host:7687 --overwrite-database
    """
    from analyzer.config import ConfigError
    from analyzer.export import CapturingStore, export_neo4j_admin, overwrite_note, read_graph
    from analyzer.scan import ScanOptions, scan
    from analyzer.store import StoreError, open_store

    if export_format not in FORMATS:
        fail(f"unknown --format {export_format!r} (known: {', '.join(FORMATS)})")
    try:
        if path is not None:
            capture = CapturingStore()
            split_roots = [r.strip() for r in roots.split(",") if r.strip()] if roots else None
            scan(ScanOptions(repo=path, roots=split_roots, cache_dir=cache_dir, repository=repo_name), store=capture)
            graphs = capture.graphs
        else:
            opened = open_store(store, read_only=True)
            try:
                names = [repo_name] if repo_name else [info.repository for info in opened.list_snapshots()]
                if not names:
                    fail("the store holds no scan yet: run `analyzer scan PATH` first, or pass PATH")
                graphs = [read_graph(opened, name) for name in names]
            finally:
                opened.close()
        result = export_neo4j_admin(graphs, folder, paths_as, database, overwrite_database)
    except (StoreError, ConfigError, OSError) as error:
        fail(str(error))
    from rich.markup import escape

    total_nodes = sum(result.counts.get(name, 0) for name in _node_names())
    err_console.print(f"wrote {len(result.node_files) + len(result.rel_files)} CSV pairs to {folder} "
                      f"({total_nodes} nodes, {sum(result.counts.values()) - total_nodes} relationships from "
                      f"{len(graphs)} repositor{'y' if len(graphs) == 1 else 'ies'}); stop the database, then run:",
                      highlight=False, soft_wrap=True)
    err_console.print(("[bold red]" if overwrite_database else "") + escape(overwrite_note(database, overwrite_database)),
                      highlight=False, soft_wrap=True)
    print(result.command)


def _node_names() -> list[str]:
    from analyzer.schema import NODE_TABLES

    return [t.name for t in NODE_TABLES]


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)
