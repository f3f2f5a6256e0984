"""The `analyzer` command: a thin adapter over the use cases.

Each subcommand lives in its own module in this package and exposes
`register(app)`; modules are found by name so adding a command is adding a file.
Command modules import heavy dependencies inside their functions, so that
`analyzer --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import tempfile
import traceback
from pathlib import Path

import typer

app = typer.Typer(
    name="analyzer",
    help="Scan multi-agent ZeroMQ Python systems into a code graph, query it, fix what it finds.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # click's plain help: rich's (typer.rich_utils) imports markdown-it, 250 ms of --help
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from analyzer import __version__

        typer.echo(f"analyzer {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version and exit."),
) -> None:
    """Scan multi-agent ZeroMQ Python systems into a code graph, query it, fix what it finds.

    Start with `analyzer scan PATH`; the graph goes to an embedded store in
    .analyzer/store unless --store names another folder or a Neo4j server.
    """
    from analyzer.cli._common import console, err_console

    console.reset()
    err_console.reset()


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    """The `analyzer` executable: exit 0 clean, 1 findings, 2 any error. An exception nothing else handled
    is a bug: one line on stderr and the full traceback in a log file, still exit 2 (never Python's 1,
    which CI would read as "new findings")."""
    from analyzer.cli._common import EXIT_ERROR, err_console

    try:
        app()
    except Exception as error:  # analyzer: ignore[broad-except] - the last resort of the CLI: logged, then exit 2
        log = write_crash_log(error)
        err_console.print(f"error: internal error, {type(error).__name__}: {' '.join(str(error).split())} "
                          f"(full log: {log})", markup=False, highlight=False, soft_wrap=True)
        sys.exit(EXIT_ERROR)


def write_crash_log(error: BaseException) -> Path:
    """The command line, versions and traceback in a new file under the system temp folder."""
    from analyzer import __version__

    descriptor, name = tempfile.mkstemp(prefix="analyzer-crash-", suffix=".log")
    with open(descriptor, "w", encoding="utf-8") as log:
        log.write(f"analyzer {__version__}, Python {sys.version.split()[0]}\n")
        log.write(f"command: {' '.join(sys.argv)}\n\n")
        log.write("".join(traceback.format_exception(error)))
    return Path(name)
