"""bare-except: `except:` becomes `except Exception:` (or `BaseException` where it re-raises)."""

from __future__ import annotations

import ast
import re

import libcst as cst
from libcst.helpers import ensure_type

from analyzer.extract.handlers import LOGGER_NAMES, body_raises, catches_everything
from analyzer.extract.walker import dotted_name
from analyzer.facts import FileFacts
from agent_graph_codemods.base import (
    SAFE,
    Codemod,
    Edit,
    Example,
    Option,
    Rewrite,
    ast_statements,
    first_statement_holding,
    header_insert_index,
    insert_statements,
    is_import_line,
    module_bound_names,
    start_lines,
)

LOGGER_FACTORIES = frozenset({"getLogger", "get_logger", "setup_logger", "create_logger", "make_logger"})
NEW_LOGGER_NAMES = ("logger", "_logger", "module_logger")
_NO_HANDLERS_INSIDE = (cst.BaseExpression, cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.Decorator,
                       cst.Parameters)
_BARE = re.compile(rb"except\s*:")


def only_pass(body: cst.BaseSuite) -> bool:
    if isinstance(body, cst.SimpleStatementSuite):
        return len(body.body) == 1 and isinstance(body.body[0], cst.Pass)
    return (
        len(body.body) == 1
        and isinstance(body.body[0], cst.SimpleStatementLine)
        and len(body.body[0].body) == 1
        and isinstance(body.body[0].body[0], cst.Pass)
    )


def logging_statement(logger: str, where: str) -> cst.Expr:
    message = f"Ignored exception in {where}" if where else "Ignored exception"
    call = cst.parse_expression(f'{logger}.exception("{message}")')
    return cst.Expr(call)


def replace_pass(body: cst.BaseSuite, statement: cst.Expr) -> cst.BaseSuite:
    """The `pass` swapped for the logging call; comments and spacing stay where they were."""
    if isinstance(body, cst.SimpleStatementSuite):
        return body.with_changes(body=[statement.with_changes(semicolon=body.body[0].semicolon)])
    line = ensure_type(ensure_type(body, cst.IndentedBlock).body[0], cst.SimpleStatementLine)  # the lone `pass`
    return body.with_changes(body=[line.with_changes(body=[statement.with_changes(semicolon=line.body[0].semicolon)])])


def existing_logger(module: cst.Module) -> tuple[str, int] | None:
    """A module-level logger (`x = logging.getLogger(...)` or an imported `logger`) and its statement index."""
    for index, statement in enumerate(module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
                name = small.targets[0].target.value
                value = small.value
                if isinstance(value, cst.Call):
                    callee = dotted_name(value.func).rsplit(".", 1)[-1]
                    if callee in LOGGER_FACTORIES or name in LOGGER_NAMES:
                        return name, index
            if isinstance(small, cst.ImportFrom) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    if isinstance(bound, cst.Name) and bound.value in LOGGER_NAMES:
                        return bound.value, index
    return None


def _imports_logging(statements) -> bool:
    for statement in statements:
        if is_import_line(statement):
            for small in statement.body:
                if isinstance(small, cst.Import) and any(
                    dotted_name(alias.name) == "logging" and alias.asname is None for alias in small.names
                ):
                    return True
    return False


class _Transformer(cst.CSTTransformer):
    def __init__(self, codemod: BareExcept, logger: str) -> None:
        super().__init__()
        self.logger = logger
        self.reraise_type = "BaseException" if codemod.options["reraise_base_exception"] else "Exception"
        self.log_swallowed = bool(codemod.options["log_swallowed"])
        self.scopes: list[str] = []
        self.changed: list[tuple[cst.CSTNode, str]] = []
        self.logged: set[cst.CSTNode] = set()

    def on_visit(self, node: cst.CSTNode) -> bool:
        # Handlers live only in compound statements: expressions and simple lines are not entered.
        if isinstance(node, _NO_HANDLERS_INSIDE):
            return False
        return super().on_visit(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(node.name.value)

    def leave_FunctionDef(self, original_node, updated_node):
        self.scopes.pop()
        return updated_node

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(node.name.value)

    def leave_ClassDef(self, original_node, updated_node):
        self.scopes.pop()
        return updated_node

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler):
        changes: dict = {}
        what: list[str] = []
        if original_node.type is None:
            new_type = self.reraise_type if body_raises(original_node.body) else "Exception"
            changes.update(type=cst.Name(new_type), whitespace_after_except=cst.SimpleWhitespace(" "))
            what.append(f"except: -> except {new_type}:")
        if self.log_swallowed and catches_everything(original_node) and only_pass(original_node.body):
            where = f"{'.'.join(self.scopes)}()" if self.scopes else ""
            changes["body"] = replace_pass(updated_node.body, logging_statement(self.logger, where))
            self.logged.add(original_node)
            what.append(f"pass -> {self.logger}.exception(...)")
        if not changes:
            return updated_node
        self.changed.append((original_node, "; ".join(what)))
        return updated_node.with_changes(**changes)


class BareExcept(Codemod):
    name = "bare-except"
    code = "FIX001"
    safety = SAFE
    summary = "`except:` becomes `except Exception:` (`BaseException` where the handler raises)."
    what_it_does = (
        "Gives every bare `except:` an exception type: `Exception`, or `BaseException` when the "
        "handler body raises (so a clean-up-and-re-raise handler keeps catching everything). "
        "With `--log-swallowed` (option `log_swallowed`), a handler that catches everything and only "
        "says `pass` logs the exception with its traceback through the module logger instead; "
        "`import logging` and `logger = logging.getLogger(__name__)` are added only when the module "
        "has no logger. Nothing else on the line or in the file changes."
    )
    why = (
        "A bare `except:` also catches `KeyboardInterrupt` and `SystemExit`: an agent that swallows "
        "them cannot be stopped with Ctrl-C or `sys.exit()`, and a silent `pass` hides the error "
        "that would explain why a socket went quiet."
    )
    review = (
        "Handlers that now let `KeyboardInterrupt`/`SystemExit` through: check that no agent relied "
        "on swallowing them. With --log-swallowed, check the log level and message of each new call."
    )
    OPTIONS = {
        "reraise_base_exception": Option(True, "use BaseException for handlers whose body raises"),
        "log_swallowed": Option(False, "replace `pass` in catch-all handlers with logger.exception(...)"),
    }
    EXAMPLES = [
        Example(
            "try:\n    f()\nexcept:  # keep going\n    retry()\n",
            "try:\n    f()\nexcept Exception:  # keep going\n    retry()\n",
            title="A bare except gets a type; the comment stays",
        ),
        Example(
            "try:\n    send()\nexcept:\n    sock.close()\n    raise\n",
            "try:\n    send()\nexcept BaseException:\n    sock.close()\n    raise\n",
            title="A handler that re-raises keeps catching everything",
        ),
        Example(
            "try:\n    send()\nexcept:\n    sock.close()\n    raise\n",
            "try:\n    send()\nexcept Exception:\n    sock.close()\n    raise\n",
            options={"reraise_base_exception": False},
            title="reraise_base_exception=false",
        ),
        Example("try: f()\nexcept : pass\n", "try: f()\nexcept Exception: pass\n", title="One-line handlers"),
        Example(
            '"""Agent."""\nimport zmq\n\n\ndef poll(sock):\n    try:\n        sock.recv()\n'
            '    except:\n        pass  # noisy\n',
            '"""Agent."""\nimport zmq\nimport logging\n\nlogger = logging.getLogger(__name__)\n\n\n'
            'def poll(sock):\n    try:\n        sock.recv()\n    except Exception:\n'
            '        logger.exception("Ignored exception in poll()")  # noisy\n',
            options={"log_swallowed": True},
            title="--log-swallowed adds a module logger where none exists",
        ),
        Example(
            "import logging\n\nlog = logging.getLogger('agent')\n\n\nclass Agent:\n    def run(self):\n"
            "        try:\n            self.step()\n        except Exception:\n            pass\n",
            "import logging\n\nlog = logging.getLogger('agent')\n\n\nclass Agent:\n    def run(self):\n"
            "        try:\n            self.step()\n        except Exception:\n"
            '            log.exception("Ignored exception in Agent.run()")\n',
            options={"log_swallowed": True},
            title="--log-swallowed reuses the module's logger and also fixes `except Exception: pass`",
        ),
        Example("try:\n    f()\nexcept Exception:\n    pass\n",
                title="Typed handlers are left alone without --log-swallowed"),
        Example("try:\n    f()\nexcept (KeyError, ValueError):\n    pass\n", options={"log_swallowed": True},
                title="Specific handlers are never touched"),
        Example("try:\n    f()\nexcept:\n    logger.warning('x')\n    pass\n", options={"log_swallowed": False},
                after="try:\n    f()\nexcept Exception:\n    logger.warning('x')\n    pass\n",
                title="Only a body that is exactly `pass` counts as swallowing"),
    ]

    def commit_subject(self, sites: int, files: int) -> str:
        handlers = f"{sites} bare or silent except handler{'s' * (sites != 1)}"
        return f"give {handlers} a type or a log call in {files} file{'s' * (files != 1)}"

    def might_apply(self, data: bytes) -> bool:
        return b"except" in data if self.options["log_swallowed"] else _BARE.search(data) is not None

    FACT_FIELDS = ("excepts",)

    def needs_file(self, facts: FileFacts) -> bool:
        # The extractor classifies handlers as the rewrite does (handler_kind): bare, or broad = catches everything.
        wanted = {"bare", "broad"} if self.options["log_swallowed"] else {"bare"}
        return any(handler.kind in wanted for handler in facts.excepts)

    def rewrites_locally(self) -> bool:
        # A bare handler's new text depends on its own body alone (whether it raises); a logged one needs the
        # module's logger and the names of the scopes around it.
        return not self.options["log_swallowed"]

    def local_sites(self, tree: ast.Module) -> list[ast.stmt]:
        return [statement for statement in ast_statements(tree)
                if isinstance(statement, ast.Try) and any(handler.type is None for handler in statement.handlers)]

    def rewrite(self, module: cst.Module, path: str, file_plan) -> Rewrite:
        transformers: list[_Transformer] = []

        def run(logger: str) -> tuple[cst.Module, set[cst.CSTNode]]:
            transformers.append(_Transformer(self, logger))
            return module.visit(transformers[-1]), transformers[-1].logged

        new_module = log_through_module_logger(module, run)
        changed = transformers[-1].changed
        if not changed:
            return Rewrite(module)
        line_of = start_lines(module, (cst.ExceptHandler,))
        edits = [Edit(line_of(node), message) for node, message in changed]
        return Rewrite(new_module, sorted(edits, key=lambda e: e.line))


def log_through_module_logger(module: cst.Module, run) -> cst.Module:
    """Run a rewrite that may log through the module's logger (`run(name)` returns the new module and the
    nodes that now log); a module without a logger defined before its first use gets one."""
    existing = existing_logger(module)
    bound = module_bound_names(module)
    fresh = next(name for name in NEW_LOGGER_NAMES if name not in bound)
    new_module, logged = run(existing[0] if existing else fresh)
    if not logged:
        return new_module
    first_use = first_statement_holding(module, logged)
    if existing is not None and first_use is not None and existing[1] > first_use:
        # The module's logger is only defined after a module-level handler that now needs it.
        new_module, logged = run(fresh)
        existing = None
    if existing is None:
        new_module = _add_logger(module, new_module, first_use, fresh)
    return new_module


def _add_logger(original: cst.Module, module: cst.Module, first_use: int | None, logger: str) -> cst.Module:
    index = header_insert_index(original, first_use)
    statements: list[cst.BaseStatement] = []
    if not _imports_logging(original.body[:index]):
        statements.append(cst.parse_statement("import logging\n"))
    assign = cst.parse_statement(f"{logger} = logging.getLogger(__name__)\n")
    if index > 0:
        assign = assign.with_changes(leading_lines=[cst.EmptyLine()])
    statements.append(assign)
    return insert_statements(module, index, statements)
