"""docs/queries.md, generated from each query's metadata header and its examples.

Regenerate with `python -m analyzer.queries.docs` (from the repository root); `--check`
exits 1 when the file on disk is stale, and tests/queries/test_query_docs.py fails then.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyzer.generated_docs import write_or_check
from analyzer import queries
from analyzer.queries import Example, Query

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "queries.md"
FENCE_LANGUAGES = {".py": "python", ".yaml": "yaml", ".yml": "yaml", ".json": "json", ".toml": "toml",
                   ".cfg": "ini", ".ini": "ini", ".sh": "bash"}

USAGE = """\
```
analyzer query --list [--format table|json|csv|markdown]
analyzer query NAME [--param NAME=VALUE ...] [--store PATH|bolt://...] [--repo NAME]
                    [--format table|json|csv|markdown]
analyzer query --show NAME [--param NAME=VALUE ...]
analyzer query --cypher "MATCH ..." [--param NAME=VALUE ...]
```

- The query runs against the current snapshot of the store `analyzer scan` wrote (default `.analyzer/store`,
  or env `ANALYZER_STORE`; `--store bolt://host:7687` or `--store neo4j` for a Neo4j server). `$snapshot` is
  filled in; `--repo` picks the repository when the store holds several.
- Rows come in the query's own order: every query sorts on all its columns, so two runs on the same graph print
  the same rows. Ad-hoc `--cypher` rows are sorted on all columns unless the text has its own `ORDER BY`.
- `--param` overrides a default listed below, converted to the default's type; for `--cypher`, a value that
  parses as JSON (`42`, `true`, `"5556"`, `[1, 2]`) is passed as such, anything else as text.
- `--format json` prints a list of objects (one per row, keys in column order); `csv` and `markdown` print a
  header row, lists as JSON; `table` is for reading.
- `ANALYZER_QUERIES=DIR` reads the whole library from DIR instead of the bundled one: copy `queries/`, add
  a rule as one `.cypher` file with its `.examples.yaml`, and `query`, `check`, the report and SARIF use it.
- Exit codes: 0 when the query ran, with or without rows; 2 on an error (unknown query or parameter, a store
  never scanned, a Cypher error), reported in one line. `analyzer check` is the command that fails on findings.

### In Neo4j Browser

`analyzer query --show NAME` prints the query after `:param` lines that set `$snapshot` (the store's current
snapshot, when it can be read) and the query's parameters. Paste the whole text into Browser: its
multi-statement editor runs the `:param` lines, then the query. Every query here is valid Neo4j 5 Cypher
(checked by Neo4j's own linter in tests/queries/test_query_lint.py) and returns the same rows on the embedded
store and on Neo4j.
"""


def _fence(language: str, text: str) -> list[str]:
    fence = "````" if "```" in text else "```"
    return [fence + language, text.rstrip("\n"), fence]


def _cell(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict, bool)) or value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(columns: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |",
            *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows)]


def _example(query: Query, example: Example) -> list[str]:
    lines = [f"#### {'Flags' if example.flags else 'Passes'}: {example.name}", ""]
    if example.params:
        lines += ["Parameters: " + ", ".join(f"`{k} = {v!r}`" for k, v in example.params.items()), ""]
    for path, content in example.files.items():
        lines += [f"`{path}`:", "", *_fence(FENCE_LANGUAGES.get(Path(path).suffix, "text"), content), ""]
    if example.flags:
        columns = list(query.columns) or list(example.rows[0])
        lines += ["Returns:", "", *_table(columns, [[row.get(c) for c in columns] for row in example.rows]), ""]
    else:
        lines += ["Returns no rows.", ""]
    return lines


def _section(query: Query) -> list[str]:
    facts = [f"severity `{query.severity}`", f"category `{query.category}`", f"precision `{query.precision}`",
             query.kind]
    if query.tags:
        facts.append("tags " + ", ".join(f"`{tag}`" for tag in query.tags))
    fix = query.fix + (f" Fixed by `analyzer fix {query.fixed_by}`." if query.fixed_by else "")
    lines = [f"## {query.id}", "", f"**{query.title}** — " + ", ".join(facts) + ".", "",
             f"**What it finds.** {query.what}", "", f"**Why it matters.** {query.why}", "",
             f"**How to fix.** {fix}", "", f"Message: `{query.message}`", ""]
    if query.params:
        lines += ["| parameter | default |", "| --- | --- |",
                  *(f"| `{name}` | `{value!r}` |" for name, value in query.params.items()), ""]
    if query.columns:
        lines += ["Columns: " + ", ".join(f"`{c}`" for c in query.columns) + ".", ""]
    if query.location:
        lines += [f"Location: file in `{query.location[0]}`, line in `{query.location[1]}`.", ""]
    if query.identity:
        lines += ["Identity (baselines, without line numbers): " + ", ".join(f"`{c}`" for c in query.identity)
                  + ".", ""]
    lines += [*_fence("cypher", query.cypher), ""]
    examples = query.examples()
    if examples:
        lines += ["### Examples", ""]
        for example in examples:
            lines += _example(query, example)
    return lines


def render() -> str:
    library = queries.load_all()
    lines = [
        "# Queries",
        "",
        "<!-- Generated by `python -m analyzer.queries.docs` from queries/*.cypher and their examples;"
        " do not edit by hand. -->",
        "",
        "Each rule is one `.cypher` file in `queries/` whose header holds everything about it (id, title, severity,",
        "category, precision, tags, what / why / fix, the codemod that fixes it, its message, parameters, columns)",
        "and its examples in `<id>.examples.yaml`; the tests in `tests/queries/`, this page, SARIF rule help and",
        "the report's categories are generated from them. `kind: report` queries describe the system; the others",
        "are detections that `analyzer check` reports as findings.",
        "",
        "| id | category | kind | severity | title |",
        "| --- | --- | --- | --- | --- |",
        *(f"| [`{q.id}`](#{q.id}) | {q.category} | {q.kind} | {q.severity} | {q.title} |" for q in library),
        "",
        "## Usage",
        "",
        USAGE,
    ]
    for query in library:
        lines += _section(query)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(DOC_PATH, render(), "python -m analyzer.queries.docs", argv)


if __name__ == "__main__":
    raise SystemExit(main())
