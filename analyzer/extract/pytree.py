"""CPython's tree of one file, walked once for everything extraction reads off it.

The walk collects, in one pre-order pass: the nodes that carry a reported line, by kind
(the line index in analyzer/extract/lines.py, and Bandit's listed visit), the spans of
string literals (a `#` inside one is not a comment), and the text of `ast.dump(tree)`,
whose digest is the normalized hash that finds copies (equal for sources that differ only
in comments, formatting, quotes and parentheses).
"""

from __future__ import annotations

import ast
import hashlib

LocatedNode = ast.stmt | ast.expr | ast.excepthandler  # the ast nodes that carry a position
# ast node kind -> the bucket its libcst counterpart falls in (analyzer/extract/lines.py).
AST_BUCKETS: dict[type, str] = {
    ast.Call: "call",
    ast.ExceptHandler: "except",
    ast.Import: "import",
    ast.ImportFrom: "from",
    ast.ClassDef: "class",
    ast.FunctionDef: "def",
    ast.AsyncFunctionDef: "def",
    ast.Assign: "assign",
    ast.AnnAssign: "annassign",
    ast.If: "if",
    ast.For: "for",
    ast.AsyncFor: "for",
    ast.While: "while",
}
StringSpan = tuple[int, int, int, int]  # start line, start column, end line, end column
_STRING = "<string>"  # JoinedStr, and Constant when its value is text
_CONSTANT = "<constant>"

# ast class -> ("Name(", ((field, "field=", whether a None value is left out), ...), bucket or string marker).
_SHAPES: dict[type, tuple[str, tuple[tuple[str, str, bool], ...], str | None]] = {}


def _shape(cls: type) -> tuple[str, tuple[tuple[str, str, bool], ...], str | None]:
    fields = tuple((name, f"{name}=", getattr(cls, name, ...) is None) for name in cls._fields)  # type: ignore[attr-defined]
    marker = AST_BUCKETS.get(cls) or (_STRING if cls is ast.JoinedStr else _CONSTANT if cls is ast.Constant else None)
    shape = _SHAPES[cls] = (f"{cls.__name__}(", fields, marker)
    return shape


class PythonTree:
    """`tree` and what one walk of it gives: `located` (bucket -> nodes in source order), `strings`
    (string literal spans) and `normalized_hash` (sha1 of exactly `ast.dump(tree)`)."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.located: dict[str, list[LocatedNode]] = {bucket: [] for bucket in AST_BUCKETS.values()}
        self.strings: list[StringSpan] = []
        pieces: list[str] = []
        self._walk(tree, pieces)
        for found in self.located.values():
            # Outer nodes before the nested ones that start at the same place, as in a pre-order walk of libcst's tree.
            found.sort(key=lambda n: (n.lineno, n.col_offset, -(n.end_lineno or 0), -(n.end_col_offset or 0)))
        self.normalized_hash = hashlib.sha1("".join(pieces).encode()).hexdigest()

    def _walk(self, node: ast.AST, pieces: list[str]) -> None:
        """Append what `ast.dump(node)` returns (one line, field names, no attributes); note located nodes
        and strings on the way."""
        append = pieces.append
        head, fields, marker = _SHAPES.get(type(node)) or _shape(type(node))
        if marker is not None:
            if marker is _CONSTANT:
                if isinstance(node.value, (str, bytes)):  # type: ignore[attr-defined]
                    self._string(node)
            elif marker is _STRING:
                self._string(node)
            else:
                self.located[marker].append(node)  # type: ignore[arg-type]  # every AST_BUCKETS type is located
        append(head)
        separator = ""
        for name, label, none_left_out in fields:
            try:
                value = getattr(node, name)
            except AttributeError:
                continue
            if value is None and none_left_out:
                continue
            append(separator)
            separator = ", "
            append(label)
            if isinstance(value, ast.AST):
                self._walk(value, pieces)
            elif isinstance(value, list):
                append("[")
                for index, item in enumerate(value):
                    if index:
                        append(", ")
                    if isinstance(item, ast.AST):
                        self._walk(item, pieces)
                    else:
                        append(repr(item))
                append("]")
            else:
                append(repr(value))
        append(")")

    def _string(self, node: ast.AST) -> None:
        self.strings.append((node.lineno, node.col_offset, node.end_lineno or node.lineno,  # type: ignore[attr-defined]
                             node.end_col_offset or 0))  # type: ignore[attr-defined]
