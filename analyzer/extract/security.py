"""ZeroMQ authentication: where a module sets CURVE keys or starts a ZAP authenticator.

A socket bound on a public interface in a module with none of these accepts any
peer (rule `zmq-unauthenticated-bind`). `FileFacts.uses_curve` is true when the
module has at least one such fact.
"""

from __future__ import annotations

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import ZmqAuthFact

CURVE_OPTIONS = frozenset({"curve_server", "curve_secretkey", "curve_publickey", "curve_serverkey"})
CURVE_SOCKOPTS = frozenset({"CURVE_SERVER", "CURVE_SECRETKEY", "CURVE_PUBLICKEY", "CURVE_SERVERKEY"})
AUTHENTICATORS = frozenset({"ThreadAuthenticator", "AsyncioAuthenticator", "Authenticator", "IOLoopAuthenticator"})
SOCKOPT_SETTERS = frozenset({"setsockopt", "set", "setsockopt_string"})


def _is_zmq_auth_module(name: str) -> bool:
    return name == "zmq.auth" or name.startswith("zmq.auth.")


class ZmqAuthExtractor(Extractor):
    facts_field = "zmq_auth"
    EXAMPLES = [
        Example("server.curve_secretkey = secret\nserver.curve_server = True\n",
                [{"kind": "curve_option", "detail": "curve_secretkey", "line": 1},
                 {"kind": "curve_option", "detail": "curve_server", "line": 2}]),
        Example("sock.setsockopt(zmq.CURVE_SERVER, 1)\n", [{"kind": "curve_sockopt", "detail": "CURVE_SERVER"}]),
        Example("from zmq.auth.thread import ThreadAuthenticator\nauth = ThreadAuthenticator(ctx)\n",
                [{"kind": "zmq_auth_import", "detail": "zmq.auth.thread", "line": 1},
                 {"kind": "zap_authenticator", "detail": "ThreadAuthenticator", "line": 2}]),
        Example("import zmq.auth\n", [{"kind": "zmq_auth_import", "detail": "zmq.auth"}]),
        Example("sock.setsockopt(zmq.LINGER, 0)\nsock.bind('tcp://*:5555')\npublic, secret = zmq.curve_keypair()\n", []),
    ]

    def on_Assign(self, node: cst.Assign, scope: Scope) -> None:
        for target in node.targets:
            self._option(target.target, node)

    def on_AnnAssign(self, node: cst.AnnAssign, scope: Scope) -> None:
        self._option(node.target, node)

    def _option(self, target: cst.BaseExpression, node: cst.CSTNode) -> None:
        if isinstance(target, cst.Attribute) and target.attr.value in CURVE_OPTIONS:
            self._add(self.context.line_of(node), "curve_option", target.attr.value)

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        func = node.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name in AUTHENTICATORS:
            self._add(self.context.line_of(node), "zap_authenticator", name)
        elif name in SOCKOPT_SETTERS and node.args:
            option = dotted_name(node.args[0].value).rsplit(".", 1)[-1]
            if option in CURVE_SOCKOPTS:
                self._add(self.context.line_of(node), "curve_sockopt", option)

    def on_Import(self, node: cst.Import, scope: Scope) -> None:
        for alias in node.names:
            name = dotted_name(alias.name)
            if _is_zmq_auth_module(name):
                self._add(self.context.line_of(node), "zmq_auth_import", name)

    def on_ImportFrom(self, node: cst.ImportFrom, scope: Scope) -> None:
        module = dotted_name(node.module) if node.module is not None else ""
        names = () if isinstance(node.names, cst.ImportStar) else tuple(dotted_name(a.name) for a in node.names)
        if _is_zmq_auth_module(module):
            self._add(self.context.line_of(node), "zmq_auth_import", module)
        elif module == "zmq" and "auth" in names:
            self._add(self.context.line_of(node), "zmq_auth_import", "zmq.auth")

    def _add(self, line: int, kind: str, detail: str) -> None:
        self.context.facts.zmq_auth.append(ZmqAuthFact(line, kind, detail))

    def finish(self) -> None:
        self.context.facts.uses_curve = bool(self.context.facts.zmq_auth)
