"""Bad input is a finding, never a crash."""

from __future__ import annotations

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


def test_deeply_nested_expression_is_too_deep_with_the_limit():
    code = "x = " + "(" * 500 + "1" + ")" * 500 + "\n"
    facts = extract_file("deep.py", code.encode())
    assert (facts.parse_status, facts.parse_error.kind) == ("error", "TooDeep")
    assert "200" in facts.parse_error.message


def test_empty_file_is_fine():
    facts = extract_file("empty.py", b"")
    assert (facts.parse_status, facts.lines, facts.imports) == ("ok", 0, [])
