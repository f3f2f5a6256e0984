"""A check of unchanged inputs is answered with the report the last identical check printed (analyzer/check/saved.py):
the same bytes in every format, without running a query; any input that changes the answer makes it run again."""

from __future__ import annotations

import json
import shutil
import sys

import pytest

import analyzer.check.run
from analyzer.check.saved import CHECK_REPORTS, _package_digest
from analyzer.queries import library_folder
from tests.check.check_repo import check_args, make_repo, run_cli, write

AGENT = "import os\n\n\ndef restart(cmd):\n    os.system(cmd)\n    try:\n        pass\n    except:\n        pass\n"
FILES = {
    "pyproject.toml": '[tool.analyzer]\nroots = ["app"]\n',
    "app/agents/a.py": AGENT,
    "app/agents/b.py": "import zmq\ns = zmq.Context().socket(zmq.PUB)\ns.bind('tcp://*:5556')\n",
    "app/config/startup_config.yaml": "agents:\n  - {name: A, script_path: agents/a.py, port: 5556}\n",
}


@pytest.fixture
def repo(tmp_path):
    return make_repo(tmp_path, FILES)


@pytest.fixture
def runs(monkeypatch):
    """How many checks computed their report (the others were answered from a saved one)."""
    counted = []
    real = analyzer.check.run.run_check

    def counting(options):
        counted.append(options)
        return real(options)

    monkeypatch.setattr(analyzer.check.run, "run_check", counting)
    return counted


def _check(repo, *extra: str):
    result = run_cli(*check_args(repo, *extra))
    assert result.exit_code in (0, 1), result.output
    return result


@pytest.mark.parametrize("output_format", [pytest.param(name, marks=() if name == "json" else pytest.mark.slow)
                                           for name in ("text", "json", "sarif", "github", "junit")])
def test_a_second_check_prints_the_same_bytes_without_running(repo, runs, output_format):
    first = _check(repo, "--format", output_format, "--no-baseline")
    second = _check(repo, "--format", output_format, "--no-baseline")
    assert len(runs) == 1  # the second was answered from the saved report
    assert (second.stdout, second.stderr, second.exit_code) == (first.stdout, first.stderr, first.exit_code)
    assert first.exit_code == 1 and "shell-injection" in first.stdout


@pytest.mark.slow  # checks of one tree, several times
def test_a_report_written_to_a_file_and_its_summary_are_the_same(repo, runs, tmp_path):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    one = _check(repo, "--format", "json", "--no-baseline", "--output", first)
    two = _check(repo, "--format", "json", "--no-baseline", "--output", second)
    assert len(runs) == 1
    assert first.read_bytes() == second.read_bytes() and json.loads(first.read_text())["findings"]
    assert one.stderr == two.stderr and "shell-injection" in one.stderr


@pytest.mark.slow
def test_each_input_of_the_answer_makes_the_check_run_again(repo, runs):
    def check() -> dict:
        return json.loads(_check(repo, "--format", "json").stdout)

    first = check()
    assert check() == first and len(runs) == 1
    # A source file.
    write(repo, {"app/agents/c.py": "import subprocess\nsubprocess.call('x', shell=True)\n"})
    changed = check()
    assert changed != first and len(runs) == 2
    assert check() == changed and len(runs) == 2  # and saved again
    # A deployment config.
    write(repo, {"app/config/startup_config.yaml": "agents: []\n"})
    check()
    assert len(runs) == 3
    # The settings.
    write(repo, {"pyproject.toml": '[tool.analyzer]\nroots = ["app"]\nfail_on = "high"\n'})
    check()
    assert len(runs) == 4
    # The baseline file: written, then edited.
    baseline = run_cli("baseline", repo, "--store", repo / ".analyzer/store", "--cache-dir", repo / ".analyzer/cache",
                       "--jobs", "1")
    assert baseline.exit_code == 0, baseline.output
    assert check()["findings"] == [] and len(runs) == 5
    (repo / ".analyzer-baseline.json").write_text(json.dumps({"version": 2, "findings": []}))
    assert check()["findings"] and len(runs) == 6
    # The options, then the same options again; the scope of the report.
    _check(repo, "--format", "json", "--select", "shell-injection")
    _check(repo, "--format", "json", "--select", "shell-injection")
    assert len(runs) == 7
    (repo / ".analyzer-baseline.json").unlink()
    whole = check()
    limited = json.loads(_check(repo, "--format", "json", "--limit", "1").stdout)
    assert len(runs) == 9 and len(limited["findings"]) == 1 < len(whole["findings"])


def test_changed_rules_make_the_check_run_again(repo, runs, monkeypatch, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(library_folder(), rules)
    monkeypatch.setenv("ANALYZER_QUERIES", str(rules))  # a team's own copy of the library
    _check(repo, "--no-baseline")
    _check(repo, "--no-baseline")
    assert len(runs) == 1
    rule = next(rules.glob("*.cypher"))
    rule.write_text(rule.read_text(encoding="utf-8") + "\n// edited\n", encoding="utf-8")
    _check(repo, "--no-baseline")
    assert len(runs) == 2


def test_a_package_digest_covers_every_file_of_the_folder(tmp_path, monkeypatch):
    package = tmp_path / "rules_pkg"
    write(package, {"__init__.py": "", "a.cypher": "MATCH (n) RETURN n", "a.examples.yaml": "[]"})
    monkeypatch.syspath_prepend(str(tmp_path))
    before = _package_digest("rules_pkg")
    (package / "a.cypher").write_text("MATCH (m) RETURN m")
    assert _package_digest("rules_pkg") != before
    assert "rules_pkg" not in sys.modules  # found, never imported


@pytest.mark.slow
def test_an_edited_or_planted_entry_is_never_trusted(repo, runs):
    first = _check(repo, "--no-baseline")
    [entry] = (repo / ".analyzer/cache" / CHECK_REPORTS).iterdir()
    data = entry.read_bytes()
    entry.write_bytes(data.replace(b"shell-injection", b"shell-inject10n"))  # same length, mac no longer matches
    again = _check(repo, "--no-baseline")
    assert len(runs) == 2 and again.stdout == first.stdout
    assert entry.read_bytes() == data  # rewritten by the check that ran
    mac, _, signed = data.partition(b"\n")
    entry.write_bytes(b"0" * len(mac) + b"\n" + signed)  # a planted entry, signed with another key
    assert _check(repo, "--no-baseline").stdout == first.stdout and len(runs) == 3
    entry.write_bytes(b"\xff not an entry")
    assert _check(repo, "--no-baseline").stdout == first.stdout and len(runs) == 4


@pytest.mark.slow
def test_a_check_that_does_not_scan_or_use_the_cache_never_reuses(repo, runs):
    _check(repo, "--no-baseline")
    _check(repo, "--no-baseline", "--no-scan")
    _check(repo, "--no-baseline", "--no-cache")
    assert len(runs) == 3
