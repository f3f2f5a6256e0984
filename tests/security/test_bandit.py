"""Our in-worker Bandit run equals Bandit's own BanditManager on the same files, for the curated tests.

analyzer/extract/bandit.py drives Bandit's node visitor over the tree extraction
already parsed, gates tests by trigger words and visits only listed nodes; none of
that may change what Bandit reports. Each case below is a file; BanditManager runs
over all of them (and over the fixture repository) with the curated tests only.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from analyzer.extract import extract_file
from analyzer.extract.bandit import CURATED_TESTS, TRIGGERS
from tests.conftest import FIXTURE_REPO

# One file per case; together they make every curated test fire, and not fire.
CASES: dict[str, str] = {
    "exec_eval.py": "def run(code):\n    exec(code)\n    return eval(code)\n",
    "bind_all.py": "import socket\ns = socket.socket()\ns.bind(('0.0.0.0', 8081))\n",
    "password_default.py": "def connect(user, password='admin'):\n    pass\n\ndef login(token='t0k3n-value'):\n    pass\n",
    "http_calls.py": ("import requests\nimport httpx\nrequests.get(url)\nrequests.post(url, timeout=5)\n"
                      "httpx.get(url)\nrequests.get(url, verify=False, timeout=3)\n"),
    "flask_debug.py": "from flask import Flask\napp = Flask(__name__)\napp.run(debug=True)\n",
    "pickles.py": "import pickle\nimport marshal\nimport dill\npickle.loads(b)\nmarshal.loads(b)\ndill.loads(b)\n",
    "yaml_load.py": "import yaml\nyaml.load(text)\nyaml.load(text, Loader=yaml.SafeLoader)\nyaml.safe_load(text)\n",
    "sql.py": ("def q(cur, uid, name):\n    cur.execute(f'SELECT * FROM users WHERE id = {uid}')\n"
               "    cur.execute('DELETE FROM t WHERE name = %s' % name)\n    cur.execute('SELECT 1')\n"),
    "torch_load.py": "import torch\nm = torch.load('a.pt')\nn = torch.load('b.pt', weights_only=True)\n",
    "hf.py": ("from transformers import AutoModel\nAutoModel.from_pretrained('bert-base-uncased')\n"
              "AutoModel.from_pretrained('bert-base-uncased', revision='a1b2c3d')\n"),
    "aliased.py": "import pickle as pk\nfrom torch import load as tload\npk.loads(b)\ntload('m.pt')\n",
    "nosec_all.py": "import pickle\npickle.loads(b)  # nosec\nimport torch\ntorch.load('a.pt')\n",
    "nosec_one_test.py": "import pickle\nimport torch\npickle.loads(b)  # nosec B301\ntorch.load('a.pt')  # nosec B301\n",
    "nested.py": ("import pickle\nclass Agent:\n    def handle(self, data):\n        def inner():\n"
                  "            return pickle.loads(data)\n        return inner()\n"),
    "no_trigger.py": "import subprocess\nsubprocess.run(cmd, shell=True)\nassert x\n",
}


def _bandit_manager_issues(paths: list[Path]) -> set[tuple[str, int, str]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # stevedore, under Bandit's plugin loader
        from bandit.core import config, manager

        bandit = manager.BanditManager(config.BanditConfig(), "file", profile={"include": set(CURATED_TESTS)})
    bandit.discover_files([str(p) for p in paths])
    bandit.run_tests()
    return {(Path(issue.fname).as_posix(), issue.lineno, issue.test_id) for issue in bandit.get_issue_list()}


def _ours(paths: list[Path], root: Path) -> set[tuple[str, int, str]]:
    found = set()
    for path in paths:
        facts = extract_file(path.relative_to(root).as_posix(), path.read_bytes())
        found |= {(path.as_posix(), fact.line, fact.test_id) for fact in facts.bandit_findings}
    return found


def test_every_curated_test_has_a_trigger_gate():
    assert set(TRIGGERS) == set(CURATED_TESTS)


def test_cases_equal_bandit_manager(tmp_path):
    paths = []
    for name, code in CASES.items():
        (tmp_path / name).write_text(code, encoding="utf-8")
        paths.append(tmp_path / name)
    expected = _bandit_manager_issues(paths)
    assert _ours(paths, tmp_path) == expected
    # The cases exercise every curated test, so equality above says something about each.
    assert {test_id for _name, _line, test_id in expected} == set(CURATED_TESTS)


def test_nosec_is_honoured(tmp_path):
    paths = []
    for name in ("nosec_all.py", "nosec_one_test.py"):
        (tmp_path / name).write_text(CASES[name], encoding="utf-8")
        paths.append(tmp_path / name)
    found = _ours(paths, tmp_path)
    # A bare nosec silences its line; `nosec B301` silences B301 only, so torch.load still reports B614.
    assert {(Path(name).name, line, test_id) for name, line, test_id in found} == {
        ("nosec_all.py", 4, "B614"), ("nosec_one_test.py", 4, "B614")}


def test_credential_values_never_reach_the_facts(tmp_path):
    path = tmp_path / "password_default.py"
    path.write_text(CASES["password_default.py"], encoding="utf-8")
    messages = [fact.message for fact in extract_file("password_default.py", path.read_bytes()).bandit_findings]
    assert messages and all("admin" not in m and "t0k3n" not in m for m in messages)


@pytest.mark.parametrize("machine_root", ["main_pc_code", "pc2_code", "common"])
def test_fixture_repository_equals_bandit_manager(machine_root):
    paths = sorted((FIXTURE_REPO / machine_root).rglob("*.py"))
    parsed = [p for p in paths if extract_file(p.name, p.read_bytes()).parse_status == "ok"]
    assert _ours(parsed, FIXTURE_REPO) == _bandit_manager_issues(parsed)
