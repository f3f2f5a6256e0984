"""narrow-excepts: a bare or broad handler catches exactly what its `try` body can raise.

What the body can raise comes from analyzer/narrowing/infer.py over the whole tree
(the raise table, the repository's own functions a few calls deep); the codemod only
swaps the handler's type, adds the imports the new names need and, with
`log_swallowed`, a traceback log line. The evidence for each rewrite (the call and
the table row or function each exception came from) goes into the pull request.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import cast

import libcst as cst
from libcst.helpers import ensure_type

from analyzer.check.suppress import is_suppressed
from analyzer.config import ConfigError, read_tool_table
from analyzer.extract.handlers import classify, is_logger_call
from analyzer.extract.raising import summarize
from analyzer.extract.walker import walk
from analyzer.narrowing.infer import LEFT, NARROW, UNPROVEN, Inference, Repository, Verdict, verdicts
from analyzer.narrowing.model import RaiseFacts
from analyzer.narrowing.table import TableError, load_table
from agent_graph_codemods.bare_except import log_through_module_logger, logging_statement, only_pass, replace_pass
from agent_graph_codemods.base import (
    SAFE,
    Codemod,
    CodemodError,
    Edit,
    Example,
    Option,
    Rewrite,
    first_statement_holding,
    header_insert_index,
    insert_statements,
    start_lines,
)

COMMENT_LIMIT = 110
CHECK_ID = "narrowable-excepts"  # the check this codemod fixes: its suppression comment also keeps a handler
REASON_SUPPRESSED = f"suppressed with # analyzer: ignore[{CHECK_ID}]"
_LINE_NODES = (cst.BaseSmallStatement, cst.BaseCompoundStatement, cst.BaseExpression, cst.ExceptHandler,
               cst.ExceptStarHandler)


@dataclass(frozen=True)
class Collected:
    """One file's raise facts, and its handlers a `# analyzer: ignore[narrowable-excepts]` comment keeps as they are."""

    facts: RaiseFacts
    suppressed: frozenset[int]


@dataclass
class NarrowPlan:
    by_file: dict[str, dict[int, Verdict]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _line_finder(module: cst.Module):
    lines = start_lines(module, _LINE_NODES)

    def line_of(node: cst.CSTNode) -> int:
        try:
            return lines(node)
        except KeyError:  # a node kind code generation does not position (whitespace, operators)
            return 0

    return line_of


def _except_line_comment(handler: cst.ExceptHandler) -> str:
    """The comment at the end of the `except ...:` line, "" for none."""
    body = handler.body
    trailing = body.header if isinstance(body, cst.IndentedBlock) else ensure_type(body, cst.SimpleStatementSuite).trailing_whitespace
    return trailing.comment.value if trailing.comment is not None else ""


def _type_expression(names: tuple[str, ...]) -> cst.BaseExpression:
    return cst.parse_expression(names[0] if len(names) == 1 else f"({', '.join(names)})")


def _unproven_comment(verdict: Verdict) -> cst.EmptyLine:
    first = verdict.unproven[0] if verdict.unproven else verdict.reason
    more = f" (+{len(verdict.unproven) - 1} more)" if len(verdict.unproven) > 1 else ""
    text = f"# narrow-excepts --unsafe: not proven: {first}"
    if len(text) + len(more) > COMMENT_LIMIT:
        text = text[: COMMENT_LIMIT - len(more) - 3] + "..."
    return cst.EmptyLine(indent=True, comment=cst.Comment(text + more))


def _with_traceback(call: cst.Call) -> cst.Call:
    return call.with_changes(args=[*call.args, cst.Arg(value=cst.Name("True"), keyword=cst.Name("exc_info"),
                                                       equal=cst.AssignEqual(cst.SimpleWhitespace(""),
                                                                             cst.SimpleWhitespace("")))])


class _LogSwallowed(cst.CSTTransformer):
    """In one swallowing handler body: `pass` becomes a traceback log, a log call gains exc_info=True,
    anything else gets a traceback log line first."""

    def __init__(self, logger: str, where: str) -> None:
        super().__init__()
        self.logger, self.where = logger, where
        self.done = False
        self.uses_logger = False  # a new statement logs through the module's logger

    def body(self, body: cst.BaseSuite) -> cst.BaseSuite:
        if only_pass(body):
            self.done = self.uses_logger = True
            return replace_pass(body, logging_statement(self.logger, self.where))
        updated = cast(cst.BaseSuite, body.visit(self))  # this transformer removes nothing
        if self.done:
            return updated
        statement = logging_statement(self.logger, self.where)
        self.done = self.uses_logger = True
        if isinstance(body, cst.SimpleStatementSuite):
            return body.with_changes(body=[statement.with_changes(semicolon=cst.Semicolon(
                whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace(" "))), *body.body])
        return body.with_changes(body=[cst.SimpleStatementLine([statement]), *body.body])

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        if self.done or not is_logger_call(original_node):
            return updated_node
        self.done = True
        return _with_traceback(updated_node)


class _Narrow(cst.CSTTransformer):
    def __init__(self, plan: dict[int, Verdict], line_of, logger: str, log_swallowed: bool) -> None:
        super().__init__()
        self.plan, self.line_of, self.logger, self.log_swallowed = plan, line_of, logger, log_swallowed
        self.scopes: list[str] = []
        self.changed: list[tuple[cst.ExceptHandler, Verdict, bool]] = []
        self.logged: set[cst.CSTNode] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef | cst.ClassDef) -> None:
        self.scopes.append(node.name.value)

    def leave_FunctionDef(self, original_node, updated_node):
        self.scopes.pop()
        return updated_node

    visit_ClassDef = visit_FunctionDef
    leave_ClassDef = leave_FunctionDef

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler, updated_node: cst.ExceptHandler):
        verdict = self.plan.get(self.line_of(original_node))
        if verdict is None or classify(original_node).kind == "specific":
            return updated_node
        changes: dict = {"type": _type_expression(verdict.names)}
        if not isinstance(original_node.whitespace_after_except, cst.SimpleWhitespace) or \
                not original_node.whitespace_after_except.value:
            changes["whitespace_after_except"] = cst.SimpleWhitespace(" ")
        if verdict.status == UNPROVEN:
            changes["leading_lines"] = [*original_node.leading_lines, _unproven_comment(verdict)]
        logged = False
        found = classify(original_node)
        if self.log_swallowed and found.swallows and not found.logs_traceback:
            where = f"{'.'.join(self.scopes)}()" if self.scopes else ""
            log = _LogSwallowed(self.logger, where)
            changes["body"] = log.body(updated_node.body)
            if log.uses_logger:
                self.logged.add(original_node)
            logged = True
        self.changed.append((original_node, verdict, logged))
        return updated_node.with_changes(**changes)


class NarrowExcepts(Codemod):
    name = "narrow-excepts"
    code = "FIX004"
    safety = SAFE
    uses_plan = True
    summary = "A bare or broad handler catches exactly the exceptions its try body can raise."
    what_it_does = (
        "For each `except:`, `except Exception:` or `except BaseException:` handler, works out the exceptions "
        "its `try` body can raise: calls are looked up in the raise table (analyzer/narrowing/raises.yaml, "
        "extended by `[[tool.analyzer.raises]]`), the repository's own functions are followed up to four calls "
        "deep (what they raise explicitly and what they call), and operations on values of known type (a dict "
        "subscript, a division, unpacking) count too. When every operation of the body is accounted for, the "
        "handler is rewritten to catch those exceptions and no others, with the fewest names (a subclass of "
        "another listed one is dropped) and the imports the names need; the handler's body, `as` name, comments "
        "and formatting stay. Handlers that raise (clean-up or wrapping handlers) are left alone, and so is a "
        "handler kept broad on purpose with `# analyzer: ignore[narrowable-excepts] <why>` on its except line. With "
        "`--unsafe` (option `unsafe`), a handler whose body is only partly proven is narrowed to what was "
        "proven, under a comment naming what was not. With `--log-swallowed` (option `log_swallowed`), a "
        "narrowed handler that swallows the exception logs it with its traceback through the module's logger. "
        "The dry run counts handlers narrowed and left alone, grouped by reason; the pull request body lists, "
        "per rewrite, the call and the table row or function each exception came from."
    )
    why = (
        "A broad handler treats a programming error (a NameError, an AttributeError on None, a KeyError from a "
        "typo) like the network hiccup it was written for: the agent keeps running in a broken state and the "
        "traceback that would explain it is gone. Catching exactly what the body can raise keeps the recovery "
        "for the expected failures and lets bugs surface. Done by hand this is the slowest part of an exception "
        "refactor; no other linter offers a fix for it."
    )
    review = (
        "Read the evidence below each rewritten handler: every listed exception names the call and the raise-table "
        "row or repository function it came from. A handler that used to catch a programming error on purpose "
        "needs it added back by hand. Rewrites under a `narrow-excepts --unsafe` comment were not fully proven."
    )
    OPTIONS = {
        "unsafe": Option(False, "also narrow handlers whose body is only partly proven, under a comment naming "
                                "what was not"),
        "log_swallowed": Option(False, "narrowed handlers that swallow the exception log it with its traceback"),
    }
    EXAMPLES = [
        Example(
            "import json\n\n\ndef parse(raw: str):\n    try:\n        return json.loads(raw)\n    except:  # bad input\n"
            "        return None\n",
            "import json\n\n\ndef parse(raw: str):\n    try:\n        return json.loads(raw)\n"
            "    except json.JSONDecodeError:  # bad input\n        return None\n",
            title="A bare except around json.loads of a str",
        ),
        Example(
            "def port(config: dict):\n    try:\n        return int(config['port'])\n    except Exception as exc:\n"
            "        log.warning('bad port: %s', exc)\n        return 5555\n",
            "def port(config: dict):\n    try:\n        return int(config['port'])\n"
            "    except (KeyError, TypeError, ValueError) as exc:\n        log.warning('bad port: %s', exc)\n"
            "        return 5555\n",
            title="A dict lookup and int(): the `as` name and the logging stay",
        ),
        Example(
            "import zmq\n\n\nclass Agent:\n    def __init__(self):\n        self.context = zmq.Context()\n"
            "        self.socket = self.context.socket(zmq.REP)\n\n    def serve(self):\n        try:\n"
            "            self.socket.send_string('ready')\n        except BaseException:\n            pass\n",
            "import zmq\n\n\nclass Agent:\n    def __init__(self):\n        self.context = zmq.Context()\n"
            "        self.socket = self.context.socket(zmq.REP)\n\n    def serve(self):\n        try:\n"
            "            self.socket.send_string('ready')\n        except (UnicodeEncodeError, zmq.ZMQError):\n"
            "            pass\n",
            title="A ZeroMQ socket typed through the class's own attributes",
        ),
        Example(
            "class ConfigError(Exception):\n    pass\n\n\ndef check(value):\n    if value is None:\n"
            "        raise ConfigError('missing')\n    return value\n\n\ndef load(value):\n    try:\n"
            "        return check(value)\n    except Exception:\n        return None\n",
            "class ConfigError(Exception):\n    pass\n\n\ndef check(value):\n    if value is None:\n"
            "        raise ConfigError('missing')\n    return value\n\n\ndef load(value):\n    try:\n"
            "        return check(value)\n    except ConfigError:\n        return None\n",
            title="The repository's own function: what it raises explicitly",
        ),
        Example(
            "import os\n\n\ndef size(path):\n    try:\n        return os.path.getsize(path)\n    except KeyError:\n"
            "        return -1\n    except Exception:\n        return 0\n",
            "import os\n\n\ndef size(path):\n    try:\n        return os.path.getsize(path)\n    except KeyError:\n"
            "        return -1\n    except OSError:\n        return 0\n",
            title="Earlier handlers keep what they catch",
        ),
        Example(
            "def total(items):\n    try:\n        import numpy\n    except:\n        numpy = None\n",
            "def total(items):\n    try:\n        import numpy\n    except ImportError:\n        numpy = None\n",
            title="An optional import",
        ),
        Example(
            "import subprocess\n\n\ndef run(cmd):\n    try:\n        subprocess.run(cmd, check=True)\n"
            "    except Exception:\n        pass\n",
            "import subprocess\nimport logging\n\nlogger = logging.getLogger(__name__)\n\n\ndef run(cmd):\n    try:\n"
            "        subprocess.run(cmd, check=True)\n    except (OSError, subprocess.CalledProcessError):\n"
            '        logger.exception("Ignored exception in run()")\n',
            options={"log_swallowed": True},
            title="--log-swallowed: a swallowing handler logs the traceback through a module logger",
        ),
        Example(
            "import logging\nimport time\n\nlog = logging.getLogger('agent')\n\n\ndef wait(seconds):\n    try:\n"
            "        time.sleep(seconds)\n    except:\n        log.error('interrupted')\n",
            "import logging\nimport time\n\nlog = logging.getLogger('agent')\n\n\ndef wait(seconds):\n    try:\n"
            "        time.sleep(seconds)\n    except ValueError:\n        log.error('interrupted', exc_info=True)\n",
            options={"log_swallowed": True},
            title="--log-swallowed: a log call without the traceback gains exc_info=True",
        ),
        Example(
            "def handle(self, msg):\n    try:\n        self.transform(msg)\n        count = int(msg)\n"
            "    except Exception:\n        pass\n",
            "def handle(self, msg):\n    try:\n        self.transform(msg)\n        count = int(msg)\n"
            "    # narrow-excepts --unsafe: not proven: line 3 `self.transform()` (calls a method on an object of "
            "unknown type)\n"
            "    except (TypeError, ValueError):\n        pass\n",
            options={"unsafe": True},
            title="--unsafe: a partly proven body, with a comment naming what was not proven",
        ),
        Example("def handle(self, msg):\n    try:\n        self.transform(msg)\n    except Exception:\n        pass\n",
                title="An unknown call: left alone"),
        Example("def handle(sock, msg):\n    try:\n        sock.send(msg)\n    except:\n        sock.close()\n"
                "        raise\n", title="A clean-up handler that re-raises: left alone"),
        Example("def scale(values, factor):\n    try:\n        return [v / factor for v in values]\n"
                "    except Exception:\n        return []\n",
                title="Arithmetic and iteration over values of unknown type: left alone"),
        Example("import json\n\n\ndef parse(raw):\n    try:\n        return json.loads(raw)\n    except ValueError:\n"
                "        return None\n", title="Specific handlers are never touched"),
        Example("def port(text: str):\n    try:\n        return int(text)\n"
                "    except Exception:  # analyzer: ignore[narrowable-excepts] a plugin may patch int()\n"
                "        return 0\n", title="A handler kept broad on purpose, with the check's suppression comment"),
    ]

    def commit_subject(self, sites: int, files: int) -> str:
        return (f"catch only what the try body raises in {sites} handler{'s' * (sites != 1)} of "
                f"{files} file{'s' * (files != 1)}")

    # --- planning ----------------------------------------------------------

    def collect(self, path: str, module: cst.Module) -> Collected:
        line_of = _line_finder(module)
        suppressed: set[int] = set()

        def note_suppression(handler: cst.ExceptHandler, scope) -> None:
            if is_suppressed(CHECK_ID, _except_line_comment(handler)):
                suppressed.add(line_of(handler))

        walk(module, {cst.ExceptHandler: [note_suppression]}, lambda node: None)
        return Collected(summarize(module, line_of), frozenset(suppressed))

    def plan(self, collected: Mapping[str, Collected], root: Path | None) -> NarrowPlan:
        try:
            rows = read_tool_table(root).get("raises") if root is not None else None
            table = load_table(rows)
        except (ConfigError, TableError) as error:
            raise CodemodError(str(error)) from None
        inference = Inference(Repository({p: c.facts for p, c in collected.items() if c is not None}), table)
        found = [replace(v, status=LEFT, reason=REASON_SUPPRESSED) if v.line in collected[v.path].suppressed else v
                 for v in verdicts(inference)]
        wanted = (NARROW, UNPROVEN) if self.options["unsafe"] else (NARROW,)
        by_file: dict[str, dict[int, Verdict]] = defaultdict(dict)
        for verdict in found:
            if verdict.status in wanted:
                by_file[verdict.path][verdict.line] = verdict
        return NarrowPlan(dict(by_file), self._summary(found))

    def _summary(self, found: list[Verdict]) -> list[str]:
        """The dry run's account: handlers narrowed, and those left alone grouped by why."""
        unsafe = bool(self.options["unsafe"])
        unproven = sum(1 for v in found if v.status == UNPROVEN)
        narrowed = [v for v in found if v.status == NARROW or (unsafe and v.status == UNPROVEN)]
        head = f"{len(found)} bare or broad handler(s): {len(narrowed)} narrowed"
        if unsafe and unproven:
            head += f" ({unproven} not fully proven, under a comment)"
        elif unproven:
            head += f" ({unproven} more with --unsafe)"
        left = Counter(v.reason for v in found if v not in narrowed)
        return [f"{head}, {sum(left.values())} left alone",
                *(f"  left alone, {reason}: {count}" for reason, count in left.most_common())]

    def plan_for_file(self, plan: NarrowPlan, path: str) -> dict[int, Verdict] | None:
        return plan.by_file.get(path)

    def plan_notes(self, plan: NarrowPlan) -> list[str]:
        return list(plan.notes)

    # --- the rewrite -------------------------------------------------------

    def rewrite(self, module: cst.Module, path: str, file_plan: dict[int, Verdict] | None) -> Rewrite:
        line_of = _line_finder(module)
        transformers: list[_Narrow] = []

        def run(logger: str) -> tuple[cst.Module, set[cst.CSTNode]]:
            transformers.append(_Narrow(file_plan or {}, line_of, logger, bool(self.options["log_swallowed"])))
            return module.visit(transformers[-1]), transformers[-1].logged

        new_module = log_through_module_logger(module, run)
        changed = transformers[-1].changed
        if not changed:
            return Rewrite(module)
        statements = list(dict.fromkeys(s for _, verdict, _ in changed for s in verdict.imports))
        if statements:
            handlers = {node for node, _, _ in changed}
            first_use = first_statement_holding(module, handlers)
            shift = len(new_module.body) - len(module.body)
            index = header_insert_index(new_module, None if first_use is None else first_use + shift)
            new_module = insert_statements(new_module, index, [cst.parse_statement(s + "\n") for s in statements])
        edits = [self._edit(line_of(node), verdict, logged) for node, verdict, logged in changed]
        return Rewrite(new_module, sorted(edits, key=lambda e: e.line))

    @staticmethod
    def _edit(line: int, verdict: Verdict, logged: bool) -> Edit:
        names = verdict.names[0] if len(verdict.names) == 1 else f"({', '.join(verdict.names)})"
        message = f"except -> except {names}"
        if verdict.status == UNPROVEN:
            message += " (not proven: --unsafe)"
        if logged:
            message += "; logs the traceback"
        return Edit(line, message, evidence=verdict.evidence + tuple(f"not proven: {u}" for u in verdict.unproven))
