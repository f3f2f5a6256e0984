"""analyzer todos: rows with ticket refs and blame, copies left out, GitHub payloads never repeated per copy,
creation through a recording fake `gh`."""

from __future__ import annotations

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from analyzer.cli import app
from analyzer.report.todos import fingerprint


def _invoke(*args: str):
    result = CliRunner().invoke(app, ["todos", *args])
    assert result.exit_code == 0, result.output
    return result


def test_todo_rows_carry_tickets_and_blame(scanned_fixture):
    rows = json.loads(_invoke("--store", str(scanned_fixture[0]), "--format", "json").stdout)
    by_place = {(row["path"], row["line"]): row for row in rows}
    assert by_place[("main_pc_code/agents/health_monitor.py", 32)]["ticket"] == "#77"
    assert by_place[("main_pc_code/agents/model_manager_agent.py", 18)]["ticket"] == "MM-7"
    stt = by_place[("main_pc_code/agents/stt_agent.py", 47)]
    assert (stt["tag"], stt["ticket"]) == ("TODO", "")
    assert stt["text"] == "handle CUDA OOM here instead of dropping the frame"
    # The fixture is committed: blame names an author and an ISO date.
    assert stt["author"] and stt["date"][:4].isdigit()
    assert stt["fingerprint"] == fingerprint("main_pc_code/agents/stt_agent.py", "TODO", stt["text"])


def test_github_export_skips_ticketed_todos(scanned_fixture, tmp_path):
    out = tmp_path / "issues.json"
    _invoke("--store", str(scanned_fixture[0]), "--export", "github", "--out", str(out),
            "--state", str(tmp_path / "state.json"))
    payloads = json.loads(out.read_text())
    rows = json.loads(_invoke("--store", str(scanned_fixture[0]), "--format", "json").stdout)
    assert len(payloads) == sum(1 for row in rows if not row["ticket"]) > 0
    assert not any("#77" in p["body"] for p in payloads)
    stt = next(p for p in payloads if "CUDA OOM" in p["title"])
    assert stt["title"] == "TODO: handle CUDA OOM here instead of dropping the frame"
    assert "main_pc_code/agents/stt_agent.py#L47" in stt["body"] and stt["labels"] == ["todo", "main_pc_code"]


@pytest.mark.slow  # a `gh` executable run once per comment: subprocesses end to end
def test_create_runs_gh_once_per_todo(scanned_fixture, tmp_path, monkeypatch):
    calls = tmp_path / "gh-calls.jsonl"
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text("#!/usr/bin/env python3\nimport json, sys\n"
                    f"open({str(calls)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n"
                    "print('https://example.invalid/issues/1')\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    state = tmp_path / "state.json"
    args = ("--store", str(scanned_fixture[0]), "--create", "--state", str(state), "--gh-repo", "team/agents")
    _invoke(*args)
    recorded = [json.loads(line) for line in calls.read_text().splitlines()]
    exported = json.loads(state.read_text())
    assert recorded and len(recorded) == len(exported)
    first = recorded[0]
    assert first[:2] == ["issue", "create"] and "--title" in first and first[-2:] == ["--repo", "team/agents"]
    assert set(exported.values()) == {"https://example.invalid/issues/1"}
    _invoke(*args)  # everything is exported now: gh is not called again
    assert len(calls.read_text().splitlines()) == len(recorded)


def test_create_reports_gh_failure(scanned_fixture, tmp_path, monkeypatch):
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'could not add label: todo' >&2\nexit 1\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    result = CliRunner().invoke(app, ["todos", "--store", str(scanned_fixture[0]), "--create",
                                      "--state", str(tmp_path / "state.json")])
    assert result.exit_code == 2 and "could not add label" in result.output
    assert not (tmp_path / "state.json").exists()


def test_copies_are_left_out_and_a_copied_todo_is_exported_once(small_system, tmp_path):
    store, root = small_system
    live = json.loads(_invoke("--store", str(store), "--format", "json").stdout)
    assert [(row["path"], row["text"]) for row in live] == [
        ("main_pc_code/agents/planner_agent.py", "retry when the model is not loaded yet")]
    everything = json.loads(_invoke("--store", str(store), "--format", "json", "--include-copies").stdout)
    assert len(everything) == 5 and {row["copy"] for row in everything if row["path"] != live[0]["path"]} == {
        "name:backup", "folder:_trash_2025-06-13", "folder:ARCHIVEDONTUSE", "folder:backups"}
    # The live to-do is exported once, not once per copy repeating it; the copies' own one (in two of them) once.
    out = tmp_path / "issues.json"
    _invoke("--store", str(store), "--export", "github", "--include-copies", "--out", str(out),
            "--state", str(tmp_path / "state.json"))
    titles = sorted(payload["title"] for payload in json.loads(out.read_text()))
    assert titles == ["TODO: drop this archive", "TODO: retry when the model is not loaded yet"]
    default = json.loads(_invoke("--store", str(store), "--export", "github", "--state",
                                 str(tmp_path / "state.json")).stdout)
    assert [payload["title"] for payload in default] == ["TODO: retry when the model is not loaded yet"]


def test_blank_blame_says_the_tree_is_not_in_git(small_system):
    store, root = small_system
    result = _invoke("--store", str(store), "--format", "csv")
    assert f"author and date are blank: {root} is not in a git repository." in " ".join(result.stderr.split())
    assert "not in a git repository" not in result.stdout
