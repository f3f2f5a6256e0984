"""The project passes its own check: no finding beyond the committed baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.check.run import CheckOptions, run_check

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_project_passes_its_own_check(tmp_path):
    result = run_check(CheckOptions(repo=ROOT, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=2))
    assert result.checks, "no detection query ran"
    new = [f"{r.path}:{r.line} [{r.finding.check}] {r.finding.message}" for r in result.findings]
    assert new == [], "new findings in the project's own source (fix them, or suppress with a reason):\n" + "\n".join(new)
