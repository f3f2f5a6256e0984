"""One fast pass over a libcst tree, dispatching nodes to every extractor.

libcst's own visitor rebuilds each node while it walks; extraction only reads
the tree, so this module walks the dataclass fields directly, in source order.
Line numbers come from analyzer/extract/lines.py.

Extraction tests a node's kind exactly where it can (`type(node) is cst.Call`):
libcst's node classes are ABCs, whose failed isinstance runs Python code, and no
concrete node class has subclasses (tests/extract/test_dependencies.py).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Iterable
from typing import Any, Literal, NamedTuple

import libcst as cst

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
# Fields listed in source order where the dataclass declares them otherwise.
_SOURCE_ORDER: dict[type, tuple[str, ...]] = {
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.Parameters: ("posonly_params", "posonly_ind", "params", "star_arg", "kwonly_params", "star_kwarg"),
}
_child_fields_cache: dict[type, tuple[str, ...]] = {}
_reversed_fields: dict[type, tuple[str, ...]] = {}  # the same, last first: the walk pushes children on a stack
_is_node_type: dict[type, bool] = {}


def _child_fields(node_type: type) -> tuple[str, ...]:
    fields = _child_fields_cache.get(node_type)
    if fields is None:
        # A field declared as text (a Name's value, an Arg's star) never holds a node: leaves get no fields at all.
        declared = [f.name for f in dataclasses.fields(node_type) if f.type is not str and typing.get_origin(f.type) is not Literal]
        ordered = [n for n in _SOURCE_ORDER.get(node_type, ()) if n in declared]
        ordered += [n for n in declared if n not in ordered]
        fields = tuple(n for n in ordered if "whitespace" not in n and n not in _SKIPPED_FIELDS)
        _child_fields_cache[node_type] = fields
        _reversed_fields[node_type] = fields[::-1]
    return fields


def _node_type(value_type: type) -> bool:
    flag = _is_node_type.get(value_type)
    if flag is None:
        flag = _is_node_type[value_type] = isinstance(value_type, type) and issubclass(value_type, cst.CSTNode)
    return flag


def child_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Direct children that can hold facts, in source order (cheaper than `node.children`)."""
    children: list[cst.CSTNode] = []
    add, is_node = children.append, _is_node_type
    node_type = type(node)
    for name in _child_fields_cache.get(node_type) or _child_fields(node_type):
        value = getattr(node, name)
        value_type = type(value)
        if value_type is tuple or value_type is list:
            for item in value:
                item_type = type(item)
                flag = is_node.get(item_type)
                if flag or (flag is None and _node_type(item_type)):
                    add(item)
        else:
            flag = is_node.get(value_type)
            if flag or (flag is None and _node_type(value_type)):
                add(value)
    return children


class Scope(NamedTuple):
    """Where a node sits: enough context for every extractor, shared by children."""

    function: str = ""  # qualified name of the innermost function, "" at module level
    class_name: str = ""  # innermost enclosing class
    in_try: bool = False  # inside the body of a try that has except handlers (not its handlers, else or finally)
    loop_depth: int = 0


MODULE_SCOPE = Scope()

Handler = Callable[[Any, Scope], None]  # called with nodes of the type it is registered for


def _child_scope(node: cst.CSTNode, scope: Scope) -> Scope:
    if isinstance(node, cst.FunctionDef):
        name = node.name.value
        qualname = f"{scope.function}.{name}" if scope.function else (
            f"{scope.class_name}.{name}" if scope.class_name else name
        )
        return Scope(qualname, scope.class_name, False, 0)
    if isinstance(node, cst.ClassDef):
        return Scope(scope.function, node.name.value, scope.in_try, scope.loop_depth)
    if isinstance(node, (cst.For, cst.While)):
        return scope._replace(loop_depth=scope.loop_depth + 1)
    return scope


_SCOPE_NODES = frozenset({cst.FunctionDef, cst.ClassDef, cst.For, cst.While})
_TRY_NODES = (cst.Try, cst.TryStar)


def walk(module: cst.Module, handlers: dict[type, list[Handler]], see: Callable[[cst.CSTNode], None],
         see_types: Iterable[type] | None = None) -> None:
    """Visit every node once, in source order: `see(node)` first (for every node, or only for nodes of
    `see_types` when given), then the handlers for its type."""
    seen = None if see_types is None else frozenset(see_types)
    plans: dict[type, _Plan] = {}
    stack: list[tuple[cst.CSTNode, Scope]] = [(module, MODULE_SCOPE)]
    pop, push, is_node = stack.pop, stack.append, _is_node_type
    while stack:
        node, scope = pop()
        node_type = type(node)
        plan = plans.get(node_type) or plans.setdefault(node_type, _plan(node_type, seen, handlers))
        sees, calls, scoped, fields = plan
        if sees:
            see(node)
        for call in calls:
            call(node, scope)
        if scoped:
            if node_type in _SCOPE_NODES:
                scope = _child_scope(node, scope)
            elif _push_guarded(node, scope, push):
                continue
        # child_nodes(node), inlined and pushed last first: most nodes are visited here (a call per node
        # would cost a tenth of the walk).
        for name in fields:
            value = getattr(node, name)
            value_type = type(value)
            if value_type is tuple or value_type is list:
                for item in reversed(value):
                    item_type = type(item)
                    flag = is_node.get(item_type)
                    if flag or (flag is None and _node_type(item_type)):
                        push((item, scope))
            else:
                flag = is_node.get(value_type)
                if flag or (flag is None and _node_type(value_type)):
                    push((value, scope))


# Per node type, worked out on first meeting: whether `see` takes it, its handlers, whether the type
# changes the scope, and its child fields last first.
_Plan = tuple[bool, list[Handler], bool, tuple[str, ...]]


def _plan(node_type: type, seen: frozenset[type] | None, handlers: dict[type, list[Handler]]) -> _Plan:
    _child_fields(node_type)
    return (seen is None or node_type in seen, handlers.get(node_type, []),
            node_type in _SCOPE_NODES or node_type in _TRY_NODES, _reversed_fields[node_type])


def _push_guarded(node: cst.CSTNode, scope: Scope, push: Callable[[tuple[cst.CSTNode, Scope]], None]) -> bool:
    """A try with handlers guards its body only: push its children with their scopes; False for any other."""
    if not (isinstance(node, _TRY_NODES) and node.handlers):
        return False
    guarded = scope._replace(in_try=True)
    for child in reversed(child_nodes(node)):
        push((child, guarded if child is node.body else scope))
    return True


def dotted_name(node: cst.CSTNode | None) -> str:
    """`a.b.c` for Name/Attribute chains, "" for anything else."""
    node_type = type(node)
    if node_type is cst.Name:
        return node.value  # type: ignore[union-attr]
    parts: list[str] = []
    while node_type is cst.Attribute:
        parts.append(node.attr.value)  # type: ignore[union-attr]
        node = node.value  # type: ignore[union-attr]
        node_type = type(node)
    if node_type is cst.Name:
        parts.append(node.value)  # type: ignore[union-attr]
        return ".".join(reversed(parts))
    return ""


def merge_handlers(extractors: Iterable[object]) -> dict[type, list[Handler]]:
    """Collect each extractor's `on_<NodeType>` methods into one dispatch table."""
    table: dict[type, list[Handler]] = {}
    for extractor in extractors:
        for node_type, attr in _handler_names(type(extractor)):
            table.setdefault(node_type, []).append(getattr(extractor, attr))
    return table


_handler_names_cache: dict[type, tuple[tuple[type, str], ...]] = {}


def _handler_names(extractor_type: type) -> tuple[tuple[type, str], ...]:
    """(node type, method name) of each `on_<NodeType>` method: worked out once per class, not once per file."""
    names = _handler_names_cache.get(extractor_type)
    if names is None:
        names = _handler_names_cache[extractor_type] = tuple(
            (getattr(cst, attr[3:]), attr) for attr in dir(extractor_type) if attr.startswith("on_"))
    return names
