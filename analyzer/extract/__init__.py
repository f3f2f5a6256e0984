"""Extraction: one libcst parse and one walk per file, every extractor fed at once.

`extract_file` never raises for bad input: a file that cannot be read or parsed
becomes a FileFacts with a parse-error fact.
"""

from __future__ import annotations

import ast
import hashlib
import io
import sys
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager

import libcst as cst

from analyzer import kinds
from analyzer.extract.bandit import BanditExtractor, load_bandit
from analyzer.extract.base import Extractor, FileContext
from analyzer.extract.cuda import CudaExtractor
from analyzer.extract.definitions import DefinitionExtractor, FunctionExamples
from analyzer.extract.excepts import ExceptExtractor
from analyzer.extract.hotpaths import DbCallExamples, HotPathExtractor, HygieneExamples
from analyzer.extract.imports import ImportExtractor
from analyzer.extract.risky import RiskyCallExtractor
from analyzer.extract.routes import RouteExtractor
from analyzer.extract.secrets import SecretExtractor
from analyzer.extract.security import ZmqAuthExtractor
from analyzer.extract.syntax import comments_up_to, syntax_error
from analyzer.extract.todos import COMMENT_TAG_RE, TodoExtractor, todo_facts
from analyzer.extract.lines import index_lines, lines_from_codegen
from analyzer.extract.pytree import PythonTree
from analyzer.extract.walker import merge_handlers, walk
from analyzer.extract.zmq import ZmqExtractor
from analyzer.config import DEFAULT_MAX_FILE_BYTES
from analyzer.facts import MODULE_TRAITS, PARSE_ERROR, PARSE_SKIPPED, FileFacts, ParseErrorFact

# Every extractor, in the order they see each node (register_extractor).
EXTRACTORS: list[type[Extractor]] = []


def register_extractor(extractor: type[Extractor], after: type[Extractor] | None = None) -> type[Extractor]:
    """Run `extractor` over every file, after those registered before it (`after`: one it reads the facts
    of in finish(), which must be registered already) and before the one that runs last (Bandit's). Its
    module becomes part of the facts-cache key."""
    if extractor in EXTRACTORS:
        raise ValueError(f"{extractor.__name__} is registered twice")
    if after is not None and after not in EXTRACTORS:
        raise ValueError(f"{extractor.__name__} runs after {after.__name__}, which is not registered")
    last = [e for e in EXTRACTORS if e.runs_last]
    EXTRACTORS[len(EXTRACTORS) - len(last):len(EXTRACTORS) - len(last)] = [extractor]
    kinds.register_code(extractor)
    return extractor


@contextmanager
def registrations() -> Iterator[None]:
    """Fact kinds and extractors registered inside the block are gone after it (tests, docs/fact-kinds.md)."""
    extractors, saved = list(EXTRACTORS), kinds.snapshot()
    try:
        yield
    finally:
        EXTRACTORS[:] = extractors
        kinds.restore(saved)


for _extractor in (ImportExtractor, DefinitionExtractor, ZmqExtractor, ExceptExtractor, TodoExtractor, CudaExtractor,
                   RiskyCallExtractor, SecretExtractor, ZmqAuthExtractor, RouteExtractor, BanditExtractor):
    register_extractor(_extractor)
register_extractor(HotPathExtractor, after=CudaExtractor)  # reads cuda_calls in finish()

# Extractors whose examples are tested, including example-only holders.
DOCUMENTED_EXTRACTORS: tuple[type[Extractor], ...] = (*EXTRACTORS, FunctionExamples, DbCallExamples, HygieneExamples)
# Nesting past these gives a TooDeep parse failure instead of a parse that overflows a stack. The bracket
# and block limits are CPython's own (deeper is not Python that runs); CPython's tree builder stops at
# AST_DEPTH_SCALE times the recursion limit.
TOO_DEEP = "TooDeep"
MAX_BRACKETS = 200
MAX_INDENTS = 100
AST_DEPTH_SCALE = 3
CPYTHON_NESTING_LIMITS = {
    "too many nested parentheses": MAX_BRACKETS,
    "too many levels of indentation": MAX_INDENTS,
    "too many statically nested blocks": 20,
}


def line_count(data: bytes) -> int:
    return data.count(b"\n") + (0 if not data or data.endswith(b"\n") else 1)


def _decode_error_line(data: bytes, error: UnicodeDecodeError) -> int:
    return data[: error.start].count(b"\n") + 1 if isinstance(error.start, int) else 1


def _first_undecodable_line(data: bytes) -> int:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return _decode_error_line(data, error)
    return 1


def extract_file(path: str, data: bytes, machine: str = "", max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> FileFacts:
    facts = FileFacts(path, machine, hashlib.sha256(data).hexdigest(), len(data), line_count(data))
    if len(data) > max_bytes:
        facts.parse_status = PARSE_SKIPPED
        facts.parse_error = ParseErrorFact("TooLarge", f"{len(data)} bytes is over the {max_bytes}-byte limit", 1)
        return facts
    error = _parse_and_extract(facts, data, path)
    if error is not None:
        facts.parse_status = PARSE_ERROR
        facts.parse_error = error
    return facts


def _parse_and_extract(facts: FileFacts, data: bytes, path: str) -> ParseErrorFact | None:
    null = data.find(b"\x00")
    if null >= 0:
        return ParseErrorFact("NullBytes", "source contains a null byte", data[:null].count(b"\n") + 1)
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        source = data.decode(encoding)
    except SyntaxError as error:  # tokenize's complaint about an undecodable first or second line
        return ParseErrorFact("UnicodeDecodeError", str(error), _first_undecodable_line(data))
    except UnicodeDecodeError as error:
        return ParseErrorFact("UnicodeDecodeError", f"not valid {error.encoding}: {error.reason}", _decode_error_line(data, error))
    except LookupError as error:  # an unknown `# coding:` cookie
        return ParseErrorFact("UnknownEncoding", str(error), 1)
    # CPython's parser first: it is fast, bounded, and refuses the nesting that overflows libcst's native stack.
    tree, too_deep = _python_tree(source)
    if too_deep is not None:
        return too_deep
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        return _unparsed(facts, data, source, path, error)
    except RecursionError:
        return _too_deep_to_analyse()
    return _extract_parsed(facts, module, source, tree)


def _python_tree(source: str) -> tuple[ast.Module | None, ParseErrorFact | None]:
    """(CPython's tree or None, a TooDeep error when the nesting is past what may be parsed safely)."""
    try:
        return ast.parse(source), None
    except RecursionError:
        return None, ParseErrorFact(TOO_DEEP, f"nesting over the {_ast_depth_limit()}-level limit of Python's parser", 1)
    except MemoryError:  # CPython's "too complex" for its own parser stack
        return None, ParseErrorFact(TOO_DEEP, "too complex for Python's parser", 1)
    except SyntaxError as error:
        if error.msg in CPYTHON_NESTING_LIMITS:
            limit = CPYTHON_NESTING_LIMITS[error.msg]
            return None, ParseErrorFact(TOO_DEEP, f"{error.msg} (the limit is {limit})", error.lineno or 1)
        # libcst may accept what CPython rejects (newer grammar): bound the nesting it would recurse into.
        return None, nesting_error(source)
    except ValueError:  # source CPython refuses outright; libcst decides
        return None, nesting_error(source)


def _ast_depth_limit() -> int:
    return AST_DEPTH_SCALE * sys.getrecursionlimit()


def nesting_error(source: str) -> ParseErrorFact | None:
    """TooDeep when brackets or indentation nest past CPython's own limits, found with the tokenizer alone."""
    brackets, indents = 0, 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.OP and token.string in "([{":
                brackets += 1
                if brackets > MAX_BRACKETS:
                    return ParseErrorFact(TOO_DEEP, f"brackets nested over the {MAX_BRACKETS}-level limit", token.start[0])
            elif token.type == tokenize.OP and token.string in ")]}":
                brackets = max(0, brackets - 1)
            elif token.type == tokenize.INDENT:
                indents += 1
                if indents > MAX_INDENTS:
                    return ParseErrorFact(TOO_DEEP, f"blocks nested over the {MAX_INDENTS}-level limit", token.start[0])
            elif token.type == tokenize.DEDENT:
                indents -= 1
    except (tokenize.TokenError, SyntaxError):
        return None  # the rest does not tokenize: libcst stops at the same place
    return None


def _too_deep_to_analyse() -> ParseErrorFact:
    return ParseErrorFact(TOO_DEEP, f"nesting too deep to analyse within Python's recursion limit ({sys.getrecursionlimit()})", 1)


def _unparsed(facts: FileFacts, data: bytes, source: str, path: str, error: cst.ParserSyntaxError) -> ParseErrorFact:
    """A file libcst rejects: CPython's line and message, and the TODOs of its comments up to that line."""
    failure = syntax_error(data, path, error)
    facts.todos = todo_facts(comments_up_to(source, failure.line, COMMENT_TAG_RE))
    return failure


def run_extractors(facts: FileFacts, module: cst.Module, source: str) -> ParseErrorFact | None:
    """Every extractor over a module parsed elsewhere (codemods); see `_extract_parsed`."""
    return _extract_parsed(facts, module, source, _python_tree(source)[0])


def _extract_parsed(facts: FileFacts, module: cst.Module, source: str, tree: ast.Module | None) -> ParseErrorFact | None:
    """Every extractor over one parsed file; TooDeep (and no facts but the file's own) when nesting defeats a walk."""
    try:
        walked = PythonTree(tree) if tree is not None else None
        lines = index_lines(module, source, walked, COMMENT_TAG_RE)
        found = _run(facts, module, source, walked, lines)
        if not lines.complete():
            # libcst and CPython disagree on a node count: take lines from libcst itself.
            found = _run(facts, module, source, walked, lines_from_codegen(module, COMMENT_TAG_RE))
    except RecursionError:
        # The walk of CPython's tree, code generation, radon and Bandit recurse per nesting level.
        return _too_deep_to_analyse()
    for kind in kinds.kinds():
        found_facts = kinds.facts_of(found, kind)
        if kind.sorted_by_line:
            found_facts = sorted(found_facts, key=lambda fact: fact.line)
        if kind.builtin:
            setattr(facts, kind.field, found_facts)
        else:
            facts.extra[kind.field] = found_facts
    facts.raising, facts.has_main_guard, facts.normalized_hash = found.raising, found.has_main_guard, found.normalized_hash
    for name in MODULE_TRAITS:
        setattr(facts, name, getattr(found, name))
    return None


def _run(facts: FileFacts, module: cst.Module, source: str, walked: PythonTree | None, lines) -> FileFacts:
    found = FileFacts(facts.path, facts.machine, facts.sha256, facts.size, facts.lines)
    if walked is not None:
        found.normalized_hash = walked.normalized_hash
    found.extra = {kind.field: [] for kind in kinds.kinds() if not kind.builtin}
    context = FileContext(module, source, walked.tree if walked is not None else None, lines, found, tree_walk=walked)
    extractors = [extractor(context) for extractor in EXTRACTORS]
    walk(module, merge_handlers(extractors), lines.see, lines.see_types)
    for extractor in extractors:
        extractor.finish()
    return found


def load_extractors() -> None:
    """Load what extraction loads on first use (this module's imports and Bandit's test set), in a process
    about to fork its parsing workers: they share it instead of each loading it again."""
    load_bandit()


def extract_source(code: str, path: str = "example.py", machine: str = "") -> FileFacts:
    """Extract from a snippet (examples, tests, docs)."""
    return extract_file(path, code.encode(), machine)
