"""Bad input is a finding, never a crash."""

from __future__ import annotations

import pytest

from analyzer.extract import extract_file


def test_python2_print_is_a_syntax_error_with_its_line():
    facts = extract_file("legacy.py", b"import os\n\nprint 'hello'\n")
    assert facts.parse_status == "error"
    assert (facts.parse_error.kind, facts.parse_error.line) == ("SyntaxError", 3)
    assert facts.lines == 3 and facts.imports == []


def test_null_byte_is_reported_at_its_line():
    facts = extract_file("nul.py", b"x = 1\ny = '\x00'\n")
    assert (facts.parse_status, facts.parse_error.kind, facts.parse_error.line) == ("error", "NullBytes", 2)


def test_non_utf8_file_is_a_decode_error():
    facts = extract_file("latin.py", b"# comment\nname = '\xe9t\xe9'\n")
    assert facts.parse_status == "error"
    assert facts.parse_error.kind == "UnicodeDecodeError"
    assert facts.parse_error.line == 2


def test_latin1_with_coding_cookie_parses():
    facts = extract_file("latin.py", b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'  # TODO: rename\n")
    assert facts.parse_status == "ok"
    assert [t.text for t in facts.todos] == ["rename"]


def test_oversized_file_is_skipped_not_parsed():
    facts = extract_file("generated.py", b"x = 1\n" * 1000, max_bytes=100)
    assert facts.parse_status == "skipped"
    assert facts.parse_error.kind == "TooLarge"


def test_deeply_nested_expression_does_not_crash():
    code = "x = " + "(" * 500 + "1" + ")" * 500 + "\n"
    facts = extract_file("deep.py", code.encode())
    assert facts.parse_status in ("ok", "error")
    if facts.parse_error is not None:
        assert facts.parse_error.kind == "RecursionError"


def test_empty_file_is_fine():
    facts = extract_file("empty.py", b"")
    assert (facts.parse_status, facts.lines, facts.imports) == ("ok", 0, [])


# (source, CPython's line, CPython's message) where libcst's tokenizer names another line.
CPYTHON_LINES = [
    (b"import zmq\n\nwhile True:\n    message = recv()\n    print 'received', message\n    send('ok')\n", 5,
     "Missing parentheses in call to 'print'. Did you mean print(...)?"),
    (b"x = (1,\ny = 2\n\n\n", 1, "'(' was never closed"),
    (b"class A:\n    def f(self):\n        if x\n            pass\n", 3, "expected ':'"),
    (b'a = 1\nb = """abc\n\nc = 3\n', 2, "unterminated triple-quoted string literal (detected at line 4)"),
    (b"def f():\n    x = 1\n      y = 2\n", 3, "unexpected indent"),
]


@pytest.mark.parametrize("source, line, message", CPYTHON_LINES)
def test_syntax_errors_carry_cpythons_line_and_message(source, line, message):
    facts = extract_file("broken.py", source)
    assert (facts.parse_status, facts.parse_error.kind) == ("error", "SyntaxError")
    assert (facts.parse_error.line, facts.parse_error.message) == (line, message)
    with pytest.raises(SyntaxError) as raised:  # the line a developer gets from Python itself
        compile(source, "broken.py", "exec")
    assert raised.value.lineno == line


def test_a_broken_file_keeps_the_todos_of_its_comments_up_to_the_error():
    source = (b"# TODO(ABC-1): split this agent\n"
              b"import zmq  # FIXME-HACK: hard-coded context\n"
              b"def handle(:  # TODO: fix the signature\n"
              b"    pass  # TODO: after the error, not read\n")
    facts = extract_file("broken.py", source)
    assert facts.parse_error.line == 3
    assert [(t.line, t.tag, t.text, t.ticket) for t in facts.todos] == [
        (1, "TODO", "split this agent", "ABC-1"),
        (2, "FIXME", "hard-coded context", ""),
        (2, "HACK", "hard-coded context", ""),
        (3, "TODO", "fix the signature", ""),
    ]


def test_comments_inside_an_unterminated_string_are_not_read():
    facts = extract_file("broken.py", b'# TODO: before\nx = """abc\n# TODO: inside the string\n')
    assert [(t.line, t.text) for t in facts.todos] == [(1, "before")]

