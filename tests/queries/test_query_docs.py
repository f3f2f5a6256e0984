"""docs/queries.md is what queries/docs.py renders from the library now: regenerate it when a query changes."""

from __future__ import annotations

from analyzer import queries
from analyzer.queries import docs


def test_docs_are_up_to_date():
    on_disk = docs.DOC_PATH.read_text(encoding="utf-8") if docs.DOC_PATH.is_file() else ""
    assert on_disk == docs.render(), "docs/queries.md is stale: run `python -m analyzer.queries.docs`"


def test_every_query_has_its_section_summary_row_cypher_and_examples():
    text = docs.render()
    for query in queries.load_all():
        section = text.split(f"\n## {query.id}\n\n")[1].split("\n## ")[0]
        assert section.startswith(f"**{query.title}** — severity `{query.severity}`, category `{query.category}`")
        assert f"**What it finds.** {query.what}\n\n**Why it matters.** {query.why}\n\n**How to fix.** {query.fix}" \
            in section
        assert f"Message: `{query.message}`" in section
        assert (f"| [`{query.id}`](#{query.id}) | {query.category} | {query.kind} | {query.severity} | {query.title} |"
                in text)
        assert query.cypher in text
        for example in query.examples():
            assert f"#### {'Flags' if example.flags else 'Passes'}: {example.name}\n" in text


def test_an_example_is_shown_with_its_files_params_and_rows():
    section = docs.render().split("\n## god-objects\n")[1].split("\n## ")[0]
    assert "| `min_methods` | `60` |" in section
    assert "Parameters: `min_methods = 3`" in section
    assert "```python\nclass BigAgent:\n" in section
    assert "| main_pc_code/agents/big_agent.py | 1 | BigAgent | 3 |" in section
    assert section.count("Returns no rows.") == 1


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(docs, "DOC_PATH", tmp_path / "queries.md")
    assert docs.main(["--check"]) == 1
    assert "is stale" in capsys.readouterr().err
    assert docs.main([]) == 0 and docs.main(["--check"]) == 0
