"""docs/graph.md is generated from the schema and current."""

from __future__ import annotations

from analyzer.store.docs import DOC_PATH, render
from analyzer.schema import NODE_TABLES, REL_TABLES


def test_graph_docs_are_current():
    assert DOC_PATH.read_text(encoding="utf-8") == render(), "docs/graph.md is stale: run `python -m analyzer.store.docs`"


def test_graph_docs_name_every_table_and_property():
    text = render()
    for table in NODE_TABLES:
        assert f"### `{table.name}`" in text
        assert all(f"`{name}`" in text for name in table.properties)
    for rel in REL_TABLES:
        assert f"| `{rel.name}` | `{rel.source}` | `{rel.target}` |" in text
