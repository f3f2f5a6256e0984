"""`analyzer query` against the scanned fixture store: list, show, every format, params, ad-hoc Cypher, errors."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from analyzer import queries
from analyzer.cli import app
from analyzer.store import open_store

runner = CliRunner()
MODULE_LINES = ("MATCH (m:Module {snapshot: $snapshot}) WHERE m.lines >= $min "
                "RETURN m.path AS path, m.lines AS lines")


@pytest.fixture(scope="module")
def store_path(scanned_fixture) -> str:
    return str(scanned_fixture[0])


@pytest.fixture(scope="module")
def direct(store_path):
    """The same store opened directly: what the command must print."""
    store = open_store(store_path, read_only=True)
    yield store
    store.close()


def invoke(*args: str):
    return runner.invoke(app, ["query", *args])


def ok(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 0, result.stderr or result.output
    return result.stdout


def error_of(*args: str) -> str:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    message = " ".join(result.stderr.split())
    assert message.startswith("error: ") and "Traceback" not in message
    return message


# --- --list -------------------------------------------------------------------------------------

def test_list_names_every_query_with_kind_severity_and_title():
    listed = json.loads(ok("--list", "--format", "json"))
    assert [(row["id"], row["kind"], row["severity"], row["title"]) for row in listed] == [
        (q.id, q.kind, q.severity, q.title) for q in queries.load_all()]
    assert next(row for row in listed if row["id"] == "god-objects")["params"] == "min_methods=60, include_copies=False"


def test_list_as_a_table_shows_every_id():
    text = ok("--list")
    assert f"queries ({len(queries.load_all())} rows)" in text
    assert "god-objects" in text and "medium" in text


# --- --show -------------------------------------------------------------------------------------

def test_show_is_one_statement_that_finds_the_current_snapshot_itself(store_path, direct):
    query = queries.get("god-objects")
    text = ok("--show", "god-objects", "--store", store_path)  # the store's only repository names it
    assert text.startswith("// god-objects: Classes with too many methods (severity medium, detection)\n")
    statement = "\n".join(line for line in text.splitlines() if not line.startswith("//"))
    assert statement.startswith("MATCH (analyzer_repository:Repository {id: 'agent_system'})\n")
    assert "$" not in statement and statement.count(";") == 1 and statement.endswith(";")
    assert "c.method_count >= 60" in statement  # the default, written in
    # Run as pasted, with no parameters at all: the rows `analyzer query` prints (tests/browser runs it in Browser).
    assert direct.query(text, {}).rows == direct.query(query.cypher, query.bind()).rows


def test_show_applies_param_overrides_and_needs_no_store_with_repo(tmp_path):
    text = ok("--show", "god-objects", "--param", "min_methods=5", "--repo", "it's", "--store", str(tmp_path / "none"))
    assert "c.method_count >= 5" in text and "parameters written in: min_methods = 5" in text
    assert "MATCH (analyzer_repository:Repository {id: 'it\\'s'})" in text


def test_show_without_repo_needs_a_store_naming_one_repository(tmp_path):
    message = error_of("--show", "god-objects", "--store", str(tmp_path / "none"))
    assert "pass --repo NAME" in message and "holds no scan" in message


# --- running a query, every format ----------------------------------------------------------------

@pytest.mark.parametrize("query", queries.load_all(), ids=lambda q: q.id)
def test_json_rows_are_the_stores_rows_in_the_querys_order(query, store_path, direct):
    printed = json.loads(ok(query.id, "--store", store_path, "--format", "json"))
    assert printed == direct.query(query.cypher, query.bind()).dicts()


def test_csv_has_a_header_and_one_line_per_row(store_path, direct):
    query = queries.get("god-objects")
    expected = direct.query(query.cypher, query.bind({"min_methods": "5"}))
    assert len(expected.rows) >= 2  # the fixture has several classes with five or more methods
    parsed = list(csv.reader(io.StringIO(ok("god-objects", "-p", "min_methods=5", "--store", store_path, "-f", "csv"))))
    assert parsed == [expected.columns, *[[str(v) for v in row] for row in expected.rows]]


def test_markdown_is_a_table_with_one_line_per_row(store_path, direct):
    query = queries.get("god-objects")
    expected = direct.query(query.cypher, query.bind({"min_methods": "5"}))
    lines = ok("god-objects", "-p", "min_methods=5", "--store", store_path, "-f", "markdown").splitlines()
    assert lines[:2] == ["| path | line | class | methods |", "| --- | --- | --- | --- |"]
    assert lines[2:] == [f"| {p} | {line} | {c} | {n} |" for p, line, c, n in expected.rows]


def test_table_has_a_title_with_the_row_count(store_path):
    text = ok("god-objects", "--store", store_path)
    assert "god-objects: Classes with too many methods (1 row)" in text
    assert "ModelManagerAgent" in text.replace("\n", "").replace("│", "").replace(" ", "") and "65" in text


def test_a_param_override_changes_the_rows(store_path):
    default = json.loads(ok("god-objects", "--store", store_path, "-f", "json"))
    lowered = json.loads(ok("god-objects", "--param", "min_methods=5", "--store", store_path, "-f", "json"))
    assert len(lowered) > len(default) and all(row["methods"] >= 5 for row in lowered)
    assert [row["methods"] for row in lowered] == sorted((row["methods"] for row in lowered), reverse=True)


def test_output_is_identical_from_run_to_run(store_path):
    assert ok("god-objects", "-p", "min_methods=1", "--store", store_path, "-f", "csv") == \
        ok("god-objects", "-p", "min_methods=1", "--store", store_path, "-f", "csv")


# --- ad-hoc Cypher ------------------------------------------------------------------------------

def test_adhoc_rows_are_sorted_and_params_read_as_json(store_path, direct):
    rows = json.loads(ok("--cypher", MODULE_LINES, "-p", "min=40", "--store", store_path, "-f", "json"))
    expected = direct.query(MODULE_LINES, {"min": 40}).dicts()
    assert len(rows) > 3 and sorted(map(str, rows)) == sorted(map(str, expected))
    assert rows == sorted(rows, key=lambda row: (row["path"], row["lines"]))


def test_adhoc_order_by_is_kept(store_path):
    cypher = MODULE_LINES + " ORDER BY lines DESC, path"
    rows = json.loads(ok("--cypher", cypher, "-p", "min=40", "--store", store_path, "-f", "json"))
    assert [row["lines"] for row in rows] == sorted((row["lines"] for row in rows), reverse=True)


def test_adhoc_text_param_that_is_not_json(store_path):
    cypher = "MATCH (m:Module {snapshot: $snapshot}) WHERE m.path STARTS WITH $prefix RETURN count(m) AS n"
    [row] = json.loads(ok("--cypher", cypher, "-p", "prefix=pc2_code/", "--store", store_path, "-f", "json"))
    assert row["n"] > 0


# --- errors: one line, exit code 2 ----------------------------------------------------------------

def test_unknown_query_suggests_the_close_match():
    assert error_of("god-object") == \
        "error: no query 'god-object'; did you mean god-objects? (`analyzer query --list` lists them)"
    assert error_of("quantum-leaks") == "error: no query 'quantum-leaks' (`analyzer query --list` lists them)"


def test_unknown_and_mistyped_params(store_path):
    assert error_of("god-objects", "-p", "nope=1", "--store", store_path) == \
        "error: god-objects has no parameter 'nope' (it takes: min_methods, include_copies)"
    assert error_of("god-objects", "-p", "min_methods=many", "--store", store_path) == \
        "error: god-objects: parameter min_methods expects int, got 'many'"
    assert error_of("god-objects", "-p", "min_methods") == "error: --param 'min_methods' must look like NAME=VALUE"


def test_a_store_never_scanned_says_to_scan_first(tmp_path):
    message = error_of("god-objects", "--store", str(tmp_path / "empty"))
    assert message == f"error: the store {tmp_path / 'empty'} holds no scan yet: run `analyzer scan PATH` first"


def test_an_unknown_repository_names_the_scanned_ones(store_path, direct):
    [info] = direct.list_snapshots()
    assert error_of("god-objects", "--store", store_path, "--repo", "elsewhere") == \
        f"error: no scan of repository 'elsewhere' in {store_path} (scanned: {info.repository})"
    assert json.loads(ok("god-objects", "--store", store_path, "--repository", info.repository, "-f", "json"))


def test_store_neo4j_without_a_uri(monkeypatch):
    monkeypatch.delenv("NEO4J_URI", raising=False)
    assert error_of("god-objects", "--store", "neo4j") == "error: --store neo4j needs NEO4J_URI (e.g. bolt://localhost:7687)"


def test_a_cypher_error_is_one_line(store_path):
    assert error_of("--cypher", "MATCH (n RETURN n", "--store", store_path).startswith("error: query failed: Parser exception")


@pytest.mark.parametrize(("args", "message"), [
    (["god-objects", "-f", "xml"], "error: unknown --format 'xml' (known: table, json, csv, markdown)"),
    (["--list", "--show", "god-objects"], "error: --list and --show cannot be combined"),
    (["--list", "god-objects"], "error: --list takes no NAME"),
    (["god-objects", "--cypher", "RETURN 1"], "error: give either NAME or --cypher, not both"),
    ([], "error: name a query (`analyzer query --list` lists them), or pass --cypher TEXT"),
])
def test_usage_errors(args, message):
    assert error_of(*args) == message
