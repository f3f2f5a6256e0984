"""docs/codemods.md is generated and current; the codemod code passes its own standards."""

from __future__ import annotations

from pathlib import Path

from analyzer.extract import extract_file
from agent_graph_codemods import all_codemods
from agent_graph_codemods.docs import DOC_PATH, main, render

ROOT = Path(__file__).resolve().parents[2]
OWN_CODE = sorted((ROOT / "codemods" / "agent_graph_codemods").glob("*.py")) + [ROOT / "analyzer" / "cli" / "fix.py"]


def test_docs_are_current() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "docs/codemods.md is stale: run `python -m agent_graph_codemods.docs`"
    assert main(["--check"]) == 0


def test_docs_cover_every_codemod_and_example() -> None:
    text = render()
    for codemod in all_codemods().values():
        assert f"## {codemod.code} `{codemod.name}` ({codemod.safety})" in text
        for example in codemod.EXAMPLES:
            assert example.before.rstrip("\n") in text
            if example.after is not None:
                assert example.after.rstrip("\n") in text
    assert "Writes `main_pc_code/config/ports.yaml`" in text


def test_own_code_has_no_unexplained_bare_or_broad_except() -> None:
    """The tool scans itself: every bare or broad handler says why on its line."""
    unexplained = []
    for path in OWN_CODE:
        data = path.read_bytes()
        lines = data.decode().splitlines()
        for fact in extract_file(path.name, data).excepts:
            if fact.kind in ("bare", "broad") and "#" not in lines[fact.line - 1]:
                unexplained.append(f"{path.relative_to(ROOT)}:{fact.line}: {lines[fact.line - 1].strip()}")
    assert unexplained == []

