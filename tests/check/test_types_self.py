"""mypy passes on the project's source ([tool.mypy] in pyproject.toml), so a type error fails CI."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_mypy_reports_no_error_on_every_package():
    files = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    assert {"analyzer", "codemods/agent_graph_codemods", "runtime/agent_runtime"} <= set(files)
    # The cache in the checkout (.mypy_cache, git-ignored): a warm run takes seconds, a cold one about twenty.
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, "mypy found errors (fix them; an unavoidable ignore names its code and why):\n" + output
    checked = re.search(r"no issues found in (\d+) source files", output)
    expected = sum(1 for folder in files for _ in (ROOT / folder).rglob("*.py"))
    assert checked and int(checked.group(1)) == expected, f"mypy did not check every source file:\n{output}"
