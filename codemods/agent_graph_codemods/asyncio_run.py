"""asyncio-run: `asyncio.get_event_loop().run_until_complete(x)` becomes `asyncio.run(x)`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeGuard

import libcst as cst

from analyzer.extract.walker import dotted_name
from agent_graph_codemods.base import SAFE, Codemod, Edit, Example, Rewrite, child_nodes, start_lines


def _is_main_guard(statement: cst.CSTNode) -> bool:
    if not isinstance(statement, cst.If) or not isinstance(statement.test, cst.Comparison):
        return False
    test = statement.test
    if len(test.comparisons) != 1 or not isinstance(test.comparisons[0].operator, cst.Equal):
        return False
    sides = [test.left, test.comparisons[0].comparator]
    names = [dotted_name(side) for side in sides]
    strings = [side.evaluated_value for side in sides if isinstance(side, cst.SimpleString)]
    return "__name__" in names and strings == ["__main__"]


def _asyncio_aliases(module: cst.Module) -> set[str]:
    """Names bound to the asyncio module by top-level `import asyncio [as x]`."""
    aliases: set[str] = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    if dotted_name(alias.name) == "asyncio":
                        bound = alias.asname.name if alias.asname is not None else alias.name
                        if isinstance(bound, cst.Name):
                            aliases.add(bound.value)
    return aliases


def _call_of(statement: cst.CSTNode) -> cst.Call | None:
    """The call a simple statement runs: `call(...)` or `target = call(...)`."""
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return None
    small = statement.body[0]
    value = small.value if isinstance(small, (cst.Expr, cst.Assign)) else None
    return value if isinstance(value, cst.Call) else None


def _method_call(call: cst.Call | None, method: str) -> cst.BaseExpression | None:
    """The receiver of `receiver.method(...)`."""
    if call is not None and isinstance(call.func, cst.Attribute) and call.func.attr.value == method:
        return call.func.value
    return None


def _is_get_event_loop(node: cst.CSTNode | None, aliases: set[str]) -> TypeGuard[cst.Call]:
    if not isinstance(node, cst.Call) or node.args:
        return False
    callee = dotted_name(node.func)
    return callee.count(".") == 1 and callee.split(".")[0] in aliases and callee.endswith(".get_event_loop")


def _name_count(module: cst.Module, name: str) -> int:
    count = 0
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value == name:
            count += 1
        stack.extend(child_nodes(node))
    return count


def _top_level_get_event_loop_count(blocks: list[list[cst.BaseStatement]]) -> int:
    count = 0
    for block in blocks:
        stack: list[cst.CSTNode] = list(block)
        while stack:
            node = stack.pop()
            if isinstance(node, cst.Attribute) and node.attr.value == "get_event_loop":
                count += 1
            if not isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)) and not _is_main_guard(node):
                stack.extend(child_nodes(node))
    return count


@dataclass
class _Site:
    call: cst.Call  # the run_until_complete call
    alias: str
    drop: cst.BaseStatement | None  # the `loop = asyncio.get_event_loop()` line to remove


class AsyncioRun(Codemod):
    name = "asyncio-run"
    code = "FIX003"
    safety = SAFE
    summary = "`asyncio.get_event_loop().run_until_complete(x)` becomes `asyncio.run(x)` at module level."
    what_it_does = (
        "At module level and directly in `if __name__ == \"__main__\":` blocks, rewrites "
        "`asyncio.get_event_loop().run_until_complete(x)` to `asyncio.run(x)`, and the two-line form "
        "`loop = asyncio.get_event_loop()` ... `loop.run_until_complete(x)` when `loop` is used nowhere "
        "else (the assignment line goes). Code inside functions, a loop variable used again "
        "(`loop.close()`, `loop.run_forever()`), or more than one `get_event_loop()` at the top level is left alone."
    )
    why = (
        "`asyncio.get_event_loop()` without a running loop is deprecated since Python 3.10 and warns or "
        "fails on 3.12+; `asyncio.run` creates the loop, runs the coroutine, cancels what is left and closes the loop."
    )
    review = "Entry points only; check that nothing after the call expected the loop to stay open."
    EXAMPLES = [
        Example(
            "import asyncio\n\nif __name__ == \"__main__\":\n"
            "    asyncio.get_event_loop().run_until_complete(main())  # start\n",
            "import asyncio\n\nif __name__ == \"__main__\":\n    asyncio.run(main())  # start\n",
            title="The one-line form in a main block",
        ),
        Example(
            "import asyncio\n\n# entry point\nloop = asyncio.get_event_loop()\n"
            "result = loop.run_until_complete(main())\nprint(result)\n",
            "import asyncio\n\n# entry point\nresult = asyncio.run(main())\nprint(result)\n",
            title="The two-line form, when the loop is not used again",
        ),
        Example(
            "import asyncio as aio\naio.get_event_loop().run_until_complete(serve(5556))\n",
            "import asyncio as aio\naio.run(serve(5556))\n",
            title="An aliased import",
        ),
        Example(
            "import asyncio\n\ndef start():\n    asyncio.get_event_loop().run_until_complete(main())\n",
            title="Not inside functions",
        ),
        Example(
            "import asyncio\n\nloop = asyncio.get_event_loop()\nloop.run_until_complete(main())\nloop.close()\n",
            title="Not when the loop variable is used again",
        ),
        Example(
            "import asyncio\n\nasyncio.get_event_loop().run_until_complete(setup())\n"
            "asyncio.get_event_loop().run_until_complete(main())\n",
            title="Not when two calls share one loop",
        ),
        Example("from asyncio import get_event_loop\nget_event_loop().run_until_complete(main())\n",
                title="Only through the asyncio module"),
    ]

    def commit_subject(self, sites: int, files: int) -> str:
        return f"start {sites} event loop{'s' * (sites != 1)} with asyncio.run in {files} file{'s' * (files != 1)}"

    def might_apply(self, data: bytes) -> bool:
        return b"run_until_complete" in data

    def rewrite(self, module: cst.Module, path: str, file_plan) -> Rewrite:
        aliases = _asyncio_aliases(module)
        if not aliases:
            return Rewrite(module)
        blocks: list[list[cst.BaseStatement]] = [list(module.body)]
        blocks += [list(s.body.body) for s in module.body if _is_main_guard(s) and isinstance(s.body, cst.IndentedBlock)]
        if _top_level_get_event_loop_count(blocks) != 1:
            return Rewrite(module)
        sites = [site for block in blocks for site in self._sites(module, block, aliases)]
        if not sites:
            return Rewrite(module)
        line_of = start_lines(module, (cst.Call,))
        edits = [Edit(line_of(site.call), f"run_until_complete -> {site.alias}.run") for site in sites]
        return Rewrite(module.visit(_Transformer(sites)), edits)

    def _sites(self, module: cst.Module, block: list[cst.BaseStatement], aliases: set[str]) -> list[_Site]:
        sites = []
        for index, statement in enumerate(block):
            call = _call_of(statement)
            receiver = _method_call(call, "run_until_complete")
            if call is None or receiver is None or len(call.args) != 1:
                continue
            if _is_get_event_loop(receiver, aliases):
                sites.append(_Site(call, dotted_name(receiver.func).split(".")[0], None))
            elif isinstance(receiver, cst.Name):
                site = self._two_line_site(module, block[:index], receiver.value, call, aliases)
                if site is not None:
                    sites.append(site)
        return sites

    @staticmethod
    def _two_line_site(module, before: list[cst.BaseStatement], loop: str, call: cst.Call, aliases) -> _Site | None:
        for statement in reversed(before):
            if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
                continue
            small = statement.body[0]
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1):
                continue
            target = small.targets[0].target
            if not (isinstance(target, cst.Name) and target.value == loop and _is_get_event_loop(small.value, aliases)):
                continue
            has_comment = statement.trailing_whitespace.comment is not None
            if has_comment or _name_count(module, loop) != 2:
                return None
            return _Site(call, dotted_name(small.value.func).split(".")[0], statement)
        return None


class _Transformer(cst.CSTTransformer):
    def __init__(self, sites: list[_Site]) -> None:
        super().__init__()
        self.calls = {site.call: site for site in sites}
        self.drops = {site.drop for site in sites if site.drop is not None}

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        site = self.calls.get(original_node)
        if site is None:
            return updated_node
        return updated_node.with_changes(func=cst.Attribute(cst.Name(site.alias), cst.Name("run")))

    def leave_Module(self, original_node, updated_node):
        return updated_node.with_changes(body=self._drop(original_node.body, updated_node.body))

    def leave_IndentedBlock(self, original_node, updated_node):
        return updated_node.with_changes(body=self._drop(original_node.body, updated_node.body))

    def _drop(self, originals, updated):
        """Remove dropped lines; their leading comments and blank lines move to the next line."""
        if not self.drops:
            return updated
        body, carried = [], []
        for original, statement in zip(originals, updated):
            if original in self.drops:
                carried.extend(original.leading_lines)
                continue
            if carried:
                statement = statement.with_changes(leading_lines=[*carried, *statement.leading_lines])
                carried = []
            body.append(statement)
        return body
