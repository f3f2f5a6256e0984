"""Baselined findings stay baselined when unrelated lines move (issue 15's line-shift tests, on the fixture).

Expectations come from the baseline run itself, so they hold for any query library.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analyzer.copies import DEFAULT_RULES
from tests.check.check_repo import check_args, fixture_git_repo, python_files, run_cli, stdout_json

HEADER = b"# Copyright header added by a formatter.\n# It moves every line of the file down.\n" + b"\n" * 28
UNRELATED = "\n\ndef unrelated_helper(value):\n    return value + 1\n"
BARE_EXCEPT = ("\n\ndef retry_once(task):\n    try:\n        task()\n"
               "    except:\n        logging.getLogger(__name__).exception(\"retry failed\")\n")


def _store(repo: Path) -> list[str]:
    return ["--store", str(repo / ".analyzer/store"), "--cache-dir", str(repo / ".analyzer/cache"), "--jobs", "1"]


def _recorded(repo: Path) -> set[tuple[str, str]]:
    findings = json.loads((repo / ".analyzer-baseline.json").read_text())["findings"]
    return {(f["fingerprint"], f["group"]) for f in findings}


def _baselined(tmp_path, fixture_repo) -> tuple[Path, set[tuple[str, str]]]:
    repo = fixture_git_repo(tmp_path, fixture_repo)
    result = run_cli("baseline", repo, *_store(repo))
    assert result.exit_code == 0, result.output
    recorded = _recorded(repo)
    assert recorded, "the fixture has planted findings"
    return repo, recorded


def _biggest_agent(repo: Path) -> Path:
    agents = [repo / p for p in python_files(repo) if "/agents/" in p and not DEFAULT_RULES.is_copy(p)]
    return max(agents, key=lambda p: p.read_bytes().count(b"\n"))


@pytest.mark.slow
def test_shifting_every_line_and_adding_unrelated_code_brings_no_baselined_finding_back(tmp_path, fixture_repo):
    repo, recorded = _baselined(tmp_path, fixture_repo)
    for name in python_files(repo):
        path = repo / name
        path.write_bytes(HEADER + path.read_bytes())
    with _biggest_agent(repo).open("a", encoding="utf-8") as agent:
        agent.write(UNRELATED)
    result = run_cli(*check_args(repo, "--format", "json"))
    document = stdout_json(result)
    assert result.exit_code == 0, [(f["path"], f["line"], f["message"]) for f in document["findings"]]
    assert document["findings"] == [] and document["counts"]["known"] == len(recorded)
    # Not only matched by group: every fingerprint is the one recorded before the shift.
    assert run_cli("baseline", repo, *_store(repo), "--no-scan").exit_code == 0
    assert _recorded(repo) == recorded


@pytest.mark.slow
def test_a_shifted_agent_with_one_bare_except_appended_has_only_that_new_finding(tmp_path, fixture_repo):
    repo, recorded = _baselined(tmp_path, fixture_repo)
    agent = _biggest_agent(repo)
    shifted = b"\n" * 30 + agent.read_bytes()
    if b"import logging" not in shifted:
        shifted = b"import logging\n" + shifted
    agent.write_bytes(shifted + BARE_EXCEPT.encode())
    except_line = shifted.count(b"\n") + BARE_EXCEPT[:BARE_EXCEPT.index("except:")].count("\n") + 1
    result = run_cli(*check_args(repo, "--format", "json"))
    assert result.exit_code == 1, result.output
    document = stdout_json(result)
    relative = agent.relative_to(repo).as_posix()
    found = [(f["check"], f["path"], f["line"]) for f in document["findings"]]
    assert [(check, path, line) for check, path, line in found if check == "bare-except"] == \
        [("bare-except", relative, except_line)]
    assert found == [("bare-except", relative, except_line)], "only the appended handler is new"
    assert document["counts"]["known"] == len(recorded)
