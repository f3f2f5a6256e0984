"""Classes and functions: method counts and bases from libcst, complexity from radon."""

from __future__ import annotations

import libcst as cst
from radon.complexity import cc_visit_ast
from radon.visitors import Class as RadonClass
from radon.visitors import Function as RadonFunction

from analyzer.extract.base import Example, Extractor
from analyzer.extract.raising import summarize
from analyzer.extract.walker import Scope, dotted_name
from analyzer.facts import ClassFact, FunctionFact


def _is_main_guard(test: cst.BaseExpression) -> bool:
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    sides = {dotted_name(left) or getattr(left, "value", ""), dotted_name(right) or getattr(right, "value", "")}
    return "__name__" in sides and ({"'__main__'", '"__main__"'} & sides) != set()


def _flatten(blocks, prefix: str = ""):
    """radon lists functions, classes and methods; closures hang off their function."""
    for block in blocks:
        if isinstance(block, RadonFunction):
            owner = f"{block.classname}." if block.is_method and not prefix else prefix
            qualname = f"{owner}{block.name}"
            class_name = block.classname if block.is_method else ""
            yield FunctionFact(block.name, qualname, class_name or "", block.lineno, block.endline, block.complexity)
            yield from _flatten(block.closures, f"{qualname}.")


def _class_end_lines(blocks):
    for block in blocks:
        if isinstance(block, RadonClass):
            yield block.lineno, block.endline
            yield from _class_end_lines(getattr(block, "inner_classes", []))
        elif isinstance(block, RadonFunction):
            yield from _class_end_lines(block.closures)


class DefinitionExtractor(Extractor):
    facts_field = "classes"
    EXAMPLES = [
        Example("class A(Base, metaclass=M):\n    def a(self): pass\n    def b(self): pass\n",
                [{"name": "A", "bases": ("Base",), "method_count": 2, "line": 1, "end_line": 3}]),
        Example("@dataclass\nclass Point:\n    x: int\n", [{"name": "Point", "line": 2, "method_count": 0}]),
        Example("def f():\n    class Inner:\n        def m(self): pass\n", [{"name": "Inner", "method_count": 1}]),
        Example("def not_a_class(): pass\n", []),
    ]

    def __init__(self, context) -> None:
        super().__init__(context)
        self.classes: list[tuple[cst.ClassDef, int]] = []

    def on_ClassDef(self, node: cst.ClassDef, scope: Scope) -> None:
        methods = sum(
            1 for statement in node.body.body if isinstance(statement, cst.FunctionDef)
        ) if isinstance(node.body, cst.IndentedBlock) else 0
        bases = tuple(dotted_name(arg.value) or self.context.code(arg.value) for arg in node.bases if arg.keyword is None)
        self.context.facts.classes.append(ClassFact(node.name.value, self.context.line_of(node), 0, bases, methods))

    def on_If(self, node: cst.If, scope: Scope) -> None:
        if not scope.function and not scope.class_name and _is_main_guard(node.test):
            self.context.facts.has_main_guard = True

    def finish(self) -> None:
        facts = self.context.facts
        facts.raising = summarize(self.context.module, self.context.line_of, self.context.handler_class)
        if self.context.tree is None:
            return
        blocks = cc_visit_ast(self.context.tree)
        facts.functions = sorted(_flatten(blocks), key=lambda f: (f.line, f.qualname))
        end_lines = dict(_class_end_lines(blocks))
        for fact in facts.classes:
            fact.end_line = end_lines.get(fact.line, fact.line)


class FunctionExamples(Extractor):
    """Examples for the function facts DefinitionExtractor fills through radon."""

    facts_field = "functions"
    EXAMPLES = [
        Example("def f(x):\n    if x:\n        return 1\n    return 2\n", [{"name": "f", "qualname": "f", "complexity": 2}]),
        Example("class A:\n    def m(self):\n        for i in x:\n            if i and j:\n                pass\n",
                [{"name": "m", "qualname": "A.m", "class_name": "A", "complexity": 4, "line": 2}]),
        Example("def outer():\n    def inner():\n        pass\n", [{"qualname": "outer"}, {"qualname": "outer.inner"}]),
        Example("x = lambda: 1\n", []),
    ]
