"""`analyzer fix`: run codemods over a tree, as a dry run, in place, or as a pull request.

Exit codes: a dry run exits 0 when there is nothing to change and 1 when there is;
with --apply (or --branch, --commit, --pr) 0 when every site was fixed, 1 when some
were left as they are (the notes say which and why); 2 on an error (a file that
could not be rewritten included). So `analyzer fix NAME --apply && git commit` works.
The diff goes to stdout, the summary and progress to stderr, so
`analyzer fix bare-except . > fix.patch` yields a clean patch.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from analyzer.cli._common import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, err_console, fail

if TYPE_CHECKING:
    from rich.progress import TaskID  # rich.progress loads only when a bar is drawn

MAX_LISTED = 200


def _say(text: str) -> None:
    """One summary line on stderr, never wrapped (paths stay greppable)."""
    err_console.print(text, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.command("fix")(fix)


def fix(
    name: str | None = typer.Argument(None, help="Codemod name, several joined by commas, or 'all'."),
    path: Path = typer.Argument(Path("."), help="File or folder to fix."),
    list_codemods: bool = typer.Option(False, "--list", help="List the codemods and exit."),
    diff: bool = typer.Option(False, "--diff", help="Print the unified diff (always printed in a dry run)."),
    apply: bool = typer.Option(False, "--apply", help="Write the changes (atomically, each file verified)."),
    branch: str | None = typer.Option(
        None, "--branch", metavar="NAME", help="Create this branch first (implies --apply)."
    ),
    commit: bool = typer.Option(False, "--commit", help="One commit per codemod (implies --apply)."),
    pr: bool = typer.Option(False, "--pr", help="Push and open a pull request (implies --commit)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes (default: all cores)."),
    unsafe: bool = typer.Option(
        False, "--unsafe", help="Allow unsafe fixes to be written; narrow-excepts also narrows partly proven handlers."
    ),
    allow_dirty: bool = typer.Option(False, "--allow-dirty", help="Write even with uncommitted changes under PATH."),
    exclude: list[str] = typer.Option(
        [], "--exclude", metavar="GLOB", help="Leave out files matching this glob (repeatable, comma-separated), "
        "besides [tool.analyzer] exclude; e.g. --exclude 'tests/*'."
    ),
    include_copies: bool = typer.Option(
        False, "--include-copies", help="Fix archived, backup and reference copies too (skipped by default; "
        "port-literals then names their ports after the live agent)."
    ),
    log_swallowed: bool = typer.Option(
        False, "--log-swallowed", help="bare-except, narrow-excepts: log swallowed exceptions with their traceback."
    ),
    include_tests: bool = typer.Option(False, "--include-tests", help="port-literals: rewrite tests too."),
    option: list[str] = typer.Option([], "--option", "-o", metavar="KEY=VALUE", help="A codemod option."),
    limit: int = typer.Option(
        0, "--limit", metavar="N", min=0,
        help="Change at most N files per codemod (the first N by path; 0: all), e.g. "
             "`analyzer fix narrow-excepts . --limit 30 --pr` for a batch a day.",
    ),
    cache_dir: str | None = typer.Option(
        None, "--cache-dir", help="Facts cache folder (as for `analyzer scan`): files whose cached facts show "
        "nothing to fix are not parsed."
    ),
    no_cache: bool = typer.Option(False, "--no-cache", help="Parse every file, even where cached facts show nothing to fix."),
) -> None:
    """Fix what the analyzer finds with codemods (a dry run unless --apply).

    After `analyzer scan`, the facts it cached pick the files worth parsing
    (e.g. only those with a bare `except:`); without a cache every file is parsed.

    \b
    Examples:
      analyzer fix --list
      analyzer fix bare-except .                # the diff, nothing written
      analyzer fix bare-except,asyncio-run . --apply
      analyzer fix port-literals . --unsafe --pr
    """
    from analyzer.config import ConfigError
    from analyzer.git import GitError
    from agent_graph_codemods import CodemodError

    if list_codemods:
        _print_list()
        raise typer.Exit(EXIT_OK)
    if not name:
        fail("name a codemod, or see `analyzer fix --list`")
    flags = [key for key, on in (("log_swallowed", log_swallowed), ("include_tests", include_tests)) if on]
    settings = _Settings(name, path, diff, apply, branch, commit, pr, jobs, unsafe, allow_dirty, flags, option, limit)
    settings.exclude = [part.strip() for value in exclude for part in value.split(",") if part.strip()]
    settings.include_copies = include_copies
    settings.cache_dir = None if no_cache else cache_dir or ""
    try:
        code = _run(settings)
    except (CodemodError, GitError, ConfigError) as error:
        fail(str(error))
    raise typer.Exit(code)


class _Settings:
    def __init__(self, name, path, diff, apply, branch, commit, pr, jobs, unsafe, allow_dirty, flags, option,
                 limit=0):
        self.name, self.path, self.diff, self.branch = name, path, diff, branch
        self.exclude: list[str] = []
        self.include_copies = False
        self.cache_dir: str | None = ""  # "": the default facts cache; None: parse every file (--no-cache)
        self.pr = pr
        self.commit = commit or pr
        self.write = apply or self.commit or branch is not None
        self.jobs = jobs if jobs > 0 else (os.cpu_count() or 1)
        self.unsafe, self.allow_dirty, self.flags = unsafe, allow_dirty, flags  # flags: boolean codemod options
        self.option = option
        self.limit = limit


def _print_list() -> None:
    from rich.table import Table

    from analyzer.cli._common import console
    from agent_graph_codemods import all_codemods

    table = Table(title="Codemods (`analyzer fix NAME [PATH]`)")
    for column in ("name", "code", "safety", "what it fixes", "options"):
        table.add_column(column)
    for codemod in all_codemods().values():
        options = ", ".join(f"{key}={str(opt.default).lower()}" for key, opt in codemod.OPTIONS.items())
        table.add_row(codemod.name, codemod.code, codemod.safety, codemod.summary, options or "-")
    console.print(table)


def _codemods(settings: _Settings) -> list:
    from agent_graph_codemods import UNSAFE, CodemodError, select

    classes = select(settings.name, include_unsafe=settings.unsafe)
    options: dict[str, str | bool] = {}
    for text in settings.option:
        key, sep, value = text.partition("=")
        if not sep:
            raise CodemodError(f"--option takes KEY=VALUE, not {text!r}")
        options[key.strip().replace("-", "_")] = value.strip()
    options.update({key: True for key in settings.flags})
    for key in options:
        if not any(key in c.OPTIONS for c in classes):
            names = ", ".join(c.name for c in classes)
            raise CodemodError(f"no selected codemod ({names}) has the option {key!r}")
    if settings.include_copies:  # a scope option for every codemod, and an option of those that name ports
        options.setdefault("include_copies", True)
    if settings.unsafe:
        options.setdefault("unsafe", True)  # narrow-excepts: also narrow what is only partly proven
    codemods = [c({k: v for k, v in options.items() if k in c.OPTIONS}) for c in classes]
    unsafe = [c.name for c in codemods if c.safety == UNSAFE]
    if unsafe and settings.write and not settings.unsafe:
        raise CodemodError(f"{', '.join(unsafe)} is an unsafe fix (it changes run-time behaviour); "
                           "pass --unsafe to write it, or drop --apply to see the diff")
    return codemods


def _run(settings: _Settings) -> int:
    from analyzer import git
    from agent_graph_codemods.apply import commit_message, run_codemod
    from agent_graph_codemods.tree import discover, load_scope

    overlay: dict[str, bytes]  # path -> what the codemods so far made of it (a dry run)
    if not settings.path.exists():
        fail(f"{settings.path} does not exist")
    codemods = _codemods(settings)
    scope = load_scope(settings.path, settings.exclude, settings.include_copies)
    tree = discover(settings.path, scope)
    _print_skipped(tree)
    base_branch, base_commit = _check_git(settings, tree, codemods)
    facts = _cached_facts(settings, tree, codemods, scope.max_file_bytes)
    reports, overlay, commits = [], {}, 0
    for codemod in codemods:
        with _progress() as progress:
            report = run_codemod(codemod, tree, write=settings.write, jobs=settings.jobs, overlay=overlay,
                                 progress=progress, limit=settings.limit, facts=facts,
                                 seconds=scope.max_file_seconds)
        reports.append(report)
        if not settings.write:
            overlay.update({o.path: o.new for o in report.changed})  # the next codemod sees this one's result
        if settings.diff or not settings.write:
            typer.echo(report.diff(), nl=False)
        _print_summary(report, settings)
        if settings.branch and report.changed and git.current_branch(tree.root) != settings.branch:
            # Created only once something changed (`checkout -b` carries the written files along), so a
            # run with nothing to fix leaves no empty branch behind.
            git.create_branch(tree.root, settings.branch)
            _say(f"on new branch {settings.branch}")
        if settings.commit and report.changed:
            # Committed before the next codemod runs: one commit per codemod, even on shared files.
            sha = git.commit(tree.root, report.changed_paths, commit_message(report))
            commits += 1
            _say(f"committed {sha[:12]}: {report.codemod.name}")
    if settings.branch and not any(r.changed for r in reports):
        _say(f"nothing to fix: no branch {settings.branch} created" + (", no pull request" if settings.pr else ""))
    elif settings.pr:
        _pull_request(tree.root, settings.branch, base_branch, base_commit, reports, commits)
    return _exit_code(reports, settings.write)


def _cached_facts(settings: _Settings, tree, codemods, max_file_bytes: int) -> dict:
    """The facts a scan cached for the tree's files as they are now, as far as the codemods read them; none
    (every file parsed) with --no-cache or codemods that read none."""
    from analyzer.cache import default_cache_dir
    from agent_graph_codemods.tree import cached_facts

    fields = sorted({name for codemod in codemods for name in codemod.FACT_FIELDS})
    if settings.cache_dir is None or not fields:
        return {}
    facts = cached_facts(tree, settings.cache_dir or default_cache_dir(), fields, max_file_bytes)
    if tree.files and not facts:
        _say("no cached facts for these files (`analyzer scan` caches them): parsing every file")
    return facts


def _check_git(settings: _Settings, tree, codemods) -> tuple[str, str]:
    """Refuse what git cannot do before anything is written; (base branch, base commit) for --pr."""
    from analyzer import git

    if (settings.commit or settings.branch) and not tree.in_git:
        fail(f"--branch, --commit and --pr need {settings.path} to be inside a git repository")
    if settings.write and tree.in_git and not settings.allow_dirty:
        dirty = git.dirty_paths(tree.root, tree.target)
        if dirty:
            fail(f"{len(dirty)} uncommitted change(s) under {settings.path} (e.g. {dirty[0]}); "
                 "commit or stash them first, or pass --allow-dirty")
    base_branch = base_commit = ""
    if settings.pr:
        base_branch, base_commit = git.current_branch(tree.root), git.head(tree.root)
        settings.branch = settings.branch or f"analyzer-fix/{'-'.join(c.name for c in codemods)}"
    if settings.branch and git.branch_exists(tree.root, settings.branch):
        fail(f"branch {settings.branch!r} already exists")
    return base_branch, base_commit


def _exit_code(reports, written: bool) -> int:
    """Dry run: 1 when something would change. Written: 1 when sites were left as they are, else 0."""
    if any(r.failed for r in reports):
        return EXIT_ERROR
    if not written:
        return EXIT_FINDINGS if any(r.changed for r in reports) else EXIT_OK
    return EXIT_FINDINGS if any(r.left for r in reports) else EXIT_OK


def _print_skipped(tree) -> None:
    """How many files the run leaves out and why, before any codemod runs."""
    from rich.markup import escape

    reasons = {**tree.skipped, **({"ignored by .gitignore": tree.ignored} if tree.ignored else {})}
    if not reasons:
        return
    parts = [f"{count} {why}" + (f", e.g. {tree.examples[why]}" if why in tree.examples else "")
             for why, count in sorted(reasons.items(), key=lambda item: -item[1])]
    _say(escape(f"skipped {sum(reasons.values())} file(s): {'; '.join(parts)}"))


class _RichProgress:
    """A progress bar on stderr, silent when stderr is not a terminal."""

    task: TaskID | None

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            console=err_console.real, transient=True, disable=not err_console.is_terminal)
        self.task = None

    def start(self, description: str, total: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(description, total=total)

    def advance(self, count: int) -> None:
        if self.task is not None:
            self.bar.advance(self.task, count)

    def __enter__(self) -> _RichProgress:
        self.bar.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.bar.stop()


def _progress() -> _RichProgress:
    return _RichProgress()


def _print_summary(report, settings: _Settings) -> None:
    from rich.markup import escape

    codemod = report.codemod
    verb = "fixed" if settings.write else "to fix"
    files = len(report.changed)
    head = (f"[bold]{codemod.name}[/] ({codemod.code}, {codemod.safety}): {report.sites} site(s) {verb} "
            f"in {files} file(s), {report.scanned} scanned")
    if report.left:
        head += f", {len(report.left)} left as they are (see the notes)"
    if codemod.safety != "safe" and not settings.write:
        head += " [yellow](unsafe: write it with --apply --unsafe)[/]"
    _say(head)
    for outcome in report.changed[:MAX_LISTED]:
        _say(f"  {escape(outcome.path)}: {len(outcome.edits)} edit(s)")
    if files > MAX_LISTED:
        _say(f"  ... and {files - MAX_LISTED} more files")
    if report.unparsable:
        _say(f"skipped {len(report.unparsable)} file(s) that do not parse:")
        for outcome in report.unparsable[:MAX_LISTED]:
            _say(f"  {escape(outcome.path)}: {escape(outcome.reason)}")
    for outcome in report.failed:
        _say(f"[bold red]failed:[/] {escape(outcome.path)}: {escape(outcome.reason)}")
    if report.notes:
        _say(f"notes ({len(report.notes)}):")
        for note in report.notes[:MAX_LISTED]:
            _say(f"  {escape(note)}")


def _pull_request(root: Path, branch: str, base_branch: str, base_commit: str, reports, commits: int) -> None:
    from rich.markup import escape

    from agent_graph_codemods.apply import pull_request_text
    from agent_graph_codemods.pull_request import open_pull_request

    if not commits:
        _say("nothing was committed: no pull request to open")
        return
    title, body = pull_request_text(reports)
    request = open_pull_request(root, branch, base_branch, base_commit, title, body)
    if request.url:
        _say(f"pull request: {request.url}")
        return
    _say(f"patch: {escape(str(request.patch_file))}\npull request body: {escape(str(request.body_file))}")
    _say(escape(request.instructions))
