"""Risky calls: shell commands (`shell=True`, `os.system`, `os.popen`); hard-coded secrets are extract/secrets.py."""

from __future__ import annotations

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import RiskyCallFact

SHELL_FUNCTIONS = {"os.system": "os_system", "os.popen": "os_popen", "system": "os_system", "popen": "os_popen"}


def _is_literal_command(node: cst.BaseExpression) -> bool:
    if type(node) in (cst.SimpleString, cst.ConcatenatedString):
        return True
    if isinstance(node, (cst.List, cst.Tuple)):
        return all(isinstance(e.value, (cst.SimpleString, cst.ConcatenatedString)) for e in node.elements)
    return False


class RiskyCallExtractor(Extractor):
    facts_field = "risky_calls"
    EXAMPLES = [
        Example("subprocess.run(f'rm -rf {path}', shell=True)\n", [{"kind": "shell_true", "dynamic": True, "detail": "subprocess.run"}]),
        Example("subprocess.call('nvidia-smi', shell=True)\n", [{"kind": "shell_true", "dynamic": False}]),
        Example("os.system('clear')\nos.popen(cmd)\n", [{"kind": "os_system", "dynamic": False}, {"kind": "os_popen", "dynamic": True}]),
        Example("subprocess.run(['ls', '-l'])\nDB_PASSWORD = 'hunter2'\n", []),
    ]

    def on_Call(self, node: cst.Call, scope: Scope) -> None:
        callee = dotted_name(node.func)
        line = self.context.line_of(node)
        command = node.args[0].value if node.args and node.args[0].keyword is None else None
        dynamic = command is not None and not _is_literal_command(command)
        if callee in SHELL_FUNCTIONS and callee.startswith("os."):
            self._add(line, SHELL_FUNCTIONS[callee], callee, dynamic, scope)
        elif any(
            a.keyword is not None and a.keyword.value == "shell" and type(a.value) is cst.Name and a.value.value == "True"
            for a in node.args
        ):
            self._add(line, "shell_true", callee or self.context.code(node.func), dynamic, scope)

    def _add(self, line: int, kind: str, detail: str, dynamic: bool, scope: Scope) -> None:
        self.context.facts.risky_calls.append(RiskyCallFact(line, kind, detail, dynamic, scope.function))
