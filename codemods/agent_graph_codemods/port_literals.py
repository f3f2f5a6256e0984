"""port-literals: hard-coded ports in bind/connect become `get_port("NAME")` from agent_runtime.

Which calls carry a literal or constant port is decided by the extraction facts
(analyzer/extract/zmq.py) resolved from the file alone (analyzer/endpoints.py); this
module only finds, in the same tree, the node that holds the port and swaps it,
keeping scheme, host and the string's shape.

A port is named after what binds it, in this order: the startup-config agent that runs
the binding module (`ModelManagerAgent` + the socket role: MODEL_MANAGER_AGENT_REP, or
_HEALTH for its health port), else the binding class, else the module. A port nothing
in the tree binds is named after the startup-config agent that declares it, or left.
Never after a connecting module, a copy or a test: copies and tests are not rewritten
unless asked (`include_copies`, `include_tests`), and then read the live agent's name. A
port that two live modules bind on one machine is a collision: left as it is, listed.
An existing registry entry with the same port and owner (or the same port on the same
machine) keeps its name. Registries and requirements: codemods/ports_file.py.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TypeGuard

import libcst as cst
from libcst.helpers import ensure_type
from agent_runtime.portsyaml import PortEntry

from analyzer import discover
from analyzer.config import ConfigError, ScanConfig, load_scan_config
from analyzer.configs.deployment import read_deployment
from analyzer.configs.model import ConfiguredAgent
from analyzer.endpoints import ResolvedEndpoint, resolve_file_endpoints
from analyzer.extract import run_extractors
from analyzer.extract.walker import dotted_name
from analyzer.extract.zmq import ENDPOINT_ACTIONS
from analyzer.facts import FileFacts
from analyzer.copies import DEFAULT_RULES, CopyRules
from analyzer.graph import is_test_path
from agent_graph_codemods import ports_file
from agent_graph_codemods.base import (
    child_nodes,
    UNSAFE,
    Codemod,
    CodemodError,
    Cut,
    Edit,
    Example,
    Option,
    Rewrite,
    Span,
    TextRewrite,
    ast_statements,
    cut_statements,
    line_offsets,
    splice,
    first_statement_holding,
    header_insert_index,
    insert_statements,
    module_bound_names,
    start_lines,
    upper_snake,
)

REWRITTEN_SOURCES = frozenset({"literal", "constant"})
LEFT_SOURCES = {"self_attr": "a self attribute", "default_arg": "a default argument", "env_default": "an env default"}
REGISTRY_MODULE = "agent_runtime"
REGISTRY_MODULES = frozenset({REGISTRY_MODULE, "agent_runtime.ports"})  # where an existing import may come from
GENERIC_STEMS = frozenset({"__init__", "__main__", "main", "app", "run"})
LIVE, COPY, TEST = "live", "copy", "test"
HEALTH_ROLE = "HEALTH"
# The socket kind that binds what a connecting kind talks to: the role a connect-only port is named by.
BINDER_OF = {"REQ": "REP", "SUB": "PUB", "PUSH": "PULL", "PULL": "PUSH", "DEALER": "ROUTER", "ROUTER": "DEALER",
             "PAIR": "PAIR", "XSUB": "XPUB", "XPUB": "XSUB", "PUB": "SUB"}
_TRAILING_DIGITS = re.compile(r"(\d+)$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
_LOCAL_IPS = ("127.", "0.0.0.0")  # prefixes compared, not a bind  # nosec B104


def machine_of(path: str) -> str:
    """The machine root of a path when no `roots` are configured: its first folder."""
    return discover.machine_of(path, [])


def path_kind(path: str, copies: CopyRules = DEFAULT_RULES) -> str:
    """live, copy or test (the one place this codemod asks): copies and tests never name a port and are
    rewritten only when asked. `copies` are the tree's own rules (`[tool.analyzer] copies`, docs/copies.md)."""
    if copies.is_copy(path):
        return COPY
    return TEST if is_test_path(path) else LIVE


# --------------------------------------------------------------------- locating sites


@dataclass(frozen=True)
class PortSite:
    path: str
    line: int
    ordinal: int  # among the rewritable endpoints of the same line
    action: str  # bind | connect
    port: int
    socket_kind: str
    host: str
    class_name: str = ""  # the class the call sits in, "" at module level
    rewritable: bool = True  # False: a bind whose port stays (default argument...), known for naming only


@dataclass(frozen=True)
class Layout:
    """What a local rewrite of a file cuts out of its text, read from CPython's tree of its bytes (`sha256`) when
    they are collected: the rewrite of the same bytes takes it from the plan instead of parsing the file again."""

    sha256: str
    statements: tuple[Span, ...] | None  # the call statements (_site_statements); None: they cannot be cut out
    import_points: tuple[tuple[int, int], ...] | None  # where the import may go (_import_points)
    function: str  # the name get_port is called by
    needs_import: str  # the import to add, "" when the module has it


@dataclass
class Collected:
    sites: list[PortSite] = field(default_factory=list)  # rewritable sites and fixed-port binds
    notes: list[str] = field(default_factory=list)  # ports from other sources, left as they are on purpose
    left: list[str] = field(default_factory=list)  # literal or constant ports the codemod cannot rewrite
    layout: Layout | None = field(default=None, compare=False)  # from a local collect: how the rewrite cuts it


@dataclass(frozen=True)
class FilePlan:
    """A file's part of the plan: (line, ordinal) -> NAME, and its layout when a local collect gave one."""

    names: dict[tuple[int, int], str]
    layout: Layout | None = None


@dataclass
class _Target:
    """The node that holds a port and how to swap it."""

    kind: str  # expression | string | fstring_text
    node: cst.CSTNode
    fstring_quote: str = ""  # quote of the f-string around the node, "" outside one
    wrap_str: bool = False  # operand of `+`: the port must stay a str
    digits: str = ""


@dataclass
class _Walked:
    node: cst.CSTNode
    parent: cst.CSTNode | None
    fstring: cst.FormattedString | None  # innermost f-string around the node
    in_fstring_expression: bool


def _walk(root: cst.CSTNode) -> Iterator[_Walked]:
    """Nodes under `root` in source order, with parent and f-string context."""
    stack: list[_Walked] = [_Walked(root, None, None, False)]
    while stack:
        item = stack.pop()
        yield item
        node = item.node
        fstring = node if isinstance(node, cst.FormattedString) else item.fstring
        in_expression = item.in_fstring_expression or isinstance(node, cst.FormattedStringExpression)
        if isinstance(node, cst.FormattedString):
            in_expression = False
        stack.extend(_Walked(child, node, fstring, in_expression) for child in reversed(child_nodes(node)))


def _quote_of(fstring: cst.FormattedString | None) -> str:
    return fstring.start[-1] if fstring is not None else ""


def _is_conversion(node: cst.CSTNode) -> TypeGuard[cst.Call]:
    return isinstance(node, cst.Call) and dotted_name(node.func) in ("int", "str") and len(node.args) == 1


class _NeedsModule(Exception):
    """A port found outside the statement of its call (a name assigned elsewhere): the whole module is needed."""


class _Locator:
    """Finds, for each rewritable endpoint fact, the node that holds its port; `whole`: `module` is the file's,
    not a part of it cut out (then a port outside the call's statement raises _NeedsModule)."""

    def __init__(self, module: cst.Module, whole: bool = True) -> None:
        self.module = module
        self.whole = whole

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node).strip()

    def target(self, call: cst.Call, fact: ResolvedEndpoint) -> _Target | str:
        argument = call.args[0].value
        if fact.fact.port_expr:
            return self._expression(argument, fact) or f"cannot find the port expression {fact.fact.port_expr!r}"
        found = self._digits(argument, fact.port)
        if found is not None:
            return found
        if isinstance(argument, (cst.Name, cst.Attribute)):
            value = self._single_assignment(argument)
            if isinstance(value, str):
                return value
            return self._digits(value, fact.port) or f"the string assigned to {self.code(argument)} has no port to swap"
        return "endpoint shape not supported"

    def _expression(self, argument: cst.BaseExpression, fact: ResolvedEndpoint) -> _Target | None:
        found = None
        for item in _walk(argument):
            node, parent = item.node, item.parent
            if not isinstance(node, cst.BaseExpression) or self._is_name_slot(node, parent):
                continue
            if self.code(node) == fact.fact.port_expr:
                found = item
        if found is None:
            return None
        node, parent = found.node, found.parent
        while _is_conversion(node):
            parent, node = node, node.args[0].value
        wrap = isinstance(parent, cst.BinaryOperation) and isinstance(parent.operator, cst.Add)
        return _Target("expression", node, _quote_of(found.fstring), wrap)

    @staticmethod
    def _is_name_slot(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
        """A keyword name or an attribute name: text, not a value."""
        return (isinstance(parent, cst.Arg) and parent.keyword is node) or (
            isinstance(parent, cst.Attribute) and parent.attr is node
        )

    def _digits(self, root: cst.BaseExpression, port: int | None) -> _Target | None:
        """The last string piece under `root` that ends with the port's digits."""
        found = None
        for item in _walk(root):
            node = item.node
            if item.in_fstring_expression:
                continue
            if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
                value = node.evaluated_value
                match = _TRAILING_DIGITS.search(value) if isinstance(value, str) else None
                body = node.value[len(node.prefix) + len(node.quote): -len(node.quote)]
                if match and int(match.group(1)) == port and body.endswith(match.group(1)):
                    found = _Target("string", node, digits=match.group(1))
            elif isinstance(node, cst.FormattedStringText):
                match = _TRAILING_DIGITS.search(node.value)
                if match and int(match.group(1)) == port:
                    found = _Target("fstring_text", node, _quote_of(item.fstring), digits=match.group(1))
        return found

    def _single_assignment(self, reference: cst.BaseExpression) -> cst.BaseExpression | str:
        """The value of the one assignment of a name or `self.x` in the module."""
        if not self.whole:
            raise _NeedsModule
        wanted = self.code(reference)
        values, other_bindings = [], 0
        for item in _walk(self.module):
            node, parent = item.node, item.parent
            if isinstance(node, cst.AssignTarget) and self.code(node.target) == wanted:
                values.append(parent.value if isinstance(parent, cst.Assign) and len(parent.targets) == 1 else None)
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign)) and self.code(node.target) == wanted:
                other_bindings += 1
            elif isinstance(reference, cst.Name) and self._binds_name(node, wanted):
                other_bindings += 1
        if len(values) != 1 or values[0] is None or other_bindings:
            return f"{wanted} is assigned more than once; its endpoint string was not rewritten"
        return values[0]

    @staticmethod
    def _binds_name(node: cst.CSTNode, name: str) -> bool:
        if isinstance(node, cst.Param):
            return node.name.value == name
        if isinstance(node, (cst.For, cst.CompFor, cst.NamedExpr)):
            return any(isinstance(n, cst.Name) and n.value == name for n in _names_in(node.target))
        if isinstance(node, cst.AsName):
            return any(isinstance(n, cst.Name) and n.value == name for n in _names_in(node.name))
        if isinstance(node, (cst.Global, cst.Nonlocal)):
            return any(item.name.value == name for item in node.names)
        return False


def _names_in(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(child_nodes(current))


_Calls = dict[int, list[tuple[cst.Call, _Locator]]]  # file line -> the bind/connect calls there, in source order


def _endpoint_calls(module: cst.Module, shift: int = 0, whole: bool = True, line: int | None = None) -> _Calls:
    """The calls of `module`, whose line + `shift` is the file's line (`whole`: see _Locator); `line`: the file
    line all of `module`'s code is on (a one-line part), which spares working out the calls' positions."""
    found = [
        node for node in (item.node for item in _walk(module))
        if isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in ENDPOINT_ACTIONS
        and node.args
    ]
    calls: _Calls = defaultdict(list)
    if not found:
        return calls
    locator = _Locator(module, whole)
    if line is not None:
        calls[line] = [(node, locator) for node in found]
        return calls
    line_of = start_lines(module, (cst.Call,))
    for node in found:
        calls[line_of(node) + shift].append((node, locator))
    return calls


@dataclass
class _Located:
    site: PortSite
    target: _Target
    module: cst.Module  # the one the target is in: the file's, or a part of it cut out


def locate(module: cst.Module, path: str, cached: FileFacts | None = None
           ) -> tuple[list[_Located], list[PortSite], list[str], list[str]]:
    """Every bind/connect with a literal or constant port and the node holding it; binds whose port stays;
    notes on ports from other sources; the literal or constant ports it cannot rewrite, and why. `cached`: the
    facts cached for the module's bytes, whose endpoints spare running the extractors again."""
    if cached is not None:
        endpoints = _file_endpoints(cached, path)
    else:
        facts = FileFacts(path, machine_of(path), "", 0)
        run_extractors(facts, module, module.code)
        endpoints = resolve_file_endpoints(facts)
    fixed = _fixed_binds(endpoints, path)
    if not _rewritable(endpoints):
        return [], fixed, _left_notes(endpoints, path), []
    located, notes, left = _find_targets(endpoints, path, _endpoint_calls(module))
    return located, fixed, notes, left


def _find_targets(endpoints: list[ResolvedEndpoint], path: str, calls: _Calls
                  ) -> tuple[list[_Located], list[str], list[str]]:
    """`locate`'s rewritable sites, notes and left ports, given the bind/connect calls on the endpoints' lines."""
    located, notes, left, used = [], [], [], set()
    ordinals: dict[int, int] = defaultdict(int)
    for endpoint in endpoints:
        fact = endpoint.fact
        if endpoint.port is None or endpoint.source not in REWRITTEN_SOURCES:
            notes.extend(_left_notes([endpoint], path))
            continue
        found = next(((call, locator) for call, locator in calls.get(fact.line, [])
                      if call not in used and _matches(locator, call, endpoint)), None)
        if found is None:
            left.append(f"{path}:{fact.line}: cannot find the {fact.action} call of {fact.endpoint}")
            continue
        call, locator = found
        used.add(call)
        target = locator.target(call, endpoint)
        if isinstance(target, str):
            left.append(f"{path}:{fact.line}: {target}")
            continue
        ordinal = ordinals[fact.line]
        ordinals[fact.line] += 1
        site = PortSite(path, fact.line, ordinal, fact.action, endpoint.port, fact.socket_kind, fact.host,
                        fact.class_name)
        located.append(_Located(site, target, locator.module))
    return located, notes, left


def _file_endpoints(facts: FileFacts, path: str) -> list[ResolvedEndpoint]:
    """The endpoints of a file's cached facts, resolved as `locate` resolves those it extracts."""
    return resolve_file_endpoints(replace(facts, path=path, machine=machine_of(path)))


def _collected(located: list[_Located], fixed: list[PortSite], notes: list[str], left: list[str]) -> Collected:
    return Collected([item.site for item in located] + fixed, notes, left)


def _rewritable(endpoints: list[ResolvedEndpoint]) -> bool:
    return any(f.port is not None and f.source in REWRITTEN_SOURCES for f in endpoints)


def _fixed_binds(endpoints: list[ResolvedEndpoint], path: str) -> list[PortSite]:
    """Binds whose port comes from elsewhere (a config, the environment): they stay, but their ports are taken."""
    return [
        PortSite(path, f.fact.line, -1, f.fact.action, f.port, f.fact.socket_kind, f.fact.host, f.fact.class_name,
                 rewritable=False)
        for f in endpoints
        if f.port is not None and f.source not in REWRITTEN_SOURCES and f.fact.action == "bind"
    ]


def _left_notes(endpoints: list[ResolvedEndpoint], path: str) -> list[str]:
    return [
        f"{path}:{e.fact.line}: port {e.port} comes from {LEFT_SOURCES[e.source]} ({e.fact.port_expr}); "
        "left as it is"
        for e in endpoints
        if e.port is not None and e.source in LEFT_SOURCES
    ]


def _matches(locator: _Locator, call: cst.Call, endpoint: ResolvedEndpoint) -> bool:
    return (
        ENDPOINT_ACTIONS[call.func.attr.value] == endpoint.fact.action  # type: ignore[attr-defined]
        and locator.code(call.args[0].value) == endpoint.fact.endpoint
    )


# --------------------------------------------------------------------- the file in parts


def _site_statements(tree: ast.Module, endpoints: list[ResolvedEndpoint]) -> list[ast.stmt] | None:
    """The innermost statement holding each rewritable endpoint's line (a call starts on the line its fact
    names); None when a line has none, or is a decorator's, which a cut from the statement's line leaves out."""
    lines = {e.fact.line for e in endpoints if e.port is not None and e.source in REWRITTEN_SOURCES}
    holders: dict[int, ast.stmt] = {}

    def holding(statement: ast.stmt) -> list[int]:
        first = min([statement.lineno, *(d.lineno for d in getattr(statement, "decorator_list", ()))])
        last = statement.end_lineno or statement.lineno
        return [line for line in lines if first <= line <= last]

    # Outer before inner, entering only statements that hold a line: the innermost holder comes last.
    for statement in ast_statements(tree, lambda statement: bool(holding(statement))):
        holders.update((line, statement) for line in holding(statement))
    if lines - holders.keys() or any(line < holders[line].lineno for line in lines):
        return None
    return list(holders.values())


_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_INDENT = re.compile(r"[ \t\f]*")


def _layout(text: str, starts: list[int], tree: ast.Module, endpoints: list[ResolvedEndpoint], sha256: str
            ) -> Layout:
    statements = _site_statements(tree, endpoints)
    return Layout(sha256, None if statements is None else tuple(Span.of(s) for s in statements),
                  _import_points(text, tree, starts), *_registry_function_in(tree))


def _cut_calls(text: str, cuts: list[Cut]) -> _Calls:
    calls: _Calls = defaultdict(list)
    for cut in cuts:
        one_line = "\n" not in text[cut.start:cut.end].removesuffix("\n")
        line = cut.shift + 1 + cut.before.count("\n") if one_line else None  # the file line it starts on
        for at, found in _endpoint_calls(cut.module, cut.shift, whole=False, line=line).items():
            calls[at] += found
    return calls


def _new_text(text: str, cuts: list[Cut], located: list[_Located], swaps: _Swaps, layout: Layout) -> str | None:
    """The file's text with each cut that holds a swapped node rewritten, and the import (when the module lacks
    it) where _import_points put it; None when a cut's wrapper did not stay."""
    changed = swaps.replacements.keys() | swaps.splits.keys()
    swapped = [item.module for item in located if item.target.node in changed]
    replaced = []
    for cut in cuts:
        if any(module is cut.module for module in swapped):
            new = cut.text_of(cut.module.visit(_Replacer(swaps.replacements, swaps.splits)))
            if new is None:
                return None
            replaced.append((cut.start, cut.end, new))
    if layout.needs_import and layout.import_points is not None:
        # header_insert_index: no later than the top-level statement holding the first use of get_port
        first_use = min((item.site.line for item in located if item.target.node in swaps.chosen), default=None)
        points = [point for point in layout.import_points if first_use is None or point[0] <= first_use]
        offset = (points or layout.import_points)[-1][1]
        replaced.append((offset, offset, layout.needs_import))  # before a cut that starts there
    return splice(text, sorted(replaced))


# --------------------------------------------------------------------- where the import goes, from CPython's tree


def _import_points(text: str, tree: ast.Module, starts: list[int]) -> tuple[tuple[int, int], ...] | None:
    """base.header_insert_index on CPython's tree: (first line, offset in `text`) of each top-level statement
    (as libcst groups them: those on one line, after a `;`, are one) the import may go before, from the lowest
    (after a docstring and `from __future__` imports) to the last (after the top imports, never past the first
    def or class); the statement holding the first use, when it is among them, takes it. The offset is where
    libcst's statement begins: after the one before it and the indented lines its last block owns. None for a
    head whose statements CPython and libcst may see differently (a line continued with a backslash, an
    f-string as the first statement)."""
    groups = _head_statements(text, tree, starts)
    lowest = None if groups is None else _lowest(groups)
    if groups is None or lowest is None:
        return None
    position = max([lowest, *(index + 1 for index, group in enumerate(groups)
                              if all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in group)
                              or _is_import_guard(text, group, starts))])
    # The first line of each statement, and of what follows the last: the first def or class, or the file's end.
    definition = next((s for s in tree.body if isinstance(s, _DEFINITIONS)), None)
    firsts = [group[0].lineno for group in groups]
    firsts.append(len(starts) + 1 if definition is None else
                  min([definition.lineno, *(d.lineno for d in definition.decorator_list)]))
    points = []
    for index in range(lowest, position + 1):
        offset = starts[firsts[0] - 1] if index == 0 else _end_of(text, groups[index - 1][-1], firsts[index], starts)
        points.append((firsts[index], offset))
    return tuple(points)


def _head_statements(text: str, tree: ast.Module, starts: list[int]) -> list[list[ast.stmt]] | None:
    """The top-level statements before the first def or class, those of one line (after a `;`) together, as
    libcst's statements hold them; None when a line is continued with a backslash (it may join two)."""
    groups: list[list[ast.stmt]] = []
    for statement in itertools.takewhile(lambda s: not isinstance(s, _DEFINITIONS), tree.body):
        line = starts[statement.lineno - 1]
        if groups and text[line:line + statement.col_offset].strip(" \t\f"):
            groups[-1].append(statement)  # after a `;` on the line of the one before
        elif statement.lineno > 1 and text[starts[statement.lineno - 2]:line].endswith("\\\n"):
            return None
        else:
            groups.append([statement])
    return groups


def _lowest(groups: list[list[ast.stmt]]) -> int | None:
    """base.header_insert_index's lowest place: after a docstring and the `from __future__` imports; None when
    the first statement is an f-string (see _is_docstring)."""
    lowest = 0
    for index, group in enumerate(groups):
        docstring = _is_docstring(group) if index == 0 else False
        if docstring is None:
            return None
        if not (docstring or any(isinstance(s, ast.ImportFrom) and s.module == "__future__" for s in group)):
            break
        lowest = index + 1
    return lowest


def _is_docstring(group: list[ast.stmt]) -> bool | None:
    """base._is_docstring: one string expression (None for an f-string, which libcst counts when it is
    concatenated with a plain string)."""
    if len(group) != 1 or not isinstance(group[0], ast.Expr):
        return False
    value = group[0].value
    if isinstance(value, ast.JoinedStr):
        return None
    return isinstance(value, ast.Constant) and isinstance(value.value, (str, bytes))


def _is_import_guard(text: str, group: list[ast.stmt], starts: list[int]) -> bool:
    """base._is_import_guard: a `try` whose indented block holds imports only."""
    statement = group[0]
    return (isinstance(statement, ast.Try) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in statement.body)
            and bool(_indent(text, statement.body[0], starts)))


def _end_of(text: str, statement: ast.stmt, following: int, starts: list[int]) -> int:
    """Where libcst's top-level statement after `statement` begins (its leading comments and blank lines
    included): the line after `statement`, or after the last line before `following` that its last indented
    block owns (a comment or blank line that starts with the block's indentation)."""
    last = statement.end_lineno or statement.lineno
    offset = starts[last] if last < len(starts) else len(text)
    indent = _last_block_indent(text, statement, starts)
    for line in range(last + 1, following):
        if indent and text.startswith(indent, starts[line - 1]):
            offset = starts[line] if line < len(starts) else len(text)
    return offset


def _last_block_indent(text: str, statement: ast.stmt, starts: list[int]) -> str:
    """The indentation of the last block of a compound statement (an `elif`'s, for an if/elif chain; the `case`
    lines', for a match); "" for a simple statement or a block on the line of its clause."""
    if isinstance(statement, ast.Match):
        indent = _INDENT.match(text, starts[statement.cases[-1].pattern.lineno - 1])
        return indent.group() if indent else ""
    while True:
        blocks = [getattr(statement, "body", None), *(h.body for h in getattr(statement, "handlers", ())),
                  getattr(statement, "orelse", None), getattr(statement, "finalbody", None)]
        last = next((block for block in reversed(blocks) if isinstance(block, list) and block), None)
        if last is None:
            return ""
        first = last[0]
        if not (isinstance(statement, ast.If) and last is statement.orelse and isinstance(first, ast.If)
                and text.startswith("elif", starts[first.lineno - 1] + first.col_offset)):
            return _indent(text, first, starts)
        statement = first


def _indent(text: str, statement: ast.stmt, starts: list[int]) -> str:
    """The whitespace before a statement that starts its line; "" for one that does not."""
    line = starts[statement.lineno - 1]
    prefix = text[line:line + statement.col_offset]
    return "" if prefix.strip(" \t\f") else prefix


def _registry_function_in(tree: ast.Module) -> tuple[str, str]:
    """PortLiterals._registry_function from CPython's tree: libcst's top-level simple statements are CPython's
    top-level statements, grouped by line."""
    for statement in tree.body:
        if isinstance(statement, ast.ImportFrom) and (statement.module or "") in REGISTRY_MODULES:
            for alias in statement.names:
                if alias.name == "get_port":
                    return alias.asname or alias.name, ""
    bound: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            bound.update(alias.asname or alias.name.split(".")[0] for alias in statement.names)
        elif isinstance(statement, ast.Assign):
            bound.update(target.id for target in statement.targets if isinstance(target, ast.Name))
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)) and isinstance(statement.target, ast.Name):
            bound.add(statement.target.id)
    return _registry_import("get_port" in bound)


def _registry_import(get_port_taken: bool) -> tuple[str, str]:
    """The name get_port is called by and the import to add, when the module does not import it."""
    if get_port_taken:
        return "registry_port", f"from {REGISTRY_MODULE} import get_port as registry_port\n"
    return "get_port", f"from {REGISTRY_MODULE} import get_port\n"


# --------------------------------------------------------------------- naming


@dataclass
class PortPlan:
    names: dict[str, dict[tuple[int, int], str]]  # path -> (line, ordinal) -> NAME
    layouts: dict[str, Layout]  # path -> how a local collect found its text cut
    registries: dict[str, ports_file.MachineRegistry]  # machine -> its registry as it is
    new_entries: dict[str, list[PortEntry]]  # machine -> entries its registry gains
    requirements: dict[str, tuple[str, str]]  # requirements file -> (new text, note)
    notes: list[str]  # copies and tests left out, requirements added, ports from other sources
    left: list[str]  # literal or constant ports it leaves as they are, and why (a collision, no name, no call)


@dataclass
class Naming:
    names: dict[PortSite, str]  # every rewritable site that gets a name
    entries: list[PortEntry]  # new names, one per port and machine
    notes: list[str]  # collisions and ports left unnamed


def _stem(path: str) -> str:
    pure = PurePosixPath(path)
    stem = pure.stem
    if stem in GENERIC_STEMS and pure.parent.name:
        stem = pure.parent.name if stem.startswith("__") else f"{pure.parent.name}_{stem}"
    return _identifier(stem, "MODULE")


def _identifier(text: str, fallback: str) -> str:
    name = upper_snake(text) or fallback
    return name if name[0].isalpha() else f"P_{name}"


def _is_remote(host: str) -> bool:
    return bool(_IP.match(host)) and not host.startswith(_LOCAL_IPS)


def _site_order(site: PortSite) -> tuple:
    return (site.path, site.line, site.ordinal)


def _keys(sites: list[PortSite], agents: list[ConfiguredAgent], machine: Callable[[str], str],
          kind: Callable[[str], str]) -> dict:
    """(machine, port) each site's port belongs to: a bind its own machine's; a connect joins the machine
    that binds the port (a live module, else a startup-config agent declaring it), a remote host preferring another."""
    binders: dict[int, set[str]] = defaultdict(set)
    for site in sites:
        if site.action == "bind" and kind(site.path) == LIVE:
            binders[site.port].add(machine(site.path))
    declared: dict[int, set[str]] = defaultdict(set)
    for agent in agents:
        for port in agent.ports():
            if port.port is not None:
                declared[port.port].add(agent.machine)
    keys = {}
    for site in sites:
        own = machine(site.path)
        machines = sorted(binders.get(site.port) or declared.get(site.port) or ())
        if site.action == "bind" or not machines:
            keys[site] = (own, site.port)
            continue
        others = [m for m in machines if m != own]
        preferred = (others + machines) if _is_remote(site.host) else ([m for m in machines if m == own] + others)
        keys[site] = (preferred[0], site.port)
    return keys


def _existing_name(existing: Mapping[str, PortEntry], key: tuple[str, int], owner: str) -> str | None:
    machine, port = key
    same_owner = sorted(n for n, e in existing.items() if e.port == port and owner and e.owner == owner)
    same_machine = sorted(n for n, e in existing.items() if e.port == port and (e.machine or "") in ("", machine))
    found = same_owner or same_machine
    return found[0] if found else None


@dataclass(frozen=True)
class _Proposal:
    name: str
    owner: str
    socket: str
    purpose: str = ""  # where a name no module gave comes from


def _named(base: str, role: str) -> str:
    return base if base.endswith(f"_{role}") else f"{base}_{role}"


def _agents_running(agents: list[ConfiguredAgent], path: str, port: int) -> list[ConfiguredAgent]:
    running = [a for a in agents if a.script_path == path]
    declaring = [a for a in running if port in {p.port for p in a.ports()}]
    return declaring or running


def _is_health(agent: ConfiguredAgent, port: int) -> bool:
    return agent.health_port is not None and agent.health_port.port == port


def _propose(group: list[PortSite], binder: PortSite | None, key: tuple[str, int],
             agents: list[ConfiguredAgent]) -> _Proposal | None:
    machine, port = key
    if binder is not None:
        role = binder.socket_kind or "BIND"
        running = {a.name: a for a in _agents_running(agents, binder.path, port)}
        if len(running) == 1:
            (agent,) = running.values()
            base = _identifier(agent.name, "AGENT")
            return _Proposal(_named(base, HEALTH_ROLE if _is_health(agent, port) else role), binder.path,
                             binder.socket_kind)
        base = _identifier(binder.class_name, "CLASS") if binder.class_name else _stem(binder.path)
        return _Proposal(_named(base, role), binder.path, binder.socket_kind)
    declaring = {a.name: a for a in agents if a.machine == machine and port in {p.port for p in a.ports()}}
    if len(declaring) != 1:
        return None
    (agent,) = declaring.values()
    kinds = {BINDER_OF.get(s.socket_kind, "") for s in group if s.action == "connect"} - {""}
    socket = kinds.pop() if len(kinds) == 1 else ""
    role = HEALTH_ROLE if _is_health(agent, port) else socket or "PORT"
    return _Proposal(_named(_identifier(agent.name, "AGENT"), role), agent.script_path, socket,
                     f"{agent.name} in {agent.path}")


def _machine_tag(machine: str) -> str:
    return _identifier(machine.removesuffix("_code"), "MACHINE")


def _unique(name: str, key: tuple[str, int], claimed: dict[str, tuple[str, int]]) -> str:
    """`name`, else machine-qualified when another machine holds it (PC2_...), else numbered."""
    if name not in claimed:
        return name
    if key[0] and claimed[name][0] != key[0]:
        qualified = f"{_machine_tag(key[0])}_{name}"
        if qualified not in claimed:
            return qualified
        name = qualified
    number = 2
    while f"{name}_{number}" in claimed:
        number += 1
    return f"{name}_{number}"


def name_ports(sites: list[PortSite], existing: Mapping[str, PortEntry] | None = None,
               agents: list[ConfiguredAgent] | None = None, machine: Callable[[str], str] = machine_of,
               kind: Callable[[str], str] = path_kind) -> Naming:
    """NAME for every rewritable site, the registry entries to add, and notes on collisions and unnamed ports.

    Binds whose port stays in the code (`rewritable=False`) take part in naming and in
    collisions, so a connect to such a port reads the binding agent's name.
    """
    existing, agents = existing or {}, agents or []
    order = sorted(sites, key=_site_order)
    keys = _keys(order, agents, machine, kind)
    groups: dict[tuple[str, int], list[PortSite]] = defaultdict(list)
    for site in order:
        groups[keys[site]].append(site)
    claimed = {name: (entry.machine or "", entry.port) for name, entry in existing.items()}
    naming = Naming({}, [], [])
    for key, group in groups.items():
        if any(s.rewritable for s in group):  # a port no rewritten site uses needs no name: its binds keep their number
            binders = sorted({s.path for s in group if s.action == "bind" and kind(s.path) == LIVE})
            _name_group(key, group, binders, existing, agents, claimed, naming)
    return naming


def _name_group(key: tuple[str, int], group: list[PortSite], binders: list[str], existing: Mapping[str, PortEntry],
                agents: list[ConfiguredAgent], claimed: dict[str, tuple[str, int]], naming: Naming) -> None:
    """Name one port of one machine (or say why not), adding to `naming`; `binders`: the live modules binding it."""
    where = f" on {key[0]}" if key[0] else ""
    if len(binders) > 1:
        naming.notes.append(f"port {key[1]}{where} is bound by {len(binders)} live modules ({', '.join(binders)}): "
                            "a collision to resolve first; left as it is")
        return
    binder = next((s for s in group if binders and s.path == binders[0] and s.action == "bind"), None)
    name = _existing_name(existing, key, binder.path if binder else "") or _new_name(key, group, binder, agents,
                                                                                     claimed, naming)
    if name is None:
        naming.notes.append(f"port {key[1]}{where}: no live module binds it and no startup config declares it, "
                            f"so nothing names it; {sum(s.rewritable for s in group)} site(s) left as they are")
        return
    claimed.setdefault(name, key)
    naming.names.update({site: name for site in group if site.rewritable})


def _new_name(key: tuple[str, int], group: list[PortSite], binder: PortSite | None, agents: list[ConfiguredAgent],
              claimed: dict[str, tuple[str, int]], naming: Naming) -> str | None:
    proposal = _propose(group, binder, key, agents)
    if proposal is None:
        return None
    name = _unique(proposal.name, key, claimed)
    naming.entries.append(PortEntry(name, key[1], key[0] or None, proposal.owner or None, proposal.socket or None,
                                    proposal.purpose or None))
    return name


def _tree_settings(collected: Mapping[str, Collected], root: Path | None) -> tuple[ScanConfig, list[ConfiguredAgent]]:
    """The tree's `[tool.analyzer]` settings and startup-config agents (the defaults and none for a snippet)."""
    if root is None:
        return ScanConfig(), []
    try:
        config = load_scan_config(root)
    except ConfigError as error:
        raise CodemodError(str(error)) from None
    return config, read_deployment(root, config, collected.keys()).agents


def _registry_additions(naming: Naming, registries: dict[str, ports_file.MachineRegistry],
                        machine: Callable[[str], str]) -> dict[str, list[PortEntry]]:
    """Per machine, the entries its code now reads that its registry lacks (a remote port's included)."""
    known = {**ports_file.known_entries(registries), **{entry.name: entry for entry in naming.entries}}
    wanted: dict[str, list[str]] = defaultdict(list)
    for site, name in sorted(naming.names.items(), key=lambda item: _site_order(item[0])):
        holder = machine(site.path)
        if name not in registries[holder].entries and name not in wanted[holder]:
            wanted[holder].append(name)
    order = {entry.name: index for index, entry in enumerate(naming.entries)}
    return {m: [known[n] for n in sorted(names, key=lambda n: (order.get(n, len(order)), n))]
            for m, names in wanted.items()}


def _requirements(root: Path | None, machines: set[str], requirement: str) -> dict[str, tuple[str, str]]:
    """requirements file -> (new text, note), for each machine whose code now reads its registry."""
    requirements = {}
    for name in sorted(machines):
        path, text, note = ports_file.with_runtime_requirement(root, name, requirement)
        if text is not None:
            requirements[path] = (text, note)
    return requirements


def _unrewritable(collected: Mapping[str, Collected], included: Callable[[str], bool]) -> list[str]:
    """Why each site it could not rewrite was left, in the files it rewrites (copies and tests it leaves out are
    left on purpose, not counted)."""
    return [note for path in sorted(collected) if collected[path] and included(path) for note in collected[path].left]


def _left_out(sites: list[PortSite], kind: Callable[[str], str]) -> list[str]:
    """Notes on the rewritable sites left out (in copies or tests)."""
    notes = []
    for which, words, flag in ((COPY, ("copy", "copies"), "--include-copies"), (TEST, ("test", "tests"), "--include-tests")):
        paths = [s.path for s in sites if kind(s.path) == which]
        if paths:
            files = len(set(paths))
            notes.append(f"{len(paths)} port site(s) in {files} {words[files != 1]} left as they are "
                         f"({flag} rewrites them)")
    return notes


# --------------------------------------------------------------------- rewriting


class _Replacer(cst.CSTTransformer):
    def __init__(self, replacements: dict[cst.CSTNode, cst.CSTNode], splits: dict[cst.CSTNode, list[cst.CSTNode]]):
        super().__init__()
        self.replacements = replacements
        self.splits = splits

    def on_leave(self, original_node, updated_node):
        if original_node in self.replacements:
            return self.replacements[original_node]
        if isinstance(original_node, cst.FormattedString) and any(p in self.splits for p in original_node.parts):
            parts = []
            for original, updated in zip(original_node.parts, updated_node.parts):
                parts.extend(self.splits.get(original, [updated]))
            return updated_node.with_changes(parts=parts)
        return updated_node


@dataclass
class _Swaps:
    """What a file's rewrite swaps: nodes replaced, f-string texts split, the node each name went to."""

    replacements: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    splits: dict[cst.CSTNode, list[cst.CSTNode]] = field(default_factory=dict)
    chosen: dict[cst.CSTNode, str] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def sorted_edits(self) -> list[Edit]:
        return sorted(self.edits, key=lambda e: e.line)


def _swaps(located: list[_Located], path: str, file_plan: FilePlan | None, function: str) -> _Swaps:
    swaps = _Swaps()
    names = file_plan.names if file_plan is not None else {}
    for item in located:
        name = names.get((item.site.line, item.site.ordinal))
        if name is None:
            continue
        target = item.target
        if swaps.chosen.setdefault(target.node, name) != name:
            swaps.notes.append(f"{path}:{item.site.line}: shares its endpoint string with another port name; left")
            continue
        problem = _swap(target, function, name, swaps.replacements, swaps.splits)
        if problem:
            swaps.notes.append(f"{path}:{item.site.line}: {problem}")
            continue
        swaps.edits.append(Edit(item.site.line, f"port {item.site.port} -> {function}('{name}')"))
    return swaps


def _swap(target: _Target, function: str, name: str, replacements, splits) -> str:
    call_text = _registry_call(function, name, target.fstring_quote)
    if target.node in replacements or target.node in splits:
        return ""  # the same node, already swapped for the same name
    if target.kind == "expression":
        text = f"str({call_text})" if target.wrap_str else call_text
        replacements[target.node] = cst.parse_expression(text)
    elif target.kind == "string":
        string = ensure_type(target.node, cst.SimpleString)
        fstring = _as_fstring(string, target.digits, _registry_call(function, name, string.quote[0]))
        if isinstance(fstring, str):
            return fstring
        replacements[target.node] = fstring
    else:
        written = ensure_type(target.node, cst.FormattedStringText).value
        text = written[: len(written) - len(target.digits)]
        parts: list[cst.CSTNode] = [cst.FormattedStringText(text)] if text else []
        parts.append(cst.FormattedStringExpression(cst.parse_expression(call_text)))
        splits[target.node] = parts
    return ""


def _with_import(module: cst.Module, new_module: cst.Module, needs_import: str,
                 chosen: Mapping[cst.CSTNode, str]) -> cst.Module:
    """`new_module` (`module` rewritten) with the import added after the top imports, before the first use."""
    if not needs_import:
        return new_module
    first_use = first_statement_holding(module, set(chosen))
    return insert_statements(new_module, header_insert_index(module, first_use), [cst.parse_statement(needs_import)])


def _registry_call(function: str, name: str, fstring_quote: str) -> str:
    quote = "'" if fstring_quote == '"' else '"'
    return f"{function}({quote}{name}{quote})"


def _as_fstring(node: cst.SimpleString, digits: str, call_text: str) -> cst.FormattedString | str:
    prefix = node.prefix.replace("u", "").replace("U", "")
    body = node.value[len(node.prefix) + len(node.quote): -len(node.quote)]
    if "r" not in prefix.lower() and "\\N{" in body:
        return "a \\N{...} escape in the endpoint string"
    text = body[: len(body) - len(digits)].replace("{", "{{").replace("}", "}}")
    source = f"{prefix}f{node.quote}{text}{{{call_text}}}{node.quote}"
    fstring = cst.parse_expression(source)
    assert isinstance(fstring, cst.FormattedString)
    return fstring.with_changes(lpar=node.lpar, rpar=node.rpar)


class PortLiterals(Codemod):
    name = "port-literals"
    code = "FIX002"
    safety = UNSAFE
    summary = "Literal and constant ports in bind/connect become `get_port(\"NAME\")` from `agent_runtime`."
    what_it_does = (
        "Every `bind`/`connect` whose port is a literal or a constant resolved in the same file reads the "
        "port from its machine's registry instead: `\"tcp://*:5556\"` becomes "
        "`f\"tcp://*:{get_port('TRANSLATOR_PUB')}\"`, a constant `PORT` in an f-string, `%`, `.format` or `+` "
        "becomes `get_port(...)` in place; scheme, host and the string's shape stay. A port is named after what "
        "binds it: the startup-config agent running the binding module plus the socket role "
        "(`MODEL_MANAGER_AGENT_REP`; `_HEALTH` for the agent's health port), else the binding class, else the "
        "module; a port nothing in the tree binds, after the startup-config agent declaring it, else it is left. "
        "Never after a connecting module, a copy or a test: copies and tests are rewritten only with "
        "`include_copies` / `include_tests` (`--include-copies`, `--include-tests`), and then read the live "
        "agent's name. A port two live modules bind on one machine is a collision: left as it is and listed. "
        "Each machine's registry (`[tool.analyzer] ports_registry`, default `{machine}/config/ports.yaml`, "
        "where the agents find it from their own files) gets the entries its code reads (name, port, machine, "
        "owner module, socket kind), validated by agent_runtime itself; an existing entry with the same port "
        "and owner, or the same port on the same machine, keeps its name. `from agent_runtime import get_port` "
        "is added, and the runtime distribution to each touched machine's `requirements.txt` (created if "
        "missing; `runtime_requirement` sets the line). Ports from default arguments, self attributes or "
        "environment defaults are left and listed."
    )
    why = (
        "Hundreds of hard-coded ports spread over two machines collide silently and cannot be moved without "
        "editing code; a registry names each port once, lets collisions be checked before start-up and lets "
        "PORT_<NAME> override a port per deployment."
    )
    review = (
        "Unsafe: agents now need agent-graph-runtime installed and their machine's config/ports.yaml (or "
        "PORT_<NAME>) at run time; module-level endpoint constants read the registry at import. Check the names "
        "in each config/ports.yaml, and resolve the collisions listed in the notes (they are left as they were). "
        "agent-graph-runtime is on no public index: publish it to your own index, or set runtime_requirement "
        "to a URL or path pip installs it from, so that no public package of that name can stand in for it."
    )
    OPTIONS = {
        "include_copies": Option(False, "also rewrite backup copies (they read the live agent's port name)"),
        "include_tests": Option(False, "also rewrite tests (they read the live agent's port name)"),
        "runtime_requirement": Option(ports_file.RUNTIME_REQUIREMENT,
                                      "the line added to requirements.txt (a version, a URL or a path)"),
    }
    uses_plan = True
    EXAMPLES = [
        Example(
            'import zmq\n\nctx = zmq.Context()\nsock = ctx.socket(zmq.PUB)\nsock.bind("tcp://*:5556")  # fan-out\n',
            'import zmq\nfrom agent_runtime import get_port\n\nctx = zmq.Context()\nsock = ctx.socket(zmq.PUB)\n'
            'sock.bind(f"tcp://*:{get_port(\'TRANSLATOR_PUB\')}")  # fan-out\n',
            path="main_pc_code/agents/translator.py",
            title="A literal endpoint becomes an f-string; host and scheme stay; no class, no config: the module names it",
        ),
        Example(
            '"""Health monitor."""\nimport zmq\n\nPORT = 5570\n\n\nclass HealthMonitor:\n    def start(self):\n'
            '        self.sock = self.ctx.socket(zmq.REP)\n        self.sock.bind(f\'tcp://*:{PORT}\')\n',
            '"""Health monitor."""\nimport zmq\nfrom agent_runtime import get_port\n\nPORT = 5570\n\n\n'
            'class HealthMonitor:\n    def start(self):\n        self.sock = self.ctx.socket(zmq.REP)\n'
            '        self.sock.bind(f\'tcp://*:{get_port("HEALTH_MONITOR_REP")}\')\n',
            path="pc2_code/agents/monitor.py",
            title="A constant inside an f-string is swapped in place; the binding class names the port",
        ),
        Example(
            'import zmq\nBASE = 7100\ns = zmq.Context().socket(zmq.PULL)\ns.bind("tcp://0.0.0.0:%d" % BASE)\n'
            't = zmq.Context().socket(zmq.PUSH)\nt.connect("tcp://localhost:" + str(BASE))\n',
            'import zmq\nfrom agent_runtime import get_port\nBASE = 7100\ns = zmq.Context().socket(zmq.PULL)\n'
            's.bind("tcp://0.0.0.0:%d" % get_port("COLLECTOR_PULL"))\nt = zmq.Context().socket(zmq.PUSH)\n'
            't.connect("tcp://localhost:" + str(get_port("COLLECTOR_PULL")))\n',
            path="main_pc_code/agents/collector.py",
            title="`%` and `+` keep their shape; a connect to a bound port reads the binder's name",
        ),
        Example(
            'import zmq\nENDPOINT = "tcp://*:6000"\nsock.bind(ENDPOINT)\nother.connect("tcp://127.0.0.1:6000")\n',
            'import zmq\nfrom agent_runtime import get_port\nENDPOINT = f"tcp://*:{get_port(\'BUS_BIND\')}"\n'
            'sock.bind(ENDPOINT)\nother.connect(f"tcp://127.0.0.1:{get_port(\'BUS_BIND\')}")\n',
            path="main_pc_code/bus.py",
            title="An endpoint constant assigned once is rewritten where it is defined; bind and connect share a name",
        ),
        Example(
            'import zmq\nreq = zmq.Context().socket(zmq.REQ)\nreq.connect("tcp://localhost:5570")\n',
            path="main_pc_code/agents/router.py",
            title="A connect to a port nothing here binds and no startup config declares: no name to give, left",
        ),
        Example(
            'import zmq\ns = zmq.Context().socket(zmq.PUB)\ns.bind("tcp://*:5556")\n',
            path="main_pc_code/agents/backup/translator_old.py",
            title="A backup copy (or a test) is left unless include_copies (include_tests) is set",
        ),
        Example(
            'import zmq\n\nclass A:\n    def __init__(self, port=5590):\n        self.sock.bind(f"tcp://*:{port}")\n',
            path="main_pc_code/agents/a.py",
            title="A port from a default argument is configurable already: left alone",
        ),
        Example('import zmq\ns.bind("ipc:///tmp/agent.sock")\nconn = sqlite3.connect("memory.db")\n',
                title="ipc endpoints and non-ZeroMQ connects are left alone"),
        Example('import zmq\nfrom agent_runtime import get_port\ns.bind(f"tcp://*:{get_port(\'X_PUB\')}")\n',
                title="Already reading the registry"),
    ]

    def commit_subject(self, sites: int, files: int) -> str:
        return (f"read {sites} hard-coded port{'s' * (sites != 1)} from each machine's config/ports.yaml in "
                f"{files} file{'s' * (files != 1)}")

    # --- planning ----------------------------------------------------------

    def might_apply(self, data: bytes) -> bool:
        return b"bind" in data or b"connect" in data

    FACT_FIELDS = ("endpoints", "port_definitions")  # what resolve_file_endpoints reads

    def needs_file(self, facts: FileFacts) -> bool:
        # `locate` runs the same extractors: a file without a bind or connect has no site, note or left port.
        return bool(facts.endpoints)

    def collect_from_facts(self, path: str, facts: FileFacts) -> Collected | None:
        # Without a literal or constant port to rewrite, `locate` needs no syntax tree: its binds and notes.
        endpoints = _file_endpoints(facts, path)
        if _rewritable(endpoints):
            return None
        return Collected(_fixed_binds(endpoints, path), _left_notes(endpoints, path), [])

    def collect(self, path: str, module: cst.Module) -> Collected:
        return _collected(*locate(module, path))

    def collect_with_facts(self, path: str, module: cst.Module, facts: FileFacts) -> Collected:
        return _collected(*locate(module, path, facts))

    def rewrites_locally(self) -> bool:
        return True

    def collect_locally(self, text: str, tree: ast.Module, path: str, facts: FileFacts) -> Collected | None:
        # Only the statements of the bind/connect calls with a port to rewrite are parsed, each alone.
        endpoints = _file_endpoints(facts, path)
        starts = line_offsets(text)
        layout = _layout(text, starts, tree, endpoints, facts.sha256)
        cuts = None if layout.statements is None else cut_statements(text, layout.statements, starts)
        if cuts is None:
            return None
        try:
            located, notes, left = _find_targets(endpoints, path, _cut_calls(text, cuts))
        except _NeedsModule:
            return None
        return replace(_collected(located, _fixed_binds(endpoints, path), notes, left), layout=layout)

    def rewrite_locally(self, text: str, tree: Callable[[], ast.Module], path: str, file_plan: FilePlan | None,
                        facts: FileFacts) -> TextRewrite | None:
        # The call statements, each alone, and the module's head when the import is added there; where they are
        # comes from the plan when the collect phase read it from the same bytes (compiled there: not again).
        endpoints, starts = _file_endpoints(facts, path), line_offsets(text)
        layout = file_plan.layout if file_plan is not None else None
        if layout is None or layout.sha256 != facts.sha256:
            layout = _layout(text, starts, tree(), endpoints, facts.sha256)
        cuts = None if layout.statements is None else cut_statements(text, layout.statements, starts)
        if cuts is None or (layout.needs_import and layout.import_points is None):
            return None
        try:
            located = _find_targets(endpoints, path, _cut_calls(text, cuts))[0]
        except _NeedsModule:
            return None
        swaps = _swaps(located, path, file_plan, layout.function)
        if not swaps.edits:
            return TextRewrite(text, [], swaps.notes)
        new = _new_text(text, cuts, located, swaps, layout)
        return None if new is None else TextRewrite(new, swaps.sorted_edits(), swaps.notes)

    def _included(self, kind: str) -> bool:
        return kind == LIVE or (kind == COPY and bool(self.options["include_copies"])) or (
            kind == TEST and bool(self.options["include_tests"]))

    def plan(self, collected: Mapping[str, Collected], root: Path | None) -> PortPlan:
        config, agents = _tree_settings(collected, root)

        @functools.cache  # asked for every site, many times over
        def machine(path: str) -> str:
            return discover.machine_of(path, config.roots)

        @functools.cache
        def kind(path: str) -> str:
            return path_kind(path, config.copies)

        everything = [site for item in collected.values() if item for site in item.sites]
        sites = [site for site in everything if self._included(kind(site.path))]
        registries = ports_file.read_registries(root, {machine(s.path) for s in sites}, config.raw)
        naming = name_ports(sites, ports_file.known_entries(registries), agents, machine, kind)
        by_file: dict[str, dict[tuple[int, int], str]] = defaultdict(dict)
        for site, name in naming.names.items():
            by_file[site.path][(site.line, site.ordinal)] = name
        new_entries = _registry_additions(naming, registries, machine)
        requirements = _requirements(root, {machine(path) for path in by_file}, str(self.options["runtime_requirement"]))
        file_notes = [note for path in sorted(collected) if collected[path] for note in collected[path].notes]
        file_left = _unrewritable(collected, lambda path: self._included(kind(path)))
        left_out = [site for site in everything if site.rewritable and not self._included(kind(site.path))]
        notes = [*_left_out(left_out, kind), *(n for _, n in requirements.values()), *file_notes]
        layouts = {path: item.layout for path, item in collected.items() if item and item.layout is not None}
        return PortPlan(dict(by_file), layouts, registries, new_entries, requirements, notes,
                        [*naming.notes, *file_left])

    def plan_for_file(self, plan: PortPlan, path: str) -> FilePlan | None:
        names = plan.names.get(path)
        return None if names is None else FilePlan(names, plan.layouts.get(path))

    def plan_notes(self, plan: PortPlan) -> list[str]:
        return [*plan.left, *plan.notes]

    def plan_left(self, plan: PortPlan) -> list[str]:
        return list(plan.left)

    def extra_files(self, plan: PortPlan, root: Path | None) -> dict[str, bytes]:
        files = {}
        for machine, entries in sorted(plan.new_entries.items()):
            registry = plan.registries[machine]
            text, note = ports_file.merged_registry(registry, entries)
            if note:
                plan.notes.append(note)
            files[registry.path] = text.encode("utf-8")
        files.update({path: text.encode("utf-8") for path, (text, _) in plan.requirements.items()})
        return files

    # --- the rewrite -------------------------------------------------------

    def rewrite(self, module: cst.Module, path: str, file_plan: FilePlan | None) -> Rewrite:
        return self._rewrite(module, path, file_plan, locate(module, path)[0])

    def rewrite_with_facts(self, module: cst.Module, path: str, file_plan: FilePlan | None,
                           facts: FileFacts) -> Rewrite:
        return self._rewrite(module, path, file_plan, locate(module, path, facts)[0])

    def _rewrite(self, module: cst.Module, path: str, file_plan: FilePlan | None,
                 located: list[_Located]) -> Rewrite:
        function, needs_import = self._registry_function(module)
        swaps = _swaps(located, path, file_plan, function)
        if not swaps.edits:
            return Rewrite(module, [], swaps.notes)
        new_module = module.visit(_Replacer(swaps.replacements, swaps.splits))
        return Rewrite(_with_import(module, new_module, needs_import, swaps.chosen), swaps.sorted_edits(),
                       swaps.notes)

    @staticmethod
    def _registry_function(module: cst.Module) -> tuple[str, str]:
        """The name get_port is called by here, and the import to add ("" when present)."""
        for statement in module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if (
                    isinstance(small, cst.ImportFrom)
                    and dotted_name(small.module) in REGISTRY_MODULES
                    and not isinstance(small.names, cst.ImportStar)
                ):
                    for alias in small.names:
                        if dotted_name(alias.name) == "get_port":
                            bound = alias.asname.name if alias.asname is not None else alias.name
                            if isinstance(bound, cst.Name):
                                return bound.value, ""
        return _registry_import("get_port" in module_bound_names(module))


__all__ = ["PortLiterals", "PortSite", "locate", "machine_of", "name_ports"]
