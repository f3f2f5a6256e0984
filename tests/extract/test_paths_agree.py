"""Extraction's fast path and its reference path give the same facts, on the fixture, a generated corpus and
every extractor's examples.

The fast path reads what it can off one walk of CPython's tree (analyzer/extract/pytree.py) and shares work
between extractors; the reference path takes each from its definition instead: start lines from libcst's
own code generation (PositionProvider's numbers), the normalized hash from `ast.dump`, Bandit walking the
whole tree, and every except handler classified afresh each time it is asked about. Every fact of every
file, compared as the cache stores it, must be equal.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import msgpack
import pytest

import analyzer.extract as extract
from analyzer.codec import encoder
from analyzer.extract import bandit, handlers
from analyzer.extract.base import FileContext
from analyzer.extract.lines import AstLineIndex, lines_from_codegen
from analyzer.extract.pytree import PythonTree
from analyzer.facts import PARSE_OK, FileFacts
from bench.corpus import generate
from tests.conftest import FIXTURE_REPO


class _DumpedTree(PythonTree):
    """The normalized hash from its definition: the digest of `ast.dump(tree)`."""

    def __init__(self, tree: ast.Module) -> None:
        super().__init__(tree)
        self.normalized_hash = hashlib.sha1(ast.dump(tree).encode()).hexdigest()


def _sources(repo: Path) -> list[tuple[str, bytes]]:
    return [(path.relative_to(repo).as_posix(), path.read_bytes()) for path in sorted(repo.rglob("*.py"))]


def _encoded(facts: FileFacts) -> bytes:
    return msgpack.packb(encoder(FileFacts)(facts), unicode_errors="surrogatepass")


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> list[tuple[str, bytes]]:
    corpus = tmp_path_factory.mktemp("corpus")
    generate(corpus, 4000)
    examples = [(f"examples/{extractor.__name__}_{index}.py", example.code.encode())
                for extractor in extract.DOCUMENTED_EXTRACTORS for index, example in enumerate(extractor.EXAMPLES)]
    return [*_sources(FIXTURE_REPO), *((f"corpus/{path}", data) for path, data in _sources(corpus)), *examples]


def test_fast_and_reference_paths_give_the_same_facts(sources, monkeypatch):
    ast_indexed = 0
    original_index = extract.index_lines

    def counting_index(*args):
        nonlocal ast_indexed
        index = original_index(*args)
        ast_indexed += isinstance(index, AstLineIndex)
        return index

    monkeypatch.setattr(extract, "index_lines", counting_index)
    fast = {path: extract.extract_file(path, data) for path, data in sources}
    # A real comparison: most files take the fast path, and they hold facts the paths could disagree on.
    assert ast_indexed > 0.9 * len(sources) > 100
    assert sum(len(f.excepts) for f in fast.values()) > 50 and sum(len(f.bandit_findings) for f in fast.values()) > 5
    assert all(f.normalized_hash for f in fast.values() if f.parse_status == PARSE_OK)

    monkeypatch.setattr(extract, "index_lines", lambda module, source, walked, pattern: lines_from_codegen(module, pattern))
    monkeypatch.setattr(extract, "PythonTree", _DumpedTree)
    whole_tree = bandit.bandit_findings
    monkeypatch.setattr(bandit, "bandit_findings", lambda path, source, tree, listed=None: whole_tree(path, source, tree))
    monkeypatch.setattr(FileContext, "handler_class", lambda context, handler: handlers.classify(handler))
    reference = {path: _encoded(extract.extract_file(path, data)) for path, data in sources}

    assert [path for path, facts in fast.items() if _encoded(facts) != reference[path]] == []
