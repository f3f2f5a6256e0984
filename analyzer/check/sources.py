"""The scanned files' text, read once each: lines, and the statement a finding points at.

`statement(path, line)` is the Python statement a finding's line starts, as a
logical line (a multi-line call whole; a `def`, `class`, `if` or `except` by its
header up to the colon), without comments and whitespace: reformatting it or
adding a comment (an `# analyzer: ignore[...]` included) leaves it the same, and
it reads the same under every Python version. It is scanned from the line on
with one regular expression (strings, comments, brackets), so a check over
thousands of findings stays fast; only a line in the middle of a statement
falls back to parsing the file (`ast`) for the statement around it. Other files
(YAML, requirements, .env) use the line's text, likewise without whitespace or
a suppression comment. `extent` gives a statement with its body (a class, a
function) for placing findings on changed lines.
"""

from __future__ import annotations

import ast
import hashlib
import re
from pathlib import Path

from analyzer.check.suppress import SUPPRESSION

Span = tuple[int, int]  # first and last line, 1-based, inclusive
WINDOWS = (1, 4, 16, 64)  # lines scanned for a logical line, growing until it ends
CODE = re.compile(
    r"(?P<string>[rRbBuUfF]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\""
    r"|'(?:\\.|[^'\\\n])*'|\"(?:\\.|[^\"\\\n])*\"))"
    r"|(?P<comment>\#[^\n]*)"
    r"|(?P<open>[(\[{])"
    r"|(?P<close>[)\]}])"
    r"|(?P<newline>\n)"
    r"|(?P<continuation>\\\n)"
    r"|(?P<unclosed>'''|\"\"\"|'|\")"
    r"|(?P<space>[ \t\f\r]+)"
    r"|(?P<code>[^\s#'\"()\[\]{}\\]+|\\)",
    re.DOTALL,
)
KEPT = frozenset({"string", "open", "close", "code"})


def file_digest(data: bytes | None) -> str:
    """sha256 of a file's bytes, as the scan's source hashes; "" for a file that cannot be read."""
    return hashlib.sha256(data).hexdigest() if data is not None else ""


class SourceLines:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, list[str]] = {}
        self._hashes: dict[str, str] = {}
        self._python: dict[str, _Statements | None] = {}

    def lines(self, path: str) -> list[str]:
        if path not in self._files:
            try:
                data = (self.root / path).read_bytes()
            except OSError:  # deleted or unreadable since the scan: nothing to read
                data = None
            self._hashes[path] = file_digest(data)
            self._files[path] = data.decode("utf-8", errors="replace").splitlines() if data is not None else []
        return self._files[path]

    def digests(self) -> dict[str, str]:
        """Each file read so far -> `file_digest` of the bytes read: what a saved report was placed with."""
        return dict(self._hashes)

    def line(self, path: str, number: int) -> str:
        lines = self.lines(path)
        return lines[number - 1] if 0 < number <= len(lines) else ""

    def statement(self, path: str, number: int) -> str:
        """The normalised text of the statement at line `number` (see the module docstring)."""
        lines = self.lines(path)
        if not path.endswith(".py") or not 0 < number <= len(lines):
            return normalised_line(self.line(path, number))
        text = logical_line(lines, number - 1)
        if text is not None:
            return text
        statements = self._statements(path)  # the line continues a statement that starts above it
        span = statements.innermost.get(number) if statements else None
        return _code("\n".join(lines[span[0] - 1:span[1]]) + "\n") if span else normalised_line(lines[number - 1])

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
    return "".join(SUPPRESSION.sub("", text).split())


def logical_line(lines: list[str], start: int) -> str | None:
    """The code of the logical line starting at `lines[start]`, without comments or whitespace; None when
    that line closes a bracket opened above (it is inside a statement) or the statement does not end soon."""
    for size in WINDOWS:
        window = lines[start:start + size]
        kept: list[str] = []
        depth = 0
        for match in CODE.finditer("\n".join(window) + "\n"):
            kind = match.lastgroup
            if kind == "newline" and depth == 0:
                return "".join(kept)
            if kind == "unclosed":
                break  # a string that ends further down: a bigger window
            if kind == "open":
                depth += 1
            elif kind == "close":
                depth -= 1
                if depth < 0:
                    return None
            if kind in KEPT:
                kept.append(match.group())
    return None


def _code(text: str) -> str:
    return "".join(m.group() for m in CODE.finditer(text) if m.lastgroup in KEPT or m.lastgroup == "unclosed")


class _Statements:
    """Where a Python file's statements lie (from `ast`): the innermost span holding each line (a compound
    statement by its header), and the whole statement starting at each line."""

    def __init__(self, spans: list[Span], outermost: dict[int, Span]) -> None:
        self.innermost: dict[int, Span] = {}
        for span in sorted(spans, key=lambda s: s[1] - s[0], reverse=True):  # smaller spans overwrite larger
            for number in range(span[0], span[1] + 1):
                self.innermost[number] = span
        self.outermost = outermost

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
