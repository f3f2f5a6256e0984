"""Fingerprints, statements, matching, suppressions, baseline files, diffs and output escaping, without a scan."""

from __future__ import annotations

import json

import pytest

from analyzer import queries
from analyzer.check.baseline import BaselineError, read_baseline, write_baseline
from analyzer.check.fingerprint import Known, Prints, fingerprints, is_whole_graph
from analyzer.check.formats import render_github
from analyzer.check.reported import Reported
from analyzer.check.run import CheckResult
from analyzer.check.sources import SourceLines
from analyzer.check.suppress import is_ignored_for_path, is_suppressed, suppressed_ids
from analyzer.config import ConfigError, check_settings, load_check_config
from analyzer.findings import Finding, findings_of
from analyzer.git import WHOLE_FILE, diff_since
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


AGENT = '''"""An agent."""
import os


class Agent:  # the agent
    def restart(self, cmd,
                force=False):
        os.system(
            cmd)  # analyzer: ignore[x]
        try:
            os.system("reboot")
        except:
            pass
'''


def test_statement_is_the_whole_statement_or_a_compound_header_without_comments_or_layout(tmp_path):
    reformatted = AGENT.replace("os.system(\n            cmd)  # analyzer: ignore[x]", "os.system(cmd)") \
        .replace("class Agent:  # the agent", "class Agent:")
    write(tmp_path, {"a.py": AGENT, "b.py": "\n\n" + reformatted, "c.yaml": "port: 5556  # analyzer: ignore\n"})
    sources = SourceLines(tmp_path)
    a_lines = AGENT.splitlines()
    line_of = {text.strip(): number for number, text in enumerate(a_lines, 1)}
    assert sources.statement("a.py", line_of["os.system("]) == sources.statement("a.py", line_of["cmd)  # analyzer: ignore[x]"])
    assert sources.statement("a.py", line_of["os.system("]) == "os.system(cmd)"
    assert sources.statement("a.py", line_of["def restart(self, cmd,"]) == "defrestart(self,cmd,force=False):"
    assert sources.statement("a.py", line_of["except:"]) == "except:"
    b_lines = reformatted.splitlines()
    for text in ("class Agent:", "os.system(cmd)", "except:"):
        a_number = next(n for n, line in enumerate(a_lines, 1) if line.strip().startswith(text.split("(")[0]))
        b_number = next(n for n, line in enumerate(b_lines, 1) if line.strip().startswith(text.split("(")[0])) + 2
        assert sources.statement("a.py", a_number) == sources.statement("b.py", b_number), text
    assert sources.statement("c.yaml", 1) == "port:5556"
    assert sources.extent("a.py", line_of["class Agent:  # the agent"]) == (line_of["class Agent:  # the agent"], len(a_lines))
    assert sources.extent("a.py", 1) == (1, len(a_lines))


def _shell_findings(rows):
    return findings_of(queries.get("shell-injection"), rows)


def _row(line, function="A.run"):
    return {"path": "agents/a.py", "line": line, "call": "os.system", "function": function,
            **{c: None for c in queries.get("shell-injection").columns if c not in ("path", "line", "call", "function")}}


def _prints(findings, statements):
    query = queries.get(findings[0].check)
    return fingerprints(findings, {query.id: query}, lambda path, line: statements.get(line, ""))


def test_fingerprint_ignores_line_numbers_and_tells_statements_apart():
    before = _prints(_shell_findings([_row(3), _row(7)]), {3: "os.system(cmd)", 7: "os.system('reboot')"})
    moved = _prints(_shell_findings([_row(40), _row(12)]), {40: "os.system(cmd)", 12: "os.system('reboot')"})
    assert len({p.fingerprint for p in before}) == 2 and len({p.group for p in before}) == 1
    assert {p.fingerprint for p in before} == {p.fingerprint for p in moved}
    other_function = _prints(_shell_findings([_row(3, "B.run")]), {3: "os.system(cmd)"})
    assert other_function[0].fingerprint not in {p.fingerprint for p in before}


def test_a_located_finding_without_a_path_is_fingerprinted_without_reading_a_statement(tmp_path):
    """A row whose path column is empty has no statement to read (it used to reach `root / None`)."""
    findings = _shell_findings([_row(3) | {"path": None}, _row(7) | {"path": None}])
    query = queries.get("shell-injection")
    first, second = fingerprints(findings, {query.id: query}, SourceLines(tmp_path).statement)
    assert first.group == second.group and first.fingerprint != second.fingerprint


def test_a_finding_about_a_file_ignores_its_first_line():
    query = queries.get("untested-agents")
    row = {column: None for column in query.columns} | {"path": "agents/a.py", "line": 1, "dependent_agents": 0}
    [docstring] = fingerprints(findings_of(query, [row]), {query.id: query}, lambda p, n: '"""Agent."""')
    [blank] = fingerprints(findings_of(query, [row]), {query.id: query}, lambda p, n: "")
    assert docstring == blank


def test_known_matches_fingerprints_first_then_what_each_group_has_left():
    baseline = Known.of([Prints("f1", "g"), Prints("f2", "g"), Prints("h1", "h")])
    edited = [Prints("f1", "g"), Prints("f2-edited", "g"), Prints("h1", "h")]
    assert baseline.new(edited) == []  # an edited statement still counts against its group
    one_more = [Prints("f1", "g"), Prints("f2", "g"), Prints("f3", "g"), Prints("h1", "h")]
    assert baseline.new(one_more) == [Prints("f3", "g")]
    moved_and_added = [Prints("f0-new", "g"), Prints("f1", "g"), Prints("f2", "g")]
    assert baseline.new(moved_and_added) == [Prints("f0-new", "g")]  # fingerprint matches win over order


def test_whole_graph_queries_are_told_by_their_identity():
    assert is_whole_graph(queries.get("config-dependency-cycles"))  # members name it, not a file
    assert not is_whole_graph(queries.get("god-objects"))  # identity includes the file


def test_baseline_round_trip_sorted_unique_and_without_lines(tmp_path):
    path = tmp_path / "b.json"
    entries = [{"fingerprint": "f2", "group": "g2", "check": "b", "path": "x.py", "message": "m"},
               {"fingerprint": "f1", "group": "g1", "check": "a", "path": "y.py", "message": "m"},
               {"fingerprint": "f1", "group": "g1", "check": "a", "path": "y.py", "message": "m"}]
    write_baseline(path, entries)
    known = read_baseline(path)
    assert known.fingerprints == {"f1", "f2"} and dict(known.groups) == {"g1": 1, "g2": 1}
    assert path.read_text().index('"f1"') < path.read_text().index('"f2"')
    assert "line" not in path.read_text()
    with pytest.raises(BaselineError, match="no baseline"):
        read_baseline(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(BaselineError, match="version"):
        read_baseline(tmp_path / "bad.json")
    (tmp_path / "old.json").write_text(json.dumps({"version": 1, "findings": [{"fingerprint": "f"}]}))
    with pytest.raises(BaselineError, match="older analyzer.*analyzer baseline"):
        read_baseline(tmp_path / "old.json")


def test_check_config_reads_params_as_text_and_rejects_malformed():
    config = load_check_config({"fail_on": "high", "disable": ["god-objects"],
                                "checks": {"god-objects": {"min_methods": 40}},
                                "per-path-ignores": {"tests/**": ["shell-injection"]}})
    assert (config.fail_on, config.disable, config.enable) == ("high", ["god-objects"], None)
    assert config.params == {"god-objects": {"min_methods": "40"}}
    with pytest.raises(ConfigError, match="enable must be a list of strings"):
        check_settings({"enable": "god-objects"}, "pyproject.toml")
    with pytest.raises(ConfigError, match="checks must be a table of tables"):
        check_settings({"checks": {"god-objects": 3}}, "pyproject.toml")


def test_diff_covers_edits_staged_and_untracked_files_with_their_text(tmp_path):
    repo = make_repo(tmp_path, {"a.py": "one\ntwo\nthree\n", "b.py": "x\nport = 5599\ny\n"})
    base = git(repo, "rev-parse", "HEAD").strip()
    write(repo, {"a.py": "one\nTWO\nthree\nfour\n"})
    commit(repo, "edit a")
    write(repo, {"b.py": "x\ny\n", "c.py": "new\n"})
    git(repo, "add", "b.py")
    diff = diff_since(repo, base)
    assert diff.lines["a.py"] == {2, 4}
    assert diff.texts["a.py"] == {2: ["two", "TWO"], 4: ["four"]}
    assert diff.lines["b.py"] == {1}  # a pure deletion points at the line before the gap
    assert diff.texts["b.py"] == {1: ["port = 5599"]}
    assert diff.lines["c.py"] is WHOLE_FILE and diff.touches("c.py", 7)
    assert not diff.touches("a.py", 1) and diff.touches("a.py", 4)


def test_github_annotations_carry_the_sentence_and_escape_properties():
    finding = _shell_findings([_row(12)])[0]
    item = Reported(finding, "f" * 40, "g" * 40, "dir,x/a:b.py", 12)
    result = CheckResult("repo", [queries.get("shell-injection")], "info", [item])
    line = render_github(result)
    assert line.startswith("::error file=dir%2Cx/a%3Ab.py,line=12,title=shell-injection (high)::")
    assert line.endswith(f"::{finding.message}\n") and "\n" not in line[:-1]
    assert "=" not in finding.message  # a sentence, not a key=value dump


def test_a_finding_shown_away_from_its_place_starts_with_that_place_and_never_names_its_own_line():
    finding = _shell_findings([_row(12)])[0]
    shown = Reported(finding, "f", "g", "agents/b.py", 3, attributed=True)
    assert shown.message == f"agents/a.py:12: {finding.message}"
    assert Reported(finding, "f", "g", "agents/a.py", 12).message == finding.message
    collision = Finding("port-collisions", "high", "collision", "agents/a.py", 7, (),
                        "Port 5556 on pc1 is also bound by agents/b.py:3 and agents/b.py:30", {})
    at_the_other_end = Reported(collision, "f", "g", "agents/b.py", 3, attributed=True).message
    assert at_the_other_end == "agents/a.py:7: Port 5556 on pc1 is also bound by this line and agents/b.py:30"
