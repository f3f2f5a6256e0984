"""Exception handlers classified: bare, broad or specific; whether they swallow, re-raise or log.

The classification lives here once: the except extractor records it as facts, the raise facts read it,
and the codemods (bare-except, narrow-excepts) import the same functions to decide what to rewrite, so
the check and the fix cannot disagree about a handler. It builds on the walker only, so the extraction's
FileContext can keep one classification per handler without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from analyzer.extract.walker import child_nodes, dotted_name

BROAD_TYPES = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "critical", "exception", "log", "fatal"})
# Names a module-level or instance logger goes by (`logger.info(...)`, `self._log.error(...)`).
LOGGER_NAMES = frozenset({"logger", "log", "LOGGER", "LOG", "_logger", "_log", "_LOGGER"})
TRACEBACK_CALLS = frozenset({"traceback.print_exc", "traceback.format_exc", "traceback.print_exception"})

Handler = cst.ExceptHandler | cst.ExceptStarHandler


@dataclass(frozen=True)
class HandlerClass:
    """What a handler catches and what its body does with the exception."""

    kind: str  # bare | broad | specific
    types: tuple[str, ...]  # dotted names as written, "?" for an expression
    swallows: bool  # body only pass / ... / continue / return None / print / logging, and no raise
    reraises: bool  # a raise statement anywhere in the body (nested defs not counted)
    logs_traceback: bool


def handler_types(handler: Handler) -> tuple[str, ...]:
    if handler.type is None:
        return ()
    elements = handler.type.elements if type(handler.type) is cst.Tuple else [handler.type]
    names = []
    for element in elements:
        value = element.value if type(element) is cst.Element else element
        names.append(dotted_name(value) or "?")
    return tuple(names)


def handler_kind(handler: Handler) -> str:
    if handler.type is None:
        return "bare"
    return "broad" if any(t in BROAD_TYPES for t in handler_types(handler)) else "specific"


def catches_everything(handler: Handler) -> bool:
    """`except:`, or a type list naming Exception or BaseException."""
    return handler_kind(handler) != "specific"


def is_logger_call(call: cst.Call) -> bool:
    """`logger.warning(...)`, `self._log.error(...)`: a log method on something named like a logger."""
    func = call.func
    if type(func) is not cst.Attribute or func.attr.value not in LOG_METHODS:
        return False
    return dotted_name(func.value).rsplit(".", 1)[-1] in LOGGER_NAMES


def _is_logging_call(call: cst.Call) -> bool:
    func = call.func
    if type(func) is cst.Attribute and func.attr.value in LOG_METHODS:
        return True
    return dotted_name(func) == "print"


def _logs_traceback(call: cst.Call) -> bool:
    callee = dotted_name(call.func)
    if callee in TRACEBACK_CALLS or (type(call.func) is cst.Attribute and call.func.attr.value == "exception"):
        return True
    return any(
        arg.keyword is not None
        and arg.keyword.value == "exc_info"
        and not (type(arg.value) is cst.Name and arg.value.value in ("False", "None"))
        for arg in call.args
    )


def _is_swallowing_statement(statement: cst.BaseSmallStatement) -> bool:
    if type(statement) in (cst.Pass, cst.Continue):
        return True
    if type(statement) is cst.Return:
        return statement.value is None or (type(statement.value) is cst.Name and statement.value.value == "None")
    if type(statement) is cst.Expr:
        value = statement.value
        return type(value) is cst.Ellipsis or (type(value) is cst.Call and _is_logging_call(value))
    return False


def _small_statements(body: cst.BaseSuite) -> list[cst.BaseSmallStatement] | None:
    """Every small statement of a handler body, or None if it holds a compound one."""
    lines = body.body if type(body) is cst.IndentedBlock else [body]
    statements: list[cst.BaseSmallStatement] = []
    for line in lines:
        if not isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return None
        statements.extend(line.body)
    return statements


class _BodyScan:
    """Raise statements and traceback-logging calls in a handler body, not counting nested defs."""

    def __init__(self, body: cst.BaseSuite) -> None:
        self.reraises = False
        self.logs_traceback = False
        stack: list[cst.CSTNode] = [body]
        while stack:
            node = stack.pop()
            if type(node) is cst.Raise:
                self.reraises = True
            elif type(node) is cst.Call and _logs_traceback(node):
                self.logs_traceback = True
            elif type(node) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
                continue
            stack.extend(child_nodes(node))


def body_raises(body: cst.BaseSuite) -> bool:
    """Whether a handler body holds a raise statement (re-raise or a new error), nested defs not counted."""
    return _BodyScan(body).reraises


def classify(handler: Handler) -> HandlerClass:
    scan = _BodyScan(handler.body)
    statements = _small_statements(handler.body)
    swallows = not scan.reraises and statements is not None and all(_is_swallowing_statement(s) for s in statements)
    return HandlerClass(handler_kind(handler), handler_types(handler), swallows, scan.reraises, scan.logs_traceback)
