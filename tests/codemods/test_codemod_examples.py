"""Tests generated from every codemod's own examples and metadata."""

from __future__ import annotations

import pytest

from agent_graph_codemods import SAFE, UNSAFE, CodemodError, all_codemods, select
from agent_graph_codemods.base import Codemod, Example, apply_to_source, parse_checked

CASES = [
    pytest.param(codemod, example, id=f"{name}-{index}")
    for name, codemod in all_codemods().items()
    for index, example in enumerate(codemod.EXAMPLES)
]


@pytest.mark.parametrize(("codemod", "example"), CASES)
def test_example(codemod: type[Codemod], example: Example) -> None:
    result = apply_to_source(codemod(example.options), example.before, example.path)
    expected = example.before if example.after is None else example.after
    assert result.code == expected
    if example.after is None:
        assert result.edits == []
    else:
        assert result.edits, "a changing example must report its sites"
        assert all(edit.line >= 1 for edit in result.edits)
        parse_checked(result.code.encode(), example.path)


@pytest.mark.parametrize(("codemod", "example"), [c for c in CASES if c.values[1].after is not None])
def test_example_is_idempotent(codemod: type[Codemod], example: Example) -> None:
    again = apply_to_source(codemod(example.options), example.after, example.path)
    assert again.code == example.after
    assert again.edits == []


@pytest.mark.parametrize("codemod", list(all_codemods().values()), ids=list(all_codemods()))
def test_metadata(codemod: type[Codemod]) -> None:
    assert codemod.safety in (SAFE, UNSAFE)
    assert codemod.code.startswith("FIX") and codemod.code[3:].isdigit()
    for text in (codemod.summary, codemod.what_it_does, codemod.why):
        assert text.strip()
    assert any(e.after is not None for e in codemod.EXAMPLES), "needs a before/after example"
    assert any(e.after is None for e in codemod.EXAMPLES), "needs a should-not-change example"
    for example in codemod.EXAMPLES:
        assert set(example.options) <= set(codemod.OPTIONS)


def test_codes_and_names_are_unique() -> None:
    codemods = list(all_codemods().values())
    assert len({c.code for c in codemods}) == len(codemods)
    assert [c.name for c in codemods] == list(all_codemods())
    assert {"bare-except", "port-literals", "asyncio-run"} <= set(all_codemods())


def test_select() -> None:
    assert [c.name for c in select("all", include_unsafe=False)] == ["bare-except", "asyncio-run", "narrow-excepts"]
    assert [c.name for c in select("asyncio-run, bare-except")] == ["asyncio-run", "bare-except"]
    with pytest.raises(CodemodError, match="no codemod named 'nope'"):
        select("nope")


def test_unknown_option_is_refused() -> None:
    codemod = all_codemods()["bare-except"]
    with pytest.raises(CodemodError, match="no option"):
        codemod({"nope": "1"})
    with pytest.raises(CodemodError, match="true or false"):
        codemod({"log_swallowed": "maybe"})
