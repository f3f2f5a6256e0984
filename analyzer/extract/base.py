"""What every extractor shares: the per-file context and self-carried examples."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, ClassVar

import libcst as cst

from analyzer.extract.handlers import Handler, HandlerClass, classify
from analyzer.extract.lines import LineIndex
from analyzer.extract.pytree import PythonTree
from analyzer.extract.walker import Scope, _child_scope
from analyzer.facts import FileFacts


@dataclass(frozen=True)
class Example:
    """A snippet and the facts it must yield; an empty `facts` list means 'must not flag'."""

    code: str
    facts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FileContext:
    module: cst.Module
    source: str
    tree: ast.Module | None  # CPython's tree of the same source; None where CPython rejects it
    lines: LineIndex
    facts: FileFacts
    tree_walk: PythonTree | None = None  # what the one walk of `tree` found (analyzer/extract/pytree.py)
    handler_classes: dict[int, HandlerClass] = field(default_factory=dict)  # by id(handler): see handler_class

    def handler_class(self, handler: Handler) -> HandlerClass:
        """`classify(handler)`, once per handler: the except facts and the raise facts both need it."""
        found = self.handler_classes.get(id(handler))
        if found is None:
            found = self.handler_classes[id(handler)] = classify(handler)
        return found

    def line_of(self, node: cst.CSTNode) -> int:
        """Start line of `node`: ask only for the handled node or its ancestors (lines are
        learnt during the walk), and only for kinds in lines.LINE_NODE_TYPES."""
        return self.lines.line_of(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()


class Extractor:
    """One fact kind. Subclasses define `on_<NodeType>(node, scope)` handlers.

    `facts_field` names the fact kind (analyzer/kinds.py) the extractor fills; `EXAMPLES` are
    turned into tests and docs. `register_extractor` (analyzer/extract/__init__.py) makes it run.
    """

    facts_field: ClassVar[str]
    runs_last: ClassVar[bool] = False  # registered extractors run before it (analyzer/extract/__init__.py)
    EXAMPLES: ClassVar[list[Example]] = []

    def __init__(self, context: FileContext) -> None:
        self.context = context

    def finish(self) -> None:
        """Called once after the walk, for facts that need the whole file."""


def function_scope_of(node: cst.FunctionDef, scope: Scope) -> Scope:
    """The scope a function's own body runs in (handlers see the parent's scope)."""
    return _child_scope(node, scope)
