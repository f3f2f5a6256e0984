"""Bandit's generic security tests, run as a library on the tree extraction already parsed.

Bandit is driven through its per-file node visitor (`BanditNodeVisitor`) with its own
test set and tester, so findings match what `bandit` reports for the same tests,
`# nosec` comments included. Three things make it cheap enough to run inside the
scan's workers (docs/security.md has the measurements):

- CPython's tree from extraction is reused: no second parse, no second read;
- a test runs on a file only when the file's text names what the test looks for
  (`TRIGGERS`: a test on `torch.load` needs "torch" in the file, since Bandit resolves
  call names through the file's own imports); a file no test can fire on is not walked
  (tests/security/test_bandit.py checks the results equal BanditManager's);
- nodes no running test looks at are walked but get no context and no test call, and
  parent links (which only the string tests read) are set only when a string test runs;
- a file without `nosec` comments is not tokenized, and its tests run through a lean
  tester that skips Bandit's per-test context copy and nosec bookkeeping.

No public Bandit API runs tests on a tree already parsed, so this drives `bandit.core`'s test set,
visitor and tester and reads a test's `_test_id` and `_config`: pyproject.toml bounds Bandit to the
versions checked, and tests/extract/test_dependencies.py fails naming the version when an upgrade
stops finding the planted cases.

Only the curated tests in `CURATED_TESTS` run: the rest are covered by this
project's own rules, noisy in agent code, or for stacks agents do not use.
Credential values Bandit quotes in its messages are cut off.
"""

from __future__ import annotations

import ast
import heapq
import io
import logging
import tokenize
import warnings
from functools import cache
from typing import Any

from analyzer.extract.base import Example, Extractor
from analyzer.extract.pytree import LocatedNode
from analyzer.facts import BanditFact

# Test id -> why it is in the selection.
CURATED_TESTS: dict[str, str] = {
    "B102": "exec() runs code built at run time",
    "B104": "servers bound to 0.0.0.0 (HTTP, raw sockets; ZeroMQ binds have zmq-unauthenticated-bind)",
    "B107": "credentials as parameter defaults (assignments, dict entries and keyword arguments are hardcoded-secrets)",
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
# Test id -> words one of which a file's lower-cased text must contain for the test to be able to
# fire (a superset, checked with plain substring search: a gate, not a test).
TRIGGERS: dict[str, tuple[str, ...]] = {
    "B102": ("exec",),
    "B104": ("0.0.0.0",),  # a trigger word, not a bind  # nosec B104
    "B107": ("pas", "pwd", "token", "secret"),  # Bandit's RE_WORDS: pas+wo?r?d|pass(phrase)?|pwd|token|secrete?
    "B113": ("requests", "httpx"),
    "B201": ("flask",),
    "B301": ("pickle", "dill", "shelve"),
    "B302": ("marshal",),
    "B307": ("eval",),
    "B501": ("verify",),
    "B506": ("yaml",),
    "B608": ("select", "delete", "insert", "update"),
    "B614": ("torch",),
    "B615": ("transformers", "datasets", "huggingface_hub"),
}
# Tests whose message quotes the credential they found.
SECRET_QUOTING_TESTS = frozenset({"B105", "B106", "B107"})


@cache
def _bandit():
    """(test set, check kinds per test id, visitor class), built once per process."""
    # Bandit and its plugin loader log to the root logger (an optional SARIF formatter missing, words after
    # `# nosec` that are not test ids); a scan reports findings, not Bandit's chatter.
    for name in ("bandit", "stevedore"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
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
    kinds: dict[str, set[str]] = {}  # test id -> the AST node kinds it checks
    ids_of: dict[object, frozenset[str]] = {}  # test function -> the test ids it reports
    for checktype, checks in tests.tests.items():
        for check in checks:
            ids_of[check] = _test_ids(check)
            for test_id in ids_of[check]:
                kinds.setdefault(test_id, set()).add(checktype)

    class LeanTester(b_tester.BanditTester):
        """BanditTester.run_tests for a file with no nosec comment, running only the file's enabled tests:
        the same results without Bandit's per-test context copy and nosec bookkeeping."""

        enabled: frozenset[str] = frozenset()

        def run_tests(self, raw_context, checktype):
            for test in self.testset.get_tests(checktype):
                if self.enabled.isdisjoint(ids_of[test]):
                    continue
                context = b_context.Context(raw_context)
                try:
                    result = test(context, test._config) if hasattr(test, "_config") else test(context)
                except Exception:  # noqa: BLE001  # analyzer: ignore[broad-except, swallowed-exceptions] - a plugin failing on odd code: Bandit logs and goes on too
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
        """Bandit's visitor over an existing tree, visiting only the node kinds the enabled tests check."""

        def __init__(self, fname: str, enabled: set[str], nosec_lines: dict[int, set[str]]) -> None:
            # BanditNodeVisitor.__init__ would look for packages on disk to name the module; nothing here needs it.
            self.debug, self.nosec_lines, self.depth, self.fname, self.fdata = False, nosec_lines, 0, fname, None
            self.metaast, self.testset = None, tests
            self.imports: set[str] = set()
            self.import_aliases: dict[str, str] = {}
            self.metrics = b_metrics.Metrics()
            if nosec_lines:  # Bandit's own tester honours nosec; it runs every test of the selection
                self.metrics.begin(fname)  # it counts nosec comments per file
                self.tester = b_tester.BanditTester(tests, False, nosec_lines, self.metrics)
                enabled = set(CURATED_TESTS)
            else:
                self.tester = LeanTester(tests, False, nosec_lines, self.metrics)
                self.tester.enabled = frozenset(enabled)
            self.wanted = {"Import", "ImportFrom"}.union(*(kinds.get(t, ()) for t in enabled))  # imports name calls
            self.links = bool({"Str", "Bytes"} & self.wanted)  # only the string tests read parent links
            if self.links:
                self.wanted.add("Constant")
            if "FunctionDef" in self.wanted:
                self.wanted.add("ClassDef")
            self.namespace = ""
            self.scores: dict[str, Any] = {}

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
            links, child = self.links, self._child
            for name in node._fields:
                value = getattr(node, name, None)
                if type(value) is list:
                    last = len(value) - 1
                    for index, item in enumerate(value):
                        if isinstance(item, ast.AST):
                            if links:
                                # Links Bandit's string tests read; ast nodes take any attribute.
                                item._bandit_sibling = value[index + 1] if index < last else None  # type: ignore[attr-defined]
                                item._bandit_parent = node  # type: ignore[attr-defined]
                            child(item)
                elif isinstance(value, ast.AST):
                    if links:
                        value._bandit_sibling = None  # type: ignore[attr-defined]
                        value._bandit_parent = node  # type: ignore[attr-defined]
                    child(value)

        def visit_listed(self, nodes):
            """Visit listed nodes in source order instead of walking the tree: for the call, import and
            def tests, whose only state is the import aliases (imports are never nested in calls or defs)."""
            wanted = self.wanted
            for node in nodes:
                if type(node).__name__ in wanted:
                    self.namespace = ""
                    self.pre_visit(node)
                    self.visit(node)

        def _child(self, node):
            kind = type(node).__name__
            if kind not in self.wanted:
                self.generic_visit(node)
                return
            self.pre_visit(node)
            self.visit(node)
            self.generic_visit(node)
            if kind == "FunctionDef" or kind == "ClassDef":
                self.namespace = b_utils.namespace_path_split(self.namespace)[0]

    return Visitor


def load_bandit() -> None:
    """Build Bandit's test set and visitor now rather than on the first file (once per process)."""
    _bandit()


def _test_ids(check) -> frozenset[str]:
    """A plugin's test id; Bandit's blacklist wrapper (B001) stands for the ids of the entries it holds."""
    if check._test_id == "B001":
        return frozenset(entry["id"] for entries in check._config.values() for entry in entries)
    return frozenset({check._test_id})


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


def _source_order(node: LocatedNode) -> tuple[int, int, int, int]:
    return node.lineno, node.col_offset, -(node.end_lineno or 0), -(node.end_col_offset or 0)


def bandit_findings(path: str, source: str, tree: ast.Module, listed: dict[str, list[LocatedNode]] | None = None) -> list[BanditFact]:
    """Findings of the curated tests. `listed`: the file's ast nodes by kind ("call", "import", "from",
    "def"), each in source order, when extraction already collected them; spares a walk of the tree."""
    text = source.lower()
    enabled = {test_id for test_id, words in TRIGGERS.items() if any(word in text for word in words)}
    if not enabled:
        return []
    visitor = _bandit()(path, enabled, _nosec_lines(source) if "nosec" in source else {})
    if listed is not None and not visitor.links and not visitor.nosec_lines:
        kinds = ("call", "import", "from", "def")
        visitor.visit_listed(heapq.merge(*(listed.get(kind, ()) for kind in kinds), key=_source_order))
    else:
        visitor.generic_visit(tree)
    return [
        BanditFact(issue.lineno, issue.test_id, issue.test, issue.severity.lower(), issue.confidence.lower(),
                   issue.cwe.id if issue.cwe else 0, _message(issue.test_id, issue.text))
        for issue in visitor.tester.results
    ]


class BanditExtractor(Extractor):
    """Runs last: Bandit marks the shared `ast` tree's nodes with parent links as it walks."""

    facts_field = "bandit_findings"
    runs_last = True
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
        tree, walked = self.context.tree, self.context.tree_walk
        if tree is not None:
            # The walk of CPython's tree (extract/pytree.py) listed its calls, imports and defs in source order.
            found = bandit_findings(self.context.facts.path, self.context.source, tree, walked.located if walked else None)
            self.context.facts.bandit_findings.extend(found)
