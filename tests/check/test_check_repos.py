"""`analyzer check` and `analyzer baseline` end to end, in temporary git repositories."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

import queries
from tests.check.check_repo import check_args, commit, git, make_repo, run_cli, write

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
PYPROJECT = '[tool.analyzer]\nroots = ["main_pc_code"]\n'
AGENT = (
    "import os\n\n\nclass Agent:\n"
    "    def restart(self, cmd):\n"
    "        os.system(cmd)\n"
)
KNOWN = {q.id for q in queries.load_all()}


def needs(check: str):
    return pytest.mark.skipif(check not in KNOWN, reason=f"query {check} is not in the library yet")


def _agent_repo(tmp_path, extra: dict[str, str] | None = None) -> Path:
    return make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/a.py": AGENT, **(extra or {})})


@pytest.mark.slow
def test_moved_finding_stays_baselined_and_a_new_one_fails(tmp_path):
    repo = _agent_repo(tmp_path)
    store = ["--store", str(repo / ".analyzer/store"), "--cache-dir", str(repo / ".analyzer/cache")]
    recorded = run_cli("baseline", repo, *store, "--select", "shell-injection")
    assert recorded.exit_code == 0, recorded.output
    baseline = json.loads((repo / ".analyzer-baseline.json").read_text())
    assert [f["check"] for f in baseline["findings"]] == ["shell-injection"]
    moved = AGENT.replace("class Agent:", "\n" * 30 + "class Agent:")
    write(repo, {"main_pc_code/agents/a.py": moved})
    clean = run_cli(*check_args(repo, "--select", "shell-injection", "--baseline", repo / ".analyzer-baseline.json"))
    assert clean.exit_code == 0, clean.output
    assert clean.output.startswith("0 finding(s)") and "1 known" in clean.output
    write(repo, {"main_pc_code/agents/a.py": moved + "\n    def stop(self, cmd):\n        os.system(cmd)\n"})
    new = run_cli(*check_args(repo, "--select", "shell-injection", "--baseline", repo / ".analyzer-baseline.json",
                              "--format", "json"))
    assert new.exit_code == 1
    found = json.loads(new.output)["findings"]
    assert [(f["path"], f["line"], f["row"]["function"]) for f in found] == [("main_pc_code/agents/a.py", 39, "Agent.stop")]
    write(repo, {"main_pc_code/agents/a.py": "class Agent:\n    pass\n"})  # both fixed: rewriting drops them
    assert run_cli("baseline", repo, *store, "--select", "shell-injection").exit_code == 0
    assert json.loads((repo / ".analyzer-baseline.json").read_text())["findings"] == []


NEW_FINDINGS = [
    pytest.param("shell-constant-command", "        os.system('reboot')\n", 12, id="shell-constant-command"),
    pytest.param("bare-except", "        try:\n            self.stop()\n        except:\n            pass\n", 14,
                 id="bare-except", marks=needs("bare-except")),
]


@pytest.mark.parametrize(("check", "added", "flagged_line"), NEW_FINDINGS)
def test_a_new_finding_on_a_branch_fails_with_an_annotation_at_its_line(tmp_path, check, added, flagged_line):
    clean_agent = "import os\n\n\nclass Agent:\n    def run(self):\n        self.stop()\n\n    def stop(self):\n        pass\n"
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/a.py": clean_agent})
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"main_pc_code/agents/a.py": clean_agent + "\n    def restart(self):\n" + added})
    commit(repo, "add a finding")
    result = run_cli(*check_args(repo, "--select", check, "--base", "main", "--format", "github"))
    assert result.exit_code == 1, result.output
    annotations = [line for line in result.output.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    assert re.match(rf"::(error|warning|notice) file=main_pc_code/agents/a.py,line={flagged_line},title={check}::",
                    annotations[0]), annotations


STARTUP = "agents:\n  - name: Alpha\n    script_path: agents/alpha.py\n    dependencies: [Beta]\n" \
          "  - name: Beta\n    script_path: agents/beta.py\n    dependencies: []\n"


@pytest.mark.slow
def test_a_new_config_dependency_cycle_is_reported_with_base_at_the_changed_line(tmp_path):
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/config/startup_config.yaml": STARTUP,
                                "main_pc_code/agents/alpha.py": "", "main_pc_code/agents/beta.py": ""})
    args = ["--select", "config-dependency-cycles", "--format", "json"]
    assert run_cli(*check_args(repo, *args, "--base", "HEAD")).exit_code == 0
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"main_pc_code/config/startup_config.yaml": STARTUP.replace("dependencies: []", "dependencies: [Alpha]")})
    commit(repo, "Beta now waits for Alpha")
    result = run_cli(*check_args(repo, *args, "--base", "main"))
    assert result.exit_code == 1, result.output
    [finding] = json.loads(result.output)["findings"]
    assert finding["row"]["members"] == "Alpha,Beta"
    assert (finding["path"], finding["line"], finding["attributed"]) == ("main_pc_code/config/startup_config.yaml", 7, True)
    assert git(repo, "worktree", "list").count("\n") == 1  # the base worktree is gone
    assert git(repo, "status", "--porcelain") == ""  # the user's tree is untouched


@pytest.mark.slow
@needs("import-cycles")
def test_a_new_import_cycle_is_reported_with_base(tmp_path):
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT,
                                "main_pc_code/agents/alpha.py": "from main_pc_code.agents import beta\n",
                                "main_pc_code/agents/beta.py": "X = 1\n",
                                "main_pc_code/__init__.py": "", "main_pc_code/agents/__init__.py": ""})
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"main_pc_code/agents/beta.py": "X = 1\nfrom main_pc_code.agents import alpha\n"})
    commit(repo, "beta imports alpha")
    result = run_cli(*check_args(repo, "--select", "import-cycles", "--base", "main", "--format", "json"))
    assert result.exit_code == 1, result.output
    [finding] = json.loads(result.output)["findings"]
    assert (finding["path"], finding["line"]) == ("main_pc_code/agents/beta.py", 2)


def test_suppressions_path_ignores_thresholds_and_errors(tmp_path):
    repo = _agent_repo(tmp_path, {"main_pc_code/tools/b.py": AGENT})
    base = check_args(repo, "--select", "shell-injection", "--format", "json")
    assert [f["path"] for f in json.loads(run_cli(*base).output)["findings"]] == \
        ["main_pc_code/agents/a.py", "main_pc_code/tools/b.py"]
    write(repo, {"main_pc_code/agents/a.py": AGENT.replace("os.system(cmd)", "os.system(cmd)  # analyzer: ignore[shell-injection]"),
                 "pyproject.toml": PYPROJECT + '[tool.analyzer.per-path-ignores]\n"main_pc_code/tools/*" = ["shell-injection"]\n'})
    quiet = json.loads(run_cli(*base).output)
    assert quiet["findings"] == [] and quiet["counts"]["suppressed"] == 1 and quiet["counts"]["ignored"] == 1
    write(repo, {"pyproject.toml": PYPROJECT})
    assert run_cli(*check_args(repo, "--select", "shell-injection", "--fail-on", "critical", "--no-scan")).exit_code == 0
    assert run_cli(*check_args(repo, "--select", "shell-injection", "--fail-on", "high", "--no-scan")).exit_code == 1
    unknown = run_cli(*check_args(repo, "--select", "no-such-check", "--no-scan"))
    assert unknown.exit_code == 2 and "unknown check id" in unknown.output
    bad_param = run_cli(*check_args(repo, "--param", "god-objects.min_methods=many", "--no-scan"))
    assert bad_param.exit_code == 2 and "expects int" in bad_param.output


def test_config_parameters_reach_the_query(tmp_path):
    big = "class Big:\n" + "".join(f"    def m{i}(self): ...\n" for i in range(3))
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT + "[tool.analyzer.checks.god-objects]\nmin_methods = 3\n",
                                "main_pc_code/agents/big.py": big})
    result = run_cli(*check_args(repo, "--select", "god-objects", "--format", "json"))
    assert [(f["path"], f["line"]) for f in json.loads(result.output)["findings"]] == [("main_pc_code/agents/big.py", 1)]
    assert run_cli(*check_args(repo, "--select", "god-objects", "--param", "god-objects.min_methods=4",
                               "--no-scan")).exit_code == 0


@pytest.mark.slow
def test_sarif_of_the_fixture_validates_against_the_2_1_0_schema(tmp_path, fixture_repo):
    repo = make_repo(tmp_path, {})
    subprocess.run(["cp", "-r", f"{fixture_repo}/.", str(repo)], check=True)
    commit(repo, "fixture")
    result = run_cli(*check_args(repo, "--format", "sarif"))
    assert result.exit_code == 1
    document = json.loads(result.output)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(document)
    run = document["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {q.id for q in queries.load_all() if q.kind == "detection"}
    assert run["results"] and all(len(r["partialFingerprints"]["analyzerFingerprint/v1"]) == 40 for r in run["results"])
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


@needs("bare-except")
def test_sarif_offers_the_bare_except_codemod_as_a_fix(tmp_path):
    agent = "def run():\n    try:\n        work()\n    except:\n        retry()\n"
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/a.py": agent})
    document = json.loads(run_cli(*check_args(repo, "--select", "bare-except", "--format", "sarif")).output)
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text())).validate(document)
    [result] = document["runs"][0]["results"]
    [replacement] = result["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement == {"deletedRegion": {"startLine": 4, "endLine": 4}, "insertedContent": {"text": "    except Exception:"}}


def test_junit_lists_a_failing_case_per_finding(tmp_path):
    from xml.etree import ElementTree

    repo = _agent_repo(tmp_path)
    result = run_cli(*check_args(repo, "--select", "shell-injection,god-objects", "--format", "junit"))
    suite = ElementTree.fromstring(result.output.split("?>", 1)[1]).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert suite.find("testcase/failure").get("type") == "high"


def _hook_command() -> list[str]:
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["pass_filenames"] and hook["types"] == ["python"]
    entry = shlex.split(hook["entry"])
    return [str(Path(sys.executable).with_name(entry[0])), *entry[1:]]


@pytest.mark.slow
def test_pre_commit_hook_checks_only_the_staged_files(tmp_path):
    # The hook passes no options: the checks it runs come from [tool.analyzer].
    repo = _agent_repo(tmp_path, {"main_pc_code/agents/b.py": "def ok():\n    return 1\n",
                                  "pyproject.toml": PYPROJECT + 'enable = ["shell-constant-command", "shell-injection"]\n'})
    write(repo, {"main_pc_code/agents/b.py": "import os\n\n\ndef boot():\n    os.system('reboot')\n"})
    git(repo, "add", "main_pc_code/agents/b.py")
    staged = [n for n in git(repo, "diff", "--cached", "--name-only").split() if n.endswith(".py")]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    hook = subprocess.run([*_hook_command(), *staged], cwd=repo, capture_output=True, text=True, env=env)
    assert hook.returncode == 1, hook.stderr
    assert "main_pc_code/agents/b.py:5" in hook.stdout and "agents/a.py" not in hook.stdout
    commit(repo, "b")
    write(repo, {"main_pc_code/agents/c.py": "X = 1\n"})
    git(repo, "add", "main_pc_code/agents/c.py")
    clean = subprocess.run([*_hook_command(), "main_pc_code/agents/c.py"], cwd=repo, capture_output=True, text=True, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
