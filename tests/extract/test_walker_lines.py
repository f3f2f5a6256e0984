"""The cheap line index gives exactly libcst's PositionProvider start lines."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from analyzer.extract.walker import LINE_NODE_TYPES, index_lines

SOURCES = sorted((Path(__file__).resolve().parents[2] / "analyzer").rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES[:12], ids=lambda p: p.name)
def test_lines_match_position_provider(path):
    module = cst.parse_module(path.read_bytes())
    index = index_lines(module)
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    expected = {node: r.start.line for node, r in positions.items() if isinstance(node, LINE_NODE_TYPES)}
    assert index.node_lines == expected
    comment_lines = sorted(r.start.line for node, r in positions.items() if isinstance(node, cst.Comment))
    assert [line for line, _text in index.comments] == comment_lines


def test_crlf_and_multiline_strings_keep_lines_right():
    code = 'a = """one\r\ntwo"""\r\n# TODO: x\r\ntry:\r\n    f()\r\nexcept:\r\n    pass\r\n'
    module = cst.parse_module(code)
    index = index_lines(module)
    assert index.comments == [(3, "# TODO: x")]
    handler = module.body[1].handlers[0]
    assert index.line_of(handler) == 6
