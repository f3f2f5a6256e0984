"""What every codemod shares: metadata, self-carried examples, one transformer pass per file.

A codemod is one `Codemod` subclass in one file of this package. It carries its
own documentation (`summary`, `what_it_does`, `why`), a safety label, its options
and before/after `EXAMPLES`; tests and `docs/codemods.md` are generated from them.

A file is rewritten in two steps that any codemod may use:

1. `collect(path, module)` runs on every file (in worker processes) and returns
   picklable per-file data; `plan(collected, root)` turns all of it into one
   whole-tree plan (port names must be unique across the tree, for example).
   Codemods that look at one file at a time leave `uses_plan` False and skip this.
2. `rewrite(module, path, file_plan)` returns the new module and one `Edit` per
   site; all fixes of one file are applied in a single transformer pass.

A codemod whose rewrite of a site depends on nothing outside the statement that holds it says so
(`rewrites_locally`) and names those statements from CPython's tree (`local_sites`): in a file a scan
parsed, only they are parsed with libcst, rewritten and spliced back into the file's text
(`rewrite_statements`), which gives the same bytes. One that needs more than the statements (port-literals:
the file's facts, the import at the top) overrides `rewrite_locally` and `collect_locally` on the same cuts
(`cut_statements`, `splice`).
"""

from __future__ import annotations

import ast
import dataclasses
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

import libcst as cst

from analyzer.extract.lines import node_start_lines
from analyzer.extract.walker import child_nodes
from analyzer.facts import FileFacts

SAFE = "safe"
UNSAFE = "unsafe"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class CodemodError(Exception):
    """A codemod cannot run as asked (unknown name or option, unreadable registry file)."""


class NotParsable(Exception):
    """A file that libcst or compile() rejects; such files are skipped and listed."""


@dataclass(frozen=True)
class Option:
    """A codemod setting, given on the command line as `-o name=value`."""

    default: bool | str
    help: str

    def parse(self, name: str, text: str | bool) -> bool | str:
        if not isinstance(self.default, bool):
            return str(text)
        if isinstance(text, bool):
            return text
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise CodemodError(f"option {name} takes true or false, not {text!r}")


@dataclass(frozen=True)
class Example:
    """A snippet and what the codemod makes of it; `after=None` means 'must not change'."""

    before: str
    after: str | None = None
    options: Mapping[str, bool | str] = field(default_factory=dict)
    path: str = "main_pc_code/agents/example_agent.py"
    title: str = ""


@dataclass(frozen=True)
class Edit:
    """One rewritten site."""

    line: int  # 1-based line in the original file
    message: str
    evidence: tuple[str, ...] = ()  # why the site changed as it did, for the pull request body


@dataclass
class Rewrite:
    module: cst.Module
    edits: list[Edit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # sites left alone, and why


class Codemod:
    """One fix. Subclasses set the metadata and implement `rewrite`."""

    name: ClassVar[str]  # stable command-line name, e.g. "bare-except"
    code: ClassVar[str]  # stable code, e.g. "FIX001"
    safety: ClassVar[str]  # SAFE or UNSAFE
    summary: ClassVar[str]  # one line
    what_it_does: ClassVar[str]
    why: ClassVar[str]
    review: ClassVar[str] = ""  # what a reviewer of the pull request should look at
    OPTIONS: ClassVar[dict[str, Option]] = {}
    EXAMPLES: ClassVar[list[Example]] = []
    uses_plan: ClassVar[bool] = False
    # The FileFacts lists `needs_file` and `collect_from_facts` read: a run on the cache decodes only these.
    FACT_FIELDS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, options: Mapping[str, bool | str] | None = None) -> None:
        self.options: dict[str, bool | str] = {key: option.default for key, option in self.OPTIONS.items()}
        for key, value in (options or {}).items():
            if key not in self.OPTIONS:
                known = ", ".join(sorted(self.OPTIONS)) or "none"
                raise CodemodError(f"{self.name} has no option {key!r} (options: {known})")
            self.options[key] = self.OPTIONS[key].parse(key, value)

    # --- whole-tree planning (optional) ------------------------------------

    def collect(self, path: str, module: cst.Module) -> Any:
        """Per-file data for `plan`; runs in worker processes, must be picklable."""
        return None

    def collect_with_facts(self, path: str, module: cst.Module, facts: FileFacts) -> Any:
        """`collect`, given also the cached facts of the module's bytes (FACT_FIELDS filled in), which it may
        read instead of working them out again; the default ignores them."""
        return self.collect(path, module)

    def collect_from_facts(self, path: str, facts: FileFacts) -> Any | None:
        """What `collect` returns for the file, worked out from the cached facts of its current bytes alone; None
        (the default) when that needs the syntax tree, and the file is parsed."""
        return None

    def plan(self, collected: Mapping[str, Any], root: Path | None) -> Any:
        """One plan from every file's collected data (`root` is None for snippets)."""
        return None

    def plan_for_file(self, plan: Any, path: str) -> Any:
        """The part of the plan one file needs; None means the file has nothing to do."""
        return None

    def extra_files(self, plan: Any, root: Path | None) -> dict[str, bytes]:
        """Files besides sources to write (path relative to root -> full new content)."""
        return {}

    def plan_notes(self, plan: Any) -> list[str]:
        """Everything the plan has to say, `plan_left` included."""
        return []

    def plan_left(self, plan: Any) -> list[str]:
        """Sites the plan leaves as they are, and why: `fix --apply` exits 1 when there are any."""
        return []

    # --- the rewrite -------------------------------------------------------

    def might_apply(self, data: bytes) -> bool:
        """A cheap byte test: False means the file cannot have a site and is not even parsed."""
        return True

    def needs_file(self, facts: FileFacts) -> bool:
        """From the cached facts of a file's current bytes (parsed without error; only FACT_FIELDS are filled
        in): False when the file can
        neither change nor add anything to the plan (a run then neither parses it nor collects from it, as
        if `might_apply` had said False). The default, True, parses every file."""
        return True

    def rewrites_locally(self) -> bool:
        """True when, in a file a scan parsed, `rewrite_locally` (and `collect_locally`, for a plan) may work on
        parts of the file's text parsed alone with libcst instead of the whole module. False, the default: the
        rewrite needs the whole module."""
        return False

    def local_sites(self, tree: ast.Module) -> list[ast.stmt]:
        """The statements of CPython's tree of a file that hold all its sites (asked by the default
        `rewrite_locally`)."""
        raise NotImplementedError

    def rewrite_locally(self, text: str, tree: Callable[[], ast.Module], path: str, file_plan: Any,
                        facts: FileFacts) -> TextRewrite | None:
        """The rewrite of a file a scan parsed (asked when `rewrites_locally`) from its text ("\\n" line breaks),
        CPython's tree and the cached facts of its bytes: exactly what `rewrite_with_facts` of the whole module
        gives (text, edits, notes); None when it cannot tell, and the file is rewritten whole. `tree()` parses
        and compiles the file on first call (NotParsable when compile() refuses it): a rewrite that need not
        ask, because its plan already holds what the collect phase read of the same bytes' tree, skips both.
        The default: `rewrite` of each statement `local_sites` names, alone, gives exactly its part of the
        file's rewrite (`rewrite_statements`)."""
        return rewrite_statements(self, text, self.local_sites(tree()), path, file_plan)

    def collect_locally(self, text: str, tree: ast.Module, path: str, facts: FileFacts) -> Any | None:
        """`collect_with_facts` of a file a scan parsed (asked when `rewrites_locally`), from its text, CPython's
        tree and cached facts; None (the default) when it needs the whole module, which is then parsed."""
        return None

    def rewrite(self, module: cst.Module, path: str, file_plan: Any) -> Rewrite:
        raise NotImplementedError

    def rewrite_with_facts(self, module: cst.Module, path: str, file_plan: Any, facts: FileFacts) -> Rewrite:
        """`rewrite`, given also the cached facts of the module's bytes (see collect_with_facts)."""
        return self.rewrite(module, path, file_plan)

    def commit_subject(self, sites: int, files: int) -> str:
        return f"{self.name}: fix {sites} site{'s' * (sites != 1)} in {files} file{'s' * (files != 1)}"


# --------------------------------------------------------------------- parsing


def parse_checked(data: bytes, path: str) -> cst.Module:
    """Parse with libcst and compile(); NotParsable when either refuses the file."""
    module = parse_libcst(data)
    check_compiles(data, path)
    return module


def parse_libcst(data: bytes | str) -> cst.Module:
    """libcst's tree of a file or snippet; NotParsable when libcst refuses it."""
    if (b"\x00" in data) if isinstance(data, bytes) else ("\x00" in data):
        raise NotParsable("source contains a null byte")
    try:
        return cst.parse_module(data)
    except cst.ParserSyntaxError as error:
        raise NotParsable(f"libcst: {_short(error.message)} (line {error.raw_line})") from None
    except (cst.CSTValidationError, UnicodeDecodeError, LookupError, RecursionError, ValueError) as error:
        raise NotParsable(f"libcst: {type(error).__name__}: {_short(str(error))}") from None


def _short(message: str, limit: int = 100) -> str:
    first = message.splitlines()[0] if message else "invalid syntax"
    first = first.split(": expected one of")[0]
    return first if len(first) <= limit else first[: limit - 3] + "..."


def check_compiles(data: bytes, path: str) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(data, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise NotParsable(f"compile: {type(error).__name__}: {_short(str(error))}") from None


def compiled_tree(data: bytes, path: str) -> ast.Module:
    """CPython's tree of the file, which must compile: check_compiles in its two steps (what compile() of the
    source does), at four times its cost (the tree's Python objects)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(data, path)
            compile(tree, path, "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise NotParsable(f"compile: {type(error).__name__}: {_short(str(error))}") from None
    return tree


def ast_statements(tree: ast.Module, enter: Callable[[ast.stmt], bool] | None = None) -> Iterator[ast.stmt]:
    """Every statement of CPython's tree, outer before inner: only blocks are entered (no statement is ever
    inside an expression), a fraction of ast.walk's nodes; with `enter`, only the blocks of the statements it
    accepts."""
    stack: list[ast.stmt] = list(reversed(tree.body))
    while stack:
        statement = stack.pop()
        yield statement
        if enter is not None and not enter(statement):
            continue
        inner: list[ast.stmt] = []
        for name in ("body", "orelse", "finalbody"):
            inner += getattr(statement, name, ())
        for holder in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
            inner += holder.body
        stack += reversed(inner)


_WRAPPER = "if 1:\n"  # an indented statement cut out of a file parses as the body of this


@dataclass
class TextRewrite:
    code: str
    edits: list[Edit]
    notes: list[str]


@dataclass
class Cut:
    """Whole lines of a file's text parsed alone with libcst: `before` + text[start:end] is `module`."""

    start: int
    end: int
    shift: int  # a line of `module` + shift = that line in the file
    module: cst.Module
    before: str = ""

    def text_of(self, module: cst.Module) -> str | None:
        """The file's new text for these lines from a rewrite of `module`; None when the wrapper did not stay."""
        code = module.code
        return code[len(self.before):] if code.startswith(self.before) else None


class Span(NamedTuple):
    """The lines of a statement of CPython's tree, kept without the tree (what cut_statements reads of one)."""

    lineno: int
    end_lineno: int
    col_offset: int

    @classmethod
    def of(cls, statement: ast.stmt) -> Span:
        return cls(statement.lineno, statement.end_lineno or statement.lineno, statement.col_offset)


def line_offsets(text: str) -> list[int]:
    """The offset of each line of `text` ("\\n" line breaks)."""
    return [0, *(match.end() for match in re.finditer("\n", text))]


def cut_statements(text: str, statements: Sequence[ast.stmt | Span], starts: Sequence[int] | None = None
                   ) -> list[Cut] | None:
    """The outermost of `statements`, each cut out of the file's text on its whole lines and parsed alone (an
    indented one as the body of `if 1:`), in source order; None when one does not start its line, overlaps the
    one before or does not parse alone. `starts`: line_offsets(text) when known."""
    starts = line_offsets(text) if starts is None else starts
    cuts: list[Cut] = []
    done = 0
    for statement in _outermost(statements):
        start = starts[statement.lineno - 1]
        last = statement.end_lineno or statement.lineno
        end = starts[last] if last < len(starts) else len(text)
        before = _WRAPPER if statement.col_offset > 0 else ""
        if text[start:start + statement.col_offset].strip(" \t\f") or start < done:
            return None  # a statement that does not start its line, or overlaps the one before
        try:
            module = parse_libcst(before + text[start:end])
        except NotParsable:
            return None
        cuts.append(Cut(start, end, statement.lineno - 1 - bool(before), module, before))
        done = end
    return cuts


def splice(text: str, replaced: Sequence[tuple[int, int, str]]) -> str:
    """`text` with each (start, end, new text) in place of text[start:end] (in source order, not overlapping; an
    insertion has start == end)."""
    pieces: list[str] = []
    done = 0
    for start, end, new in replaced:
        pieces += [text[done:start], new]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def rewrite_statements(codemod: Codemod, text: str, statements: Sequence[ast.stmt], path: str,
                       file_plan: Any) -> TextRewrite | None:
    """`codemod.rewrite` of each statement (see Codemod.local_sites) parsed alone, spliced back into the file's
    text, edits on the file's lines; None when a statement cannot be cut out and parsed alone (the file is
    then rewritten whole). `text` has only "\\n" line breaks, as CPython's line numbers count them."""
    cuts = cut_statements(text, statements)
    if cuts is None:
        return None
    replaced: list[tuple[int, int, str]] = []
    edits: list[Edit] = []
    notes: list[str] = []
    for cut in cuts:
        result = codemod.rewrite(cut.module, path, file_plan)
        new = cut.text_of(result.module)
        if new is None:
            return None
        edits += [dataclasses.replace(edit, line=edit.line + cut.shift) for edit in result.edits]
        notes += result.notes
        replaced.append((cut.start, cut.end, new))
    return TextRewrite(splice(text, replaced), edits, notes)


def _outermost(statements: Sequence[ast.stmt | Span]) -> list[ast.stmt | Span]:
    """The statements whose lines are not inside another one's, in source order."""
    kept: list[ast.stmt | Span] = []
    for statement in sorted(statements, key=lambda s: (s.lineno, -(s.end_lineno or s.lineno))):
        if not kept or (statement.end_lineno or statement.lineno) > (kept[-1].end_lineno or kept[-1].lineno):
            kept.append(statement)
    return kept


@dataclass
class SourceResult:
    code: str
    edits: list[Edit]
    notes: list[str]
    extra_files: dict[str, bytes]


def apply_to_source(codemod: Codemod, code: str, path: str = "main_pc_code/agents/example_agent.py") -> SourceResult:
    """Run a codemod on one snippet as if it were the whole tree (examples, tests, docs)."""
    module = parse_checked(code.encode("utf-8"), path)
    plan = codemod.plan({path: codemod.collect(path, module)}, None) if codemod.uses_plan else None
    file_plan = codemod.plan_for_file(plan, path) if codemod.uses_plan else None
    if codemod.uses_plan and file_plan is None:
        return SourceResult(code, [], codemod.plan_notes(plan), {})
    result = codemod.rewrite(module, path, file_plan)
    new_code = result.module.code
    check_compiles(new_code.encode("utf-8"), path)
    notes = [*codemod.plan_notes(plan), *result.notes]
    return SourceResult(new_code, result.edits, notes, codemod.extra_files(plan, None) if result.edits else {})


# --------------------------------------------------------------------- shared helpers


def is_import_line(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and all(
        isinstance(small, (cst.Import, cst.ImportFrom)) for small in statement.body
    )


def _is_future_import(statement: cst.CSTNode) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.ImportFrom) and isinstance(small.module, cst.Name) and small.module.value == "__future__"
        for small in statement.body
    )


def _is_docstring(statement: cst.CSTNode) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_import_guard(statement: cst.CSTNode) -> bool:
    """`try: import x / except ImportError: ...` at the top of a module."""
    if not isinstance(statement, cst.Try):
        return False
    return all(is_import_line(line) for line in statement.body.body)


def header_insert_index(module: cst.Module, first_use: int | None = None) -> int:
    """Where new module-level statements go: after the top imports, before any use.

    Never before the docstring or `from __future__` imports; never after the
    first top-level statement that needs the inserted name (`first_use`).
    """
    body = module.body
    lowest = 0
    for index, statement in enumerate(body):
        if (index == 0 and _is_docstring(statement)) or _is_future_import(statement):
            lowest = index + 1
        else:
            break
    position = lowest
    for index, statement in enumerate(body):
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            break
        if is_import_line(statement) or _is_import_guard(statement):
            position = index + 1
    if first_use is not None:
        position = min(position, first_use)
    return max(position, lowest)


def insert_statements(module: cst.Module, index: int, statements: list[cst.BaseStatement]) -> cst.Module:
    body: list[cst.BaseStatement] = list(module.body)
    body[index:index] = statements
    return module.with_changes(body=body)


def contains(node: cst.CSTNode, targets: AbstractSet[cst.CSTNode]) -> bool:
    """Whether `node` is or holds any of `targets` (compared by identity)."""
    if not targets:
        return False
    stack = [node]
    while stack:
        current = stack.pop()
        if current in targets:
            return True
        stack.extend(child_nodes(current))
    return False


def first_statement_holding(module: cst.Module, targets: AbstractSet[cst.CSTNode]) -> int | None:
    for index, statement in enumerate(module.body):
        if contains(statement, targets):
            return index
    return None


def module_bound_names(module: cst.Module) -> set[str]:
    """Names bound by top-level imports, defs, classes and plain assignments."""
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            names.update(_bound_by_small(small))
    return names


def _bound_by_small(small: cst.BaseSmallStatement) -> set[str]:
    if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
        return {_import_binding(alias) for alias in small.names}
    if isinstance(small, cst.Assign):
        return {t.target.value for t in small.targets if isinstance(t.target, cst.Name)}
    if isinstance(small, (cst.AnnAssign, cst.AugAssign)) and isinstance(small.target, cst.Name):
        return {small.target.value}
    return set()


def _import_binding(alias: cst.ImportAlias) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    name: cst.BaseExpression = alias.name
    while isinstance(name, cst.Attribute):
        name = name.value
    return name.value if isinstance(name, cst.Name) else ""


def start_lines(module: cst.Module, node_types: tuple[type, ...]) -> Callable[[cst.CSTNode], int]:
    """`line_of(node)` for the nodes of `module` of the given types, PositionProvider's numbers."""
    return node_start_lines(module, node_types)[0].__getitem__


def upper_snake(text: str) -> str:
    """`translator-agent.v2` -> `TRANSLATOR_AGENT_V2`; CamelCase is split too."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", text)
    text = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").upper()
    return text
