"""The `analyzer` command: a thin adapter over the use cases.

Each subcommand lives in its own module in this package and exposes
`register(app)`; modules are found by name so adding a command is adding a file.
Command modules import heavy dependencies inside their functions, so that
`analyzer --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

app = typer.Typer(
    name="analyzer",
    help="Scan multi-agent ZeroMQ Python systems into a code graph, query it, fix what it finds.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
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


def _register_commands() -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        module.register(app)


_register_commands()


def main() -> None:
    app()
