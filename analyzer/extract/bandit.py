"""Bandit's generic security tests, run as a library on the tree extraction already parsed.

Bandit is driven through its per-file node visitor (`BanditNodeVisitor`) with its own
test set and tester, so findings match what `bandit` reports for the same tests,
`# nosec` comments included. Three things make it cheap enough to run inside the
scan's workers (docs/security.md has the measurements):

- CPython's tree from extraction is reused: no second parse, no second read;
- nodes no test of the selection looks at are walked but get no context, no test call;
- a file without `nosec` comments is not tokenized, and its tests run through a lean
  tester that skips Bandit's per-test context copy and nosec bookkeeping.

Only the curated tests in `CURATED_TESTS` run: the rest are covered by this
project's own rules, noisy in agent code, or for stacks agents do not use.
Credential values Bandit quotes in its messages are cut off.
"""

from __future__ import annotations

import ast
import io
import tokenize
import warnings
from functools import cache

from analyzer.extract.base import Example, Extractor
from analyzer.facts import BanditFact

# Test id -> why it is in the selection.
CURATED_TESTS: dict[str, str] = {
    "B102": "exec() runs code built at run time",
    "B104": "servers bound to 0.0.0.0 (HTTP, raw sockets; ZeroMQ binds have zmq-unauthenticated-bind)",
    "B107": "credentials as parameter defaults (assignments and keyword arguments are risky_calls)",
    "B113": "HTTP calls without a timeout hang an agent forever",
    "B201": "Flask debug=True exposes the Werkzeug debugger: remote code execution",
    "B301": "pickle.loads on message bytes runs code for anyone who can connect",
    "B302": "marshal.loads, same as pickle",
    "B307": "eval() on data",
    "B501": "requests with verify=False",
    "B506": "yaml.load without a safe loader on config files",
    "B608": "SQL built from strings (the agents query MySQL, Postgres and SQLite)",
    "B614": "torch.load without weights_only unpickles arbitrary code from model files",
    "B615": "Hugging Face downloads without a pinned revision",
}
# Tests whose message quotes the credential they found.
SECRET_QUOTING_TESTS = frozenset({"B105", "B106", "B107"})


@cache
def _bandit():
    """(test set, AST node names to visit, visitor class), built once per process."""
    with warnings.catch_warnings():
        # stevedore, under Bandit's plugin loader, warns about an argument Bandit still passes.
        warnings.simplefilter("ignore", DeprecationWarning)
        from bandit.core import config as b_config
        from bandit.core import context as b_context
        from bandit.core import metrics as b_metrics
        from bandit.core import node_visitor, test_set
        from bandit.core import tester as b_tester
        from bandit.core import utils as b_utils

        tests = test_set.BanditTestSet(b_config.BanditConfig(), {"include": set(CURATED_TESTS)})
    wanted = set(tests.tests) | {"Import", "ImportFrom"}  # imports feed every test's name resolution
    if {"Str", "Bytes"} & wanted:
        wanted.add("Constant")
    if "FunctionDef" in wanted:
        wanted.add("ClassDef")

    class LeanTester(b_tester.BanditTester):
        """BanditTester.run_tests for a file with no nosec comment: same results, no per-test bookkeeping."""

        def run_tests(self, raw_context, checktype):
            for test in self.testset.get_tests(checktype):
                context = b_context.Context(raw_context)
                try:
                    result = test(context, test._config) if hasattr(test, "_config") else test(context)
                except Exception:  # noqa: BLE001 - a plugin failing on odd code: Bandit logs and goes on too
                    continue
                if result is None:
                    continue
                result.fname, result.fdata = raw_context["filename"], raw_context["file_data"]
                if result.lineno is None:
                    result.lineno = raw_context["lineno"]
                if result.linerange == []:
                    result.linerange = raw_context["linerange"]
                if result.col_offset == -1:
                    result.col_offset = raw_context["col_offset"]
                result.end_col_offset = raw_context.get("end_col_offset", 0)
                result.test = test.__name__
                if result.test_id == "":
                    result.test_id = test._test_id
                self.results.append(result)
            return None

    class Visitor(node_visitor.BanditNodeVisitor):
        """Bandit's visitor over an existing tree, visiting only the node kinds the selection tests."""

        def __init__(self, fname: str, nosec_lines: dict[int, set[str]]) -> None:
            # BanditNodeVisitor.__init__ would look for packages on disk to name the module; nothing here needs it.
            self.debug, self.nosec_lines, self.depth, self.fname, self.fdata = False, nosec_lines, 0, fname, None
            self.metaast, self.testset, self.imports, self.import_aliases = None, tests, set(), {}
            self.metrics = b_metrics.Metrics()
            tester = b_tester.BanditTester if nosec_lines else LeanTester
            self.tester = tester(tests, False, nosec_lines, self.metrics)
            self.namespace = ""
            self.scores = {}

        def update_scores(self, scores):
            """Scores are Bandit's report totals; findings are read from the tester."""

        def pre_visit(self, node):
            context = {"imports": self.imports, "import_aliases": self.import_aliases, "node": node,
                       "filename": self.fname, "file_data": None}
            if hasattr(node, "lineno"):
                context["lineno"], context["col_offset"] = node.lineno, node.col_offset
                context["end_col_offset"] = node.end_col_offset
            context["linerange"] = b_utils.linerange(node)
            self.context = context
            return True

        def generic_visit(self, node):
            for _name, value in ast.iter_fields(node):
                if type(value) is list:
                    last = len(value) - 1
                    for index, item in enumerate(value):
                        if isinstance(item, ast.AST):
                            item._bandit_sibling = value[index + 1] if index < last else None
                            item._bandit_parent = node
                            self._child(item)
                elif isinstance(value, ast.AST):
                    value._bandit_sibling = None
                    value._bandit_parent = node
                    self._child(value)

        def _child(self, node):
            kind = type(node).__name__
            if kind not in wanted:
                self.generic_visit(node)
                return
            self.pre_visit(node)
            self.visit(node)
            self.generic_visit(node)
            if kind == "FunctionDef" or kind == "ClassDef":
                self.namespace = b_utils.namespace_path_split(self.namespace)[0]

    return Visitor


def _nosec_lines(source: str) -> dict[int, set[str]]:
    """Bandit's own reading of `# nosec` comments (only for files that have one)."""
    from bandit.core.manager import _parse_nosec_comment

    lines: dict[int, set[str]] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                tests = _parse_nosec_comment(token.string)
                if tests is not None:
                    lines[token.start[0]] = tests
    except (tokenize.TokenError, SyntaxError):
        pass  # an unfinished token at the end: keep the comments read so far, as Bandit does
    return lines


def _message(test_id: str, text: str) -> str:
    return text.split(":", 1)[0] if test_id in SECRET_QUOTING_TESTS else text


def bandit_findings(path: str, source: str, tree: ast.Module) -> list[BanditFact]:
    visitor = _bandit()(path, _nosec_lines(source) if "nosec" in source else {})
    visitor.generic_visit(tree)
    return [
        BanditFact(issue.lineno, issue.test_id, issue.test, issue.severity.lower(), issue.confidence.lower(),
                   issue.cwe.id if issue.cwe else 0, _message(issue.test_id, issue.text))
        for issue in visitor.tester.results
    ]


class BanditExtractor(Extractor):
    """Runs last: Bandit marks the shared `ast` tree's nodes with parent links as it walks."""

    facts_field = "bandit_findings"
    EXAMPLES = [
        Example("import pickle\ndef on_message(data):\n    return pickle.loads(data)\n",
                [{"test_id": "B301", "severity": "medium", "line": 3}]),
        Example("import torch\nmodel = torch.load('agent.pt')\n", [{"test_id": "B614", "line": 2}]),
        Example("def connect(user, password='admin'):\n    pass\n",
                [{"test_id": "B107", "message": "Possible hardcoded password", "severity": "low"}]),
        Example("import requests\nr = requests.get(url)\nquery = f'SELECT * FROM users WHERE id = {uid}'\n",
                [{"test_id": "B113", "line": 2}, {"test_id": "B608", "line": 3}]),
        Example("import pickle\ndata = pickle.loads(blob)  # nosec B301\nimport torch\nm = torch.load(p, weights_only=True)\n"
                "import subprocess\nsubprocess.run(cmd, shell=True)\nassert x\n", []),
    ]

    def finish(self) -> None:
        tree = self.context.tree
        if tree is not None:
            self.context.facts.bandit_findings.extend(bandit_findings(self.context.facts.path, self.context.source, tree))
