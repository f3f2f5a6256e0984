"""Except clauses as facts: bare, broad or specific; whether they swallow, re-raise or log.

The classification itself is analyzer/extract/handlers.py, shared with the raise facts and the codemods.
"""

from __future__ import annotations

import libcst as cst

from analyzer.extract.base import Example, Extractor
from analyzer.extract.handlers import Handler
from analyzer.extract.walker import Scope
from analyzer.facts import ExceptFact


class ExceptExtractor(Extractor):
    facts_field = "excepts"
    EXAMPLES = [
        Example("try:\n    f()\nexcept:\n    pass\n", [{"kind": "bare", "swallows": True, "reraises": False}]),
        Example("try:\n    f()\nexcept Exception as e:\n    logger.error(e)\n",
                [{"kind": "broad", "types": ("Exception",), "swallows": True, "logs_traceback": False}]),
        Example("try:\n    f()\nexcept (ValueError, BaseException):\n    logger.exception('x')\n    raise\n",
                [{"kind": "broad", "swallows": False, "reraises": True, "logs_traceback": True}]),
        Example("try:\n    f()\nexcept KeyError:\n    return default\n",
                [{"kind": "specific", "types": ("KeyError",), "swallows": False}]),
        Example("for x in y:\n    try:\n        f()\n    except Exception:\n        log.warning('x', exc_info=True)\n        continue\n",
                [{"kind": "broad", "swallows": True, "logs_traceback": True}]),
        Example("try:\n    f()\nexcept Exception:\n    cleanup()\n    raise RuntimeError('wrapped')\n",
                [{"kind": "broad", "swallows": False, "reraises": True}]),
        Example("try:\n    f()\nfinally:\n    g()\n", []),
    ]

    def on_ExceptHandler(self, node: cst.ExceptHandler, scope: Scope) -> None:
        self._record(node, scope)

    def on_ExceptStarHandler(self, node: cst.ExceptStarHandler, scope: Scope) -> None:
        self._record(node, scope)

    def _record(self, node: Handler, scope: Scope) -> None:
        found = self.context.handler_class(node)
        self.context.facts.excepts.append(
            ExceptFact(self.context.line_of(node), found.kind, found.types, found.swallows, found.reraises,
                       found.logs_traceback, scope.function)
        )
