"""A file a scan parsed is rewritten from the statements that hold its sites alone, spliced back into its text, in
worker processes that give each file a time limit: the report is byte for byte the one of a whole-module rewrite of
every file in one process."""

from __future__ import annotations

import os
import signal
import time

import pytest

from analyzer.extract import extract_file
from bench.corpus import generate
from agent_graph_codemods import apply
from agent_graph_codemods.apply import FAILED, UNPARSABLE, run_codemod
from agent_graph_codemods.bare_except import BareExcept
from agent_graph_codemods.base import apply_to_source, compiled_tree, rewrite_statements
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

    def spy(codemod, text, statements, path, file_plan):
        cut_out.append(path)
        return rewrite_statements(codemod, text, statements, path, file_plan)

    monkeypatch.setattr(apply, "rewrite_statements", spy)
    report = run_codemod(BareExcept(), tree, facts=facts)
    assert cut_out == ["kept.py"]
    assert outcome(report) == outcome(run_codemod(BareExcept(), tree))
    assert b"except BaseException:" in report.changed[0].new
