"""Loud failures when an upgrade of Bandit or libcst stops yielding the planted fixture findings.

Two places reach past those libraries' public APIs (pyproject.toml bounds both to the versions
checked here): analyzer/extract/bandit.py drives `bandit.core`'s visitor, tester and test set
(no public API runs Bandit on a tree already parsed), and analyzer/extract/lines.py subclasses
libcst's `CodegenState` to count lines at a fifth of PositionProvider's cost. An upgrade that
changes either could make extraction quietly report nothing; these tests name the library and
its version instead.
"""

from __future__ import annotations

import ast
import importlib.metadata
import inspect
import json

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from analyzer.extract import extract_file
from analyzer.extract.bandit import CURATED_TESTS, bandit_findings
from analyzer.extract.lines import LINE_NODE_TYPES, node_start_lines
from analyzer.extract.walker import child_nodes, dotted_name
from tests.conftest import FIXTURE_REPO

EXPECTED = FIXTURE_REPO / "expected_findings"


def _upgrade_message(library: str, what: str, where: str) -> str:
    version = importlib.metadata.version(library)
    return (f"{library} {version} yields {what} on the planted fixture cases: {where} depends on {library}'s "
            f"internals; check it against {library} {version} before moving the bound in pyproject.toml")


def _planted(query: str) -> list[dict]:
    return json.loads((EXPECTED / f"{query}.json").read_text(encoding="utf-8"))


def _facts(path: str):
    return extract_file(path, (FIXTURE_REPO / path).read_bytes())


def test_bandit_loads_every_curated_test():
    # Each curated test alone, on code it must fire on: a test id Bandit no longer ships gives no finding.
    triggers = {
        "B102": "exec(code)\n", "B104": "s.bind(('0.0.0.0', 80))\n", "B107": "def f(password='admin'):\n    pass\n",
        "B113": "import requests\nrequests.get(url)\n", "B201": "import flask\napp.run(debug=True)\n",
        "B301": "import pickle\npickle.loads(b)\n", "B302": "import marshal\nmarshal.loads(b)\n", "B307": "eval(x)\n",
        "B501": "import requests\nrequests.get(u, verify=False, timeout=1)\n", "B506": "import yaml\nyaml.load(t)\n",
        "B608": "q = 'SELECT * FROM t WHERE id = %s' % uid\n", "B614": "import torch\ntorch.load(p)\n",
        "B615": "from transformers import AutoModel\nAutoModel.from_pretrained('m')\n",
    }
    assert set(triggers) == set(CURATED_TESTS)
    silent = sorted(test_id for test_id, code in triggers.items()
                    if test_id not in {f.test_id for f in bandit_findings("case.py", code, ast.parse(code))})
    assert not silent, _upgrade_message("bandit", f"no finding for {', '.join(silent)}", "analyzer/extract/bandit.py")


def test_bandit_finds_the_planted_cases():
    for case in _planted("bandit-findings"):
        found = {(f.line, f.test_id) for f in _facts(case["path"]).bandit_findings}
        assert (case["line"], case["test_id"]) in found, _upgrade_message(
            "bandit", f"no {case['test_id']} at {case['path']}:{case['line']}", "analyzer/extract/bandit.py")


def test_libcst_extraction_finds_the_planted_cases():
    for case in _planted("shell-injection"):
        lines = {f.line for f in _facts(case["path"]).risky_calls}
        assert case["line"] in lines, _upgrade_message(
            "libcst", f"no shell call at {case['path']}:{case['line']}", "analyzer/extract (the walk over libcst's tree)")
    for case in _planted("hardcoded-secrets"):
        targets = {(f.line, f.target) for f in _facts(case["path"]).secrets}
        assert (case["line"], case["target"]) in targets, _upgrade_message(
            "libcst", f"no secret at {case['path']}:{case['line']}", "analyzer/extract (the walk over libcst's tree)")


def test_libcst_codegen_line_counting_matches_position_provider():
    # The fallback line index and the codemods' start lines come from a CodegenState subclass.
    for case in _planted("shell-injection") + _planted("hardcoded-secrets"):
        module = cst.parse_module((FIXTURE_REPO / case["path"]).read_bytes())
        counted, _ = node_start_lines(module, LINE_NODE_TYPES)
        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        expected = {node: r.start.line for node, r in positions.items() if isinstance(node, LINE_NODE_TYPES)}
        assert expected and counted == expected, _upgrade_message(
            "libcst", f"other start lines than PositionProvider in {case['path']}",
            "analyzer/extract/lines.py (_LineRecordingState subclasses libcst._nodes.internal.CodegenState)")


def test_libcst_concrete_node_classes_have_no_subclasses():
    # Extraction tests node kinds exactly (`type(node) is cst.Call`): libcst's node classes are ABCs, whose
    # failed isinstance runs Python code. That equals isinstance only while no concrete class is subclassed.
    concrete = [value for name, value in vars(cst).items() if inspect.isclass(value) and issubclass(value, cst.CSTNode)
                and not inspect.isabstract(value) and not name.startswith("Base")]
    subclassed = sorted(node_class.__name__ for node_class in concrete if node_class.__subclasses__())
    assert len(concrete) > 100 and subclassed == [], _upgrade_message(
        "libcst", f"subclasses of {subclassed}", "analyzer/extract (exact node type tests)")
    module = cst.parse_module("value = first.second.third(name)\n")
    call = module.body[0].body[0].value
    assert dotted_name(call.func) == "first.second.third" and dotted_name(call.args[0].value) == "name"
    assert [type(node) for node in child_nodes(call)] == [cst.Attribute, cst.Arg], _upgrade_message(
        "libcst", "other children of a call", "analyzer/extract/walker.py (child fields)")
