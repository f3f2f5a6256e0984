"""Fingerprints, suppressions, baseline files, changed lines and output escaping, without a scan."""

from __future__ import annotations

import pytest

import queries
from analyzer.check.baseline import BaselineError, read_baseline, write_baseline
from analyzer.check.fingerprint import fingerprints, is_whole_graph
from analyzer.check.formats import render_github
from analyzer.check.git import changed_lines
from analyzer.check.run import CheckResult, Reported
from analyzer.check.suppress import is_ignored_for_path, is_suppressed, suppressed_ids
from analyzer.config import ConfigError, load_check_config
from analyzer.findings import findings_of
from tests.check.check_repo import commit, git, make_repo, write


def test_suppression_comment_forms():
    assert suppressed_ids("x = 1") is None
    assert suppressed_ids("except:  # analyzer: ignore") == {"*"}
    assert suppressed_ids("except:  # analyzer: ignore[bare-except, broad-except]") == {"bare-except", "broad-except"}
    assert is_suppressed("bare-except", "except:  #analyzer:ignore[bare-except]")
    assert not is_suppressed("broad-except", "except:  # analyzer: ignore[bare-except]")


def test_per_path_ignores_match_globs_and_star():
    ignores = {"tests/**": ["shell-injection"], "scripts/*.py": ["*"]}
    assert is_ignored_for_path("shell-injection", "tests/a/b.py", ignores)
    assert not is_ignored_for_path("god-objects", "tests/a/b.py", ignores)
    assert is_ignored_for_path("god-objects", "scripts/run.py", ignores)
    assert not is_ignored_for_path("shell-injection", None, ignores)


def _shell_findings(rows):
    return findings_of(queries.get("shell-injection"), rows)


def _row(line, function="A.run"):
    return {"path": "agents/a.py", "line": line, "call": "os.system", "function": function,
            **{c: None for c in queries.get("shell-injection").columns if c not in ("path", "line", "call", "function")}}


def test_fingerprint_ignores_line_numbers_and_tells_identical_lines_apart():
    query = queries.get("shell-injection")
    text = {3: "    os.system(cmd)", 7: "    os.system(cmd)", 40: "  os.system(cmd)  # analyzer: ignore[x]"}
    read = lambda path, line: text.get(line, "")  # noqa: E731 - a table lookup
    before = fingerprints(_shell_findings([_row(3), _row(7)]), {query.id: query}, read)
    after = fingerprints(_shell_findings([_row(7), _row(40)]), {query.id: query}, read)
    assert len(set(before)) == 2
    assert sorted(before) == sorted(after)  # moved and reindented, a suppression comment added: same prints
    other_function = fingerprints(_shell_findings([_row(3, "B.run")]), {query.id: query}, read)
    assert other_function[0] not in before


def test_whole_graph_queries_are_told_by_their_identity():
    assert is_whole_graph(queries.get("config-dependency-cycles"))  # no location: members name it
    assert not is_whole_graph(queries.get("god-objects"))  # identity includes the file


def test_baseline_round_trip_sorted_and_unique(tmp_path):
    path = tmp_path / "b.json"
    entries = [{"fingerprint": "f2", "check": "b", "path": "x.py", "message": "m"},
               {"fingerprint": "f1", "check": "a", "path": "y.py", "message": "m"},
               {"fingerprint": "f1", "check": "a", "path": "y.py", "message": "m"}]
    write_baseline(path, entries)
    assert read_baseline(path) == {"f1", "f2"}
    assert path.read_text().index('"f1"') < path.read_text().index('"f2"')
    assert "line" not in path.read_text()
    with pytest.raises(BaselineError, match="no baseline"):
        read_baseline(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(BaselineError, match="version"):
        read_baseline(tmp_path / "bad.json")


def test_check_config_reads_params_as_text_and_rejects_malformed():
    config = load_check_config({"fail_on": "high", "disable": ["god-objects"],
                                "checks": {"god-objects": {"min_methods": 40}},
                                "per-path-ignores": {"tests/**": ["shell-injection"]}})
    assert (config.fail_on, config.disable, config.enable) == ("high", ["god-objects"], None)
    assert config.params == {"god-objects": {"min_methods": "40"}}
    with pytest.raises(ConfigError):
        load_check_config({"enable": "god-objects"})
    with pytest.raises(ConfigError):
        load_check_config({"checks": {"god-objects": 3}})


def test_changed_lines_cover_edits_staged_and_untracked_files(tmp_path):
    repo = make_repo(tmp_path, {"a.py": "one\ntwo\nthree\n", "b.py": "x\ny\n"})
    base = git(repo, "rev-parse", "HEAD").strip()
    write(repo, {"a.py": "one\nTWO\nthree\nfour\n"})
    commit(repo, "edit a")
    write(repo, {"b.py": "y\n", "c.py": "new\n"})
    git(repo, "add", "b.py")
    changed = changed_lines(repo, base)
    assert changed["a.py"] == {2, 4}
    assert changed["b.py"] == {1}  # a pure deletion points at the line before the gap
    assert changed["c.py"] is None  # untracked: the whole file is new


def test_github_annotations_escape_properties_and_message():
    finding = _shell_findings([_row(12)])[0]
    item = Reported(finding, "f" * 40, "dir,x/a:b.py", 12)
    result = CheckResult("repo", [queries.get("shell-injection")], "info", [item])
    line = render_github(result)
    assert line.startswith("::error file=dir%2Cx/a%3Ab.py,line=12,title=shell-injection::")
    assert line.endswith("(high)\n") and "\n" not in line[:-1]
