"""Imports: `import a.b`, `from a import b`, relative and star imports.

Resolution to repository modules happens later, once every file is known
(analyzer/resolve.py); here we record what is written and when it runs:
`lazy` inside a function or method (it runs when the function is called, not at
import time), `guarded` at import time but inside the body of a `try` that has
except handlers (an ImportError there, e.g. from an import cycle, is caught and
the name is left unset or given a fallback). Imports in handlers, `else` and
`finally` are neither: nothing catches their errors.
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
        Example("def f():\n    import heavy\n", [{"module": "heavy", "lazy": True, "guarded": False}]),
        Example("try:\n    import ujson\nexcept ImportError:\n    import json\n",
                [{"module": "ujson", "lazy": False, "guarded": True}, {"module": "json", "lazy": False, "guarded": False}]),
        Example("try:\n    from agents.b import B\nexcept ImportError:\n    B = None\n",
                [{"module": "agents.b", "names": ("B",), "lazy": False, "guarded": True}]),
        Example("def f():\n    try:\n        import heavy\n    except ImportError:\n        pass\n",
                [{"module": "heavy", "lazy": True, "guarded": False}]),
        Example("try:\n    import a\nfinally:\n    pass\nclass C:\n    import b\n",
                [{"module": "a", "lazy": False, "guarded": False}, {"module": "b", "lazy": False, "guarded": False}]),
        Example("import_module = 1\nx = __import__\n", []),
    ]

    @staticmethod
    def _timing(scope: Scope) -> tuple[bool, bool]:
        """(lazy, guarded) of an import in `scope`."""
        lazy = bool(scope.function)
        return lazy, scope.in_try and not lazy

    def on_Import(self, node: cst.Import, scope: Scope) -> None:
        line = self.context.line_of(node)
        for alias in node.names:
            self.context.facts.imports.append(
                ImportFact(dotted_name(alias.name), (), 0, line, *self._timing(scope), False)
            )

    def on_ImportFrom(self, node: cst.ImportFrom, scope: Scope) -> None:
        if isinstance(node.names, cst.ImportStar):
            names: tuple[str, ...] = ("*",)
        else:
            names = tuple(dotted_name(alias.name) for alias in node.names)
        module = dotted_name(node.module) if node.module is not None else ""
        self.context.facts.imports.append(
            ImportFact(module, names, len(node.relative), self.context.line_of(node), *self._timing(scope), True)
        )
