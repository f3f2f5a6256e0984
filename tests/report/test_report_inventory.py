"""analyzer inventory: ports, duplicates, CUDA, debt and git dates per module; copies left out; blank columns explained."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.report.inventory import COLUMNS, inventory
from analyzer.store import open_store


def _inventory(store_path, **options):
    store = open_store(str(store_path), read_only=True)
    try:
        return inventory(store, **options)
    finally:
        store.close()


def _rows(store_path, **options):
    return {row["path"]: row for row in _inventory(store_path, **options).rows}


def test_inventory_rows_match_planted_facts(scanned_fixture):
    rows = _rows(scanned_fixture[0], include_copies=True)
    monitor = rows["main_pc_code/agents/health_monitor.py"]
    assert (monitor["machine"], monitor["agent"], monitor["copy"]) == ("main_pc_code", True, "")
    assert monitor["ports_bound"] == [5556, 5610] and monitor["ports_connected"] == [5620]
    assert rows["main_pc_code/agents/session_agent.py"]["ports_connected"] == [5560, 5599]
    assert rows["main_pc_code/agents/translator_agent.py"]["duplicate_of"] == ["main_pc_code/agents/translator_agent_backup.py"]
    assert rows["pc2_code/agents/old/dream_agent_old.py"]["duplicate_of"] == ["pc2_code/agents/dream_agent.py"]
    assert rows["pc2_code/agents/old/dream_agent_old.py"]["copy"] == "folder:old"
    assert rows["main_pc_code/agents/model_manager_agent.py"]["cuda_calls"] == 4
    assert rows["common/base_agent.py"]["imports_in"] == 4 and rows["common/base_agent.py"]["agent"] is False
    assert not any("/tests/" in path for path in rows)


def test_inventory_leaves_copies_out_by_default(scanned_fixture):
    everything = _inventory(scanned_fixture[0], include_copies=True)
    live = _inventory(scanned_fixture[0])
    copies = {row["path"] for row in everything.rows if row["copy"]}
    assert copies >= {"main_pc_code/agents/translator_agent_backup.py", "pc2_code/agents/old/dream_agent_old.py"}
    assert {row["path"] for row in live.rows} == {row["path"] for row in everything.rows} - copies
    assert live.copies_left_out == len(copies) and everything.copies_left_out == 0
    # A live module still names the copies that share its code.
    assert {r["path"]: r for r in live.rows}["main_pc_code/agents/translator_agent.py"]["duplicate_of"] == [
        "main_pc_code/agents/translator_agent_backup.py"]


def test_inventory_last_modified_comes_from_git(scanned_fixture):
    listing = _inventory(scanned_fixture[0])
    dated = [row for row in listing.rows if row["last_modified"]]
    assert dated and all(row["last_modified"][:4].isdigit() for row in dated)
    assert not any("not in a git repository" in note for note in listing.notes)


def test_blank_last_modified_says_the_tree_is_not_in_git(small_system):
    store, root = small_system
    listing = _inventory(store)
    assert [row["path"] for row in listing.rows] == ["main_pc_code/agents/planner_agent.py"]
    assert all(row["last_modified"] == "" for row in listing.rows)
    assert f"last_modified is blank: {root} is not in a git repository." in listing.notes
    table = CliRunner().invoke(app, ["inventory", "--store", str(store)])
    assert table.exit_code == 0 and "is not in a git repository" in table.stdout
    assert "4 copies left out (--include-copies)" in " ".join(table.stdout.split())
    csv_run = CliRunner().invoke(app, ["inventory", "--store", str(store), "--format", "csv"])
    assert "not in a git repository" not in csv_run.stdout and "not in a git repository" in csv_run.stderr


def test_inventory_cli_json_and_csv(scanned_fixture):
    store = str(scanned_fixture[0])
    result = CliRunner().invoke(app, ["inventory", "--store", store, "--format", "json", "--agents"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(row["agent"] and not row["copy"] for row in rows) and list(rows[0]) == list(COLUMNS)
    assert {row["path"]: row["ports_bound"] for row in rows}["pc2_code/agents/health_monitor.py"] == [5610]
    csv_text = CliRunner().invoke(app, ["inventory", "--store", store, "--format", "csv"]).stdout
    assert csv_text.splitlines()[0] == ",".join(COLUMNS)
    with_copies = CliRunner().invoke(app, ["inventory", "--store", store, "--format", "json", "--include-copies"])
    assert any(row["copy"] for row in json.loads(with_copies.stdout))


def test_inventory_cli_without_scan_fails_cleanly(tmp_path):
    result = CliRunner().invoke(app, ["inventory", "--store", str(tmp_path / "none")])
    assert result.exit_code == 2 and "analyzer scan" in result.output
