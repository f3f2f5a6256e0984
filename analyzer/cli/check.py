"""`analyzer check [PATH]`: the detection queries as a CI gate (new findings only, with a baseline or --base)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from analyzer.cli._common import announce_cache_building, err_console, fail

if TYPE_CHECKING:
    from analyzer.check.options import CheckOptions
    from analyzer.check.saved import CheckReport

FORMATS = ("text", "json", "sarif", "github", "junit")


def split_ids(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def parse_params(values: list[str] | None) -> dict[str, dict[str, str]]:
    """`check.param=value` pairs, e.g. god-objects.min_methods=40."""
    params: dict[str, dict[str, str]] = {}
    for value in values or []:
        key, sep, raw = value.partition("=")
        check, dot, name = key.partition(".")
        if not sep or not dot or not check or not name:
            fail(f"--param {value!r}: write CHECK.PARAM=VALUE, e.g. god-objects.min_methods=40")
        params.setdefault(check.strip(), {})[name.strip()] = raw.strip()
    return params


def repo_and_files(paths: list[Path], changed_only: bool) -> tuple[Path, list[str] | None]:
    """Without --changed-only: one repository folder. With it: the files to scope to, inside the
    git work tree of the current folder (as pre-commit passes them)."""
    if not changed_only:
        if len(paths) > 1:
            fail("give one repository folder (or --changed-only FILES...)")
        repo = paths[0] if paths else Path(".")
        if not repo.is_dir():
            fail(f"{repo} is not a folder")
        return repo, None
    from analyzer import git

    toplevel = git.toplevel(Path.cwd())
    if toplevel is None:
        fail("--changed-only runs inside a git work tree")
    files = []
    for path in paths:
        try:
            files.append(path.resolve().relative_to(toplevel.resolve()).as_posix())
        except ValueError:
            fail(f"{path} is outside the repository {toplevel}")
    return toplevel, files


def scope_findings(result, row_filter, store_location: str | None):
    """(the findings --path and --machine keep, which decide the exit code; those --limit then shows)."""
    from dataclasses import replace

    from analyzer.findings import RowFilter, machines_by_path, row_place
    from analyzer.store import open_store

    if not row_filter.active:
        return result, result
    machines: dict[str, str] = {}
    if row_filter.machine is not None:
        store = open_store(store_location, read_only=True)
        try:
            machines = machines_by_path(store, result.repository)
        finally:
            store.close()

    def place(item):
        return item.path, row_place(item.finding.row, None, machines)[1]

    in_scope = replace(result, findings=RowFilter(row_filter.path, row_filter.machine).select(result.findings, place))
    return in_scope, replace(in_scope, findings=in_scope.findings[: row_filter.limit])


def check_command(
    paths: Annotated[Optional[list[Path]], typer.Argument(help="Repository folder (default: current). With --changed-only: the changed files.", metavar="[PATH|FILES...]")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text, json, sarif, github (workflow annotations) or junit.")] = "text",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to a file instead of stdout.")] = None,
    fail_on: Annotated[Optional[str], typer.Option(help="Lowest severity that fails the check (info, low, medium, high, critical). Default: [tool.analyzer] fail_on, else info.")] = None,
    baseline: Annotated[Optional[Path], typer.Option(help="Report only findings this baseline file does not list (see `analyzer baseline`). Default: [tool.analyzer] baseline, else PATH/.analyzer-baseline.json when it exists.")] = None,
    no_baseline: Annotated[bool, typer.Option("--no-baseline", help="Compare with no baseline: report every finding (or, with --base, every new one).")] = False,
    base: Annotated[Optional[str], typer.Option(metavar="REF", help="Report only findings introduced since the merge base of REF and HEAD (scanned in a temporary git worktree).")] = None,
    changed_only: Annotated[bool, typer.Option("--changed-only", help="The arguments are changed files: report only findings in them or whose members include them (pre-commit).")] = False,
    select: Annotated[Optional[list[str]], typer.Option(help="Run only these check ids (comma-separated, repeatable).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option(help="Skip these check ids (comma-separated, repeatable).")] = None,
    param: Annotated[Optional[list[str]], typer.Option(help="A check's parameter, CHECK.PARAM=VALUE; repeatable.")] = None,
    store: Annotated[Optional[str], typer.Option(help="Store folder or Neo4j URI, as for `analyzer scan`.")] = None,
    cache_dir: Annotated[Optional[str], typer.Option(help="Facts cache folder.")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Parse every file even if its facts are cached.")] = False,
    no_scan: Annotated[bool, typer.Option("--no-scan", help="Query the snapshot already in the store instead of scanning first.")] = False,
    jobs: Annotated[int, typer.Option(help="Parser processes; 0 uses every core.")] = 0,
    repo_name: Annotated[Optional[str], typer.Option("--repo", help="Name of the repository in the store.")] = None,
    path: Annotated[Optional[str], typer.Option("--path", metavar="GLOB", help="Report only findings in files matching GLOB (repository-relative, `*` crosses folders; a folder without wildcards means everything under it), e.g. 'main_pc_code/agents/*'.")] = None,
    machine: Annotated[Optional[str], typer.Option("--machine", metavar="NAME", help="Report only findings on this machine root, e.g. pc2_code.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, metavar="N", help="Show at most N findings (the first in report order); the exit code still counts every finding in scope.")] = None,
) -> None:
    """Run the checks (the library's detection queries); fail on new findings.

    New: not in the baseline (PATH/.analyzer-baseline.json when it exists;
    the summary names the one used) and, with --base, not at the merge base.
    Exit codes: 0 nothing new, 1 new findings at or above --fail-on, 2 error.
    Scope the report with --path, --machine and --limit (the exit code then
    counts the new findings in that path and machine). Suppress one finding
    with `# analyzer: ignore[check-id]` on its line; configure checks in
    `[tool.analyzer]` of pyproject.toml (docs/ci.md).

    \b
    Examples:
      analyzer baseline . && analyzer check .     # nothing new: exit 0
      analyzer check . --base origin/main --format github
      analyzer check . --no-baseline --format json
      analyzer check . --machine pc2_code --path 'pc2_code/agents/*' --limit 20
    """

    from analyzer.check.baseline import BaselineError
    from analyzer.check.options import CheckOptions
    from analyzer.check.saved import SavedChecks
    from analyzer.config import ConfigError
    from analyzer.git import GitError
    from analyzer.store import StoreError

    if output_format not in FORMATS:
        fail(f"--format {output_format!r} is not one of {', '.join(FORMATS)}")
    repo, files = repo_and_files(paths or [], changed_only)
    options = CheckOptions(
        repo=repo, store=store, cache_dir=cache_dir, use_cache=not no_cache, jobs=jobs, run_scan=not no_scan,
        repository=repo_name, select=split_ids(select), ignore=split_ids(ignore) or [], params=parse_params(param),
        fail_on=fail_on, baseline=baseline, no_baseline=no_baseline, base=base, files=files,
        progress=announce_cache_building,
    )
    request = {"format": output_format, "to_file": output is not None, "path": path, "machine": machine, "limit": limit}
    try:
        saved = SavedChecks.for_check(options, request)
        report = saved.load() if saved is not None else None
        if report is None:
            report, sources_read = _run(options, output_format, output is not None, path, machine, limit)
            if saved is not None:
                saved.save(report, sources_read)
    except (ConfigError, BaselineError, GitError, StoreError) as error:
        fail(str(error))
    _emit(report, output)


def _run(options: CheckOptions, output_format: str, to_file: bool, path: str | None, machine: str | None,
         limit: int | None) -> tuple[CheckReport, dict[str, str]]:
    """(the report of a check that runs, the files its findings were placed with)."""
    from analyzer.check.formats import compared_with, render_github, render_json, render_junit, render_text
    from analyzer.check.run import run_check
    from analyzer.check.saved import CheckReport
    from analyzer.findings import RowFilter
    from analyzer.queries import QueryError

    try:
        result = run_check(options)
        in_scope, shown = scope_findings(result, RowFilter(path, machine, limit), options.store)
    except QueryError as error:
        fail(str(error))
    renderers = {
        "text": render_text, "json": render_json, "github": render_github, "junit": render_junit,
        "sarif": lambda r: _sarif(r, options.repo),
    }
    text = renderers[output_format](shown)
    summary = ""
    if output_format != "text":  # the report is for a machine; the baseline used is for the person
        summary = render_text(shown) if to_file else \
            f"{len(in_scope.findings)} new finding(s); {compared_with(result)}\n"
    return CheckReport(text, summary, in_scope.exit_code), result.sources_read


def _emit(report: CheckReport, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(report.text)
    else:
        output.write_text(report.text, encoding="utf-8")
    if report.summary:
        err_console.print(report.summary, end="", highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(report.exit_code)


def _sarif(result, repo: Path) -> str:
    from analyzer.check.sarif import render_sarif  # the codemods (libcst) its fixes come from: only for SARIF

    return render_sarif(result, repo)


def register(app: typer.Typer) -> None:
    app.command("check")(check_command)


