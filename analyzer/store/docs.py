"""docs/graph.md, generated from the schema (analyzer/schema.py): every label, relationship and property.

Regenerate with `python -m analyzer.store.docs` (`--check` exits 1 when stale); a test fails when it is stale.
"""

from __future__ import annotations

from pathlib import Path

from analyzer.generated_docs import write_or_check
from analyzer.schema import NODE_TABLES, REL_TABLES

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "graph.md"

INTRO = """\
# The code graph

Generated from `analyzer/schema.py` by `python -m analyzer.store.docs`; do not edit by hand.

Both stores (the embedded LadybugDB file and Neo4j) hold exactly this graph. Every node carries
`id` (unique across snapshots) and `snapshot` (the scan it belongs to); relationships never cross
snapshots, so a query anchors one node on `{snapshot: $snapshot}` and the store fills `$snapshot`
with the repository's current snapshot. (The embedded store writes a rescan's difference onto a copy
of the previous snapshot, whose rows keep that snapshot's key in `snapshot` and their ids; `$snapshot`
is that key: docs/performance.md.) In Neo4j Browser, set it first:

```
:param snapshot => 'the id printed by `analyzer scan`'
```
"""


def render() -> str:
    parts = [INTRO, "## Nodes\n"]
    for table in NODE_TABLES:
        properties = ", ".join(f"`{name}` {kind.lower()}" for name, kind in table.properties.items())
        parts.append(f"### `{table.name}`\n\n{table.doc}\n\nProperties: {properties}.\n")
    parts.append("## Relationships\n\n| relationship | from | to | properties | meaning |\n| --- | --- | --- | --- | --- |")
    for rel in REL_TABLES:
        properties = ", ".join(f"`{name}` {kind.lower()}" for name, kind in rel.properties.items()) or "-"
        parts.append(f"| `{rel.name}` | `{rel.source}` | `{rel.target}` | {properties} | {rel.doc} |")
    return "\n".join(parts) + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(DOC_PATH, render(), "python -m analyzer.store.docs", argv)


if __name__ == "__main__":
    raise SystemExit(main())
