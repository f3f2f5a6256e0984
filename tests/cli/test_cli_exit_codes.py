"""Exit codes at the `analyzer` entry point: 0 clean, 1 findings, 2 any error, a bug included (never Python's 1)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import analyzer.check.run
from analyzer.cli import main
from tests.check.check_repo import check_args, make_repo

AGENT = "import os\n\n\ndef restart(cmd):\n    os.system(cmd)\n"


def _main(monkeypatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["analyzer", *map(str, args)])
    with pytest.raises(SystemExit) as exited:
        main()
    return exited.value.code


def test_an_uncaught_exception_exits_2_with_one_line_and_a_log_of_the_traceback(tmp_path, monkeypatch, capsys):
    def broken(options):
        raise KeyError("a bug\nspanning lines")

    monkeypatch.setattr(analyzer.check.run, "run_check", broken)
    assert _main(monkeypatch, "check", tmp_path, "--no-scan") == 2
    captured = capsys.readouterr()
    [line] = captured.err.strip().splitlines()
    assert line.startswith("error: internal error, KeyError:") and "Traceback" not in captured.err
    log = line.rsplit("full log: ", 1)[1].rstrip(")")
    text = Path(log).read_text(encoding="utf-8")
    Path(log).unlink()
    assert "Traceback (most recent call last)" in text and "in broken" in text and "check" in text.splitlines()[1]


def test_findings_and_a_clean_run_keep_their_codes(tmp_path, monkeypatch):
    repo = make_repo(tmp_path, {"pyproject.toml": '[tool.analyzer]\nroots = ["app"]\n', "app/a.py": AGENT})
    assert _main(monkeypatch, *check_args(repo, "--select", "shell-injection")) == 1
    assert _main(monkeypatch, *check_args(repo, "--select", "god-objects", "--no-scan")) == 0
    assert _main(monkeypatch, *check_args(repo, "--select", "no-such-check", "--no-scan")) == 2
