"""Helpers shared by the command modules: consoles, exit codes, clean errors."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, NoReturn

import typer

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


class DeferredConsole:
    """A rich Console made on first use: importing rich.console is a third of the start-up, and
    `analyzer --version` (or a command that prints nothing) never needs it."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def reset(self) -> None:
        """A new command starts: its console reads the environment (COLUMNS, NO_COLOR) as it is now, as a
        console made at start-up would; in-process runs (tests) must not inherit an earlier run's."""
        self._console = None


console = DeferredConsole()
err_console = DeferredConsole(stderr=True)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """One clear line on stderr and a non-zero exit, never a traceback."""
    from rich.markup import escape

    message = escape(" ".join(message.split()))  # one line, even from errors (driver, git) that span several
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)  # `[tool.analyzer]` kept
    raise typer.Exit(code)


# A scan that parses at least this many files is (re)building the facts cache: say so, since it takes a while.
CACHE_NOTICE_FILES = 20


def announce_cache_building(done: int, total: int) -> None:
    """A scan progress callback that says, once, when a run parses most of a repository (a first run)."""
    if done == 0 and total >= CACHE_NOTICE_FILES:
        err_console.print(f"building the facts cache: parsing {total} files (later runs parse only changed files)",
                          highlight=False, markup=False, soft_wrap=True)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
