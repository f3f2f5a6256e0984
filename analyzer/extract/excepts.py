"""Except clauses: bare, broad or specific; whether they swallow, re-raise or log."""

from __future__ import annotations

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, child_nodes, dotted_name
from analyzer.facts import ExceptFact

BROAD_TYPES = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log", "fatal"})
TRACEBACK_CALLS = frozenset({"traceback.print_exc", "traceback.format_exc", "traceback.print_exception"})


def _handler_types(handler: cst.ExceptHandler | cst.ExceptStarHandler) -> tuple[str, ...]:
    if handler.type is None:
        return ()
    elements = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
    names = []
    for element in elements:
        value = element.value if isinstance(element, cst.Element) else element
        names.append(dotted_name(value) or "?")
    return tuple(names)


def _is_logging_call(call: cst.Call) -> bool:
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in LOG_METHODS:
        return True
    return dotted_name(func) == "print"


def _logs_traceback(call: cst.Call) -> bool:
    callee = dotted_name(call.func)
    if callee in TRACEBACK_CALLS or (isinstance(call.func, cst.Attribute) and call.func.attr.value == "exception"):
        return True
    return any(
        arg.keyword is not None
        and arg.keyword.value == "exc_info"
        and not (isinstance(arg.value, cst.Name) and arg.value.value in ("False", "None"))
        for arg in call.args
    )


def _is_swallowing_statement(statement: cst.BaseSmallStatement) -> bool:
    if isinstance(statement, (cst.Pass, cst.Continue)):
        return True
    if isinstance(statement, cst.Return):
        return statement.value is None or (isinstance(statement.value, cst.Name) and statement.value.value == "None")
    if isinstance(statement, cst.Expr):
        value = statement.value
        return isinstance(value, cst.Ellipsis) or (isinstance(value, cst.Call) and _is_logging_call(value))
    return False


def _small_statements(body: cst.BaseSuite) -> list[cst.BaseSmallStatement] | None:
    """Every small statement of a handler body, or None if it holds a compound one."""
    lines = body.body if isinstance(body, cst.IndentedBlock) else [body]
    statements: list[cst.BaseSmallStatement] = []
    for line in lines:
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        statements.extend(line.body)
    return statements


class _BodyScan:
    """Raise statements and traceback-logging calls in a handler, not counting nested defs."""

    def __init__(self, body: cst.BaseSuite) -> None:
        self.reraises = False
        self.logs_traceback = False
        stack: list[cst.CSTNode] = [body]
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Raise):
                self.reraises = True
            elif isinstance(node, cst.Call) and _logs_traceback(node):
                self.logs_traceback = True
            elif isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            stack.extend(child_nodes(node))


class ExceptExtractor(Extractor):
    facts_field = "excepts"
    EXAMPLES = [
        Example("try:\n    f()\nexcept:\n    pass\n", [{"kind": "bare", "swallows": True, "reraises": False}]),
        Example("try:\n    f()\nexcept Exception as e:\n    logger.error(e)\n",
                [{"kind": "broad", "types": ("Exception",), "swallows": True, "logs_traceback": False}]),
        Example("try:\n    f()\nexcept (ValueError, BaseException):\n    logger.exception('x')\n    raise\n",
                [{"kind": "broad", "swallows": False, "reraises": True, "logs_traceback": True}]),
        Example("try:\n    f()\nexcept KeyError:\n    return default\n",
                [{"kind": "specific", "types": ("KeyError",), "swallows": False}]),
        Example("for x in y:\n    try:\n        f()\n    except Exception:\n        log.warning('x', exc_info=True)\n        continue\n",
                [{"kind": "broad", "swallows": True, "logs_traceback": True}]),
        Example("try:\n    f()\nexcept Exception:\n    cleanup()\n    raise RuntimeError('wrapped')\n",
                [{"kind": "broad", "swallows": False, "reraises": True}]),
        Example("try:\n    f()\nfinally:\n    g()\n", []),
    ]

    def on_ExceptHandler(self, node: cst.ExceptHandler, scope: Scope) -> None:
        self._record(node, scope)

    def on_ExceptStarHandler(self, node: cst.ExceptStarHandler, scope: Scope) -> None:
        self._record(node, scope)

    def _record(self, node: cst.ExceptHandler | cst.ExceptStarHandler, scope: Scope) -> None:
        types = _handler_types(node)
        if node.type is None:
            kind = "bare"
        elif any(t in BROAD_TYPES for t in types):
            kind = "broad"
        else:
            kind = "specific"
        scan = _BodyScan(node.body)
        statements = _small_statements(node.body)
        swallows = (
            not scan.reraises
            and statements is not None
            and all(_is_swallowing_statement(s) for s in statements)
        )
        self.context.facts.excepts.append(
            ExceptFact(self.context.line_of(node), kind, types, swallows, scan.reraises, scan.logs_traceback, scope.function)
        )
