"""Imports: `import a.b`, `from a import b`, relative and star imports.

Resolution to repository modules happens later, once every file is known
(analyzer/resolve.py); here we record what is written and whether it runs at
import time.
"""

from __future__ import annotations

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import ImportFact


class ImportExtractor(Extractor):
    facts_field = "imports"
    EXAMPLES = [
        Example("import os, a.b as c\n", [{"module": "os", "level": 0}, {"module": "a.b", "names": ()}]),
        Example("from agents.x import Y, Z\n", [{"module": "agents.x", "names": ("Y", "Z"), "is_from": True}]),
        Example("from ..common import util\n", [{"module": "common", "level": 2, "names": ("util",)}]),
        Example("from . import sibling\n", [{"module": "", "level": 1, "names": ("sibling",)}]),
        Example("from tools import *\n", [{"module": "tools", "names": ("*",)}]),
        Example("def f():\n    import heavy\n", [{"module": "heavy", "deferred": True}]),
        Example("try:\n    import ujson\nexcept ImportError:\n    import json\n",
                [{"module": "ujson", "deferred": True}, {"module": "json", "deferred": True}]),
        Example("import_module = 1\nx = __import__\n", []),
    ]

    def _deferred(self, scope: Scope) -> bool:
        return bool(scope.function) or scope.in_try

    def on_Import(self, node: cst.Import, scope: Scope) -> None:
        line = self.context.line_of(node)
        for alias in node.names:
            self.context.facts.imports.append(
                ImportFact(dotted_name(alias.name), (), 0, line, self._deferred(scope), False)
            )

    def on_ImportFrom(self, node: cst.ImportFrom, scope: Scope) -> None:
        if isinstance(node.names, cst.ImportStar):
            names: tuple[str, ...] = ("*",)
        else:
            names = tuple(dotted_name(alias.name) for alias in node.names)
        module = dotted_name(node.module) if node.module is not None else ""
        self.context.facts.imports.append(
            ImportFact(module, names, len(node.relative), self.context.line_of(node), self._deferred(scope), True)
        )
