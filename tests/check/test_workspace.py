"""What the tool writes inside a repository stays out of git: `git status` is clean after every command.

The repository has no .gitignore entry for the tool: whatever it writes (cache, store) must ignore itself
or live outside the tree. Only the baseline file, which a team commits, may appear.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.check.check_repo import fixture_git_repo, git

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    pytest.param(["scan", "."], "", id="scan"),
    pytest.param(["check", "."], "", id="check"),
    pytest.param(["check", ".", "--base", "main"], "", id="check --base"),
    pytest.param(["baseline", "."], "?? .analyzer-baseline.json\n", id="baseline"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("arguments", "status"), COMMANDS)
def test_git_status_is_clean_after_the_command(tmp_path, fixture_repo, arguments, status):
    repo = fixture_git_repo(tmp_path, fixture_repo, ignore_workspace=False)
    assert git(repo, "status", "--porcelain") == ""
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    run = subprocess.run([str(Path(sys.executable).with_name("analyzer")), *arguments, "--jobs", "1"], cwd=repo,
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode in (0, 1), run.stderr
    assert git(repo, "status", "--porcelain", "--untracked-files=all") == status
