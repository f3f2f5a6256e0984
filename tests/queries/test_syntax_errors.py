"""A change that breaks a live agent's syntax fails `check`, at CPython's line, in every output."""

from __future__ import annotations

import json

from analyzer.check.run import CheckOptions, run_check
from analyzer.check.sarif import render_sarif
from tests.conftest import write_repo

AGENT = "import zmq\n\n\nclass ChitchatAgent:\n    def run(self):\n        print('listening')\n"
BROKEN = AGENT.replace("print('listening')", "print 'listening'")


def _check(repo, tmp_path):
    return run_check(CheckOptions(repo=repo, store=str(tmp_path / "store"), use_cache=False, jobs=1,
                                  select=["syntax-errors"]))


def test_breaking_a_live_agent_fails_check_and_lands_in_sarif_at_cpythons_line(tmp_path):
    repo = write_repo(tmp_path / "repo", {"main_pc_code/agents/chitchat_agent.py": AGENT,
                                         "main_pc_code/_trash_2025-06-13/chitchat_agent.py": BROKEN})
    assert _check(repo, tmp_path).exit_code == 0  # the broken copy in the trash folder is left out
    write_repo(repo, {"main_pc_code/agents/chitchat_agent.py": BROKEN})
    result = _check(repo, tmp_path)
    assert result.exit_code == 1
    [reported] = result.findings
    assert (reported.path, reported.line, reported.finding.severity) == ("main_pc_code/agents/chitchat_agent.py", 6, "high")
    assert reported.finding.message == ("Python cannot parse main_pc_code/agents/chitchat_agent.py: Missing parentheses "
                                        "in call to 'print'. Did you mean print(...)? (line 6)")
    sarif = json.loads(render_sarif(result, repo))
    [entry] = sarif["runs"][0]["results"]
    region = entry["locations"][0]["physicalLocation"]["region"]
    assert (entry["ruleId"], entry["level"], region["startLine"]) == ("syntax-errors", "error", 6)
