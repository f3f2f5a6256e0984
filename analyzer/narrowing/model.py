"""Per-file raise facts: what each function body and each `try` body does that may raise.

Extraction (analyzer/extract/raising.py) writes these from one file alone, so they
are cached with the file's other facts; the whole-repository pass
(analyzer/narrowing/infer.py) resolves them against the raise table and the other
files. Values are symbolic: a receiver, callee or exception class is a `Value`
expression that only the whole-repository pass can evaluate (an imported name may
be another file's class or an outside library's function).

`Value` expressions are tuples, tag first:

    ("lit", "str")                       an instance of a builtin type (a literal, a comprehension, an annotation)
    ("builtin", "int")                   a builtin name
    ("here", "load")                     a module-level name of this file (def, class or variable)
    ("import", "a.b", level, "name")     what `from a.b import name` binds; name "" for `import a.b`
    ("self", "Agent") / ("cls", "Agent")  the instance / class in a method of class Agent of this file
    ("attr", value, "name")              an attribute of a value
    ("call", value, keywords)            what calling a value returns; keywords as in CallShape (a row's
                                         `when` may pick the type: check_output(text=True) returns str)
    ("binop", "Add", left, right)        an arithmetic result
    ("any", (value, ...))                one of several assignments
    ("super", "Agent")                   super() in a method of class Agent
    ("instance", value)                  an instance of the class a value names (from an annotation)
    ("slice", value)                     a slice of a sequence
    ("item", value)                      `value[key]`
    ("aug", "Add", value)                `name += value`, among a name's assignments
    ("unknown",)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from analyzer.codec import DEFERRED

Value = tuple
UNKNOWN: Value = ("unknown",)

# Site kinds: what a body does that may raise.
CALL = "call"  # value: the callee; detail: CallShape
SUBSCRIPT = "subscript"  # value: the container; detail: (key kind: slice | literal | other, load | store | del)
ITERATE = "iterate"  # value: what a for loop, comprehension, unpacking star or `in` walks over
UNPACK = "unpack"  # value: the right-hand side of `a, b = value`
BINOP = "binop"  # value: the left operand; detail: (operator, right operand, right is a non-zero literal)
COMPARE = "compare"  # value: the left operand; detail: (operator, right operand); ordering comparisons only
UNARY = "unary"  # value: the operand; detail: (operator,)
ATTRIBUTE = "attribute"  # value: the object; detail: (name,): an attribute read that is not a call
SET_ATTRIBUTE = "setattr"  # value: the object; detail: (name,)
AWAIT = "await"  # value: an awaited expression that is not a call
FORMAT = "format"  # value: an f-string field with a format spec (`{x:.2f}`)
WITH = "with"  # value: a context manager
RAISE = "raise"  # value: the raised class
FIXED = "fixed"  # detail: (rule, exception names...): a statement whose exceptions need no lookup (import, assert)
OPAQUE = "opaque"  # detail: (category,): something the analysis does not model (yield, match, a dynamic raise)


@dataclass(frozen=True, slots=True)
class CallShape:
    """What a call's table conditions look at."""

    args: tuple[Value, ...] = ()  # positional arguments
    keywords: tuple[tuple[str, str], ...] = ()  # (name, "true" | "false" | "none" | "literal" | "expr")
    starred: bool = False  # *args or **kwargs
    literal_args: bool = False  # every positional argument is a literal
    mentions: tuple[str, ...] = ()  # names and attribute names used in the arguments (`zmq.NOBLOCK` -> NOBLOCK)
    awaited: bool = False


@dataclass(frozen=True, slots=True)
class Site:
    """One operation of a body that may raise."""

    line: int
    kind: str
    text: str  # short source text for evidence and reasons, e.g. "json.loads()" or "request[...]"
    value: Value
    detail: tuple = ()
    caught: tuple[Value, ...] = ()  # classes an enclosing try inside the same body catches (and does not re-raise)


@dataclass(slots=True)
class FunctionRaises:
    qualname: str  # as the extractors' Scope names it: Class.method, outer.inner
    class_name: str  # the class a method belongs to, "" otherwise
    line: int
    sites: tuple[Site, ...]
    decorators: tuple[str, ...] = ()  # dotted names ("" for a decorator expression)
    is_async: bool = False
    local_names: frozenset[str] = frozenset()  # parameters and names the body binds
    returns: tuple[Value, ...] = ()  # what its return statements return (empty: unknown, or a generator)


@dataclass(slots=True)
class ClassRaises:
    name: str
    line: int
    bases: tuple[Value, ...]
    methods: dict[str, str] = field(default_factory=dict)  # name -> method | property | staticmethod | classmethod
    attributes: dict[str, tuple[Value, ...]] = field(default_factory=dict)  # self.x / class-level assignments
    top_level: bool = True


@dataclass(slots=True)
class HandlerRaises:
    """A handler and the try body it guards."""

    line: int  # the except line, as ExceptFact.line
    function: str  # enclosing function's qualname, "" at module level
    kind: str  # bare | broad | specific, as analyzer/extract/handlers.py classifies it
    reraises: bool  # its body raises (excepts.py's classification too)
    sites: tuple[Site, ...]  # the try body's
    types: tuple[Value, ...]  # the classes this handler names (empty for a bare except)
    earlier: tuple[Value, ...]  # classes earlier handlers of the same try catch without re-raising
    star: bool = False  # except*


@dataclass(slots=True)
class RaiseFacts:
    # Cached packed one by one (analyzer/codec.py): a rescan decodes only the functions narrowing follows.
    functions: Annotated[dict[str, FunctionRaises], DEFERRED] = field(default_factory=dict)
    classes: dict[str, ClassRaises] = field(default_factory=dict)
    handlers: list[HandlerRaises] = field(default_factory=list)
    # Module-level names: imports bind ("import", ...) values, assignments their values.
    names: dict[str, tuple[Value, ...]] = field(default_factory=dict)
    star_imports: tuple[tuple[str, int], ...] = ()  # (module, level) of `from m import *`
