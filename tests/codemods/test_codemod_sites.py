"""A file a scan parsed is rewritten from the statements that hold its sites alone, spliced back into its text, in
worker processes that give each file a time limit: the report is byte for byte the one of a whole-module rewrite of
every file in one process."""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from analyzer.extract import extract_file
from bench.corpus import generate
from agent_graph_codemods.apply import FAILED, UNPARSABLE, run_codemod
from agent_graph_codemods.bare_except import BareExcept
from agent_graph_codemods.base import apply_to_source, compiled_tree, parse_checked, rewrite_statements
from agent_graph_codemods.port_literals import PortLiterals
from agent_graph_codemods.tree import discover
from tests.codemods.test_codemod_cached import outcome

# Shapes a cut-out statement must survive: each is rewritten from its site statements alone.
SITE_SHAPES = {
    "nested tries with else and finally": (
        "import zmq\n\n\nclass Agent:\n    def run(self):\n        try:\n            self.step()\n"
        "        except:\n            try:\n                self.reset()\n            except :  # second\n"
        "                raise\n        else:\n            pass\n        finally:\n            self.close()\n"
    ),
    "module level without a final newline": "import os\ntry:\n    import uvloop\nexcept:pass",
    "tabs and a comment at column 0": (
        "def f(x):\n\tif x:\n\t\ttry:\n\t\t\tg()\n# note\n\t\texcept:\n\t\t\tpass\n\treturn 1\n"
    ),
    "non-ASCII text around the sites": (
        'NAME = "café"\n\n\ndef f():\n    try:\n        print("naïve")\n    except:  # é\n        raise\n'
    ),
    "strings that look like handlers": (
        'DOC = """\ntry:\n    x\nexcept:\n    pass\n"""\n\n\ndef f():\n    try:\n        g()\n'
        '    except:\n        return """\n    except:\n"""\n'
    ),
    "two sites in one statement, one specific handler": (
        "def f():\n    try:\n        g()\n    except KeyError:\n        pass\n    except:\n        h()\n"
        "    while True:\n        try: g()\n        except: continue\n"
    ),
    "an indented site at the end of a file without a final newline": (
        "class A:\n    def f(self):\n        try:\n            g()\n        except:\n            pass"
    ),
    "a site under a backslash continuation": (
        "x = 1 + \\\n    2\nif x:\n    try:\n        g()\n    except:\n        pass\n"
    ),
}

# Files rewritten whole even with facts: what the splice cannot hold. The report is the same all the same.
WHOLE_FILE_SHAPES = {
    "CRLF line breaks": b"def f():\r\n    try:\r\n        g()\r\n    except:\r\n        pass\r\n",
    "a latin-1 coding cookie": b"# -*- coding: latin-1 -*-\nS = '\xe9'\ntry:\n    g()\nexcept:\n    pass\n",
    "a UTF-8 BOM": b"\xef\xbb\xbftry:\n    g()\nexcept:\n    pass\n",
}


# port-literals: the call statements and the module's head, each parsed alone, give the whole-module rewrite.
PORT_SHAPES = {
    "docstring, future import, comments before the first class": (
        '"""Agent."""\nfrom __future__ import annotations\n\nimport zmq\n# ports\n\n\n@dataclass\nclass A:\n'
        '    def run(self):\n        self.sock.bind("tcp://*:5556")  # pub\n'
    ),
    "module-level binds before and after the defs, no final newline": (
        'import zmq\nPORT = 7100\ns = zmq.Context().socket(zmq.PULL)\ns.bind("tcp://0.0.0.0:%d" % PORT)\n\n\n'
        'def f():\n    pass\n\n\nt = zmq.Context().socket(zmq.PUSH)\nt.connect("tcp://localhost:" + str(PORT))'
    ),
    "no def or class at all": 'import zmq\nsock = zmq.Context().socket(zmq.REP)\nsock.bind(f"tcp://*:{5570}")\n',
    "an import guard, then a multi-line call in a nested block": (
        "try:\n    import zmq\nexcept ImportError:\n    zmq = None\n\n\nclass Agent:\n    def start(self):\n"
        "        if self.ok:\n            self.sock.bind(\n                'tcp://*:'\n                '6001'\n"
        "            )\n        self.other.connect('tcp://127.0.0.1:6001')\n"
    ),
    "get_port defined here: the import takes another name": (
        "import zmq\n\n\ndef get_port(name):\n    return 1\n\n\nclass B:\n    def run(self):\n"
        "        self.sock.bind('tcp://*:5590')\n"
    ),
    "get_port imported already": (
        "import zmq\nfrom agent_runtime import get_port as gp\n\n\nclass C:\n    def run(self):\n"
        "        self.sock.bind('tcp://*:5591')\n        self.b.bind(f'tcp://*:{gp(\"X_PUB\")}')\n"
    ),
    "two binds on one line, and an indented comment ending a block": (
        "import zmq\n\n\nclass D:\n    def run(self):\n        self.a.bind('tcp://*:5592'); self.b.bind('tcp://*:5593')\n"
        "        # done\n# end\n"
    ),
    "a bind in a decorator's arguments": (
        "import zmq\n\n\n@register(sock.bind('tcp://*:5594'))\ndef f():\n    pass\n"
    ),
    "a constant endpoint string: rewritten where it is assigned": (
        'import zmq\nENDPOINT = "tcp://*:6000"\n\n\ndef run(sock):\n    sock.bind(ENDPOINT)\n'
    ),
    "an f-string concatenated first: libcst's docstring, not CPython's": (
        'f"{1}" "doc"\nimport zmq\nsock.bind("tcp://*:6001")\n'
    ),
    "a line of the head continued with a backslash": 'import zmq; \\\nimport os\nsock.bind("tcp://*:6002")\n',
}


def _facts(tree) -> dict:
    facts = {path: extract_file(path, tree.path_of(path).read_bytes()) for path in tree.files}
    assert all(f.parse_status == "ok" for f in facts.values())
    return facts


@pytest.mark.parametrize("source", SITE_SHAPES.values(), ids=SITE_SHAPES)
def test_the_site_statements_alone_give_the_whole_module_rewrite(source):
    codemod, path = BareExcept(), "agents/agent.py"
    whole = apply_to_source(codemod, source, path)
    local = rewrite_statements(codemod, source, codemod.local_sites(compiled_tree(source.encode(), path)), path, None)
    assert local is not None, "the statements could not be cut out"
    assert (local.code, local.edits, local.notes) == (whole.code, whole.edits, whole.notes)
    assert local.code != source


@pytest.mark.parametrize("example", BareExcept.EXAMPLES, ids=lambda example: example.title)
def test_each_example_rewrites_locally_as_it_does_whole_when_its_options_allow(example):
    codemod = BareExcept(example.options)
    whole = apply_to_source(codemod, example.before, example.path)
    tree = compiled_tree(example.before.encode(), example.path)
    if not codemod.rewrites_locally():
        assert example.options.get("log_swallowed")
        return
    local = rewrite_statements(codemod, example.before, codemod.local_sites(tree), example.path, None)
    assert local is not None
    assert (local.code, local.edits, local.notes) == (whole.code, whole.edits, whole.notes)


@pytest.mark.parametrize("shape", [*SITE_SHAPES, *WHOLE_FILE_SHAPES])
def test_a_run_on_facts_reports_what_a_run_without_them_does(shape, tmp_path):
    source = SITE_SHAPES.get(shape)
    (tmp_path / "agent.py").write_bytes(source.encode() if source is not None else WHOLE_FILE_SHAPES[shape])
    tree = discover(tmp_path)
    full = run_codemod(BareExcept(), tree)
    assert full.changed
    assert outcome(run_codemod(BareExcept(), tree, facts=_facts(tree))) == outcome(full)


@pytest.mark.slow  # a worker pool over a generated corpus
def test_a_generated_corpus_in_two_workers_on_facts_equals_one_process_without(tmp_path):
    generate(tmp_path, 4000)
    (tmp_path / "common" / "broken.py").write_text("try:\n    pass\nexcept:\n    return 1\n")  # compile() refuses it
    tree = discover(tmp_path)
    facts = _facts(discover(tmp_path / "main_pc_code"))  # one machine's files only: the other's are parsed whole
    facts = {f"main_pc_code/{path}": value for path, value in facts.items()}
    full = run_codemod(BareExcept(), tree, jobs=1)
    assert len(full.changed) > 8 and [o.path for o in full.unparsable] == ["common/broken.py"]
    for jobs in (1, 2):
        assert outcome(run_codemod(BareExcept(), tree, jobs=jobs, facts=facts)) == outcome(full), jobs
    assert outcome(run_codemod(BareExcept(), tree, jobs=2)) == outcome(full)


def test_a_file_that_outruns_its_limit_or_kills_its_worker_is_skipped_and_the_run_goes_on(tmp_path, monkeypatch):
    for index in range(10):
        (tmp_path / f"agent_{index}.py").write_text(f"try:\n    g({index})\nexcept:\n    pass\n")
    rewrite = BareExcept.rewrite

    def misbehave(self, module, path, file_plan):  # runs in the forked workers, which inherit the patch
        if path == "agent_3.py":
            time.sleep(60)
        if path == "agent_6.py":
            os.kill(os.getpid(), signal.SIGKILL)
        if path == "agent_8.py":
            raise RuntimeError("boom")
        return rewrite(self, module, path, file_plan)

    monkeypatch.setattr(BareExcept, "rewrite", misbehave)
    started = time.monotonic()
    report = run_codemod(BareExcept(), discover(tmp_path), jobs=2, seconds=1.0)
    assert time.monotonic() - started < 30
    assert [(o.path, o.status, o.reason.split(":")[0]) for o in report.unparsable] == [
        ("agent_3.py", UNPARSABLE, "TooSlow"), ("agent_6.py", UNPARSABLE, "Crashed")]
    assert [(o.path, o.status, o.reason) for o in report.failed] == [
        ("agent_8.py", FAILED, "codemod error: RuntimeError: boom")]
    assert report.changed_paths == [f"agent_{i}.py" for i in (0, 1, 2, 4, 5, 7, 9)]


def test_a_file_changed_since_its_facts_were_looked_up_is_rewritten_whole(tmp_path, monkeypatch):
    """The facts vouch that libcst parsed the bytes they were made of, not the file as it is now."""
    (tmp_path / "kept.py").write_text("try:\n    g()\nexcept:\n    pass\n")
    (tmp_path / "edited.py").write_text("try:\n    g()\nexcept:\n    pass\n")
    tree = discover(tmp_path)
    facts = _facts(tree)
    (tmp_path / "edited.py").write_text("def f():\n    try:\n        g()\n    except:\n        raise\n")
    cut_out = []
    rewrite_locally = BareExcept.rewrite_locally

    def spy(codemod, text, tree, path, file_plan, facts):
        cut_out.append(path)
        return rewrite_locally(codemod, text, tree, path, file_plan, facts)

    monkeypatch.setattr(BareExcept, "rewrite_locally", spy)
    report = run_codemod(BareExcept(), tree, facts=facts)
    assert cut_out == ["kept.py"]
    assert outcome(report) == outcome(run_codemod(BareExcept(), tree))
    assert b"except BaseException:" in report.changed[0].new


def _port_rewrites(source: str, path: str):
    """(whole, local) for port-literals on one file: collected data, then the rewrite's text, edits and notes.
    The local rewrite is the same whether it reads the file's tree itself or takes its layout from a plan of
    local collects (and then never asks for the tree)."""
    codemod, data = PortLiterals(), source.encode()
    facts = extract_file(path, data)
    module, tree = parse_checked(data, path), compiled_tree(data, path)
    collected = codemod.collect_with_facts(path, module, facts)
    file_plan = codemod.plan_for_file(codemod.plan({path: collected}, None), path)
    assert file_plan, "the shape must have a port to rewrite"
    whole = codemod.rewrite_with_facts(module, path, file_plan, facts)
    local = codemod.rewrite_locally(source, lambda: tree, path, file_plan, facts)
    local_collected = codemod.collect_locally(source, tree, path, facts)
    if local_collected is not None:
        assert local_collected.layout is not None and local_collected.layout.sha256 == facts.sha256
        planned = codemod.plan_for_file(codemod.plan({path: local_collected}, None), path)
        assert planned is not None and planned.layout == local_collected.layout

        def no_tree():
            raise AssertionError("the layout in the plan spares the tree")

        from_plan = codemod.rewrite_locally(source, no_tree, path, planned, facts)
        assert from_plan == local
    return ((collected, whole.module.code, whole.edits, whole.notes),
            None if local is None else (local_collected, local.code, local.edits, local.notes))


@pytest.mark.parametrize("shape", PORT_SHAPES)
def test_port_literals_from_the_call_statements_and_the_head_equals_the_whole_module(shape):
    whole, local = _port_rewrites(PORT_SHAPES[shape], "main_pc_code/agents/agent.py")
    assert whole[1] != PORT_SHAPES[shape]
    if shape in ("a bind in a decorator's arguments", "a constant endpoint string: rewritten where it is assigned",
                 "two binds on one line, and an indented comment ending a block"):
        assert local is None  # the port is outside the call's statement, or the statement cannot be cut out
        return
    if shape.startswith(("an f-string concatenated first", "a line of the head continued")):
        assert local is None  # where the import goes is not read from CPython's tree
        return
    assert local == whole


# What may stand before the first def or class: where libcst puts the import depends on how it groups these lines
# (a `;`, an import guard, a docstring, `from __future__`) and which block owns the comments after a block.
HEAD_OPENINGS = ["", "#!/usr/bin/env python\n", "# license\n\n", '"""Doc."""\n', "b'bytes doc'\n", "('doc' 'string')\n",
                 '"""Doc."""\nfrom __future__ import annotations\n', "from __future__ import annotations\n\n"]
HEAD_STATEMENTS = [
    "import zmq\n", "import os; import sys\n", "X = 1; import json\n", "PORT = 5556\n", "# note\n\n",
    "try:\n    import a\nexcept ImportError:\n    a = None\n",
    "try:\n    import a\nexcept ImportError:\n    a = None\n    # owned by the block\n\n# not\n",
    "try:\n    import b\nexcept ImportError:\n    b = None\n\n    # owned, after a blank line\n  # not: less indented\n",
    "try: import c\nexcept ImportError: c = None\n    # not: the handler is on its line\n",
    "if X:\n    Y = 2\nelif Z:\n\tY = 3\n\t\t# owned\n    # not: another indentation\n",
    "if X:\n    if Y:\n        Z = 1\n    # owned\nelse:\n    pass\n", "def_ = 1\n",
    "sock.bind('tcp://*:5557')\n", "from agent_runtime import get_port\n", "get_port = None\n",
    "if X: Y = 1\nelse:\n    Y = 2\n      # owned\n", "if X:\n    Y = 1\nelse: Y = 2\n    # not owned\nZ = 3\n",
    "match X:\n    case 1:\n        pass\n    case _:\n        Y = 3\n    # owned by the match\n",
    "with X as y:\n  Z = 1\n  # owned\n", "try:\n    import e\nexcept* ImportError:\n    e = None\n",
]
HEAD_ENDINGS = ["", "\n\n# before the class\n@dataclass\nclass A:\n    def run(self):\n        self.s.bind('tcp://*:5558')\n",
                "\n\ndef f():\n    sock.bind('tcp://*:5559')\n"]


def _head_shapes(count: int, seed: int = 17) -> list[str]:
    chosen = random.Random(seed)
    shapes = []
    while len(shapes) < count:
        ending = chosen.choice(HEAD_ENDINGS)
        statements = chosen.sample(HEAD_STATEMENTS, chosen.randint(0, 4))
        if not ending and "sock.bind('tcp://*:5557')\n" not in statements:
            statements.append("sock.bind('tcp://*:5557')\n")  # a port to rewrite
        shapes.append(chosen.choice(HEAD_OPENINGS) + "".join(statements) + ending)
    return shapes


@pytest.mark.parametrize("source", _head_shapes(160))
def test_port_literals_puts_the_import_where_the_whole_module_rewrite_does(source):
    whole, local = _port_rewrites(source, "main_pc_code/agents/agent.py")
    assert local == whole


@pytest.mark.parametrize("example", [e for e in PortLiterals.EXAMPLES if e.after is not None],
                         ids=lambda example: example.title)
def test_each_port_literals_example_rewrites_locally_or_says_it_cannot(example):
    whole, local = _port_rewrites(example.before, example.path)
    assert whole[1] == example.after
    assert local in (whole, None)
    assert local is not None or "ENDPOINT" in example.before  # only the constant string needs the module


def _run_counting_whole_parses(tree, facts, monkeypatch, jobs=1):
    """port-literals on `tree`, and the paths it parsed whole with libcst (one process: the spies see them)."""
    whole = []
    for name in ("collect_with_facts", "rewrite_with_facts"):
        method = getattr(PortLiterals, name)

        def spy(codemod, module, path, *rest, method=method, name=name):
            whole.append((name, path))
            return method(codemod, module, path, *rest)

        monkeypatch.setattr(PortLiterals, name, spy)
    report = run_codemod(PortLiterals(), tree, jobs=jobs, facts=facts)
    monkeypatch.undo()
    return report, whole


@pytest.mark.parametrize("fixture", ["agent_system", "port_registry/tree"])
def test_port_literals_on_facts_parses_only_parts_and_reports_what_the_whole_module_run_does(fixture, tmp_path,
                                                                                            monkeypatch):
    root = tmp_path / "repo"
    shutil.copytree(Path(__file__).resolve().parents[2] / "fixtures" / fixture, root)
    tree = discover(root)
    full = run_codemod(PortLiterals(), tree)
    assert full.changed and any(o.extra for o in full.changed)  # a ports.yaml or requirements.txt besides sources
    facts = {path: extract_file(path, tree.path_of(path).read_bytes()) for path in tree.files}
    facts = {path: value for path, value in facts.items() if value.parse_status == "ok"}  # what a scan caches
    report, whole = _run_counting_whole_parses(tree, facts, monkeypatch)
    assert outcome(report) == outcome(full)
    rewritten = [o.path for o in full.changed if not o.extra]
    assert len({path for _, path in whole}) < len(rewritten), whole


@pytest.mark.slow  # a worker pool over a generated corpus
def test_port_literals_on_a_generated_corpus_in_two_workers_on_facts_equals_one_process_without(tmp_path,
                                                                                               monkeypatch):
    generate(tmp_path, 4000)
    tree = discover(tmp_path)
    facts = _facts(tree)
    full = run_codemod(PortLiterals(), tree, jobs=1)
    assert len([o for o in full.changed if not o.extra]) > 8 and full.left
    report, whole = _run_counting_whole_parses(tree, facts, monkeypatch)
    assert outcome(report) == outcome(full)
    assert not whole, "every generated file is rewritten from its parts"
    assert outcome(run_codemod(PortLiterals(), tree, jobs=2, facts=facts)) == outcome(full)
