"""Both ways of finding start lines give exactly libcst's PositionProvider numbers."""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from analyzer.extract.lines import LINE_NODE_TYPES, lines_from_codegen, index_lines
from analyzer.extract.pytree import PythonTree
from analyzer.extract.todos import COMMENT_TAG_RE
from analyzer.extract.walker import walk

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "analyzer").rglob("*.py"), *(ROOT / "bench").rglob("*.py"), *(ROOT / "fixtures").rglob("*.py")])

TRICKY = '''
@decorator(call_in_decorator())
def f(a=default(), /, b=other(), *, c: ann() = kw()) -> returns():
    x = outer(inner(deep()))(again())
    y = first() if cond() else second()
    z = [make(i) for i in source() if keep(i)]
    s = f"{fmt(x)} and {more(y)!r}"  # TODO: f-strings
    t = "# TODO not a comment" + call()
    return (
        wrapped()
    )


class C(Base(), metaclass=meta()):
    """Docstring with
    # TODO inside a string
    """
    attr: int = value()
    for i in range(3):
        while check(i):
            if a():
                pass
            elif b():
                pass
'''


def _ast_index(module: cst.Module, source: str):
    index = index_lines(module, source, PythonTree(ast.parse(source)), COMMENT_TAG_RE)
    walk(module, {}, index.see)
    assert index.complete()
    return index


def _position_lines(module: cst.Module) -> dict:
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return {id(node): r.start.line for node, r in positions.items() if isinstance(node, LINE_NODE_TYPES)}


def _parse(path: Path) -> str | None:
    try:
        source = path.read_bytes().decode("utf-8")
        ast.parse(source)
        cst.parse_module(source)
    except (UnicodeDecodeError, SyntaxError, ValueError, cst.ParserSyntaxError):
        return None
    return source


@pytest.mark.parametrize("source", [TRICKY, *(s for s in map(_parse, SOURCES) if s)], ids=lambda s: str(len(s)))
def test_ast_lines_equal_position_provider(source):
    module = cst.parse_module(source)
    index = _ast_index(module, source)
    assert index.node_lines == _position_lines(module)
    assert index.comments == lines_from_codegen(module, COMMENT_TAG_RE).comments


def test_tricky_source_takes_the_ast_path_and_finds_only_real_comments():
    module = cst.parse_module(TRICKY)
    index = _ast_index(module, TRICKY)
    assert index.comments == [(7, "# TODO: f-strings")]


def test_crlf_and_multiline_strings_keep_lines_right():
    code = 'a = """one\r\ntwo"""\r\n# TODO: x\r\ntry:\r\n    f()\r\nexcept:\r\n    pass\r\n'
    module = cst.parse_module(code)
    for index in (_ast_index(module, code), lines_from_codegen(module, COMMENT_TAG_RE)):
        assert index.comments == [(3, "# TODO: x")]
        assert index.line_of(module.body[1].handlers[0]) == 6
