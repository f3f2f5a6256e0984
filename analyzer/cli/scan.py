"""`analyzer scan PATH`: build or refresh the code graph of a repository."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, err_console, fail


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def scan_command(
    path: Annotated[Path, typer.Argument(help="Repository (or any folder) to scan.", exists=True, file_okay=False, metavar="PATH")],
    store: Annotated[Optional[str], typer.Option(help="Embedded store folder, or bolt://host:7687 / neo4j://... for Neo4j; `neo4j` uses env NEO4J_URI. Default: env ANALYZER_STORE or .analyzer/store.")] = None,
    roots: Annotated[Optional[list[str]], typer.Option(help="Machine roots, comma-separated top-level folders (e.g. main_pc_code,pc2_code). Default: [tool.analyzer] roots, else every top-level folder.")] = None,
    jobs: Annotated[int, typer.Option(help="Parser processes; 0 uses every core.")] = 0,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Parse every file even if its facts are cached.")] = False,
    cache_dir: Annotated[Optional[str], typer.Option(help="Facts cache folder. Default: env ANALYZER_CACHE_DIR, else $XDG_CACHE_HOME/agent-graph-analyzer, else ~/.cache/agent-graph-analyzer (outside the scanned tree).")] = None,
    exclude: Annotated[Optional[list[str]], typer.Option(help="Glob of repo-relative paths to skip; repeatable. .gitignore'd files, .git, .venv and node_modules are always skipped.")] = None,
    repo_name: Annotated[Optional[str], typer.Option("--repo", help="Name of the repository in the store. Default: the folder's name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    shard: Annotated[Optional[str], typer.Option(metavar="I/N", help="Parse only shard I of N (a stable 1/N of the files, by path) into the facts cache and record a manifest; writes no graph. Run every I, then --finalize. See docs/neo4j.md.")] = None,
    finalize: Annotated[bool, typer.Option("--finalize", help="After all --shard I/N runs (same --store and --cache-dir): check they are complete and write the whole-repository snapshot.")] = False,
) -> None:
    """Parse every Python file once (in parallel, cached by content) and write the code graph.

    The previous snapshot of the same repository stays current until the new one
    is complete; a scan that fails or is killed leaves it intact.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from analyzer.config import ConfigError
    from analyzer.scan import ScanOptions, scan
    from analyzer.store import StoreError

    options = ScanOptions(
        repo=path, store=store, roots=_split(roots), exclude=_split(exclude), jobs=jobs,
        use_cache=not no_cache, cache_dir=cache_dir, repository=repo_name,
    )
    progress = Progress(
        TextColumn("[bold]parsing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err_console.real, transient=True, disable=as_json or not err_console.is_terminal,
    )
    task = progress.add_task("parse", total=None)
    from analyzer import shard as sharding

    runner = sharding.finalize if finalize else scan
    try:
        if shard is not None and finalize:
            raise sharding.ShardError("--shard and --finalize are separate steps: run the shards, then --finalize")
        with progress:
            if shard is not None:
                part = sharding.scan_shard(options, sharding.parse_shard(shard),
                                           lambda done, total: progress.update(task, completed=done, total=total))
            else:
                report = runner(options, lambda done, total: progress.update(task, completed=done, total=total))
    except (StoreError, ConfigError, sharding.ShardError) as error:
        fail(str(error))
    if shard is not None:
        print(json.dumps(part.as_dict(), indent=2, sort_keys=True) if as_json else
              f"shard {part.shard}/{part.of} of {part.repository}: {part.files} of {part.total_files} files "
              f"({part.parsed} parsed, {part.cache_hits} cached) in {part.seconds:.2f} s; manifest {part.manifest}")
        return
    if as_json:
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
        return
    _print_summary(report)


def _print_summary(report) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{report.repository} — snapshot {report.snapshot}" + (" (unchanged)" if report.unchanged else ""),
                  show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("count", justify="right")
    rows = [
        ("files", report.files), ("lines", report.lines), ("parse failures", len(report.parse_failures)),
        ("machines", ", ".join(f"{m}: {n}" for m, n in report.machines.items())),
        ("copies (by path or name / by content)", f"{report.copies - report.content_copies} / {report.content_copies}"),
        ("imports (module pairs)", report.imports_resolved), ("external imports", report.imports_external),
        ("import cycles", report.import_cycles), ("classes / functions", f"{report.classes} / {report.functions}"),
        ("sockets", report.sockets), ("endpoints", report.endpoints),
        ("  by port source", ", ".join(f"{k}: {v}" for k, v in report.endpoints_by_source.items()) or "-"),
        ("  ports from code / from configs / unknown",
         f"{report.ports_from_code} / {report.ports_from_config} / {report.ports_unknown}"),
        ("  tcp binds and connects with a port", f"{report.tcp_endpoints_with_port} of {report.tcp_endpoints}"),
        ("config files / configured agents", f"{report.config_files} / {report.configured_agents}"),
        ("  malformed configs", ", ".join(report.config_errors) or "0"),
        ("excepts bare / broad / specific", " / ".join(str(v) for v in report.excepts_by_kind.values())),
        ("  swallowing", report.swallowed_excepts), ("TODOs", report.todos), ("CUDA calls", report.cuda_calls),
        ("shell commands / hard-coded secrets", f"{report.shell_commands} / {report.hardcoded_secrets}"), ("parsed / cache hits", f"{report.parsed} / {report.cache_hits}"),
        ("time", f"{report.seconds:.2f} s"),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)
    if report.parse_failures:
        failures = Table(title="files that did not parse", title_justify="left", expand=True)
        failures.add_column("path", overflow="fold", ratio=3)  # the path matters most: wrap it, never cut it
        failures.add_column("error", no_wrap=True)
        failures.add_column("line", no_wrap=True, justify="right")
        failures.add_column("message", overflow="fold", ratio=2)
        for failure in report.parse_failures:
            failures.add_row(escape(failure.path), failure.kind, str(failure.line), escape(failure.message[:80]))
        console.print(failures)
    if report.copy_globs_to_add:
        globs = ", ".join(f'"{glob}"' for glob in report.copy_globs_to_add)
        console.print(f"{report.content_copies} module(s) are copies by content but match no copy pattern; to mark "
                      f"them by path, add to [tool.analyzer]: extend-copies = [{globs}]", markup=False, highlight=False)
    if report.outside_links:
        console.print(f"[bold]symbolic links out of the repository, not read ({len(report.outside_links)}):[/] "
                      f"{escape(', '.join(report.outside_links))}", highlight=False)
    for line in report.settings_warnings:
        err_console.print(f"[yellow]warning:[/] {escape(line)}", highlight=False)
    for line in report.store_repairs:
        err_console.print(f"[yellow]store repaired:[/] {escape(line)}", highlight=False)
    repo = f" --repo {shlex.quote(report.repository)}"
    console.print(f"next: [bold]analyzer report{repo}[/] (findings by severity), [bold]analyzer query --list[/], "
                  f"[bold]analyzer topology{repo} --out topology.html[/]", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("scan")(scan_command)
