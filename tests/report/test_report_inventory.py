"""analyzer inventory on the fixture: ports, duplicates, CUDA, debt and git dates per module."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.report.inventory import COLUMNS, inventory
from analyzer.store import open_store


def _rows(store_path):
    store = open_store(str(store_path), read_only=True)
    try:
        return {row["path"]: row for row in inventory(store)}
    finally:
        store.close()


def test_inventory_rows_match_planted_facts(scanned_fixture):
    rows = _rows(scanned_fixture[0])
    monitor = rows["main_pc_code/agents/health_monitor.py"]
    assert (monitor["machine"], monitor["agent"]) == ("main_pc_code", True)
    assert monitor["ports_bound"] == [5556, 5610] and monitor["ports_connected"] == [5620]
    assert rows["main_pc_code/agents/session_agent.py"]["ports_connected"] == [5560, 5599]
    assert rows["main_pc_code/agents/translator_agent.py"]["duplicate_of"] == ["main_pc_code/agents/translator_agent_backup.py"]
    assert rows["pc2_code/agents/old/dream_agent_old.py"]["duplicate_of"] == ["pc2_code/agents/dream_agent.py"]
    assert rows["main_pc_code/agents/model_manager_agent.py"]["cuda_calls"] == 4
    assert rows["common/base_agent.py"]["imports_in"] == 4 and rows["common/base_agent.py"]["agent"] is False
    assert not any("/tests/" in path for path in rows)


def test_inventory_last_modified_comes_from_git(scanned_fixture):
    dated = [row for row in _rows(scanned_fixture[0]).values() if row["last_modified"]]
    assert dated and all(row["last_modified"][:4].isdigit() for row in dated)


def test_inventory_cli_json_and_csv(scanned_fixture):
    store = str(scanned_fixture[0])
    result = CliRunner().invoke(app, ["inventory", "--store", store, "--format", "json", "--agents"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(row["agent"] for row in rows) and list(rows[0]) == list(COLUMNS)
    assert {row["path"]: row["ports_bound"] for row in rows}["pc2_code/agents/health_monitor.py"] == [5610]
    csv_text = CliRunner().invoke(app, ["inventory", "--store", store, "--format", "csv"]).stdout
    assert csv_text.splitlines()[0] == ",".join(COLUMNS)


def test_inventory_cli_without_scan_fails_cleanly(tmp_path):
    result = CliRunner().invoke(app, ["inventory", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2 and "analyzer scan" in result.output
