"""Files libcst cannot parse: CPython's own line and message, and the comments before the error.

libcst's tokenizer often reports line 1 (an unterminated string) or the line after
the real one; CPython's parser names the line a developer expects, with messages
like "expected ':'" or "Missing parentheses in call to 'print'". Compiling only
builds a syntax tree (`PyCF_ONLY_AST`): nothing in the file runs.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize

import libcst as cst

from analyzer.facts import ParseErrorFact

SYNTAX_ERROR = "SyntaxError"
# libcst rejects what the scanning interpreter accepts (a grammar corner libcst lacks): not the code's fault.
UNSUPPORTED_SYNTAX = "UnsupportedSyntax"


def syntax_error(data: bytes, path: str, error: cst.ParserSyntaxError) -> ParseErrorFact:
    """The parse failure of a file libcst rejected, at CPython's line with CPython's message when CPython
    rejects it too; libcst's own when CPython accepts the file."""
    try:
        compile(data, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as cpython:  # IndentationError and TabError included
        line = cpython.lineno if cpython.lineno and cpython.lineno > 0 else error.raw_line
        return ParseErrorFact(SYNTAX_ERROR, cpython.msg, line)
    except (ValueError, RecursionError, MemoryError):
        pass  # CPython gave no line either: libcst's is the best there is
    else:
        message = error.message.splitlines()[0] if error.message else "invalid syntax"
        return ParseErrorFact(UNSUPPORTED_SYNTAX, f"libcst cannot parse it (CPython can): {message}", error.raw_line)
    return ParseErrorFact(SYNTAX_ERROR, error.message.splitlines()[0] if error.message else "invalid syntax",
                          error.raw_line)


def comments_up_to(source: str, last_line: int, pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    """(line, "# text") of the comments matching `pattern` on lines up to `last_line` (a syntax error's), as
    far as the tokenizer gets: past the error, an unclosed string or bracket makes comments indistinguishable
    from code."""
    comments = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.start[0] > last_line:
                break
            if token.type == tokenize.COMMENT and pattern.search(token.string):
                comments.append((token.start[0], token.string.rstrip()))
    except (tokenize.TokenError, SyntaxError):  # the tokenizer's own end: keep what came before
        pass
    return comments
