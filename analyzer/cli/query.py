"""`analyzer query NAME`: run one query of the library (or ad-hoc Cypher) against the code graph.

    analyzer query --list                       ids, kinds, severities, titles
    analyzer query --show NAME [--repo R]       one statement for Neo4j Browser: it finds R's current snapshot itself
    analyzer query NAME [--param k=v ...]       the rows, in the query's own (deterministic) order
    analyzer query NAME --path 'main_pc_code/agents/*' --machine main_pc_code --limit 20
    analyzer query --cypher "MATCH ..." [--param k=v ...]

Rows are printed, never judged: the exit code is 0 when the query ran (with or
without rows) and 2 on any error; `analyzer check` is the gate that fails on findings.
When stdout is not a terminal, the table is never wrapped: one row per line, ids,
paths and numbers whole.
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import re
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

from analyzer.cli._common import console, fail

if TYPE_CHECKING:
    from analyzer.findings import RowFilter
    from analyzer.queries import Query

FORMATS = ("table", "json", "csv", "markdown")
ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)
UNWRAPPED_WIDTH = 100_000  # a table printed into a pipe or file: as wide as its rows, never folded
# `--show`: the query's $snapshot becomes this variable, bound by a lookup of the repository on the server.
SNAPSHOT_VARIABLE = "analyzer_snapshot"
WITH_CLAUSE = re.compile(r"^(\s*WITH\s+(?:DISTINCT\s+)?)(?!\*)", re.IGNORECASE | re.MULTILINE)


# --- parameters -------------------------------------------------------------------------------

def parse_params(pairs: list[str] | None) -> dict[str, str]:
    """`--param k=v` options as a mapping; a pair without `=` is an error."""
    params: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            fail(f"--param {pair!r} must look like NAME=VALUE")
        params[key.strip()] = value
    return params


def adhoc_value(raw: str) -> Any:
    """An ad-hoc query's parameter: a JSON literal (42, 1.5, true, [1, 2], "5556") when it is one, else the text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def cypher_literal(value: Any) -> str:
    """A value as Cypher source, for the parameters `--show` writes in place."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    if value is None:
        return "null"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


# --- rows -------------------------------------------------------------------------------------

def _sort_key(value: Any) -> tuple:
    """Orders any mix of nulls, numbers, strings and lists (Python cannot compare None with 3)."""
    if value is None:
        return (0,)
    if isinstance(value, (bool, int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    if isinstance(value, (list, tuple)):
        return (3, tuple(_sort_key(v) for v in value))
    return (4, repr(value))


def sorted_rows(rows: list[list[Any]]) -> list[list[Any]]:
    return sorted(rows, key=lambda row: tuple(_sort_key(v) for v in row))


def _cell(value: Any) -> str:
    """A value as text for table, CSV and Markdown cells (lists as JSON, so `a, b` stays one value)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def render_json(columns: list[str], rows: list[list[Any]]) -> str:
    return json.dumps([dict(zip(columns, row)) for row in rows], indent=2, ensure_ascii=False)


def render_csv(columns: list[str], rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_cell(v) for v in row] for row in rows)
    return buffer.getvalue().rstrip("\n")


def render_markdown(columns: list[str], rows: list[list[Any]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") for c in cells) + " |"

    return "\n".join([line(columns), line(["---"] * len(columns)), *(line([_cell(v) for v in row]) for row in rows)])


def print_rows(columns: list[str], rows: list[list[Any]], output_format: str, title: str) -> None:
    if output_format == "table":
        from rich.console import Console
        from rich.table import Table

        table = Table(title=f"{title} ({len(rows)} row{'' if len(rows) == 1 else 's'})", title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*(_cell(v) for v in row))
        # Into a pipe or a file, rich would fold cells at 80 columns: ids, paths and numbers split across lines.
        (console if console.is_terminal else Console(width=UNWRAPPED_WIDTH)).print(table)
        return
    renderers = {"json": render_json, "csv": render_csv, "markdown": render_markdown}
    # print, not the rich console: machine-readable text must not be wrapped or styled.
    print(renderers[output_format](columns, rows))


# --- library ------------------------------------------------------------------------------------

def find_query(name: str) -> "Query":
    from analyzer import queries

    by_id = {query.id: query for query in queries.load_all()}
    if name in by_id:
        return by_id[name]
    close = difflib.get_close_matches(name, list(by_id), n=3, cutoff=0.75)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    fail(f"no query {name!r}{hint} (`analyzer query --list` lists them)")


def list_rows() -> tuple[list[str], list[list[Any]]]:
    from analyzer import queries

    rows = [[q.id, q.category, q.kind, q.severity, q.title, ", ".join(f"{k}={v!r}" for k, v in q.params.items())]
            for q in queries.load_all()]
    return ["id", "category", "kind", "severity", "title", "params"], rows


def browser_cypher(cypher: str, params: dict[str, Any], repository: str) -> str:
    """`cypher` as one statement that runs on its own in Neo4j Browser against whatever scan of `repository`
    the server holds: it starts by reading the Repository node's current snapshot into a variable, every
    later `$snapshot` reads that variable (a WITH clause that starts a line carries it on while a later part
    needs it), and the other parameters are written in as literals."""
    parts = WITH_CLAUSE.split(cypher)  # [head, with_1, rest_1, with_2, rest_2, ...]
    text = parts[0]
    for index in range(1, len(parts), 2):
        later = "".join(parts[index + 1:])
        carried = f"{SNAPSHOT_VARIABLE}, " if "$snapshot" in later else ""
        text += parts[index] + carried + parts[index + 1]
    text = re.sub(r"\$snapshot\b", SNAPSHOT_VARIABLE, text)
    for name, value in params.items():
        text = re.sub(rf"\${re.escape(name)}\b", lambda _: cypher_literal(value), text)
    lookup = (f"MATCH (analyzer_repository:Repository {{id: {cypher_literal(repository)}}})\n"
              f"WITH analyzer_repository.current_snapshot AS {SNAPSHOT_VARIABLE}\n")
    return lookup + text.rstrip().rstrip(";") + ";"


def show_text(query: "Query", params: dict[str, Any], repository: str) -> str:
    """The query with its metadata as comments, ready to paste into Neo4j Browser and run as it is."""
    values = ", ".join(f"{name} = {cypher_literal(value)}" for name, value in params.items())
    lines = [f"// {query.id}: {query.title} (severity {query.severity}, {query.kind})",
             f"// {query.what}",
             f"// Neo4j Browser: paste and run. It reads the current snapshot of repository "
             f"{cypher_literal(repository)} on the server" + (f"; parameters written in: {values}." if values else "."),
             browser_cypher(query.cypher, params, repository)]
    return "\n".join(lines)


def _repository_name(store_location: str | None, repository: str | None) -> str:
    """`--repo`, else the one repository the store holds; `--show` needs a name, not a snapshot."""
    from analyzer.store import StoreError, open_store

    if repository is not None:
        return repository
    try:
        store = open_store(store_location, read_only=True)
        try:
            names = sorted({info.repository for info in store.list_snapshots()})
        finally:
            store.close()
    except StoreError as error:
        fail(f"--show needs the repository's name: pass --repo NAME ({error})")
    if len(names) != 1:
        found = f"the store holds {', '.join(names)}" if names else "the store holds no scan"
        fail(f"--show needs the repository's name: pass --repo NAME ({found}; on a server: "
             "MATCH (r:Repository) RETURN r.name)")
    return names[0]


def filter_rows(columns: list[str], rows: list[list[Any]], row_filter: "RowFilter", path_column: str | None,
                store_location: str | None, repository: str | None) -> list[list[Any]]:
    """The rows `--path`, `--machine` and `--limit` keep (analyzer.findings.RowFilter, shared with `check`)."""
    from analyzer.findings import machines_by_path, row_place
    from analyzer.store import StoreError, open_store

    if not row_filter.active:
        return rows
    machines: dict[str, str] = {}
    if row_filter.machine is not None and "machine" not in columns:
        try:
            store = open_store(store_location, read_only=True)
            try:
                machines = machines_by_path(store, repository)
            finally:
                store.close()
        except StoreError as error:
            fail(str(error))
    return row_filter.select(rows, lambda row: row_place(dict(zip(columns, row)), path_column, machines))


def _run(store_location: str | None, repository: str | None, cypher: str, params: dict[str, Any]):
    from analyzer.store import StoreError, open_store

    try:
        store = open_store(store_location, read_only=True)
        try:
            return store.query(cypher, params, repository)
        finally:
            store.close()
    except StoreError as error:
        fail(str(error))


# --- command ------------------------------------------------------------------------------------

def query_command(
    name: Annotated[Optional[str], typer.Argument(help="Query id (see --list).", metavar="[NAME]")] = None,
    param: Annotated[Optional[list[str]], typer.Option("--param", "-p", metavar="NAME=VALUE", help="Override a query parameter; repeatable. For --cypher, VALUE is read as JSON when it parses (42, true, \"text\"), else as text.")] = None,
    store: Annotated[Optional[str], typer.Option(help="Embedded store folder, or bolt://... / neo4j://... ; `neo4j` uses env NEO4J_URI. Default: env ANALYZER_STORE or .analyzer/store.")] = None,
    repository: Annotated[Optional[str], typer.Option("--repo", "--repository", help="Repository in the store (needed when it holds several).")] = None,
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, json, csv or markdown.")] = "table",
    list_queries: Annotated[bool, typer.Option("--list", help="List the queries: id, kind, severity, title, parameters.")] = False,
    show: Annotated[bool, typer.Option("--show", help="Print NAME as one statement to paste into Neo4j Browser: it looks up the current snapshot of --repo (default: the store's only repository) on the server, parameters written in.")] = False,
    cypher: Annotated[Optional[str], typer.Option("--cypher", metavar="TEXT", help="Run ad-hoc reading Cypher; $snapshot is filled in. Rows are sorted unless it has ORDER BY. Statements that change the graph, read or write files, load extensions or checkpoint are refused.")] = None,
    path: Annotated[Optional[str], typer.Option("--path", metavar="GLOB", help="Only rows whose file matches GLOB (repository-relative, `*` crosses folders; a folder without wildcards means everything under it), e.g. 'main_pc_code/agents/*'.")] = None,
    machine: Annotated[Optional[str], typer.Option("--machine", metavar="NAME", help="Only rows on this machine root (its `machine` column, else its file's), e.g. pc2_code.")] = None,
    limit: Annotated[Optional[int], typer.Option("--limit", min=1, metavar="N", help="At most N rows, the first in the query's order.")] = None,
) -> None:
    """Run a query of the library against the current snapshot and print its rows.

    Rows come in the query's own order (every query sorts on all its columns),
    so two runs on the same graph print the same thing. Exit code 0 when the query
    ran, with or without rows; 2 on errors. `analyzer check` fails on findings.

    Narrow the rows with --path 'main_pc_code/agents/*', --machine pc2_code and
    --limit 20, e.g. `analyzer query todos-without-ticket --machine pc2_code --limit 20`.
    """
    from analyzer import queries

    if output_format not in FORMATS:
        fail(f"unknown --format {output_format!r} (known: {', '.join(FORMATS)})")
    modes = [flag for flag, on in (("--list", list_queries), ("--show", show), ("--cypher", cypher is not None)) if on]
    if len(modes) > 1:
        fail(f"{' and '.join(modes)} cannot be combined")
    overrides = parse_params(param)
    from analyzer.findings import RowFilter

    row_filter = RowFilter(path, machine, limit)
    if row_filter.active and (list_queries or show):
        fail("--path, --machine and --limit filter rows: they go with NAME or --cypher, not --list or --show")
    if list_queries:
        if name is not None:
            fail("--list takes no NAME")
        print_rows(*list_rows(), output_format, "queries")
        return
    if cypher is not None:
        if name is not None:
            fail("give either NAME or --cypher, not both")
        from analyzer.store import StoreError
        from analyzer.store.readonly import check_read_only

        try:
            check_read_only(cypher)  # before either store sees it: a read-only database still writes files
        except StoreError as error:
            fail(str(error))
        result = _run(store, repository, cypher, {k: adhoc_value(v) for k, v in overrides.items()})
        rows = result.rows if ORDER_BY.search(cypher) else sorted_rows(result.rows)
        rows = filter_rows(result.columns, rows, row_filter, None, store, repository)
        print_rows(result.columns, rows, output_format, "ad-hoc query")
        return
    if name is None:
        fail("name a query (`analyzer query --list` lists them), or pass --cypher TEXT")
    query = find_query(name)
    try:
        params = query.bind(overrides)
    except queries.QueryError as error:
        fail(str(error))
    if show:
        print(show_text(query, params, _repository_name(store, repository)))
        return
    result = _run(store, repository, query.cypher, params)
    rows = filter_rows(result.columns, result.rows, row_filter, query.location[0] if query.location else None,
                       store, repository)
    print_rows(result.columns, rows, output_format, f"{query.id}: {query.title}")


def register(app: typer.Typer) -> None:
    app.command("query")(query_command)
