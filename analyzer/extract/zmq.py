"""ZeroMQ sockets and their bind/connect endpoints, each with a typed reference to where its port comes from.

The extractor does not decide a port number: it records how the code writes it
(`analyzer.facts.PortRef`, kinds in `PORT_REF_KINDS`), following what this file
shows: literals, module, class and local names, every assignment of `self.X`
in the class, parameters and their defaults, environment lookups, registry
lookups, helpers, `x or 5642`, `port + 1`, `getattr(o, "x", 5600)`, and names
imported from other modules (with their module and alias). analyzer/endpoints.py
resolves the references with the other modules' facts and the deployment
configs. The host of an endpoint is followed the same way to the names and the
string it leads to (`host_names`), from which the resolver tells the machine a
connect reaches. Module-level constants and helper functions are recorded as
`port_definitions`, so other modules' references can be resolved through them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import libcst as cst

from analyzer.extract.base import Example, Extractor, function_scope_of
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import EndpointFact, PortDefinitionFact, PortRef, SocketFact

SOCKET_KINDS = frozenset(
    {"PUB", "SUB", "REQ", "REP", "PUSH", "PULL", "DEALER", "ROUTER", "PAIR", "XPUB", "XSUB", "STREAM"}
)
ZMQ_TRANSPORTS = frozenset({"tcp", "ipc", "inproc", "pgm", "epgm", "udp", "ws", "wss", "vmci"})
PORT_TRANSPORTS = frozenset({"tcp", "pgm", "epgm", "udp", "ws", "wss"})
ENDPOINT_ACTIONS = {"bind": "bind", "connect": "connect", "bind_to_random_port": "bind"}
# Receivers whose .connect() is a database or plain socket, not ZeroMQ.
NON_ZMQ_RECEIVERS = frozenset(
    {"sqlite3", "psycopg2", "pymysql", "MySQLdb", "asyncpg", "redis", "socket", "pika", "websockets", "ftplib", "smtplib"}
)
ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "environ.get", "getenv"})
ENV_MAPPINGS = frozenset({"os.environ", "environ"})
# runtime.ports lookups (and look-alikes): the argument names a ports.yaml entry.
REGISTRY_GETTERS = frozenset({"get_port", "endpoint"})
ENDPOINT_RE = re.compile(r"^(?P<scheme>[a-z]+)://(?P<rest>.*)$", re.S)
PLACEHOLDER = "\x00{}\x00"
PLACEHOLDER_RE = re.compile(r"\x00(\d+)\x00")
MAX_DEPTH = 8
# Reference kinds that say nothing about a number: not worth a port definition.
NOT_A_PORT = frozenset({"unknown", "text"})


@dataclass
class _Pending:
    call: cst.Call
    action: str
    scope: Scope
    line: int


@dataclass
class _Function:
    node: cst.FunctionDef
    line: int
    params: list[str] = field(default_factory=list)  # positional and keyword names, in order
    defaults: dict[str, cst.BaseExpression] = field(default_factory=dict)
    star_kwargs: str = ""
    returns: list[cst.BaseExpression] = field(default_factory=list)


@dataclass
class _Assigned:
    value: cst.BaseExpression
    scope: Scope
    line: int


def _ref(*args, **fields) -> dict:
    """A PortRef as the examples compare it (a dict, as `dataclasses.asdict` gives the fact)."""
    return asdict(PortRef(*args, **fields))


def _int_value(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    if isinstance(node, cst.SimpleString):
        text = node.evaluated_value
        if isinstance(text, str) and text.strip().isdigit():
            return int(text)
    return None


def _str_value(node: cst.BaseExpression) -> str | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def _unwrap_conversion(node: cst.BaseExpression) -> cst.BaseExpression:
    while isinstance(node, cst.Call) and dotted_name(node.func) in ("int", "str") and len(node.args) == 1:
        node = node.args[0].value
    return node


def _enclosing(function: str) -> list[str]:
    """`A.f.g` -> [`A.f.g`, `A.f`]: the function and the functions around it (not the class)."""
    parts = function.split(".")
    return [".".join(parts[:n]) for n in range(len(parts), 0, -1) if function]


class ZmqExtractor(Extractor):
    facts_field = "endpoints"
    EXAMPLES = [
        Example('sock = ctx.socket(zmq.PUB)\nsock.bind("tcp://*:5556")\n',
                [{"action": "bind", "port_ref": _ref("literal", 2, 5556), "host": "*", "host_names": ("*",),
                  "socket_kind": "PUB"}]),
        Example('s.connect(f"tcp://{host}:5557")\n', [{"action": "connect", "host": "host", "host_names": ("host",)}]),
        Example('PORT = 5560\ns.bind(f"tcp://*:{PORT}")\n',
                [{"port_expr": "PORT", "port_ref": _ref("constant", 1, name="PORT",
                                                        operands=(PortRef("literal", 1, 5560),))}]),
        Example('class A:\n    def __init__(self, port=5570):\n        self.port = port\n'
                '    def run(self):\n        self.sock.bind(f"tcp://*:{self.port}")\n',
                [{"class_name": "A", "port_expr": "self.port", "port_ref": _ref(
                    "self_attribute", 5, name="port", scope="A", operands=(PortRef(
                        "parameter", 2, name="port", scope="A.__init__", operands=(PortRef("literal", 2, 5570),)),))}]),
        Example('from common.ports import TRANSLATOR_PORT as P\ns.bind("tcp://0.0.0.0:%d" % P)\n',  # nosec B104
                [{"host": "0.0.0.0", "port_ref": _ref(  # nosec B104
                    "imported", 2, name="TRANSLATOR_PORT", module="common.ports", alias="P")}]),
        Example('import ports\ns.bind(f"tcp://*:{ports.STT}")\n',
                [{"port_ref": _ref("module_attribute", 2, name="STT", module="ports")}]),
        Example('import os\nPORT = int(os.environ.get("AGENT_PORT", "5580"))\ns.bind("tcp://*:" + str(PORT + 1))\n',
                [{"port_expr": "PORT + 1", "port_ref": _ref("sum", 3, offset=1, operands=(PortRef(
                    "constant", 2, name="PORT", operands=(PortRef(
                        "env", 2, name="AGENT_PORT", operands=(PortRef("literal", 2, 5580),)),)),))}]),
        Example('def serve(port=None):\n    s.bind(f"tcp://*:{port or 5642}")\n',
                [{"port_ref": _ref("fallback", 2, operands=(
                    PortRef("parameter", 1, name="port", scope="serve", operands=(PortRef("unknown", 1, name="None"),)),
                    PortRef("literal", 2, 5642)))}]),
        Example('s.bind(f"tcp://*:{get_port(\'TTS_REP\')}")\n', [{"port_ref": _ref("registry", 1, name="TTS_REP")}]),
        Example('from runtime.ports import get_port as port_of\ns.bind(f"tcp://*:{port_of(\'TTS_REP\')}")\n',
                [{"port_ref": _ref("registry", 2, name="TTS_REP")}]),
        Example('import zmq\ns.connect(self.endpoint)\n',
                [{"scheme": "", "endpoint": "self.endpoint", "port_ref": _ref("unknown", 2, name="self.endpoint")}]),
        Example('s.bind("ipc:///tmp/agent.sock")\n', [{"scheme": "ipc", "port_ref": None}]),
        Example('port = s.bind_to_random_port("tcp://*")\n', [{"action": "bind", "port_ref": _ref("random", 1)}]),
        Example('PC2_IP = "192.168.1.2"\ns.connect(f"tcp://{PC2_IP}:5620")\n',
                [{"host": "PC2_IP", "host_names": ("PC2_IP", "192.168.1.2")}]),
        Example('conn = sqlite3.connect("memory.db")\nserver.bind(("0.0.0.0", 8080))\n', []),
        Example('db.connect(dsn)\n', []),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.imports_zmq = False
        self.module_values: dict[str, _Assigned] = {}
        self.class_values: dict[tuple[str, str], _Assigned] = {}
        self.self_values: dict[tuple[str, str], list[_Assigned]] = {}  # (class, attribute) -> every assignment
        self.local_values: dict[tuple[str, str], _Assigned] = {}
        self.functions: dict[str, _Function] = {}
        # local name -> (module as written, imported name): "" for `import a.b as c` (module "a.b").
        self.imported: dict[str, tuple[str, str]] = {}
        self.pending: list[_Pending] = []

    # --- collection -------------------------------------------------------

    def on_Import(self, node: cst.Import, scope: Scope) -> None:
        for alias in node.names:
            module = dotted_name(alias.name)
            if module.split(".")[0] == "zmq":
                self.imports_zmq = True
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.imported[alias.asname.name.value] = (module, "")
            else:
                self.imported[module.split(".")[0]] = (module.split(".")[0], "")

    def on_ImportFrom(self, node: cst.ImportFrom, scope: Scope) -> None:
        module = "." * len(node.relative) + (dotted_name(node.module) if node.module is not None else "")
        if module.split(".")[0] == "zmq":
            self.imports_zmq = True
        if isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:
            name = dotted_name(alias.name)
            local = alias.asname.name.value if alias.asname is not None and isinstance(alias.asname.name, cst.Name) \
                else name
            self.imported[local] = (module, name)

    def on_FunctionDef(self, node: cst.FunctionDef, scope: Scope) -> None:
        qualname = function_scope_of(node, scope).function
        function = _Function(node, self.context.line_of(node))
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for param in params:
            function.params.append(param.name.value)
            if param.default is not None:
                function.defaults[param.name.value] = param.default
        star = node.params.star_kwarg
        if isinstance(star, cst.Param):
            function.star_kwargs = star.name.value
        self.functions[qualname] = function

    def on_Return(self, node: cst.Return, scope: Scope) -> None:
        function = self.functions.get(scope.function)
        if function is not None and node.value is not None:
            function.returns.append(node.value)

    def on_Assign(self, node: cst.Assign, scope: Scope) -> None:
        for target in node.targets:
            self._record_value(target.target, node.value, scope, self.context.line_of(node))

    def on_AnnAssign(self, node: cst.AnnAssign, scope: Scope) -> None:
        if node.value is not None:
            self._record_value(node.target, node.value, scope, self.context.line_of(node))

    def _record_value(self, target: cst.BaseExpression, value: cst.BaseExpression, scope: Scope, line: int) -> None:
        assigned = _Assigned(value, scope, line)
        if isinstance(target, cst.Name):
            name = target.value
            if scope.function:
                self.local_values.setdefault((scope.function, name), assigned)
            elif scope.class_name:
                self.class_values[(scope.class_name, name)] = assigned
            else:
                self.module_values[name] = assigned
        elif isinstance(target, cst.Attribute) and dotted_name(target.value) == "self" and scope.class_name:
            values = self.self_values.setdefault((scope.class_name, target.attr.value), [])
            # The constructor's assignment is the one a port is configured by: it goes first.
            values.insert(0, assigned) if scope.function.endswith(".__init__") else values.append(assigned)
        kind = self._socket_kind(value)
        if kind:
            self.context.facts.sockets.append(
                SocketFact(kind, self.context.code(target), line, scope.function)
            )

    def _socket_kind(self, value: cst.BaseExpression) -> str:
        if not (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)):
            return ""
        if value.func.attr.value != "socket" or not value.args:
            return ""
        kind = dotted_name(value.args[0].value).rsplit(".", 1)[-1]
        return kind if kind in SOCKET_KINDS else ""

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ENDPOINT_ACTIONS and node.args:
            self.pending.append(_Pending(node, func.attr.value, scope, self.context.line_of(node)))

    # --- facts ------------------------------------------------------------

    def finish(self) -> None:
        definitions = self.context.facts.port_definitions
        for name, assigned in self.module_values.items():
            ref = self._ref(assigned.value, Scope(), assigned.line)
            if ref.kind not in NOT_A_PORT:
                definitions.append(PortDefinitionFact(name, assigned.line, ref))
        for qualname, function in self.functions.items():
            if "." in qualname or not function.returns:
                continue  # methods and nested functions are not importable helpers
            ref = self._ref(function.returns[-1], Scope(qualname), function.line)
            if ref.kind not in NOT_A_PORT:
                params = tuple(p for p in function.params if p not in ("self", "cls"))
                definitions.append(PortDefinitionFact(qualname, function.line, ref, params, True))
        definitions.sort(key=lambda d: d.line)
        socket_kinds = {s.variable: s.kind for s in self.context.facts.sockets}
        for pending in self.pending:
            fact = self._endpoint(pending, socket_kinds)
            if fact is not None:
                self.context.facts.endpoints.append(fact)

    def _endpoint(self, pending: _Pending, socket_kinds: dict[str, str]) -> EndpointFact | None:
        call, scope, line = pending.call, pending.scope, pending.line
        argument = call.args[0].value
        if isinstance(argument, (cst.Tuple, cst.List)) or call.args[0].keyword is not None:
            return None
        receiver = self.context.code(call.func.value)  # type: ignore[attr-defined]
        segments = self._segments(argument)
        text = self._template(segments)
        match = ENDPOINT_RE.match(text) if text is not None else None
        if match is None:
            # Not a readable endpoint string: a name or call. Try its static value.
            resolved = self._static_string(argument, scope)
            if resolved is not None:
                match = ENDPOINT_RE.match(resolved)
                segments = [resolved]
            if match is None:
                if not self._looks_like_zmq(receiver):
                    return None
                unknown = PortRef("unknown", line, name=self.context.code(argument))
                return self._fact(pending, receiver, socket_kinds, "", "", (), unknown, "")
        scheme = match.group("scheme")
        if scheme not in ZMQ_TRANSPORTS:
            return None
        rest = match.group("rest")
        if pending.action == "bind_to_random_port":
            host, hosts = self._host(rest, segments, scope)
            return self._fact(pending, receiver, socket_kinds, scheme, host, hosts, PortRef("random", line), "")
        if scheme not in PORT_TRANSPORTS:
            return self._fact(pending, receiver, socket_kinds, scheme, "", (), None, "")
        host_text, _, port_text = rest.rpartition(":")
        host, hosts = self._host(host_text, segments, scope)
        port_ref, expr = self._port(port_text, segments, scope, line)
        return self._fact(pending, receiver, socket_kinds, scheme, host, hosts, port_ref, expr)

    def _fact(self, pending, receiver, socket_kinds, scheme, host, host_names, port_ref, expr) -> EndpointFact:
        return EndpointFact(
            ENDPOINT_ACTIONS[pending.action], pending.line, self.context.code(pending.call.args[0].value), scheme,
            host, host_names, port_ref, expr, receiver, socket_kinds.get(receiver, ""), pending.scope.function,
            pending.scope.class_name,
        )

    def _looks_like_zmq(self, receiver: str) -> bool:
        return self.imports_zmq and receiver.split(".")[0] not in NON_ZMQ_RECEIVERS

    def _port(self, port_text: str, segments, scope: Scope, line: int) -> tuple[PortRef, str]:
        if port_text.isdigit():
            return PortRef("literal", line, int(port_text)), ""
        placeholder = PLACEHOLDER_RE.fullmatch(port_text)
        if placeholder is None:
            rendered = self._render(port_text, segments)
            return PortRef("unknown", line, name=rendered), rendered
        expression = segments[int(placeholder.group(1))]
        return self._ref(expression, scope, line), self.context.code(expression)

    def _host(self, host_text: str, segments, scope: Scope) -> tuple[str, tuple[str, ...]]:
        host = self._render(host_text, segments)
        placeholder = PLACEHOLDER_RE.fullmatch(host_text)
        if placeholder is not None:
            return host, tuple(self._host_names(segments[int(placeholder.group(1))], scope, 0))
        return host, (host,) if host and PLACEHOLDER_RE.search(host_text) is None else ()

    # Endpoint strings are flattened into text with numbered placeholders for
    # every embedded expression, so one parser handles f-strings, `+`, `%` and `.format`.
    def _segments(self, node: cst.BaseExpression) -> list[str | cst.BaseExpression] | None:
        node = _unwrap_conversion(node)
        literal = _str_value(node)
        if literal is not None:
            return [literal]
        if isinstance(node, cst.FormattedString):
            parts: list[str | cst.BaseExpression] = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(part.value)
                else:
                    parts.append(part.expression)  # type: ignore[attr-defined]
            return parts
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left, right = self._segments(node.left), self._segments(node.right)
            if left is None and right is None:
                return None  # arithmetic, not string concatenation: one expression
            return [*(left or [_unwrap_conversion(node.left)]), *(right or [_unwrap_conversion(node.right)])]
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Modulo):
            template = _str_value(node.left)
            if template is None:
                return None
            values = node.right.elements if isinstance(node.right, cst.Tuple) else None
            args = [e.value for e in values] if values is not None else [node.right]
            return self._fill(re.split(r"%[-#0 +]*\d*(?:\.\d+)?[sdiru]", template), args)
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "format"
            and _str_value(node.func.value) is not None
        ):
            return self._format_segments(node)
        return None

    @staticmethod
    def _format_segments(node: cst.Call) -> list[str | cst.BaseExpression] | None:
        template = _str_value(node.func.value) or ""  # type: ignore[attr-defined]
        positional = [a.value for a in node.args if a.keyword is None and a.star == ""]
        named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        pieces = re.split(r"\{([^{}]*)\}", template)
        parts: list[str | cst.BaseExpression] = []
        index = 0
        for i, piece in enumerate(pieces):
            if i % 2 == 0:
                parts.append(piece)
            elif piece in named:
                parts.append(named[piece])
            elif piece.isdigit() and int(piece) < len(positional):
                parts.append(positional[int(piece)])
            elif piece == "" and index < len(positional):
                parts.append(positional[index])
                index += 1
            else:
                return None
        return parts

    @staticmethod
    def _fill(texts: list[str], args: list[cst.BaseExpression]) -> list[str | cst.BaseExpression] | None:
        if len(texts) != len(args) + 1:
            return None
        parts: list[str | cst.BaseExpression] = [texts[0]]
        for arg, text in zip(args, texts[1:]):
            parts.extend([arg, text])
        return parts

    @staticmethod
    def _template(segments) -> str | None:
        if segments is None:
            return None
        return "".join(s if isinstance(s, str) else PLACEHOLDER.format(i) for i, s in enumerate(segments))

    def _render(self, text: str, segments) -> str:
        return PLACEHOLDER_RE.sub(lambda m: self.context.code(segments[int(m.group(1))]), text)

    # --- following names --------------------------------------------------

    def _local(self, name: str, scope: Scope) -> tuple[str, _Assigned | None, _Function | None]:
        """Where `name` is bound around `scope`: (function, its assignment there, or the function whose parameter it is)."""
        for function in _enclosing(scope.function):
            assigned = self.local_values.get((function, name))
            if assigned is not None:
                return function, assigned, None
            owner = self.functions.get(function)
            if owner is not None and name in owner.params:
                return function, None, owner
        return "", None, None

    def _ref(self, node: cst.BaseExpression, scope: Scope, line: int, depth: int = 0) -> PortRef:
        """The typed reference of a port expression, following what this file shows."""
        node = _unwrap_conversion(node)
        if depth > MAX_DEPTH:
            return PortRef("unknown", line, name=self.context.code(node))
        value = _int_value(node)
        if value is not None:
            return PortRef("literal", line, value)
        text = _str_value(node)
        if text is not None:
            return PortRef("text", line, name=text)
        if isinstance(node, cst.Name):
            return self._name_ref(node.value, scope, line, depth)
        if isinstance(node, cst.Attribute):
            return self._attribute_ref(node, scope, line, depth)
        if isinstance(node, cst.Subscript):
            return self._subscript_ref(node, scope, line, depth)
        if isinstance(node, cst.Call):
            return self._call_ref(node, scope, line, depth)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)):
            return self._sum_ref(node, scope, line, depth)
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            return PortRef("fallback", line, operands=(self._ref(node.left, scope, line, depth + 1),
                                                       self._ref(node.right, scope, line, depth + 1)))
        if isinstance(node, cst.IfExp):
            primary, fallback = node.body, node.orelse
            if self._tests_for_none(node.test, fallback):  # `5642 if port is None else port`
                primary, fallback = fallback, primary
            return PortRef("fallback", line, operands=(self._ref(primary, scope, line, depth + 1),
                                                       self._ref(fallback, scope, line, depth + 1)))
        return PortRef("unknown", line, name=self.context.code(node))

    def _tests_for_none(self, test: cst.BaseExpression, value: cst.BaseExpression) -> bool:
        return (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, cst.Is)
                and dotted_name(test.comparisons[0].comparator) == "None"
                and self.context.code(test.left) == self.context.code(value))

    def _name_ref(self, name: str, scope: Scope, line: int, depth: int) -> PortRef:
        if name == "None":
            return PortRef("unknown", line, name=name)
        function, assigned, owner = self._local(name, scope)
        if assigned is not None:
            inner = self._ref(assigned.value, assigned.scope, assigned.line, depth + 1)
            return PortRef("constant", assigned.line, name=name, scope=function, operands=(inner,))
        if owner is not None:
            default = owner.defaults.get(name)
            operands = (self._ref(default, Scope(class_name=scope.class_name), owner.line, depth + 1),) \
                if default is not None else ()
            return PortRef("parameter", owner.line, name=name, scope=function, operands=operands)
        if scope.class_name and not scope.function:
            class_value = self.class_values.get((scope.class_name, name))
            if class_value is not None:
                inner = self._ref(class_value.value, class_value.scope, class_value.line, depth + 1)
                return PortRef("constant", class_value.line, name=name, scope=scope.class_name, operands=(inner,))
        module_value = self.module_values.get(name)
        if module_value is not None:
            inner = self._ref(module_value.value, Scope(), module_value.line, depth + 1)
            return PortRef("constant", module_value.line, name=name, operands=(inner,))
        if name in self.imported:
            module, imported = self.imported[name]
            if imported:
                return PortRef("imported", line, name=imported, module=module, alias=name if name != imported else "")
        return PortRef("unknown", line, name=name)

    def _attribute_ref(self, node: cst.Attribute, scope: Scope, line: int, depth: int) -> PortRef:
        owner, attr = dotted_name(node.value), node.attr.value
        if owner in ("self", "cls") and scope.class_name:
            return self._self_ref(attr, scope.class_name, line, depth)
        module = self._module_named(owner)
        if module:
            return PortRef("module_attribute", line, name=attr, module=module)
        return PortRef("key", line, name=attr, scope=self.context.code(node.value))

    def _self_ref(self, attr: str, class_name: str, line: int, depth: int) -> PortRef:
        candidates = [self._ref(a.value, a.scope, a.line, depth + 1) for a in self.self_values.get((class_name, attr), [])]
        class_value = self.class_values.get((class_name, attr))
        if class_value is not None:
            inner = self._ref(class_value.value, class_value.scope, class_value.line, depth + 1)
            constant = PortRef("constant", class_value.line, name=attr, scope=class_name, operands=(inner,))
            if not candidates:  # a class constant read through self: `self.PORT`
                return constant
            candidates.append(constant)
        return PortRef("self_attribute", line, name=attr, scope=class_name, operands=tuple(candidates))

    def _module_named(self, dotted: str) -> str:
        """The module a dotted name refers to through this file's imports (`ports` -> `common.ports`), or ""."""
        if not dotted:
            return ""
        head, _, rest = dotted.partition(".")
        if head not in self.imported or self._local(head, Scope())[0]:
            return ""
        module, imported = self.imported[head]
        if imported:  # `from common import ports`: ports may be a submodule
            module = f"{module}.{imported}" if not module.endswith(".") else module + imported
        return f"{module}.{rest}" if rest else module

    def _subscript_ref(self, node: cst.Subscript, scope: Scope, line: int, depth: int) -> PortRef:
        key = self._subscript_key(node)
        container = dotted_name(node.value)
        if key is None:
            return PortRef("unknown", line, name=self.context.code(node))
        if container in ENV_MAPPINGS:
            return PortRef("env", line, name=key)
        return PortRef("key", line, name=key, scope=self.context.code(node.value))

    @staticmethod
    def _subscript_key(node: cst.Subscript) -> str | None:
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            return None
        return _str_value(node.slice[0].slice.value)

    def _call_ref(self, node: cst.Call, scope: Scope, line: int, depth: int) -> PortRef:
        callee = dotted_name(node.func)
        short = callee.rsplit(".", 1)[-1]
        if callee in self.imported and self.imported[callee][1]:
            short = self.imported[callee][1]  # `from runtime.ports import get_port as registry_port`
        args = [a for a in node.args if a.star == ""]
        line = self.context.line_of(node)
        if callee in ENV_GETTERS and args:
            return self._env_ref(node, args, scope, line, depth)
        if short in REGISTRY_GETTERS and len(args) == 1 and _str_value(args[0].value) is not None:
            return PortRef("registry", line, name=_str_value(args[0].value) or "")
        if callee == "getattr" and len(args) >= 2 and _str_value(args[1].value):
            return self._getattr_ref(args, scope, line, depth)
        if isinstance(node.func, cst.Attribute) and short == "get" and args and _str_value(args[0].value):
            return self._get_ref(node.func.value, _str_value(args[0].value) or "", args, scope, line, depth)
        return self._helper_ref(node, callee, args, scope, line, depth)

    def _env_ref(self, node: cst.Call, args, scope: Scope, line: int, depth: int) -> PortRef:
        name = self._env_name(args[0].value, scope)
        if not name:
            return PortRef("unknown", line, name=self.context.code(node))
        default = (self._ref(args[1].value, scope, line, depth + 1),) if len(args) > 1 else ()
        return PortRef("env", line, name=name, operands=default)

    def _getattr_ref(self, args, scope: Scope, line: int, depth: int) -> PortRef:
        """`getattr(obj, "x_port", 5600)`: the attribute, falling back to the default."""
        attr = _str_value(args[1].value) or ""
        value = self._attribute_ref(cst.Attribute(args[0].value, cst.Name(attr)), scope, line, depth + 1)
        if len(args) == 2:
            return value
        return PortRef("fallback", line, operands=(value, self._ref(args[2].value, scope, line, depth + 1)))

    def _get_ref(self, container: cst.BaseExpression, key: str, args, scope: Scope, line: int, depth: int) -> PortRef:
        """`kwargs.get("port", 5580)` is the constructor's parameter; `config.get("port", 0)` a key."""
        default = (self._ref(args[1].value, scope, line, depth + 1),) if len(args) > 1 else ()
        name = dotted_name(container)
        function, assigned, owner = self._local(name, scope) if isinstance(container, cst.Name) else ("", None, None)
        if owner is not None and owner.star_kwargs == name:
            return PortRef("parameter", owner.line, name=key, scope=function, operands=default)
        return PortRef("key", line, name=key, scope=self.context.code(container), operands=default)

    def _helper_ref(self, node: cst.Call, callee: str, args, scope: Scope, line: int, depth: int) -> PortRef:
        if not callee:
            return PortRef("unknown", line, name=self.context.code(node))
        head, _, rest = callee.rpartition(".")
        module, name, alias = "", callee, ""
        if head:
            module = self._module_named(head)
            if not module:
                return PortRef("unknown", line, name=self.context.code(node))
            name = rest
        elif callee in self.imported and self.imported[callee][1]:
            module, name = self.imported[callee]
            alias = callee if callee != name else ""
        elif callee not in self.functions:
            return PortRef("unknown", line, name=self.context.code(node))
        arguments = tuple(
            PortRef("argument", line, position, name=a.keyword.value if a.keyword is not None else "",
                    operands=(self._ref(a.value, scope, line, depth + 1),))
            for position, a in enumerate(args)
        )
        return PortRef("call", line, name=name, module=module, alias=alias, operands=arguments)

    def _sum_ref(self, node: cst.BinaryOperation, scope: Scope, line: int, depth: int) -> PortRef:
        left = self._ref(node.left, scope, line, depth + 1)
        right = self._ref(node.right, scope, line, depth + 1)
        if isinstance(node.operator, cst.Subtract):
            if right.kind != "literal" or right.value is None:
                return PortRef("unknown", line, name=self.context.code(node))
            right = PortRef("literal", right.line, -right.value)
        offset = 0
        operands: list[PortRef] = []
        for operand in (left, right):
            if operand.kind == "literal" and operand.value is not None:
                offset += operand.value
            elif operand.kind == "sum":
                offset += operand.offset
                operands.extend(operand.operands)
            else:
                operands.append(operand)
        if not operands:
            return PortRef("literal", line, offset)
        return PortRef("sum", line, offset=offset, operands=tuple(operands))

    def _env_name(self, node: cst.BaseExpression, scope: Scope) -> str:
        """The variable an environment lookup reads; `{param}` stands for a parameter of the enclosing function."""
        text = _str_value(node)
        if text is not None:
            return text
        if isinstance(node, cst.FormattedString):
            parts = []
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    parts.append(part.value)
                else:
                    parts.append(self._env_placeholder(part.expression, scope))  # type: ignore[attr-defined]
            return "" if "" in parts else "".join(parts)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            left, right = self._env_name(node.left, scope), self._env_name(node.right, scope)
            return left + right if left and right else ""
        return self._env_placeholder(node, scope)

    def _env_placeholder(self, node: cst.BaseExpression, scope: Scope) -> str:
        """`name` or `name.upper()` of a parameter, as `{name}` / `{name.upper()}`; "" for anything else."""
        case = ""
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args \
                and node.func.attr.value in ("upper", "lower"):
            case, node = f".{node.func.attr.value}()", node.func.value
        if isinstance(node, cst.Name) and self._local(node.value, scope)[2] is not None:
            return "{" + node.value + case + "}"
        text = _str_value(node)
        return text or ""

    def _host_names(self, node: cst.BaseExpression, scope: Scope, depth: int) -> list[str]:
        """What a host expression goes through and ends at: `PC2_HOST` -> ["PC2_HOST", "192.168.100.17"]."""
        node = _unwrap_conversion(node)
        text = _str_value(node)
        if text is not None or depth > MAX_DEPTH:
            return [text] if text else []
        if isinstance(node, cst.Name):
            return self._host_name(node.value, scope, depth)
        if isinstance(node, cst.Attribute):
            return self._host_attribute(node, scope, depth)
        if isinstance(node, cst.Subscript):
            key = self._subscript_key(node)
            return [key] if key else []
        if isinstance(node, cst.Call):
            return self._host_lookup(node, scope, depth)
        if isinstance(node, cst.BooleanOperation):
            return [*self._host_names(node.left, scope, depth + 1), *self._host_names(node.right, scope, depth + 1)]
        return []

    def _host_name(self, name: str, scope: Scope, depth: int) -> list[str]:
        _function, assigned, owner = self._local(name, scope)
        value, value_scope = None, scope
        if assigned is not None:
            value, value_scope = assigned.value, assigned.scope
        elif owner is not None:
            value, value_scope = owner.defaults.get(name), Scope(class_name=scope.class_name)
        elif name in self.module_values:
            value, value_scope = self.module_values[name].value, Scope()
        elif name in self.imported and self.imported[name][1]:
            return [name, self.imported[name][1]]
        return [name, *(self._host_names(value, value_scope, depth + 1) if value is not None else [])]

    def _host_attribute(self, node: cst.Attribute, scope: Scope, depth: int) -> list[str]:
        names = [node.attr.value]
        if dotted_name(node.value) == "self" and scope.class_name:
            assigned = self.self_values.get((scope.class_name, node.attr.value), [])
            if assigned:
                names += self._host_names(assigned[0].value, assigned[0].scope, depth + 1)
        return names

    def _host_lookup(self, node: cst.Call, scope: Scope, depth: int) -> list[str]:
        """`os.environ.get("PC2_IP", "192.168.1.2")`, `config.get("pc2_host")`: the key, then the default."""
        args = [a.value for a in node.args if a.star == ""]
        getter = dotted_name(node.func) in ENV_GETTERS or (
            isinstance(node.func, cst.Attribute) and node.func.attr.value == "get")
        if not getter or not args or not _str_value(args[0]):
            return []
        rest = self._host_names(args[1], scope, depth + 1) if len(args) > 1 else []
        return [_str_value(args[0]) or "", *rest]

    def _static_string(self, node: cst.BaseExpression, scope: Scope) -> str | None:
        """A whole endpoint held in a name: `ADDRESS = "tcp://*:5555"` ... `s.bind(ADDRESS)`."""
        for _ in range(MAX_DEPTH):
            text = _str_value(node)
            if text is not None:
                return text
            if isinstance(node, cst.Name):
                _function, assigned, _owner = self._local(node.value, scope)
                assigned = assigned or self.module_values.get(node.value)
            elif isinstance(node, cst.Attribute) and dotted_name(node.value) == "self" and scope.class_name:
                values = self.self_values.get((scope.class_name, node.attr.value), [])
                assigned = values[0] if len(values) == 1 else None
            else:
                return None
            if assigned is None:
                return None
            node, scope = assigned.value, assigned.scope
        return None
