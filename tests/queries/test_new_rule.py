"""Adding a detection is writing its `.cypher` and its examples: nothing else.

A temporary copy of the query library (env ANALYZER_QUERIES) gets one new rule; it
then shows up in `query --list`, the generated docs, SARIF rules and results, and the
report under the category its header names.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer import queries
from analyzer.check.run import CheckOptions, run_check
from analyzer.check.sarif import render_sarif
from analyzer.cli import app
from analyzer.report.discovery import build_report
from analyzer.store import open_store
from analyzer.queries import docs
from tests.conftest import FIXTURE_REPO
from tests.queries.conftest import run_example

RULE = """\
// id: agents-without-main-guard
// title: Agent modules without a __main__ guard
// severity: low
// category: hygiene
// precision: medium
// tags: reliability
// what: Finds live agent modules that have no `if __name__ == "__main__":` block.
// why: A launcher that runs the file starts nothing, and an import runs whatever the module does at top level.
// fix: Add a `__main__` guard that builds and runs the agent.
// message: Agent {path} has no __main__ guard
// column: path
// column: line
// location: path, line
// identity: path
MATCH (m:Module {snapshot: $snapshot})
WHERE m.is_agent AND NOT m.has_main_guard AND NOT m.is_copy AND NOT m.is_test
RETURN m.path AS path, 1 AS line
ORDER BY path, line
"""
EXAMPLES = """\
flags:
  - name: an agent class with no guard
    files:
      main_pc_code/agents/echo_agent.py: |
        class EchoAgent:
            pass
    rows:
      - {path: main_pc_code/agents/echo_agent.py, line: 1}
passes:
  - name: an agent with a guard
    files:
      main_pc_code/agents/echo_agent.py: |
        class EchoAgent:
            pass


        if __name__ == "__main__":
            EchoAgent()
"""


@pytest.fixture
def library(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "queries"
    shutil.copytree(queries.QUERY_FOLDER, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    (folder / "agents-without-main-guard.cypher").write_text(RULE)
    (folder / "agents-without-main-guard.examples.yaml").write_text(EXAMPLES)
    monkeypatch.setenv(queries.LIBRARY_ENV, str(folder))
    return folder


def test_a_new_rule_is_listed_documented_and_runs_its_own_examples(library, tmp_path):
    listing = CliRunner().invoke(app, ["query", "--list", "--format", "json"])
    assert listing.exit_code == 0, listing.output
    row = next(r for r in json.loads(listing.output) if r["id"] == "agents-without-main-guard")
    assert (row["category"], row["kind"], row["severity"]) == ("hygiene", "detection", "low")
    text = docs.render()
    assert "\n## agents-without-main-guard\n" in text and "#### Flags: an agent class with no guard" in text
    rule = queries.get("agents-without-main-guard")
    for number, example in enumerate(rule.examples()):
        assert run_example(rule, example, tmp_path / f"example{number}") == example.rows


def test_a_new_rule_reaches_sarif_and_the_report_under_its_category(library, scanned_fixture):
    store_path, report = scanned_fixture
    result = run_check(CheckOptions(repo=FIXTURE_REPO, store=str(store_path), run_scan=False,
                                    repository=report.repository, select=["agents-without-main-guard"]))
    flagged = sorted(item.path for item in result.findings)
    assert flagged, "the fixture's agents include some without a __main__ guard"
    sarif = json.loads(render_sarif(result, FIXTURE_REPO))
    (rule,) = sarif["runs"][0]["tool"]["driver"]["rules"]
    assert rule["id"] == "agents-without-main-guard" and rule["properties"]["category"] == "hygiene"
    assert rule["help"]["markdown"].startswith("**What it finds.** Finds live agent modules")
    assert sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for r in sarif["runs"][0]["results"]) == flagged
    assert {r["message"]["text"] for r in sarif["runs"][0]["results"]} == \
        {f"Agent {path} has no __main__ guard" for path in flagged}
    store = open_store(str(store_path), read_only=True)
    try:
        discovery = build_report(store, report.repository)
    finally:
        store.close()
    assert discovery.findings_by_check["agents-without-main-guard"] == len(flagged)
    hygiene = len(flagged) + sum(n for check, n in discovery.findings_by_check.items()
                                            if check != "agents-without-main-guard"
                                            and queries.get(check).category == "hygiene")
    assert discovery.by_category["hygiene"] == hygiene
