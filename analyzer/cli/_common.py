"""Helpers shared by the command modules: consoles, exit codes, clean errors."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2

console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """One clear line on stderr and a non-zero exit, never a traceback."""
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
