"""The scanned files' text, read once each: lines, and the statement a finding points at.

A Python file is parsed with `ast` (once, only when a finding needs it) into the
spans of its statements: a simple statement from its first to its last line, a
compound one (def, class, if, try, except, with, for...) by its header only, up
to the line before its body. `statement(path, line)` is the innermost span
holding the line, without comments and whitespace, so reformatting a statement
or adding a comment (an `# analyzer: ignore[...]` included) leaves it the same.
Other files (YAML, requirements, .env) and Python files that do not parse fall
back to the line's text, likewise without whitespace or a suppression comment.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

from analyzer.check.suppress import SUPPRESSION

Span = tuple[int, int]  # first and last line, 1-based, inclusive


class SourceLines:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str]] = {}
        self._python: dict[str, _Statements | None] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._files:
            try:
                text = (self.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:  # deleted or unreadable since the scan: nothing to read
                text = ""
            self._files[path] = text.splitlines()
        return self._files[path]

    def line(self, path: str, number: int) -> str:
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def statement(self, path: str, number: int) -> str:
        """The normalised text of the statement holding line `number` (see the module docstring)."""
        statements = self._statements(path)
        span = statements.innermost.get(number) if statements else None
        if span is None:
            return normalised_line(self.line(path, number))
        return statements.text(span, self.lines(path))

    def extent(self, path: str, number: int) -> Span:
        """Lines of the whole statement that starts at `number` (a class or function with its body);
        the whole file for a finding about the file (line 1 or none)."""
        if number <= 1:
            return 1, max(len(self.lines(path)), 1)
        statements = self._statements(path)
        return statements.outermost.get(number, (number, number)) if statements else (number, number)

    def _statements(self, path: str) -> _Statements | None:
        if path not in self._python:
            self._python[path] = _Statements.parse("\n".join(self.lines(path))) if path.endswith(".py") else None
        return self._python[path]


def normalised_line(text: str) -> str:
    """A line without whitespace and without an `# analyzer: ignore[...]`."""
    return squeezed(SUPPRESSION.sub("", text))


def squeezed(text: str) -> str:
    return "".join(text.split())


class _Statements:
    """Where a Python file's statements lie: the innermost span per line, the outermost statement per first line."""

    def __init__(self, spans: list[Span], outermost: dict[int, Span]) -> None:
        self.innermost: dict[int, Span] = {}
        for span in sorted(spans, key=lambda s: s[1] - s[0], reverse=True):  # smaller spans overwrite larger
            for number in range(span[0], span[1] + 1):
                self.innermost[number] = span
        self.outermost = outermost
        self._texts: dict[Span, str] = {}

    @classmethod
    def parse(cls, text: str) -> _Statements | None:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):  # not Python we can read: lines stand alone
            return None
        spans: list[Span] = []
        outermost: dict[int, Span] = {}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.stmt, ast.excepthandler)):
                continue
            end = node.end_lineno or node.lineno
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                spans.append((node.lineno, max(node.lineno, body[0].lineno - 1)))
            else:
                spans.append((node.lineno, end))
            widest = outermost.get(node.lineno)
            if widest is None or end > widest[1]:
                outermost[node.lineno] = (node.lineno, end)
        return cls(spans, outermost)

    def text(self, span: Span, lines: list[str]) -> str:
        if span not in self._texts:
            self._texts[span] = _tokens(lines[span[0] - 1:span[1]])
        return self._texts[span]


def _tokens(lines: list[str]) -> str:
    """The span's text without comments, whitespace or line continuations (the same under every
    Python version: tokenize splits f-strings differently from 3.12 on, but finds comments alike)."""
    kept = list(lines)
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type == tokenize.COMMENT:
                row, column = token.start
                kept[row - 1] = kept[row - 1][:column]
    except (tokenize.TokenError, IndentationError, SyntaxError):  # a fragment tokenize cannot close
        kept = [SUPPRESSION.sub("", line) for line in lines]
    return squeezed("".join(line.removesuffix("\\") for line in kept))
