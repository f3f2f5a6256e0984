"""One fast pass over a libcst tree, dispatching nodes to every extractor.

libcst's own visitor rebuilds each node while it walks and its PositionProvider
records a range for every node; on agent code the two together cost three times
the parse itself. Extraction only reads the tree, so this module walks the
dataclass fields directly and computes start lines with one code generation
that records only the node types extractors ask for (the same numbers
PositionProvider gives, see tests/extract/test_walker.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterable
from typing import NamedTuple

import libcst as cst
from libcst._nodes.internal import CodegenState

# Fields that only hold whitespace, brackets or separators: never a fact.
_SKIPPED_FIELDS = frozenset(
    {
        "lpar",
        "rpar",
        "lbracket",
        "rbracket",
        "lbrace",
        "rbrace",
        "semicolon",
        "comma",
        "header",
        "footer",
        "leading_lines",
        "lines_after_decorators",
        "trailing_whitespace",
        "colon",
        "equal",
        "dot",
        "star",
    }
)
_child_fields_cache: dict[type, tuple[str, ...]] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    fields = _child_fields_cache.get(node_type)
    if fields is None:
        fields = tuple(
            f.name
            for f in dataclasses.fields(node_type)
            if "whitespace" not in f.name and f.name not in _SKIPPED_FIELDS
        )
        _child_fields_cache[node_type] = fields
    return fields


class Scope(NamedTuple):
    """Where a node sits: enough context for every extractor, shared by children."""

    function: str = ""  # qualified name of the innermost function, "" at module level
    class_name: str = ""  # innermost enclosing class
    in_try: bool = False  # inside a try body or an except handler
    loop_depth: int = 0


MODULE_SCOPE = Scope()

Handler = Callable[[cst.CSTNode, Scope], None]


def _child_scope(node: cst.CSTNode, scope: Scope) -> Scope:
    if isinstance(node, cst.FunctionDef):
        name = node.name.value
        qualname = f"{scope.function}.{name}" if scope.function else (
            f"{scope.class_name}.{name}" if scope.class_name else name
        )
        return Scope(qualname, scope.class_name, False, 0)
    if isinstance(node, cst.ClassDef):
        return Scope(scope.function, node.name.value, scope.in_try, scope.loop_depth)
    if isinstance(node, (cst.Try, cst.TryStar)):
        return scope._replace(in_try=True)
    if isinstance(node, (cst.For, cst.While)):
        return scope._replace(loop_depth=scope.loop_depth + 1)
    return scope


_SCOPE_NODES = (cst.FunctionDef, cst.ClassDef, cst.Try, cst.TryStar, cst.For, cst.While)


def walk(module: cst.Module, handlers: dict[type, list[Handler]]) -> None:
    """Visit every node once, in source order, calling the handlers for its type."""
    stack: list[tuple[cst.CSTNode, Scope]] = [(module, MODULE_SCOPE)]
    pop, push = stack.pop, stack.append
    node_type_of = type
    while stack:
        node, scope = pop()
        node_type = node_type_of(node)
        for handle in handlers.get(node_type, ()):
            handle(node, scope)
        if isinstance(node, _SCOPE_NODES):
            scope = _child_scope(node, scope)
        children: list[cst.CSTNode] = []
        for name in _child_fields(node_type):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                children.append(value)
            elif isinstance(value, (tuple, list)):
                children.extend(v for v in value if isinstance(v, cst.CSTNode))
        for child in reversed(children):
            push((child, scope))


# Node types whose start line extractors read.
LINE_NODE_TYPES: tuple[type, ...] = (
    cst.Call,
    cst.ExceptHandler,
    cst.ExceptStarHandler,
    cst.Import,
    cst.ImportFrom,
    cst.ClassDef,
    cst.FunctionDef,
    cst.Assign,
    cst.AnnAssign,
    cst.If,
    cst.For,
    cst.While,
)

_NO_CONTEXT = contextlib.nullcontext()


class _LineRecordingState(CodegenState):
    """Code generation that only counts newlines and notes where chosen nodes start."""

    def __init__(self, module: cst.Module) -> None:
        super().__init__(default_indent=module.default_indent, default_newline=module.default_newline)
        self.line = 1
        self.node_lines: dict[cst.CSTNode, int] = {}
        self.comments: list[tuple[int, str]] = []

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        # Only comment tokens start with "#": string tokens start with a quote or prefix.
        if value[:1] == "#":
            self.comments.append((self.line, value))
        self.line += value.count("\n")

    def record_syntactic_position(self, node, *, start_node=None, end_node=None):  # type: ignore[override]
        if isinstance(node, LINE_NODE_TYPES):
            self.node_lines[node] = self.line
        return _NO_CONTEXT


class LineIndex(NamedTuple):
    node_lines: dict[cst.CSTNode, int]
    comments: list[tuple[int, str]]  # (line, "# text")

    def line_of(self, node: cst.CSTNode) -> int:
        return self.node_lines.get(node, 0)


def index_lines(module: cst.Module) -> LineIndex:
    if module.default_newline == "\r":
        # Old Mac line endings: counting "\n" would put everything on line 1.
        from libcst.metadata import MetadataWrapper, PositionProvider

        positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
        lines = {n: r.start.line for n, r in positions.items() if isinstance(n, LINE_NODE_TYPES)}
        comments = [(positions[n].start.line, n.value) for n in positions if isinstance(n, cst.Comment)]
        return LineIndex(lines, comments)
    state = _LineRecordingState(module)
    module._codegen(state)
    return LineIndex(state.node_lines, state.comments)


def dotted_name(node: cst.CSTNode | None) -> str:
    """`a.b.c` for Name/Attribute chains, "" for anything else."""
    parts: list[str] = []
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if isinstance(node, cst.Name):
        parts.append(node.value)
        return ".".join(reversed(parts))
    return ""


def merge_handlers(extractors: Iterable[object]) -> dict[type, list[Handler]]:
    """Collect each extractor's `on_<NodeType>` methods into one dispatch table."""
    table: dict[type, list[Handler]] = {}
    for extractor in extractors:
        for attr in dir(type(extractor)):
            if attr.startswith("on_"):
                node_type = getattr(cst, attr[3:])
                table.setdefault(node_type, []).append(getattr(extractor, attr))
    return table
