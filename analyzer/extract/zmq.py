"""ZeroMQ sockets and their bind/connect endpoints, with ports resolved where static.

A port is resolved through what one file shows: a literal in the endpoint
string or f-string, a module or class constant, a `self.port = ...` in the
class, a parameter default, or an `os.environ.get("X", default)`. Ports that
come from another module's constant are resolved later with the import graph
(analyzer/resolve.py); anything else is kept as `dynamic` with its expression.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst

from analyzer.extract.base import Example, Extractor, function_scope_of
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import EndpointFact, SocketFact
from analyzer.redact import redact_text

SOCKET_KINDS = frozenset(
    {"PUB", "SUB", "REQ", "REP", "PUSH", "PULL", "DEALER", "ROUTER", "PAIR", "XPUB", "XSUB", "STREAM"}
)
ZMQ_TRANSPORTS = frozenset({"tcp", "ipc", "inproc", "pgm", "epgm", "udp", "ws", "wss", "vmci"})
ENDPOINT_ACTIONS = {"bind": "bind", "connect": "connect", "bind_to_random_port": "bind"}
# Receivers whose .connect() is a database or plain socket, not ZeroMQ.
NON_ZMQ_RECEIVERS = frozenset(
    {"sqlite3", "psycopg2", "pymysql", "MySQLdb", "asyncpg", "redis", "socket", "pika", "websockets", "ftplib", "smtplib"}
)
ENV_GETTERS = frozenset({"os.environ.get", "os.getenv", "environ.get", "getenv"})
ENDPOINT_RE = re.compile(r"^(?P<scheme>[a-z]+)://(?P<rest>.*)$", re.S)
# Strength order: the weakest source used in an arithmetic expression names the result.
SOURCE_RANK = {"literal": 0, "constant": 1, "self_attr": 2, "default_arg": 3, "env_default": 4}
PLACEHOLDER = "\x00{}\x00"
PLACEHOLDER_RE = re.compile(r"\x00(\d+)\x00")


@dataclass
class _Pending:
    call: cst.Call
    action: str
    scope: Scope
    line: int


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


class ZmqExtractor(Extractor):
    facts_field = "endpoints"
    EXAMPLES = [
        Example('sock = ctx.socket(zmq.PUB)\nsock.bind("tcp://*:5556")\n',
                [{"action": "bind", "port": 5556, "port_source": "literal", "host": "*", "socket_kind": "PUB"}]),
        Example('s.connect(f"tcp://{host}:5557")\n',
                [{"action": "connect", "port": 5557, "port_source": "literal", "host": "host"}]),
        Example('PORT = 5560\ns.bind(f"tcp://*:{PORT}")\n', [{"port": 5560, "port_source": "constant", "port_expr": "PORT"}]),
        Example('class A:\n    def __init__(self, port=5570):\n        self.port = port\n'
                '    def run(self):\n        self.sock.bind(f"tcp://*:{self.port}")\n',
                [{"port": 5570, "port_source": "default_arg", "class_name": "A", "port_expr": "self.port"}]),
        Example('class B:\n    def __init__(self):\n        self.port = 5571\n        self.s.bind("tcp://0.0.0.0:%d" % self.port)\n',
                [{"port": 5571, "port_source": "self_attr", "host": "0.0.0.0"}]),  # example text  # nosec B104
        Example('import os\nPORT = int(os.environ.get("AGENT_PORT", "5580"))\ns.bind("tcp://*:" + str(PORT))\n',
                [{"port": 5580, "port_source": "env_default"}]),
        Example('s.connect("tcp://localhost:{}".format(BASE + 1))\n', [{"port": None, "port_source": "dynamic", "port_expr": "BASE + 1"}]),
        Example('BASE = 5600\ns.connect("tcp://h:" + str(BASE + 1))\n', [{"port": 5601, "port_source": "constant", "port_expr": "BASE + 1"}]),
        Example('import zmq\ns.connect(self.endpoint)\n', [{"port": None, "port_source": "dynamic", "endpoint": "self.endpoint"}]),
        Example('s.bind("ipc:///tmp/agent.sock")\n', [{"scheme": "ipc", "port": None, "port_source": "none"}]),
        Example('port = s.bind_to_random_port("tcp://*")\n', [{"action": "bind", "port": None, "port_source": "dynamic"}]),
        Example('conn = sqlite3.connect("memory.db")\nserver.bind(("0.0.0.0", 8080))\n', []),
        Example('db.connect(dsn)\n', []),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.imports_zmq = False
        self.module_values: dict[str, cst.BaseExpression] = {}
        self.class_values: dict[tuple[str, str], cst.BaseExpression] = {}
        # (class, attribute) -> (value, function qualname it was assigned in)
        self.self_values: dict[tuple[str, str], tuple[cst.BaseExpression, str]] = {}
        self.local_values: dict[tuple[str, str], cst.BaseExpression] = {}
        self.defaults: dict[tuple[str, str], cst.BaseExpression] = {}
        self.pending: list[_Pending] = []

    # --- collection -------------------------------------------------------

    def on_Import(self, node: cst.Import, scope: Scope) -> None:
        if any(dotted_name(a.name).split(".")[0] == "zmq" for a in node.names):
            self.imports_zmq = True

    def on_ImportFrom(self, node: cst.ImportFrom, scope: Scope) -> None:
        if node.module is not None and dotted_name(node.module).split(".")[0] == "zmq":
            self.imports_zmq = True

    def on_FunctionDef(self, node: cst.FunctionDef, scope: Scope) -> None:
        qualname = function_scope_of(node, scope).function
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for param in params:
            if param.default is not None:
                self.defaults[(qualname, param.name.value)] = param.default

    def on_Assign(self, node: cst.Assign, scope: Scope) -> None:
        for target in node.targets:
            self._record_value(target.target, node.value, scope, self.context.line_of(node))

    def on_AnnAssign(self, node: cst.AnnAssign, scope: Scope) -> None:
        if node.value is not None:
            self._record_value(node.target, node.value, scope, self.context.line_of(node))

    def _record_value(self, target: cst.BaseExpression, value: cst.BaseExpression, scope: Scope, line: int) -> None:
        if isinstance(target, cst.Name):
            name = target.value
            if scope.function:
                self.local_values.setdefault((scope.function, name), value)
            elif scope.class_name:
                self.class_values[(scope.class_name, name)] = value
            else:
                self.module_values[name] = value
        elif isinstance(target, cst.Attribute) and dotted_name(target.value) == "self" and scope.class_name:
            key = (scope.class_name, target.attr.value)
            # The constructor's assignment is the one a port is configured by.
            if key not in self.self_values or scope.function.endswith(".__init__"):
                self.self_values[key] = (value, scope.function)
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

    # --- resolution -------------------------------------------------------

    def finish(self) -> None:
        for name in self.module_values:
            value, _source = self._resolve_int(cst.Name(name), Scope())
            if value is not None:
                self.context.facts.constants[name] = value
        socket_kinds = {s.variable: s.kind for s in self.context.facts.sockets}
        for pending in self.pending:
            fact = self._endpoint(pending, socket_kinds)
            if fact is not None:
                self.context.facts.endpoints.append(fact)

    def _endpoint(self, pending: _Pending, socket_kinds: dict[str, str]) -> EndpointFact | None:
        call, scope = pending.call, pending.scope
        argument = call.args[0].value
        if isinstance(argument, (cst.Tuple, cst.List)) or call.args[0].keyword is not None:
            return None
        receiver = self.context.code(call.func.value)  # type: ignore[attr-defined]
        segments = self._segments(argument)
        text = self._template(segments)
        match = ENDPOINT_RE.match(text) if text is not None else None
        if match is None:
            # Not a readable endpoint string: a name or call. Try its static value.
            resolved = self._resolve_string(argument, scope)
            if resolved is not None:
                match = ENDPOINT_RE.match(resolved[0])
                segments, text = [resolved[0]], resolved[0]
            if match is None:
                if not self._looks_like_zmq(receiver, argument):
                    return None
                return self._fact(pending, receiver, socket_kinds, "", "", None, "dynamic", self.context.code(argument))
        scheme = match.group("scheme")
        if scheme not in ZMQ_TRANSPORTS:
            return None
        rest = match.group("rest")
        if scheme not in ("tcp", "pgm", "epgm", "udp", "ws", "wss") or pending.action == "bind_to_random_port":
            host = self._render(rest, segments) if pending.action == "bind_to_random_port" else ""
            source = "dynamic" if pending.action == "bind_to_random_port" else "none"
            return self._fact(pending, receiver, socket_kinds, scheme, host, None, source, "")
        host_text, _, port_text = rest.rpartition(":")
        host = self._render(host_text, segments)
        port, source, expr = self._port_from_text(port_text, segments, scope)
        return self._fact(pending, receiver, socket_kinds, scheme, host, port, source, expr)

    def _fact(self, pending, receiver, socket_kinds, scheme, host, port, source, expr) -> EndpointFact:
        action = ENDPOINT_ACTIONS[pending.action]
        return EndpointFact(
            action, pending.line, redact_text(self.context.code(pending.call.args[0].value)), scheme, redact_text(host),
            port, source, redact_text(expr), receiver, socket_kinds.get(receiver, ""), pending.scope.function,
            pending.scope.class_name,
        )

    def _looks_like_zmq(self, receiver: str, argument: cst.BaseExpression) -> bool:
        return self.imports_zmq and receiver.split(".")[0] not in NON_ZMQ_RECEIVERS

    def _port_from_text(self, port_text: str, segments, scope: Scope) -> tuple[int | None, str, str]:
        if port_text.isdigit():
            return int(port_text), "literal", ""
        placeholder = PLACEHOLDER_RE.fullmatch(port_text)
        if placeholder is None:
            return None, "dynamic", self._render(port_text, segments)
        expression = segments[int(placeholder.group(1))]
        port, source = self._resolve_int(expression, scope)
        return port, source, self.context.code(expression)

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
            template = _str_value(node.func.value) or ""
            positional = [a.value for a in node.args if a.keyword is None and a.star == ""]
            named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
            pieces = re.split(r"\{([^{}]*)\}", template)
            parts, index = [], 0
            for i, piece in enumerate(pieces):
                if i % 2 == 0:
                    parts.append(piece)
                    continue
                if piece in named:
                    parts.append(named[piece])
                elif piece.isdigit() and int(piece) < len(positional):
                    parts.append(positional[int(piece)])
                elif piece == "" and index < len(positional):
                    parts.append(positional[index])
                    index += 1
                else:
                    return None
            return parts
        return None

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

    def _resolve_int(self, node: cst.BaseExpression, scope: Scope, depth: int = 0) -> tuple[int | None, str]:
        value = self._resolve(node, scope, depth, _int_value)
        return (value[0], value[1]) if value else (None, "dynamic")

    def _resolve_string(self, node: cst.BaseExpression, scope: Scope) -> tuple[str, str] | None:
        return self._resolve(node, scope, 0, _str_value)

    def _resolve(self, node, scope: Scope, depth: int, read) -> tuple | None:
        """Follow names, attributes, defaults and env lookups to a static value."""
        if depth > 6:
            return None
        node = _unwrap_conversion(node)
        value = read(node)
        if value is not None:
            return value, "literal"
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, (cst.Add, cst.Subtract)) and read is _int_value:
            left = self._resolve(node.left, scope, depth + 1, read)
            right = self._resolve(node.right, scope, depth + 1, read)
            if left and right:
                total = left[0] + right[0] if isinstance(node.operator, cst.Add) else left[0] - right[0]
                weakest = max(left[1], right[1], key=SOURCE_RANK.get)
                return total, weakest
            return None
        if isinstance(node, cst.Call) and node.args:
            callee = dotted_name(node.func)
            if callee in ENV_GETTERS and len(node.args) >= 2:
                found = self._resolve(node.args[1].value, scope, depth + 1, read)
                return (found[0], "env_default") if found else None
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "get" and len(node.args) >= 2:
                found = self._resolve(node.args[1].value, scope, depth + 1, read)
                return (found[0], "default_arg") if found else None
            return None
        if isinstance(node, cst.Name):
            return self._resolve_name(node.value, scope, depth, read)
        if isinstance(node, cst.Attribute) and dotted_name(node.value) in ("self", "cls") and scope.class_name:
            attr = node.attr.value
            assigned = self.self_values.get((scope.class_name, attr))
            if assigned is not None:
                value_node, function = assigned
                owner_scope = Scope(function, scope.class_name)
                found = self._resolve(value_node, owner_scope, depth + 1, read)
                if found:
                    return found[0], "self_attr" if found[1] == "literal" else found[1]
            class_value = self.class_values.get((scope.class_name, attr))
            if class_value is not None:
                found = self._resolve(class_value, Scope("", scope.class_name), depth + 1, read)
                if found:
                    return found[0], "constant" if found[1] == "literal" else found[1]
        return None

    def _resolve_name(self, name: str, scope: Scope, depth: int, read) -> tuple | None:
        function = scope.function
        local = self.local_values.get((function, name))
        if local is not None:
            found = self._resolve(local, scope, depth + 1, read)
            if found:
                return found[0], "constant" if found[1] == "literal" else found[1]
        default = self.defaults.get((function, name))
        if default is not None:
            found = self._resolve(default, Scope("", scope.class_name), depth + 1, read)
            if found:
                return found[0], "default_arg" if found[1] in ("literal", "constant") else found[1]
        module_value = self.module_values.get(name)
        if module_value is not None:
            found = self._resolve(module_value, Scope(), depth + 1, read)
            if found:
                return found[0], "constant" if found[1] == "literal" else found[1]
        return None
