"""--path, --machine and --limit of `query` and `check` (one RowFilter), and tables that never wrap into a pipe."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.findings import RowFilter, row_place
from tests.conftest import FIXTURE_REPO

runner = CliRunner()
ROWS = [{"path": "main_pc_code/agents/a.py", "machine": "main_pc_code"},
        {"path": "main_pc_code/agents_snapshot/a.py", "machine": "main_pc_code"},
        {"path": "pc2_code/agents/b.py", "machine": "pc2_code"},
        {"path": None, "machine": "pc2_code"}]


def _paths(row_filter: RowFilter) -> list:
    return [row["path"] for row in row_filter.select(ROWS, lambda row: row_place(row, "path", {}))]


def test_a_glob_crosses_folders_and_a_plain_folder_means_what_is_under_it():
    assert _paths(RowFilter(path="*/agents/*")) == ["main_pc_code/agents/a.py", "pc2_code/agents/b.py"]
    assert _paths(RowFilter(path="main_pc_code/agents")) == ["main_pc_code/agents/a.py"]  # not agents_snapshot
    assert _paths(RowFilter(path="main_pc_code/agents/")) == ["main_pc_code/agents/a.py"]
    assert _paths(RowFilter(machine="pc2_code")) == ["pc2_code/agents/b.py", None]
    assert _paths(RowFilter(machine="pc2_code", path="*")) == ["pc2_code/agents/b.py"]  # no path, no match
    assert _paths(RowFilter(limit=2)) == ["main_pc_code/agents/a.py", "main_pc_code/agents_snapshot/a.py"]
    assert not RowFilter().active and _paths(RowFilter()) == [row["path"] for row in ROWS]


def test_a_rows_machine_is_its_column_else_its_files():
    assert row_place({"path": "x.py", "machine": "m1"}, None, {"x.py": "m2"}) == ("x.py", "m1")
    assert row_place({"path": "x.py"}, None, {"x.py": "m2"}) == ("x.py", "m2")
    assert row_place({"file": "y.py", "path": "x.py"}, "file", {"y.py": "m3"}) == ("y.py", "m3")


@pytest.fixture(scope="module")
def store_path(scanned_fixture) -> str:
    return str(scanned_fixture[0])


def _csv(store_path: str, *args: str) -> list[dict]:
    result = runner.invoke(app, ["query", *args, "--store", store_path, "--format", "csv"])
    assert result.exit_code == 0, result.output
    return list(csv.DictReader(io.StringIO(result.output)))


def test_query_rows_by_path_machine_and_limit(store_path):
    every = _csv(store_path, "todos-without-ticket")
    on_pc2 = _csv(store_path, "todos-without-ticket", "--machine", "pc2_code")
    assert on_pc2 and on_pc2 == [row for row in every if row["machine"] == "pc2_code"]
    agents = _csv(store_path, "todos-without-ticket", "--path", "main_pc_code/agents")
    assert agents and agents == [row for row in every if row["path"].startswith("main_pc_code/agents/")]
    assert _csv(store_path, "todos-without-ticket", "--limit", "2") == every[:2]
    # god-objects has no machine column: the machine is the one the scan recorded for the file.
    assert [row["path"] for row in _csv(store_path, "god-objects", "--machine", "main_pc_code")] == \
        ["main_pc_code/agents/model_manager_agent.py"]
    assert _csv(store_path, "god-objects", "--machine", "pc2_code") == []


def test_filters_do_not_go_with_list_and_limit_must_be_positive(store_path):
    assert runner.invoke(app, ["query", "--list", "--limit", "3"]).exit_code == 2
    assert runner.invoke(app, ["query", "god-objects", "--store", store_path, "--limit", "0"]).exit_code == 2


def test_check_reports_only_the_findings_in_scope(store_path):
    def check(*args: str) -> tuple[int, list[dict]]:
        result = runner.invoke(app, ["check", str(FIXTURE_REPO), "--no-scan", "--store", store_path, "--repo",
                                     "agent_system", "--format", "json", *args])
        return result.exit_code, json.loads(result.stdout)["findings"]

    code, every = check("--select", "todos-without-ticket,god-objects")
    assert code == 1 and every
    code, scoped = check("--select", "todos-without-ticket,god-objects", "--machine", "main_pc_code",
                         "--path", "main_pc_code/agents/*")
    assert code == 1 and scoped == [f for f in every if f["path"].startswith("main_pc_code/agents/")]
    assert {f["check"] for f in scoped} == {"todos-without-ticket", "god-objects"}
    code, limited = check("--select", "todos-without-ticket,god-objects", "--limit", "1")
    assert (code, limited) == (1, every[:1])
    code, none = check("--select", "god-objects", "--machine", "pc2_code")
    assert (code, none) == (0, [])


def _piped_table(store_path: str, query: str) -> str:
    """The table `analyzer query` prints into a pipe, from a real process whose stdout is a pipe."""
    analyzer = Path(sys.executable).with_name("analyzer")
    done = subprocess.run([str(analyzer), "query", query, "--store", store_path], capture_output=True, text=True,
                          check=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "60"})
    return done.stdout


@pytest.mark.slow
def test_a_table_into_a_pipe_keeps_every_row_on_one_line(store_path):
    text = _piped_table(store_path, "duplicate-agents")
    body = [line for line in text.splitlines() if line.startswith("│")]
    rows = _csv(store_path, "duplicate-agents")
    assert len(body) == len(rows)  # no row folded onto a second line, even with COLUMNS=60
    for line, row in zip(body, rows):
        cells = [cell.strip() for cell in line.strip("│").split("│")]
        assert cells == [row[column] for column in row]


def test_a_table_printed_to_anything_but_a_terminal_is_not_folded(store_path):
    result = runner.invoke(app, ["query", "dead-code-on-path", "--store", store_path], env={"COLUMNS": "40"})
    body = [line for line in result.output.splitlines() if line.startswith("│")]
    paths = [row["path"] for row in _csv(store_path, "dead-code-on-path")]
    assert len(body) == len(paths) and all(path in line for path, line in zip(paths, body))
