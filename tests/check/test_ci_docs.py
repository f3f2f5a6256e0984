"""The commands docs/ci.md and the README's CI section tell a team to copy work as written, in a fresh clone.

Every ```bash block runs line by line; the GitHub Actions workflow's `run:` steps run as Actions would
(`bash -e`, with `${{ github.base_ref }}` filled in) on a pull-request branch of a fresh clone.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.check.check_repo import commit, fixture_git_repo, git

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(?P<language>\w*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
BARE_EXCEPT = "\n\ndef retry_once(task):\n    try:\n        task()\n    except:\n        pass\n"


def blocks(text: str, language: str) -> list[str]:
    return [m["body"] for m in FENCE.finditer(text) if m["language"] == language]


def readme_ci_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("## CI:")
    return text[start:text.index("\n## ", start + 1)]


def commands(block: str) -> list[str]:
    """The block's command lines, comments removed."""
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip() and not line.startswith("#")]


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    identity = {f"GIT_{who}_{what}": value for who in ("AUTHOR", "COMMITTER")
                for what, value in (("NAME", "docs-test"), ("EMAIL", "docs@test"))}
    return {**os.environ, **identity, "HOME": str(home), "PYTHONPATH": str(ROOT),
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture
def clone(tmp_path, fixture_repo, environment) -> Path:
    """A fresh clone (with `origin`) of a git repository holding the fixture, as a team's CI checks it out."""
    upstream = fixture_git_repo(tmp_path / "upstream", fixture_repo, ignore_workspace=False)
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(upstream), str(target)], check=True, env=environment)
    return target


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_the_documented_start_runs_as_written_and_ends_with_nothing_new(clone, environment):
    [start, *others] = blocks((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"), "bash")
    assert commands(start)[0] == "analyzer baseline ." and commands(start)[-1] == "analyzer check ."
    done = bash(start, clone, environment)
    assert done.returncode == 0, done.stdout + done.stderr  # `analyzer check .` right after the baseline: exit 0
    assert "known (baseline .analyzer-baseline.json)" in done.stdout
    assert git(clone, "log", "-1", "--format=%s").strip() == "Record the analyzer baseline"
    for block in others:
        for command in commands(block):
            ran = bash(command, clone, environment)
            assert ran.returncode in (0, 1), f"{command}: {ran.stderr}"  # findings may fail; errors may not


@pytest.mark.slow
def test_the_readme_ci_commands_run_as_written(clone, environment):
    [block] = blocks(readme_ci_section(), "bash")
    done = bash(block, clone, environment)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_documented_workflow_annotates_a_new_finding_on_a_pull_request(clone, environment):
    [workflow] = [yaml.safe_load(b) for b in blocks((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"), "yaml")
                  if "jobs:" in b]
    steps = [step["run"] for job in workflow["jobs"].values() for step in job["steps"]
             if "analyzer" in step.get("run", "") and not step["run"].startswith("pip ")]
    assert len(steps) == 2
    git(clone, "checkout", "-q", "-b", "feature")
    agent = clone / "main_pc_code/agents/memory_agent.py"
    except_line = agent.read_text(encoding="utf-8").count("\n") + BARE_EXCEPT[:BARE_EXCEPT.index("except:")].count("\n") + 1
    with agent.open("a", encoding="utf-8") as handle:
        handle.write(BARE_EXCEPT)
    commit(clone, "retry once")
    annotations, sarif = (bash(step.replace("${{ github.base_ref }}", "main"), clone, environment) for step in steps)
    assert annotations.returncode == 1, annotations.stderr
    lines = annotations.stdout.splitlines()
    assert lines and all(line.startswith("::") for line in lines)
    assert all(f"file=main_pc_code/agents/memory_agent.py,line={except_line}," in line for line in lines), lines
    assert any("title=bare-except" in line for line in lines)
    assert sarif.returncode == 0, sarif.stderr  # exit 1 is let through; the SARIF is uploaded
    results = json.loads((clone / "analyzer.sarif").read_text())["runs"][0]["results"]
    assert len(results) == len(lines)


def test_the_documented_pre_commit_config_names_the_shipped_hook():
    [config] = [yaml.safe_load(b) for b in blocks((ROOT / "docs" / "ci.md").read_text(encoding="utf-8"), "yaml")
                if "repos:" in b]
    hooks = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    assert [hook["id"] for repo in config["repos"] for hook in repo["hooks"]] == ["analyzer-check"]
    assert {"analyzer-check"} <= hooks
