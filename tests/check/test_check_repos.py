"""`analyzer check` and `analyzer baseline` end to end, in temporary git repositories."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest

from analyzer import queries
from tests.check.check_repo import check_args, commit, git, make_repo, run_cli, stdout_json, write

SCHEMA_PATH = "data/sarif-schema-2.1.0.json"
PYPROJECT = '[tool.analyzer]\nroots = ["main_pc_code"]\n'
AGENT = (
    "import os\n\n\nclass Agent:\n"
    "    def restart(self, cmd):\n"
    "        os.system(cmd)\n"
)
KNOWN = {q.id for q in queries.load_all()}


def needs(check: str):
    return pytest.mark.skipif(check not in KNOWN, reason=f"query {check} is not in the library yet")


def _schema():
    from pathlib import Path

    return json.loads((Path(__file__).parent / SCHEMA_PATH).read_text())


def _agent_repo(tmp_path, extra: dict[str, str] | None = None):
    return make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/a.py": AGENT, **(extra or {})})


def _store(repo):
    return ["--store", str(repo / ".analyzer/store"), "--cache-dir", str(repo / ".analyzer/cache")]


@pytest.mark.slow
def test_check_uses_the_baseline_it_finds_and_names_it(tmp_path):
    repo = _agent_repo(tmp_path)
    recorded = run_cli("baseline", repo, *_store(repo), "--select", "shell-injection")
    assert recorded.exit_code == 0, recorded.output
    baseline = json.loads((repo / ".analyzer-baseline.json").read_text())
    assert [f["check"] for f in baseline["findings"]] == ["shell-injection"]
    moved = AGENT.replace("class Agent:", "\n" * 30 + "class Agent:")
    write(repo, {"main_pc_code/agents/a.py": moved})
    clean = run_cli(*check_args(repo, "--select", "shell-injection"))
    assert clean.exit_code == 0, clean.output
    assert clean.stdout.startswith("0 new finding(s)") and "1 known (baseline " in clean.stdout
    assert ".analyzer-baseline.json" in clean.stdout
    every = run_cli(*check_args(repo, "--select", "shell-injection", "--no-baseline", "--no-scan"))
    assert every.exit_code == 1 and "no baseline" in every.stdout
    write(repo, {"main_pc_code/agents/a.py": moved + "\n    def stop(self, cmd):\n        os.system(cmd)\n"})
    new = run_cli(*check_args(repo, "--select", "shell-injection", "--format", "json"))
    assert new.exit_code == 1
    document = stdout_json(new)
    assert document["baseline"] == str(repo.resolve() / ".analyzer-baseline.json")
    assert [(f["path"], f["line"], f["row"]["function"]) for f in document["findings"]] == \
        [("main_pc_code/agents/a.py", 39, "Agent.stop")]
    write(repo, {"main_pc_code/agents/a.py": "class Agent:\n    pass\n"})  # both fixed: rewriting drops them
    assert run_cli("baseline", repo, *_store(repo), "--select", "shell-injection").exit_code == 0
    assert json.loads((repo / ".analyzer-baseline.json").read_text())["findings"] == []


def test_a_named_baseline_that_is_missing_or_old_is_an_error(tmp_path):
    repo = _agent_repo(tmp_path, {"pyproject.toml": PYPROJECT + 'baseline = "ci/baseline.json"\n'})
    missing = run_cli(*check_args(repo, "--select", "shell-injection"))
    assert missing.exit_code == 2 and "no baseline at" in missing.output and "analyzer baseline" in missing.output
    write(repo, {"ci/baseline.json": json.dumps({"version": 1, "findings": []})})
    old = run_cli(*check_args(repo, "--select", "shell-injection"))
    assert old.exit_code == 2 and "rewrite it with `analyzer baseline`" in old.output
    assert len(old.output.strip().splitlines()) == 1


NEW_FINDINGS = [
    pytest.param("shell-constant-command", "        os.system('reboot')\n", 12, id="shell-constant-command"),
    pytest.param("bare-except", "        try:\n            self.stop()\n        except:\n            pass\n", 14,
                 id="bare-except", marks=needs("bare-except")),
]


@pytest.mark.slow  # git: a branch, a commit, and --base scans the merge base in a worktree
@pytest.mark.parametrize(("check", "added", "flagged_line"), NEW_FINDINGS)
def test_a_new_finding_on_a_branch_fails_with_an_annotation_at_its_line(tmp_path, check, added, flagged_line):
    clean_agent = "import os\n\n\nclass Agent:\n    def run(self):\n        self.stop()\n\n    def stop(self):\n        pass\n"
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/a.py": clean_agent})
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"main_pc_code/agents/a.py": clean_agent + "\n    def restart(self):\n" + added})
    commit(repo, "add a finding")
    result = run_cli(*check_args(repo, "--select", check, "--base", "main", "--format", "github"))
    assert result.exit_code == 1, result.output
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == 1
    match = re.match(rf"::(error|warning|notice) file=main_pc_code/agents/a.py,line={flagged_line},"
                     rf"title={check} \((?P<severity>\w+)\)::(?P<message>.+)$", annotations[0])
    assert match, annotations
    assert match["severity"] == queries.get(check).severity and "=" not in match["message"]


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
    [finding] = stdout_json(result)["findings"]
    assert finding["row"]["members"] == "Alpha,Beta"
    assert (finding["path"], finding["line"]) == ("main_pc_code/config/startup_config.yaml", 7)
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
    [finding] = stdout_json(result)["findings"]
    assert (finding["path"], finding["line"]) == ("main_pc_code/agents/beta.py", 2)


def _binder(name: str, port: int, kind: str = "PUB") -> str:
    return (f"import zmq\n\n\nclass {name}:\n    def __init__(self):\n"
            f"        self.socket = zmq.Context().socket(zmq.{kind})\n"
            f"        self.socket.bind(\"tcp://*:{port}\")\n")


def _annotations(result) -> list[tuple[str | None, int | None, str]]:
    """(file, line, message) of each GitHub annotation."""
    found = []
    for line in result.stdout.splitlines():
        match = re.match(r"::\w+ (?P<properties>[^:]*)::(?P<message>.*)$", line)
        assert match, line
        properties = dict(part.split("=", 1) for part in match["properties"].split(","))
        found.append((properties.get("file"), int(properties["line"]) if "line" in properties else None,
                      match["message"]))
    return found


@pytest.mark.slow
@needs("port-collisions")
def test_a_collision_lands_on_the_changed_bind_and_names_the_other_end(tmp_path):
    repo = make_repo(tmp_path, {
        "pyproject.toml": PYPROJECT,
        "main_pc_code/agents/alpha.py": _binder("Alpha", 5556),
        "main_pc_code/agents/beta.py": _binder("Beta", 5557),
        "main_pc_code/agents/old/alpha_old.py": _binder("Alpha", 5556),  # an archived copy, colliding already
    })
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"main_pc_code/agents/beta.py": _binder("Beta", 5556)})
    commit(repo, "Beta moves to 5556")
    changed_line = 7
    result = run_cli(*check_args(repo, "--select", "port-collisions", "--base", "main", "--format", "github"))
    assert result.exit_code == 1, result.output
    annotations = _annotations(result)
    assert annotations, "the new collision is not reported"
    assert len(set(annotations)) == len(annotations), "identical annotations"
    for path, line, message in annotations:
        assert (path, line) == ("main_pc_code/agents/beta.py", changed_line), annotations  # only the diff's line
        peers = re.findall(r"(main_pc_code/[\w/]+\.py):(\d+)", message)
        assert peers and all(peer != "main_pc_code/agents/beta.py" for peer, _ in peers), message
    named = {peer for _, _, message in annotations for peer in re.findall(r"(main_pc_code/[\w/]+\.py):\d+", message)}
    assert "main_pc_code/agents/alpha.py" in named


@pytest.mark.slow
@needs("orphan-connects")
def test_an_orphaned_connect_lands_on_the_renumbered_bind_and_names_the_connect(tmp_path):
    connect = ("import zmq\n\n\nclass Session:\n    def __init__(self):\n"
               "        self.archive = zmq.Context().socket(zmq.REQ)\n"
               "        self.archive.connect(\"tcp://localhost:5599\")\n")
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/archive.py": _binder("Archive", 5599, "REP"),
                                "main_pc_code/agents/session.py": connect})
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo, {"main_pc_code/agents/archive.py": _binder("Archive", 5600, "REP")})
    commit(repo, "Archive moves to 5600")
    result = run_cli(*check_args(repo, "--select", "orphan-connects", "--base", "main", "--format", "json"))
    assert result.exit_code == 1, result.output
    [finding] = stdout_json(result)["findings"]
    assert (finding["path"], finding["line"], finding["attributed"]) == ("main_pc_code/agents/archive.py", 7, True)
    assert finding["origin"] == {"path": "main_pc_code/agents/session.py", "line": 7}
    assert finding["message"].startswith("main_pc_code/agents/session.py:7: ")


@pytest.mark.slow
def test_new_literal_ports_fail_and_baselined_ones_do_not(tmp_path):
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/alpha.py": _binder("Alpha", 5556)})
    assert run_cli("baseline", repo, *_store(repo)).exit_code == 0
    assert run_cli(*check_args(repo, "--select", "hardcoded-ports")).exit_code == 0  # existing code: baselined
    write(repo, {"main_pc_code/agents/beta.py": _binder("Beta", 5557)})
    result = run_cli(*check_args(repo, "--select", "hardcoded-ports", "--format", "sarif"))
    assert result.exit_code == 1, result.output
    document = stdout_json(result)
    jsonschema.Draft4Validator(_schema()).validate(document)
    [found] = document["runs"][0]["results"]
    location = found["locations"][0]["physicalLocation"]
    assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == ("main_pc_code/agents/beta.py", 7)
    assert "5557" in found["message"]["text"]
    [rule] = document["runs"][0]["tool"]["driver"]["rules"]
    assert rule["properties"]["fixedBy"]["codemod"] == "port-literals"
    assert "analyzer fix port-literals" in rule["help"]["markdown"]


def test_suppressions_path_ignores_thresholds_and_errors(tmp_path):
    repo = _agent_repo(tmp_path, {"main_pc_code/tools/b.py": AGENT})
    base = check_args(repo, "--select", "shell-injection", "--format", "json")
    assert [f["path"] for f in stdout_json(run_cli(*base))["findings"]] == \
        ["main_pc_code/agents/a.py", "main_pc_code/tools/b.py"]
    write(repo, {"main_pc_code/agents/a.py": AGENT.replace("os.system(cmd)", "os.system(cmd)  # analyzer: ignore[shell-injection]"),
                 "pyproject.toml": PYPROJECT + '[tool.analyzer.per-path-ignores]\n"main_pc_code/tools/*" = ["shell-injection"]\n'})
    quiet = stdout_json(run_cli(*base))
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
    assert [(f["path"], f["line"]) for f in stdout_json(result)["findings"]] == [("main_pc_code/agents/big.py", 1)]
    assert run_cli(*check_args(repo, "--select", "god-objects", "--param", "god-objects.min_methods=4",
                               "--no-scan")).exit_code == 0


@pytest.mark.slow
def test_sarif_of_the_fixture_validates_against_the_2_1_0_schema(tmp_path, fixture_repo):
    from tests.check.check_repo import fixture_git_repo

    repo = fixture_git_repo(tmp_path, fixture_repo)
    result = run_cli(*check_args(repo, "--format", "sarif"))
    assert result.exit_code == 1
    document = stdout_json(result)
    jsonschema.Draft4Validator(_schema()).validate(document)
    run = document["runs"][0]
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {q.id for q in queries.load_all() if q.kind == "detection"}
    assert run["results"] and all(len(r["partialFingerprints"]["analyzerFingerprint/v1"]) == 40 for r in run["results"])
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


@needs("bare-except")
def test_sarif_offers_the_bare_except_codemod_as_a_fix(tmp_path):
    agent = "def run():\n    try:\n        work()\n    except:\n        retry()\n"
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT, "main_pc_code/agents/a.py": agent})
    document = stdout_json(run_cli(*check_args(repo, "--select", "bare-except", "--format", "sarif")))
    jsonschema.Draft4Validator(_schema()).validate(document)
    [result] = document["runs"][0]["results"]
    [replacement] = result["fixes"][0]["artifactChanges"][0]["replacements"]
    assert replacement == {"deletedRegion": {"startLine": 4, "endLine": 4}, "insertedContent": {"text": "    except Exception:"}}


def test_junit_lists_a_failing_case_per_finding(tmp_path):
    from xml.etree import ElementTree

    repo = _agent_repo(tmp_path)
    result = run_cli(*check_args(repo, "--select", "shell-injection,god-objects", "--format", "junit"))
    suite = ElementTree.fromstring(result.stdout.split("?>", 1)[1]).find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert suite.find("testcase/failure").get("type") == "high"
