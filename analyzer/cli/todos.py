"""`analyzer todos`: TODO / FIXME / XXX / HACK comments with blame, as rows or GitHub issues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from analyzer.cli._common import console, err_console, fail

FORMATS = ("table", "json", "csv", "github")
COLUMNS = ("path", "line", "machine", "tag", "text", "ticket", "author", "date", "fingerprint", "copy")


def todos_command(
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json, csv, or github (issue payloads of the TODOs to export).")] = "table",
    export: Annotated[Optional[str], typer.Option("--export", metavar="github", help="Write GitHub issue payloads (title, body with a permalink, labels) for TODOs without a ticket ref that were not exported before.")] = None,
    create: Annotated[bool, typer.Option("--create", help="Open those issues with `gh issue create` and record each in the state file.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", "-o", help="Write to FILE instead of printing.")] = None,
    state: Annotated[Path, typer.Option(help="Export state: fingerprint -> issue URL, so a TODO is exported once.")] = Path(".analyzer/todos-exported.json"),
    gh_repo: Annotated[Optional[str], typer.Option("--gh-repo", metavar="OWNER/NAME", help="Repository for `gh issue create` (default: gh's own choice).")] = None,
    store: Annotated[Optional[str], typer.Option(help="Embedded store folder, or bolt://... / neo4j://...; default: env ANALYZER_STORE or .analyzer/store.")] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", help="Repository in the store (when it holds several).")] = None,
    root: Annotated[Optional[Path], typer.Option(help="Checkout for git blame; default: the folder that was scanned.")] = None,
    include_copies: Annotated[bool, typer.Option("--include-copies", help="Include TODOs in archived and backup copies; a copy's TODO is still exported only when no live module has it, and once.")] = False,
) -> None:
    """List the TODOs of the live code with file, line, text, ticket ref and git blame (author, date).

    `--export github` (or `--format github`) gives issue payloads for the TODOs that carry
    no ticket ref and are not in the state file; `--create` opens them with the GitHub
    CLI. A TODO is known by its fingerprint (path, tag, text), not its line. Copies are
    left out unless --include-copies, and a TODO repeated in copies is never exported twice.

    Examples:

        analyzer todos --format csv > todos.csv

        analyzer todos --export github --out issues.json
    """
    from analyzer.cli.query import print_rows
    from analyzer import git
    from analyzer.report import todos as todo_export
    from analyzer.report.reads import reading_store, repository_info
    from analyzer.store import StoreError

    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
    if export not in (None, "github"):
        fail(f"unknown --export {export!r} (known: github)")
    try:
        with reading_store(store) as graph:
            found = todo_export.todos(graph, repository, root, include_copies)
            scanned = Path(repository_info(graph, repository).get("root") or ".")
    except StoreError as error:
        fail(str(error))
    if export or create or output_format == "github":
        payloads = todo_export.github_payloads(todo_export.pending(found, todo_export.load_state(state)), root or scanned)
        if create:
            try:
                urls = todo_export.create_issues(payloads, state, gh_repo=gh_repo)
            except todo_export.TodoExportError as error:
                fail(str(error))
            console.print(f"created {len(urls)} issue(s); state in {state}", highlight=False)
            return
        _emit(json.dumps(payloads, indent=2, ensure_ascii=False), out)
        return
    rows = todo_export.as_rows(found)
    no_history = git.why_no_history(root or scanned)
    if no_history and found:  # say why author and date are blank, beside the rows rather than in them
        err_console.print(f"author and date are blank: {no_history}.", highlight=False, markup=False, soft_wrap=True)
    if output_format == "json":
        _emit(json.dumps(rows, indent=2, ensure_ascii=False), out)
        return
    if out is not None and output_format == "csv":
        from analyzer.cli.query import render_csv

        _emit(render_csv(list(COLUMNS), [[row[c] for c in COLUMNS] for row in rows]), out)
        return
    print_rows(list(COLUMNS), [[row[c] for c in COLUMNS] for row in rows], output_format,
               f"TODOs ({sum(1 for t in found if not t.ticket)} without a ticket)")


def _emit(text: str, out: Path | None) -> None:
    if out is None:
        print(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    console.print(f"wrote {out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("todos")(todos_command)
