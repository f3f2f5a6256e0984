"""Raise facts of one file: the operations of every function body and every `try` body that may raise.

One walk over the file's functions, classes and module-level code. Each operation
that can raise (a call, a subscript, arithmetic, iteration, a raise statement...)
becomes a `Site` whose receiver, callee or exception class is a symbolic `Value`
(analyzer/narrowing/model.py): what `json`, `self.socket` or `ConfigError` is gets
decided by the whole-repository pass (analyzer/narrowing/infer.py), which knows
the other files and the raise table. Local variables and `self` attributes are
typed here, from their assignments in this file.

Nothing here evaluates what an operation raises: facts depend on the file's bytes
alone, so they are cached with the others.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import cast

import libcst as cst

from analyzer.extract.handlers import Handler, HandlerClass, classify, is_logger_call
from analyzer.extract.walker import MODULE_SCOPE, Scope, _child_scope, dotted_name
from analyzer.narrowing.model import (
    ATTRIBUTE, AWAIT, BINOP, CALL, COMPARE, FIXED, FORMAT, ITERATE, OPAQUE, RAISE, SET_ATTRIBUTE, SUBSCRIPT, UNARY,
    UNKNOWN, UNPACK, WITH, CallShape, ClassRaises, FunctionRaises, HandlerRaises, RaiseFacts, Site, Value,
)

LineOf = Callable[[cst.CSTNode], int]

BUILTIN_NAMES = frozenset(dir(builtins))
LITERAL_TYPES = {cst.Integer: "int", cst.Float: "float", cst.Imaginary: "complex", cst.FormattedString: "str",
                 cst.List: "list", cst.ListComp: "list", cst.Tuple: "tuple", cst.Set: "set", cst.SetComp: "set",
                 cst.Dict: "dict", cst.DictComp: "dict", cst.GeneratorExp: "generator", cst.Comparison: "bool",
                 cst.Lambda: "function"}
# Annotations naming a builtin container, with their typing aliases.
ANNOTATION_TYPES = {"str": "str", "int": "int", "float": "float", "bytes": "bytes", "bool": "bool", "dict": "dict",
                    "list": "list", "tuple": "tuple", "set": "set", "frozenset": "frozenset", "bytearray": "bytearray",
                    "Dict": "dict", "List": "list", "Tuple": "tuple", "Set": "set", "FrozenSet": "frozenset",
                    "typing.Dict": "dict", "typing.List": "list", "typing.Tuple": "tuple", "typing.Set": "set"}
OPTIONAL_WRAPPERS = frozenset({"Optional", "typing.Optional"})
ORDERING = frozenset({"LessThan", "GreaterThan", "LessThanEqual", "GreaterThanEqual"})
MEMBERSHIP = frozenset({"In", "NotIn"})
METHOD_KINDS = {"property": "property", "staticmethod": "staticmethod", "classmethod": "classmethod",
                "functools.cached_property": "property", "cached_property": "property"}
TEXT_LIMIT = 60
MAX_RETURNS = 8  # a function with more return statements gets no return type
# Raise-table rows for statements and calls recognised by their shape rather than their callee.
IMPORT_RULE, ASSERT_RULE, LOGGING_RULE = "<import>", "<assert>", "<logger call>"


_METHODS: dict[tuple[type, str, type], Callable | None] = {}


def _method(owner: type, prefix: str, node_type: type) -> Callable | None:
    """`owner`'s method `<prefix><NodeType>` (None when it has none), looked up once per node type."""
    key = (owner, prefix, node_type)
    try:
        return _METHODS[key]
    except KeyError:
        found = _METHODS[key] = getattr(owner, f"{prefix}{node_type.__name__}", None)
        return found


def summarize(module: cst.Module, line_of: LineOf, handler_class: Callable[[Handler], HandlerClass] = classify) -> RaiseFacts:
    """The raise facts of one parsed file; `line_of(node)` gives a node's start line (0 when unknown),
    `handler_class` what `classify` says of a handler (extraction passes the one it already asked)."""
    return _ModuleWalk(module, line_of, handler_class).run()


# --------------------------------------------------------------------- names and their values


@dataclass
class _Binding:
    """One way a name gets its value: an expression, `op=` with an expression, or a value known outright."""

    expression: cst.BaseExpression | None = None
    value: Value | None = None
    augmented: str = ""  # the operator of `name op= expression`


@dataclass
class _Frame:
    """A function (or the module, or a class body): its own names, how they are bound, and where to look next."""

    function: str  # qualname, "" for module level and class bodies
    class_name: str  # the class whose method this is ("" otherwise)
    parent: _Frame | None
    bindings: dict[str, list[_Binding]] = field(default_factory=dict)
    global_names: set[str] = field(default_factory=set)
    resolving: set[str] = field(default_factory=set)
    cache: dict[str, Value] = field(default_factory=dict)
    returns: list[Value] = field(default_factory=list)  # what its return statements return
    generator: bool = False  # it yields: calling it returns a generator, whatever it returns

    def bind(self, name: str, binding: _Binding) -> None:
        if name not in self.global_names:
            self.bindings.setdefault(name, []).append(binding)


def _import_values(node: cst.Import | cst.ImportFrom) -> list[tuple[str, Value]]:
    """(bound name, value) for each name an import statement binds."""
    if isinstance(node, cst.Import):
        found = []
        for alias in node.names:
            module = dotted_name(alias.name)
            if alias.asname is not None and type(alias.asname.name) is cst.Name:
                found.append((alias.asname.name.value, ("import", module, 0, "")))
            else:
                top = module.split(".")[0]
                found.append((top, ("import", top, 0, "")))
        return found
    if isinstance(node.names, cst.ImportStar):
        return []
    module = dotted_name(node.module) if node.module is not None else ""
    level = len(node.relative)
    found = []
    for alias in node.names:
        name = dotted_name(alias.name)
        bound = alias.asname.name.value if alias.asname is not None and type(alias.asname.name) is cst.Name else name
        found.append((bound, ("import", module, level, name)))
    return found


def _target_names(target: cst.BaseExpression) -> list[str]:
    if type(target) is cst.Name:
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)):
        return [name for element in target.elements for name in _target_names(element.value)]
    if type(target) is cst.StarredElement:
        return _target_names(target.value)
    return []


class _BindingCollector:
    """The names a body binds (not entering nested functions, classes, lambdas or comprehensions)."""

    def __init__(self, frame: _Frame, qualname_of: Callable[[cst.FunctionDef | cst.ClassDef], str],
                 resolve: Callable[[cst.BaseExpression], Value]) -> None:
        self.frame = frame
        self.qualname_of = qualname_of
        self.resolve = resolve

    def collect(self, statements) -> None:
        for statement in statements:
            self._statement(statement)

    def _statement(self, node: cst.CSTNode) -> None:
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            for small in node.body:
                self._small(small)
        elif isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            self.frame.bind(node.name.value, _Binding(value=("here", self.qualname_of(node))))
        elif type(node) is cst.For:
            for name in _target_names(node.target):
                self.frame.bind(name, _Binding(value=UNKNOWN))
            self._blocks(node.body, node.orelse)
        elif type(node) is cst.With:
            for item in node.items:
                if item.asname is not None:
                    self._with_target(item.asname.name, item.item)
            self._blocks(node.body)
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self._try(node)
        elif isinstance(node, (cst.If, cst.While)):
            self._blocks(node.body, node.orelse)
        elif type(node) is cst.Match:
            self._blocks(*[case.body for case in node.cases])

    def _with_target(self, target: cst.BaseExpression, manager: cst.BaseExpression) -> None:
        if type(target) is cst.Name:
            # `with open(p) as f`: f is what the manager's __enter__ returns.
            self.frame.bind(target.value, _Binding(expression=manager, augmented="__enter__"))
            return
        for name in _target_names(target):
            self.frame.bind(name, _Binding(value=UNKNOWN))

    def _try(self, node: cst.Try | cst.TryStar) -> None:
        self._blocks(node.body, node.orelse, node.finalbody)
        for handler in node.handlers:
            if handler.name is not None:
                for name in _target_names(handler.name.name):
                    self.frame.bind(name, _Binding(value=UNKNOWN))
            self._blocks(handler.body)

    def _blocks(self, *blocks) -> None:
        for block in blocks:
            if block is None:
                continue
            if type(block) in (cst.Else, cst.Finally):
                block = block.body
            if type(block) is cst.If:
                self._statement(block)
                continue
            body = block.body if type(block) is cst.IndentedBlock else [block]
            self.collect(body)

    def _small(self, small: cst.BaseSmallStatement) -> None:
        frame = self.frame
        if type(small) is cst.Global:
            frame.global_names.update(item.name.value for item in small.names)
        elif type(small) is cst.Assign:
            for target in small.targets:
                self._assign(target.target, small.value)
        elif type(small) is cst.AnnAssign:
            if small.value is not None:
                self._assign(small.target, small.value)
            elif type(small.target) is cst.Name:
                frame.bind(small.target.value, _Binding(value=annotation_value(small.annotation.annotation,
                                                                               self.resolve)))
        elif type(small) is cst.AugAssign and type(small.target) is cst.Name:
            operator = type(small.operator).__name__.removesuffix("Assign")
            frame.bind(small.target.value, _Binding(expression=small.value, augmented=operator))
        elif isinstance(small, (cst.Import, cst.ImportFrom)):
            for name, value in _import_values(small):
                frame.bind(name, _Binding(value=value))

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if type(target) is cst.Name:
            self.frame.bind(target.value, _Binding(expression=value))
        else:
            for name in _target_names(target):
                self.frame.bind(name, _Binding(value=UNKNOWN))


def annotation_value(annotation: cst.BaseExpression, resolve: Callable[[cst.BaseExpression], Value]) -> Value:
    """An instance of what an annotation names (`resolve` gives a class expression's value);
    `Optional[X]` and `X | None` count as X."""
    if type(annotation) is cst.Subscript:
        base = dotted_name(annotation.value)
        if base in OPTIONAL_WRAPPERS and len(annotation.slice) == 1:
            inner = annotation.slice[0].slice
            return annotation_value(inner.value, resolve) if type(inner) is cst.Index else UNKNOWN
        return ("lit", ANNOTATION_TYPES[base]) if base in ANNOTATION_TYPES else UNKNOWN
    if type(annotation) is cst.BinaryOperation and type(annotation.operator) is cst.BitOr:
        sides = [annotation.left, annotation.right]
        rest = [side for side in sides if not (type(side) is cst.Name and side.value == "None")]
        return annotation_value(rest[0], resolve) if len(rest) == 1 else UNKNOWN
    name = dotted_name(annotation)
    if name in ANNOTATION_TYPES:
        return ("lit", ANNOTATION_TYPES[name])
    return ("instance", resolve(annotation)) if name else UNKNOWN


# --------------------------------------------------------------------- typing expressions


def module_name_value(frame: _Frame, name: str) -> Value:
    """A module-level name: its imports when only imports bind it, a builtin, else a name defined here."""
    if name in frame.bindings:
        values = [b.value for b in frame.bindings[name]]
        imports = [v for v in values if v is not None and v[0] == "import"]
        if values and len(imports) == len(values):
            return imports[0] if len(imports) == 1 else ("any", tuple(imports))
        return ("here", name)
    if name in BUILTIN_NAMES:
        return ("builtin", name)
    return ("here", name)


class _Typer:
    """The symbolic value of an expression, in a frame."""

    def __init__(self, module_frame: _Frame) -> None:
        # The module's frame, not the walk: a walk <-> typer cycle would keep each file's whole libcst tree
        # alive until the garbage collector's next full pass (a tenth of extraction's time went there).
        self.module_frame = module_frame

    def value(self, node: cst.BaseExpression, frame: _Frame) -> Value:
        literal = LITERAL_TYPES.get(type(node))
        if literal is not None:
            return ("lit", literal)
        handler = _method(_Typer, "_", type(node))
        return handler(self, node, frame) if handler is not None else UNKNOWN

    def _Name(self, node: cst.Name, frame: _Frame) -> Value:
        if node.value in ("True", "False"):
            return ("lit", "bool")
        if node.value == "None":
            return ("lit", "NoneType")
        return self.name(node.value, frame)

    def _SimpleString(self, node: cst.SimpleString, frame: _Frame) -> Value:
        return ("lit", "bytes" if "b" in node.prefix.lower() else "str")

    def _ConcatenatedString(self, node: cst.ConcatenatedString, frame: _Frame) -> Value:
        return self.value(node.left, frame)

    def _Attribute(self, node: cst.Attribute, frame: _Frame) -> Value:
        return ("attr", self.value(node.value, frame), node.attr.value)

    def _Call(self, node: cst.Call, frame: _Frame) -> Value:
        if _is_super_call(node) and frame.class_name:
            return ("super", frame.class_name)
        return ("call", self.value(node.func, frame), _keywords(node))

    def _BinaryOperation(self, node: cst.BinaryOperation, frame: _Frame) -> Value:
        return ("binop", type(node.operator).__name__, self.value(node.left, frame), self.value(node.right, frame))

    def _BooleanOperation(self, node: cst.BooleanOperation, frame: _Frame) -> Value:
        return ("any", (self.value(node.left, frame), self.value(node.right, frame)))

    def _IfExp(self, node: cst.IfExp, frame: _Frame) -> Value:
        return ("any", (self.value(node.body, frame), self.value(node.orelse, frame)))

    def _UnaryOperation(self, node: cst.UnaryOperation, frame: _Frame) -> Value:
        if type(node.operator) is cst.Not:
            return ("lit", "bool")
        return self.value(node.expression, frame)

    def _NamedExpr(self, node: cst.NamedExpr, frame: _Frame) -> Value:
        return self.value(node.value, frame)

    def _Subscript(self, node: cst.Subscript, frame: _Frame) -> Value:
        # A slice of a list, str, tuple or bytes has the container's type; an item is what the table says.
        tag = "slice" if len(node.slice) == 1 and type(node.slice[0].slice) is cst.Slice else "item"
        return (tag, self.value(node.value, frame))

    def name(self, name: str, frame: _Frame) -> Value:
        current: _Frame | None = frame
        while current is not None:
            if name in current.bindings and name not in current.global_names:
                return self._bound(name, current)
            current = self._outer(current)
        return module_name_value(self.module_frame, name)

    def _outer(self, frame: _Frame) -> _Frame | None:
        # Class bodies are not enclosing scopes for the functions in them.
        parent = frame.parent
        while parent is not None and parent.function == "" and parent.class_name and parent.parent is not None:
            parent = parent.parent
        return None if parent is not None and parent.parent is None else parent

    def _bound(self, name: str, frame: _Frame) -> Value:
        if name in frame.cache:
            return frame.cache[name]
        if name in frame.resolving:
            return UNKNOWN  # `x = x + 1` style self-reference: resolved through the augmented form only
        frame.resolving.add(name)
        try:
            values = tuple(self._binding_value(binding, frame) for binding in frame.bindings[name])
        finally:
            frame.resolving.discard(name)
        result = values[0] if len(values) == 1 else ("any", values)
        frame.cache[name] = result
        return result

    def _binding_value(self, binding: _Binding, frame: _Frame) -> Value:
        if binding.value is not None:
            return binding.value
        expression = self.value(binding.expression, frame) if binding.expression is not None else UNKNOWN
        if binding.augmented == "__enter__":
            return ("call", ("attr", expression, "__enter__"), ())
        if binding.augmented:
            return ("aug", binding.augmented, expression)
        return expression


def _is_super_call(node: cst.CSTNode) -> bool:
    return type(node) is cst.Call and type(node.func) is cst.Name and node.func.value == "super"


# --------------------------------------------------------------------- walking bodies


@dataclass
class _Body:
    """Where sites of the body being walked go, and the handlers it is inside."""

    frame: _Frame
    sites: list[Site] = field(default_factory=list)
    handler_names: tuple[str, ...] = ()  # `as` names of enclosing handlers inside this body
    in_handler: bool = False
    line: int = 0


def _text(node: cst.CSTNode) -> str:
    """A short label for evidence: `json.loads()`, `self.sock.recv()`, `request[...]`."""
    name = dotted_name(node)
    if name:
        text = name
    elif type(node) is cst.Call:
        text = f"{_text(node.func)}()"
    elif type(node) is cst.Subscript:
        text = f"{_text(node.value)}[...]"
    elif type(node) is cst.Attribute:
        text = f"{_text(node.value)}.{node.attr.value}"
    else:
        text = f"({type(node).__name__})"
    return text if len(text) <= TEXT_LIMIT else text[: TEXT_LIMIT - 3] + "..."


def _is_literal(node: cst.BaseExpression) -> bool:
    if type(node) in (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.ConcatenatedString):
        return True
    if type(node) is cst.UnaryOperation and type(node.operator) in (cst.Minus, cst.Plus):
        return _is_literal(node.expression)
    return type(node) is cst.Name and node.value in ("True", "False", "None")


def _keyword_kind(node: cst.BaseExpression) -> str:
    if type(node) is cst.Name and node.value in ("True", "False", "None"):
        return node.value.lower()
    return "literal" if _is_literal(node) else "expr"


def _keywords(node: cst.Call) -> tuple[tuple[str, str], ...]:
    return tuple((arg.keyword.value, _keyword_kind(arg.value)) for arg in node.args if arg.keyword is not None)


def _mentions(node: cst.CSTNode) -> list[str]:
    """Names and attribute names in a flags-like expression (`zmq.NOBLOCK | zmq.SNDMORE`)."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if type(current) is cst.Name:
            found.append(current.value)
        elif type(current) is cst.Attribute:
            found.append(current.attr.value)
            stack.append(current.value)
        elif type(current) is cst.BinaryOperation:
            stack.extend((current.left, current.right))
    return found


def _nonzero_literal(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.Integer, cst.Float)):
        try:
            return float(node.value.replace("_", "")) != 0.0
        except ValueError:  # hex, octal and binary integers
            return int(node.value.replace("_", ""), 0) != 0
    return False


class _ModuleWalk:
    def __init__(self, module: cst.Module, line_of: LineOf, handler_class: Callable[[Handler], HandlerClass]) -> None:
        self.module = module
        self.line_of = line_of
        self.handler_class = handler_class
        self.facts = RaiseFacts()
        self.module_frame = _Frame("", "", None)
        self.typer = _Typer(self.module_frame)
        self.star = False

    def run(self) -> RaiseFacts:
        frame = self.module_frame
        _BindingCollector(frame, lambda node: node.name.value, self._module_value).collect(self.module.body)
        self.facts.star_imports = tuple(self._star_imports())
        body = _Body(frame)
        self._block(self.module.body, body, MODULE_SCOPE)
        self.facts.names = {name: tuple(self.typer._binding_value(b, frame) for b in bindings)
                            for name, bindings in frame.bindings.items()}
        return self.facts

    def _star_imports(self):
        for statement in self.module.body:
            if type(statement) is cst.SimpleStatementLine:
                for small in statement.body:
                    if type(small) is cst.ImportFrom and type(small.names) is cst.ImportStar:
                        module = dotted_name(small.module) if small.module is not None else ""
                        yield module, len(small.relative)

    # --- statements ---------------------------------------------------------

    def _block(self, statements, body: _Body, scope: Scope) -> None:
        for statement in statements:
            line = self.line_of(statement)
            if line:
                body.line = line
            self._statement(statement, body, scope)

    def _suite(self, suite, body: _Body, scope: Scope) -> None:
        if suite is None:
            return
        if type(suite) is cst.If:
            self._statement(suite, body, scope)
            return
        if type(suite) in (cst.Else, cst.Finally):
            suite = suite.body
        self._block(suite.body if type(suite) is cst.IndentedBlock else [suite], body, scope)

    def _statement(self, node: cst.CSTNode, body: _Body, scope: Scope) -> None:
        handler = _method(_ModuleWalk, "_stmt_", type(node))
        if handler is None:
            self._opaque(body, node, f"a {type(node).__name__} statement")
            return
        handler(self, node, body, scope)

    def _stmt_SimpleStatementLine(self, node, body: _Body, scope: Scope) -> None:
        for small in node.body:
            body.line = self.line_of(small) or body.line
            self._small(small, body)

    _stmt_SimpleStatementSuite = _stmt_SimpleStatementLine

    def _stmt_If(self, node: cst.If, body: _Body, scope: Scope) -> None:
        self.expression(node.test, body)
        self._suite(node.body, body, scope)
        self._suite(node.orelse, body, scope)

    def _stmt_While(self, node: cst.While, body: _Body, scope: Scope) -> None:
        self.expression(node.test, body)
        self._suite(node.body, body, scope._replace(loop_depth=scope.loop_depth + 1))
        self._suite(node.orelse, body, scope)

    def _stmt_For(self, node: cst.For, body: _Body, scope: Scope) -> None:
        self.expression(node.iter, body)
        self._site(body, node.iter, ITERATE, self.typer.value(node.iter, body.frame))
        if type(node.target) is not cst.Name and not _pairs_safely(node.target, node.iter):
            self._site(body, node.iter, UNPACK, UNKNOWN)
        self._target(node.target, body)
        self._suite(node.body, body, scope._replace(loop_depth=scope.loop_depth + 1))
        self._suite(node.orelse, body, scope)

    def _stmt_With(self, node: cst.With, body: _Body, scope: Scope) -> None:
        for item in node.items:
            self.expression(item.item, body)
            self._site(body, item.item, WITH, self.typer.value(item.item, body.frame))
            if item.asname is not None:
                self._target(item.asname.name, body)
        self._suite(node.body, body, scope)

    def _stmt_Match(self, node: cst.Match, body: _Body, scope: Scope) -> None:
        self.expression(node.subject, body)
        self._opaque(body, node, "a match statement")
        for case in node.cases:
            self._suite(case.body, body, scope)

    def _stmt_Try(self, node: cst.Try | cst.TryStar, body: _Body, scope: Scope) -> None:
        inner = _Body(body.frame, handler_names=body.handler_names, in_handler=body.in_handler, line=body.line)
        self._suite(node.body, inner, scope._replace(in_try=True))
        star = type(node) is cst.TryStar
        earlier: list[Value] = []
        for handler in node.handlers:
            types = self._handler_types(handler, body.frame)
            found = self.handler_class(handler)
            self.facts.handlers.append(HandlerRaises(
                self.line_of(handler), scope.function, found.kind, found.reraises, tuple(inner.sites), types,
                tuple(earlier), star,
            ))
            if not star and not found.reraises:
                earlier.extend(types or (("builtin", "BaseException"),))
        caught = tuple(earlier)
        body.sites.extend(replace(site, caught=site.caught + caught) if caught else site for site in inner.sites)
        for handler in node.handlers:
            names = _target_names(handler.name.name) if handler.name is not None else []
            handled = _Body(body.frame, body.sites, (*body.handler_names, *names), True, body.line)
            self._suite(handler.body, handled, scope)
        self._suite(node.orelse, body, scope)
        self._suite(node.finalbody, body, scope)

    _stmt_TryStar = _stmt_Try

    def _handler_types(self, handler, frame: _Frame) -> tuple[Value, ...]:
        if handler.type is None:
            return ()
        elements = handler.type.elements if type(handler.type) is cst.Tuple else [handler.type]
        # A StarredElement is an expression itself.
        return tuple(self.typer.value(e.value if type(e) is cst.Element else cast(cst.BaseExpression, e), frame)
                     for e in elements)

    def _stmt_FunctionDef(self, node: cst.FunctionDef, body: _Body, scope: Scope) -> None:
        for decorator in node.decorators:
            self.expression(decorator.decorator, body)
        for param in _all_params(node.params):
            if param.default is not None:
                self.expression(param.default, body)
        self._function(node, body.frame, scope)

    def _stmt_ClassDef(self, node: cst.ClassDef, body: _Body, scope: Scope) -> None:
        for decorator in node.decorators:
            self.expression(decorator.decorator, body)
        if body.frame.function:
            self._opaque(body, node, "a class definition inside a function")
        self._class(node, body.frame, scope)

    # --- small statements ---------------------------------------------------

    def _small(self, small: cst.BaseSmallStatement, body: _Body) -> None:
        handler = _method(_ModuleWalk, "_small_", type(small))
        if handler is None:
            self._opaque(body, small, f"a {type(small).__name__} statement")
            return
        handler(self, small, body)

    def _small_nothing(self, small, body: _Body) -> None:
        """pass, break, continue, global and nonlocal raise nothing."""

    _small_Pass = _small_Break = _small_Continue = _small_Global = _small_Nonlocal = _small_nothing

    def _small_Expr(self, small: cst.Expr, body: _Body) -> None:
        self.expression(small.value, body)

    def _small_Return(self, small: cst.Return, body: _Body) -> None:
        if small.value is not None:
            self.expression(small.value, body)
            if len(body.frame.returns) < MAX_RETURNS:
                body.frame.returns.append(self.typer.value(small.value, body.frame))

    def _small_Assign(self, small: cst.Assign, body: _Body) -> None:
        self.expression(small.value, body)
        for target in small.targets:
            if isinstance(target.target, (cst.Tuple, cst.List)) and not _same_length(target.target, small.value):
                self._site(body, small.value, UNPACK, self.typer.value(small.value, body.frame))
            self._target(target.target, body, small.value)

    def _small_AnnAssign(self, small: cst.AnnAssign, body: _Body) -> None:
        if small.value is not None:
            self.expression(small.value, body)
            self._target(small.target, body, small.value)

    def _small_AugAssign(self, small: cst.AugAssign, body: _Body) -> None:
        self.expression(small.value, body)
        target, frame = small.target, body.frame
        operator = type(small.operator).__name__.removesuffix("Assign")
        if type(target) is cst.Attribute:
            self.expression(target.value, body)
            self._site(body, target, SET_ATTRIBUTE, self.typer.value(target.value, frame), (target.attr.value,))
            self._record_attribute(target, body, _Binding(expression=small.value, augmented=operator))
        elif type(target) is cst.Subscript:
            self._subscript(target, body, "load")
            self._subscript(target, body, "store", walk=False)
        detail = (operator, self.typer.value(small.value, frame), _nonzero_literal(small.value))
        self._site(body, small, BINOP, self.typer.value(target, frame), detail)

    def _small_Del(self, small: cst.Del, body: _Body) -> None:
        for target in [small.target] if type(small.target) is not cst.Tuple else [
            e.value for e in small.target.elements
        ]:
            if type(target) is cst.Subscript:
                self._subscript(target, body, "del")
            elif type(target) is cst.Attribute:
                self.expression(target.value, body)
                self._site(body, target, SET_ATTRIBUTE, self.typer.value(target.value, body.frame), (target.attr.value,))

    def _small_Assert(self, small: cst.Assert, body: _Body) -> None:
        self.expression(small.test, body)
        if small.msg is not None:
            self.expression(small.msg, body)
        self._site(body, small, FIXED, UNKNOWN, (ASSERT_RULE,), text="assert")

    def _small_Import(self, small: cst.Import | cst.ImportFrom, body: _Body) -> None:
        if isinstance(small, cst.ImportFrom):
            module = "." * len(small.relative) + (dotted_name(small.module) if small.module is not None else "")
        else:
            module = ", ".join(dotted_name(alias.name) for alias in small.names)
        self._site(body, small, FIXED, UNKNOWN, (IMPORT_RULE,), text=f"import {module}")

    _small_ImportFrom = _small_Import

    def _small_Raise(self, small: cst.Raise, body: _Body) -> None:
        if small.cause is not None:
            self.expression(small.cause.item, body)
        exc = small.exc
        if exc is None:
            if not body.in_handler:
                self._opaque(body, small, "a bare raise outside a handler")
            return  # a re-raise inside a handler of this body: that handler does not count as catching
        if type(exc) is cst.Name and exc.value in body.handler_names:
            return
        raised = exc.func if type(exc) is cst.Call else exc
        self.expression(exc, body)
        if type(raised) in (cst.Name, cst.Attribute):
            self._site(body, small, RAISE, self.typer.value(raised, body.frame), text=f"raise {_text(raised)}")
        else:
            self._opaque(body, small, "raises an exception chosen at run time")

    # --- targets of assignments --------------------------------------------

    def _target(self, target: cst.BaseExpression, body: _Body, value: cst.BaseExpression | None = None) -> None:
        if type(target) is cst.Attribute:
            self.expression(target.value, body)
            self._site(body, target, SET_ATTRIBUTE, self.typer.value(target.value, body.frame), (target.attr.value,))
            if value is not None:
                self._record_attribute(target, body, _Binding(expression=value))
        elif type(target) is cst.Subscript:
            self._subscript(target, body, "store")
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._target(element.value, body)
        elif type(target) is cst.StarredElement:
            self._target(target.value, body)

    def _record_attribute(self, target: cst.Attribute, body: _Body, binding: _Binding) -> None:
        """`self.x = value` in a method: the class's attribute x may hold value."""
        frame = body.frame
        owner = self.typer.value(target.value, frame)
        if owner[0] != "self" or owner[1] not in self.facts.classes:
            return
        value = self.typer._binding_value(binding, frame)
        attributes = self.facts.classes[owner[1]].attributes
        attributes[target.attr.value] = (*attributes.get(target.attr.value, ()), value)

    # --- expressions --------------------------------------------------------

    def expression(self, node: cst.BaseExpression, body: _Body) -> None:
        handler = _method(_ModuleWalk, "_expr_", type(node))
        if handler is None:
            if type(node) not in LITERAL_TYPES and type(node) not in (cst.SimpleString, cst.Name, cst.Ellipsis):
                self._opaque(body, node, f"a {type(node).__name__} expression")
            return
        handler(self, node, body)

    def _expr_Call(self, node: cst.Call, body: _Body, awaited: bool = False) -> None:
        line = self.line_of(node)
        if line:
            body.line = line
        frame = body.frame
        if type(node.func) is cst.Attribute:
            if not _is_super_call(node.func.value):
                self.expression(node.func.value, body)
        elif type(node.func) is not cst.Name:
            self.expression(node.func, body)
        for arg in node.args:
            self.expression(arg.value, body)
            if arg.star:
                self._site(body, arg.value, ITERATE, self.typer.value(arg.value, frame))
        if is_logger_call(node):
            self._site(body, node, FIXED, UNKNOWN, (LOGGING_RULE,), text=f"{_text(node.func)}()")
            return
        self._site(body, node, CALL, self.typer.value(node.func, frame), (self._shape(node, frame, awaited),),
                   text=f"{_text(node.func)}()")

    def _shape(self, node: cst.Call, frame: _Frame, awaited: bool) -> CallShape:
        positional = [arg.value for arg in node.args if arg.keyword is None and not arg.star]
        keywords = _keywords(node)
        mentions = sorted({name for arg in node.args for name in _mentions(arg.value)})
        return CallShape(
            args=tuple(self.typer.value(arg, frame) for arg in positional), keywords=keywords,
            starred=any(arg.star for arg in node.args), literal_args=all(_is_literal(arg) for arg in positional),
            mentions=tuple(mentions), awaited=awaited,
        )

    def _expr_Await(self, node: cst.Await, body: _Body) -> None:
        if type(node.expression) is cst.Call:
            self._expr_Call(node.expression, body, awaited=True)
            return
        self.expression(node.expression, body)
        self._site(body, node, AWAIT, self.typer.value(node.expression, body.frame))

    def _expr_Attribute(self, node: cst.Attribute, body: _Body) -> None:
        self.expression(node.value, body)
        self._site(body, node, ATTRIBUTE, self.typer.value(node.value, body.frame), (node.attr.value,))

    def _expr_Subscript(self, node: cst.Subscript, body: _Body) -> None:
        self._subscript(node, body, "load")

    def _subscript(self, node: cst.Subscript, body: _Body, context: str, walk: bool = True) -> None:
        if walk:
            self.expression(node.value, body)
            for element in node.slice:
                for part in _slice_parts(element.slice):
                    self.expression(part, body)
        if len(node.slice) != 1:
            key = "other"
        elif type(node.slice[0].slice) is not cst.Index:
            key = "slice"
        else:
            key = "literal" if _is_literal(node.slice[0].slice.value) else "other"
        self._site(body, node, SUBSCRIPT, self.typer.value(node.value, body.frame), (key, context))

    def _expr_BinaryOperation(self, node: cst.BinaryOperation, body: _Body) -> None:
        self.expression(node.left, body)
        self.expression(node.right, body)
        frame = body.frame
        detail = (type(node.operator).__name__, self.typer.value(node.right, frame), _nonzero_literal(node.right))
        self._site(body, node, BINOP, self.typer.value(node.left, frame), detail)

    def _expr_UnaryOperation(self, node: cst.UnaryOperation, body: _Body) -> None:
        self.expression(node.expression, body)
        if type(node.operator) is not cst.Not:
            operator = type(node.operator).__name__
            self._site(body, node, UNARY, self.typer.value(node.expression, body.frame), (operator,))

    def _expr_BooleanOperation(self, node: cst.BooleanOperation, body: _Body) -> None:
        self.expression(node.left, body)
        self.expression(node.right, body)

    def _expr_Comparison(self, node: cst.Comparison, body: _Body) -> None:
        self.expression(node.left, body)
        left, frame = node.left, body.frame
        for target in node.comparisons:
            self.expression(target.comparator, body)
            operator = type(target.operator).__name__
            if operator in ORDERING:
                detail = (operator, self.typer.value(target.comparator, frame))
                self._site(body, node, COMPARE, self.typer.value(left, frame), detail)
            elif operator in MEMBERSHIP:
                self._site(body, target.comparator, ITERATE, self.typer.value(target.comparator, frame))
            left = target.comparator

    def _expr_IfExp(self, node: cst.IfExp, body: _Body) -> None:
        for part in (node.test, node.body, node.orelse):
            self.expression(part, body)

    def _expr_NamedExpr(self, node: cst.NamedExpr, body: _Body) -> None:
        self.expression(node.value, body)

    def _expr_Lambda(self, node: cst.Lambda, body: _Body) -> None:
        for param in _all_params(node.params):
            if param.default is not None:
                self.expression(param.default, body)

    def _expr_Yield(self, node: cst.Yield, body: _Body) -> None:
        body.frame.generator = True
        self._opaque(body, node, "a yield (the consumer can throw any exception in)")

    def _expr_FormattedString(self, node: cst.FormattedString, body: _Body) -> None:
        for part in node.parts:
            if type(part) is cst.FormattedStringExpression:
                self.expression(part.expression, body)
                if part.format_spec:
                    self._site(body, part.expression, FORMAT, self.typer.value(part.expression, body.frame))
                    for spec in part.format_spec:
                        if type(spec) is cst.FormattedStringExpression:
                            self.expression(spec.expression, body)

    def _expr_ConcatenatedString(self, node: cst.ConcatenatedString, body: _Body) -> None:
        self.expression(node.left, body)
        self.expression(node.right, body)

    def _expr_List(self, node, body: _Body) -> None:
        for element in node.elements:
            self.expression(element.value, body)
            if type(element) is cst.StarredElement:
                self._site(body, element.value, ITERATE, self.typer.value(element.value, body.frame))

    _expr_Tuple = _expr_Set = _expr_List

    def _expr_Dict(self, node: cst.Dict, body: _Body) -> None:
        for element in node.elements:
            if type(element) is cst.DictElement:
                self.expression(element.key, body)
                self.expression(element.value, body)
            else:
                self.expression(element.value, body)
                self._site(body, element.value, ITERATE, self.typer.value(element.value, body.frame))

    def _expr_ListComp(self, node, body: _Body) -> None:
        frame = _Frame(body.frame.function, body.frame.class_name, body.frame)
        inner = _Body(frame, body.sites, body.handler_names, body.in_handler, body.line)
        for_in = node.for_in
        while for_in is not None:
            self.expression(for_in.iter, inner)
            self._site(inner, for_in.iter, ITERATE, self.typer.value(for_in.iter, frame))
            for name in _target_names(for_in.target):
                frame.bind(name, _Binding(value=UNKNOWN))
            for condition in for_in.ifs:
                self.expression(condition.test, inner)
            for_in = for_in.inner_for_in
        if type(node) is cst.DictComp:
            self.expression(node.key, inner)
            self.expression(node.value, inner)
        else:
            self.expression(node.elt, inner)

    _expr_SetComp = _expr_GeneratorExp = _expr_DictComp = _expr_ListComp

    # --- functions and classes ----------------------------------------------

    def _function(self, node: cst.FunctionDef, parent: _Frame, scope: Scope) -> None:
        inner = _child_scope(node, scope)
        method_class = scope.class_name if not scope.function else ""
        frame = _Frame(inner.function, method_class, parent)
        decorators = tuple(dotted_name(d.decorator) for d in node.decorators)
        kind = _method_kind(decorators) if method_class else ""
        params = _all_params(node.params)
        for index, param in enumerate(params):
            frame.bind(param.name.value, _Binding(value=self._param_value(param, index, kind, method_class)))
        _BindingCollector(frame, lambda child: _child_scope(child, inner).function
                          if type(child) is cst.FunctionDef else child.name.value,
                          self._module_value).collect(_statements(node.body))
        body = _Body(frame, line=self.line_of(node))
        self._block(_statements(node.body), body, inner)
        returns = () if frame.generator or len(frame.returns) >= MAX_RETURNS else tuple(frame.returns)
        self.facts.functions[inner.function] = FunctionRaises(
            inner.function, method_class, self.line_of(node), tuple(body.sites), decorators,
            node.asynchronous is not None, frozenset(frame.bindings), returns,
        )
        if method_class and method_class in self.facts.classes:
            self.facts.classes[method_class].methods.setdefault(node.name.value, kind or "method")

    def _param_value(self, param: cst.Param, index: int, kind: str, method_class: str) -> Value:
        if index == 0 and method_class and kind in ("method", "property", "setter"):
            return ("self", method_class)
        if index == 0 and method_class and kind == "classmethod":
            return ("cls", method_class)
        if param.annotation is not None:
            return annotation_value(param.annotation.annotation, self._module_value)
        return UNKNOWN

    def _module_value(self, node: cst.BaseExpression) -> Value:
        """A class named in an annotation, resolved at module level."""
        return self.typer.value(node, self.module_frame)

    def _class(self, node: cst.ClassDef, parent: _Frame, scope: Scope) -> None:
        bases = tuple(self.typer.value(arg.value, parent) for arg in node.bases if arg.keyword is None)
        name = node.name.value
        self.facts.classes.setdefault(name, ClassRaises(name, self.line_of(node), bases, top_level=parent.parent is None
                                                       and not parent.function))
        class_scope = Scope(scope.function, name, scope.in_try, scope.loop_depth)
        frame = _Frame("", name, parent)
        _BindingCollector(frame, lambda child: child.name.value, self._module_value).collect(_statements(node.body))
        body = _Body(frame, line=self.line_of(node))
        self._block(_statements(node.body), body, class_scope)
        attributes = self.facts.classes[name].attributes
        for attribute, bindings in frame.bindings.items():
            if not any(b.value is not None and b.value[0] == "here" for b in bindings):
                values = tuple(self.typer._binding_value(b, frame) for b in bindings)
                attributes[attribute] = (*attributes.get(attribute, ()), *values)

    # --- sites ----------------------------------------------------------------

    def _site(self, body: _Body, node: cst.CSTNode, kind: str, value: Value, detail: tuple = (), text: str = "") -> None:
        line = self.line_of(node) or body.line
        body.sites.append(Site(line, kind, text or _text(node), value, detail))

    def _opaque(self, body: _Body, node: cst.CSTNode, category: str) -> None:
        self._site(body, node, OPAQUE, UNKNOWN, (category,), text=category)


def _statements(suite: cst.BaseSuite):
    return suite.body if type(suite) is cst.IndentedBlock else [suite]


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    found = [*params.posonly_params, *params.params, *params.kwonly_params]
    for extra in (params.star_arg, params.star_kwarg):
        if type(extra) is cst.Param:
            found.append(extra)
    return found


def _method_kind(decorators: tuple[str, ...]) -> str:
    for decorator in decorators:
        if decorator in METHOD_KINDS:
            return METHOD_KINDS[decorator]
        if decorator.endswith((".setter", ".deleter")):
            return "setter"
    return "method"


def _slice_parts(part: cst.BaseSlice) -> list[cst.BaseExpression]:
    if type(part) is cst.Slice:
        return [p for p in (part.lower, part.upper, part.step) if p is not None]
    return [part.value] if type(part) is cst.Index else []


def _same_length(target: cst.Tuple | cst.List, value: cst.BaseExpression) -> bool:
    """`a, b = 1, 2`: unpacking a literal of the same length cannot fail."""
    if not isinstance(value, (cst.Tuple, cst.List)):
        return False
    starred = any(type(e) is cst.StarredElement for e in (*target.elements, *value.elements))
    return not starred and len(target.elements) == len(value.elements)


def _pairs_safely(target: cst.BaseExpression, iterable: cst.BaseExpression) -> bool:
    """`for k, v in d.items()`, `for i, x in enumerate(...)`, `for a, b in zip(x, y)`: the shapes always fit."""
    if not isinstance(target, (cst.Tuple, cst.List)) or type(iterable) is not cst.Call:
        return False
    if any(type(e) is cst.StarredElement for e in target.elements):
        return False
    count = len(target.elements)
    callee = dotted_name(iterable.func)
    if callee in ("enumerate",) or (type(iterable.func) is cst.Attribute and iterable.func.attr.value == "items"):
        return count == 2
    return callee == "zip" and count == len(iterable.args) and not any(a.star for a in iterable.args)
