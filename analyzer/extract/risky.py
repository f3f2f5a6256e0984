"""Risky calls: shell commands and hard-coded credentials (names only, never values)."""

from __future__ import annotations

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import RiskyCallFact
from analyzer.redact import is_secret_name

SHELL_FUNCTIONS = {"os.system": "os_system", "os.popen": "os_popen", "system": "os_system", "popen": "os_popen"}
PLACEHOLDER_VALUES = frozenset({"", "changeme", "change_me", "xxx", "none", "null", "todo", "<secret>"})


def _is_literal_command(node: cst.BaseExpression) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e.value, (cst.SimpleString, cst.ConcatenatedString)) for e in node.elements)
    return False


def _secret_literal(node: cst.BaseExpression | None) -> bool:
    if not isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        return False
    value = node.evaluated_value
    return isinstance(value, str) and value.strip().lower() not in PLACEHOLDER_VALUES


class RiskyCallExtractor(Extractor):
    facts_field = "risky_calls"
    EXAMPLES = [
        Example("subprocess.run(f'rm -rf {path}', shell=True)\n", [{"kind": "shell_true", "dynamic": True, "detail": "subprocess.run"}]),
        Example("subprocess.call('nvidia-smi', shell=True)\n", [{"kind": "shell_true", "dynamic": False}]),
        Example("os.system('clear')\nos.popen(cmd)\n", [{"kind": "os_system", "dynamic": False}, {"kind": "os_popen", "dynamic": True}]),
        Example("DB_PASSWORD = 'hunter2'\n", [{"kind": "hardcoded_secret", "detail": "DB_PASSWORD"}]),
        Example("client = Client(api_key='sk-123')\n", [{"kind": "hardcoded_secret", "detail": "api_key"}]),
        Example("subprocess.run(['ls', '-l'])\npassword = os.environ['PW']\neos_token = '</s>'\ntoken = ''\n", []),
    ]

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        callee = dotted_name(node.func)
        line = self.context.line_of(node)
        command = node.args[0].value if node.args and node.args[0].keyword is None else None
        dynamic = command is not None and not _is_literal_command(command)
        if callee in SHELL_FUNCTIONS and callee.startswith("os."):
            self._add(line, SHELL_FUNCTIONS[callee], callee, dynamic, scope)
        elif any(
            a.keyword is not None and a.keyword.value == "shell" and isinstance(a.value, cst.Name) and a.value.value == "True"
            for a in node.args
        ):
            self._add(line, "shell_true", callee or self.context.code(node.func), dynamic, scope)
        for arg in node.args:
            if arg.keyword is not None and is_secret_name(arg.keyword.value) and _secret_literal(arg.value):
                self._add(line, "hardcoded_secret", arg.keyword.value, False, scope)

    def on_Assign(self, node: cst.Assign, scope: Scope) -> None:
        for target in node.targets:
            self._check_assignment(target.target, node.value, node, scope)

    def on_AnnAssign(self, node: cst.AnnAssign, scope: Scope) -> None:
        self._check_assignment(node.target, node.value, node, scope)

    def _check_assignment(self, target, value, node, scope: Scope) -> None:
        name = target.attr.value if isinstance(target, cst.Attribute) else getattr(target, "value", "")
        if isinstance(name, str) and is_secret_name(name) and _secret_literal(value):
            self._add(self.context.line_of(node), "hardcoded_secret", name, False, scope)

    def _add(self, line: int, kind: str, detail: str, dynamic: bool, scope: Scope) -> None:
        self.context.facts.risky_calls.append(RiskyCallFact(line, kind, detail, dynamic, scope.function))
