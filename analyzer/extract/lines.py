"""Start lines of the libcst nodes extractors report, and the comments that carry a tag.

libcst's PositionProvider regenerates the whole file and records a range for
every node: on agent code that costs more than the parse. CPython's `ast` gives
line numbers for free, and extraction parses with `ast` anyway (radon needs it),
so lines are taken from it: the n-th `Call` met walking the libcst tree in source
order is the n-th `ast.Call` in source position order, and so on per node kind.
When the two trees disagree on a count (a grammar corner, or `ast` rejecting
what libcst accepts) the file falls back to one code generation that records
only the node kinds asked for; both give PositionProvider's numbers
(tests/extract/test_lines.py checks this on real code).
"""

from __future__ import annotations

import contextlib
import re

import libcst as cst
from libcst._nodes.internal import CodegenState  # internal: bounded in pyproject.toml, checked by tests/extract/test_dependencies.py

from analyzer.extract.pytree import PythonTree, StringSpan

# libcst node kind -> the bucket its ast counterpart falls in (analyzer/extract/pytree.py's AST_BUCKETS).
_CST_BUCKETS: dict[type, str] = {
    cst.Call: "call",
    cst.ExceptHandler: "except",
    cst.ExceptStarHandler: "except",
    cst.Import: "import",
    cst.ImportFrom: "from",
    cst.ClassDef: "class",
    cst.FunctionDef: "def",
    cst.Assign: "assign",
    cst.AnnAssign: "annassign",
    cst.If: "if",
    cst.For: "for",
    cst.While: "while",
}
LINE_NODE_TYPES: tuple[type, ...] = tuple(_CST_BUCKETS)


class LineIndex:
    """Start lines of reported node kinds; `see(node)` is called, in source order, for every node of `see_types`."""

    see_types: tuple[type, ...] = ()

    def __init__(self, node_lines: dict[int, int], comments: list[tuple[int, str]]) -> None:
        # Keyed by id(node): a libcst node hashes by identity through a Python-level __hash__, and the tree
        # outlives the index, so ids stay unique.
        self.node_lines = node_lines
        self.comments = comments  # (line, "# text") for comments matching the tag pattern

    def line_of(self, node: cst.CSTNode) -> int:
        return self.node_lines.get(id(node), 0)

    def see(self, node: cst.CSTNode) -> None:
        """Lines are known up front; nothing to learn from the walk."""

    def complete(self) -> bool:
        return True


class AstLineIndex(LineIndex):
    """Lines read off CPython's tree while the libcst tree is walked in source order.

    The n-th libcst node of a kind takes the line of the n-th `ast` node of that
    kind; `complete()` tells afterwards whether both trees had the same counts.
    """

    see_types = LINE_NODE_TYPES

    def __init__(self, source: str, tree: PythonTree, comment_pattern: re.Pattern[str]) -> None:
        self.counterparts = tree.located
        self.seen = dict.fromkeys(self.counterparts, 0)
        super().__init__({}, _tagged_comments(source, tree.strings, comment_pattern))

    def see(self, node: cst.CSTNode) -> None:
        bucket = _CST_BUCKETS.get(type(node))
        if bucket is None:
            return
        index = self.seen[bucket]
        self.seen[bucket] = index + 1
        counterparts = self.counterparts[bucket]
        if index < len(counterparts):
            self.node_lines[id(node)] = counterparts[index].lineno

    def complete(self) -> bool:
        return all(self.seen[b] == len(found) for b, found in self.counterparts.items())


def index_lines(module: cst.Module, source: str, tree: PythonTree | None, comment_pattern: re.Pattern[str]) -> LineIndex:
    """The cheap index when CPython parsed the file too, else one code generation."""
    if tree is not None and module.default_newline != "\r":
        return AstLineIndex(source, tree, comment_pattern)
    return lines_from_codegen(module, comment_pattern)


def _tagged_comments(source: str, strings: list[StringSpan], pattern: re.Pattern[str]) -> list[tuple[int, str]]:
    """Comments that match `pattern`; a `#` inside a string literal is not a comment."""
    if pattern.search(source) is None:
        return []
    lines = source.splitlines()
    comments = []
    for number, text in enumerate(lines, start=1):
        if "#" not in text or pattern.search(text) is None:
            continue
        for match in re.finditer("#", text):
            column = len(text[: match.start()].encode())
            inside = any(
                (l1, c1) <= (number, column) < (l2, c2) for l1, c1, l2, c2 in strings if l1 <= number <= l2
            )
            if not inside:
                comment = text[match.start():].rstrip()
                if pattern.search(comment):
                    comments.append((number, comment))
                break
    return comments


_NO_CONTEXT = contextlib.nullcontext()


class _LineRecordingState(CodegenState):
    """Code generation that only counts newlines and notes where chosen nodes start (and, if asked, comments)."""

    def __init__(self, module: cst.Module, node_types: tuple[type, ...], keep_comments: bool) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.node_types = node_types
        self.keep_comments = keep_comments
        self.node_lines: dict[cst.CSTNode, int] = {}
        self.comments: list[tuple[int, str]] = []

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        # Only comment tokens start with "#": string tokens start with a quote or prefix.
        if self.keep_comments and value[:1] == "#":
            self.comments.append((self.line, value))
        self.line += value.count("\n")

    # A reusable no-op context, not libcst's generator-made one: code generation only enters it, once per node.
    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None,
    ) -> contextlib.AbstractContextManager[None]:
        if isinstance(node, self.node_types):
            self.node_lines.setdefault(node, self.line)
        return _NO_CONTEXT


def node_start_lines(module: cst.Module, node_types: tuple[type, ...], keep_comments: bool = False
                     ) -> tuple[dict[cst.CSTNode, int], list[tuple[int, str]]]:
    """Start lines of the nodes of the given types (PositionProvider's numbers) and, if asked, every comment
    with its line: one code generation that only counts newlines, a fifth of PositionProvider's cost. Files
    with old-Mac "\r" line endings use PositionProvider itself (counting "\n" would put everything on line 1).
    The extractors' fallback and the codemods share it."""
    if module.default_newline == "\r":
        from libcst.metadata import MetadataWrapper, PositionProvider

        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        lines = {n: r.start.line for n, r in positions.items() if isinstance(n, node_types)}
        comments = [(positions[n].start.line, n.value) for n in positions if isinstance(n, cst.Comment)]
        return lines, comments if keep_comments else []
    state = _LineRecordingState(module, node_types, keep_comments)
    module._codegen(state)
    return state.node_lines, state.comments


def lines_from_codegen(module: cst.Module, comment_pattern: re.Pattern[str]) -> LineIndex:
    lines, comments = node_start_lines(module, LINE_NODE_TYPES, keep_comments=True)
    return LineIndex({id(node): line for node, line in lines.items()}, sorted((line, text) for line, text in comments if comment_pattern.search(text)))
