"""`analyzer baseline [PATH]`: record today's findings so `analyzer check` fails only on new ones."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import announce_cache_building, console, fail


def baseline_command(
    path: Annotated[Path, typer.Argument(help="Repository folder.", exists=True, file_okay=False, metavar="PATH")] = Path("."),
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Baseline file. Default: [tool.analyzer] baseline, else PATH/.analyzer-baseline.json.")] = None,
    select: Annotated[Optional[list[str]], typer.Option(help="Record only these check ids (comma-separated).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(help="Skip these check ids (comma-separated).")] = None,
    param: Annotated[Optional[list[str]], typer.Option(help="A check's parameter, CHECK.PARAM=VALUE; repeatable.")] = None,
    store: Annotated[Optional[str], typer.Option(help="Store folder or Neo4j URI, as for `analyzer scan`.")] = None,
    cache_dir: Annotated[Optional[str], typer.Option(help="Facts cache folder.")] = None,
    no_scan: Annotated[bool, typer.Option("--no-scan", help="Use the snapshot already in the store.")] = False,
    jobs: Annotated[int, typer.Option(help="Parser processes; 0 uses every core.")] = 0,
) -> None:
    """Write the fingerprint of every current finding (no line numbers: moved code stays baselined).

    `analyzer check PATH` then compares with it by itself. Rewriting the baseline
    drops the findings fixed since. Suppressed and path-ignored findings are not
    recorded. Commit the file.

    \b
    Examples:
      analyzer baseline .                  # writes ./.analyzer-baseline.json
      analyzer baseline . --select bare-except -o bare.json
    """
    from analyzer.check.baseline import DEFAULT_BASELINE, write_baseline
    from analyzer.check.options import CheckOptions
    from analyzer.check.run import all_findings
    from analyzer.cli.check import parse_params, split_ids
    from analyzer.config import ConfigError, read_tool_table
    from analyzer.store import StoreError
    from analyzer.queries import QueryError

    options = CheckOptions(repo=path, store=store, cache_dir=cache_dir, jobs=jobs, run_scan=not no_scan,
                           select=split_ids(select), ignore=split_ids(ignore) or [], params=parse_params(param),
                           progress=announce_cache_building)
    try:
        target = output or path / read_tool_table(path.resolve()).get("baseline", DEFAULT_BASELINE)
        _, found = all_findings(options)
    except (ConfigError, QueryError, StoreError) as error:
        fail(str(error))
    write_baseline(target, [
        {"fingerprint": item.fingerprint, "group": item.group, "check": item.finding.check,
         "path": item.finding.path or "", "message": item.finding.message}
        for item in found
    ])
    console.print(f"{len(found)} finding(s) recorded in {target}; `analyzer check {path}` now reports only new ones",
                  highlight=False, markup=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("baseline")(baseline_command)
