"""Every query as Neo4j 5 sees it: its own Cypher linter, and its answers on the query's examples.

The linter is the node package @neo4j-cypher/language-support, looked for in
$CYPHER_LINT_MODULES (a node_modules folder), else `.tools/node_modules` in the
repository (scripts/test-tools.sh installs it there); without node or the
package the lint tests are skipped with the reason.

The examples leg scans each example repository into the Neo4j server named by
NEO4J_URI (with NEO4J_USER / NEO4J_PASSWORD or NEO4J_AUTH) and expects exactly
the rows the example lists, the rows the embedded store returns in
test_query_examples.py. tests/store/test_store_contract.py does the same for
the whole fixture repository (every query, same rows on both stores).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from analyzer import queries
from analyzer.scan import ScanOptions, scan
from analyzer.schema import NODE_TABLES, REL_TABLES
from tests.conftest import write_repo
from tests.queries.conftest import param_texts

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@neo4j-cypher/language-support"
LINT = """
const { lintCypherQuery } = require(process.argv[1] + '/@neo4j-cypher/language-support');
const { schema, texts } = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const [id, text] of Object.entries(texts)) {
  out[id] = lintCypherQuery('CYPHER 5 ' + text, schema).diagnostics
    .filter(d => !/^Parameter \\$\\w+ is not defined/.test(d.message))
    .map(d => d.message);
}
console.log(JSON.stringify(out));
"""
ALL_QUERIES = queries.load_all()
EXAMPLES = [pytest.param(query, example, id=f"{query.id}: {example.name}")
            for query in ALL_QUERIES for example in query.examples()]


def _modules() -> Path | None:
    folder = Path(os.environ.get("CYPHER_LINT_MODULES", ROOT / ".tools" / "node_modules"))
    return folder if (folder / PACKAGE / "package.json").is_file() else None


def graph_schema() -> dict[str, list[str]]:
    """The labels, relationship types and properties of analyzer/schema.py, as the linter's database schema:
    a query naming anything else is flagged (Neo4j would silently return null for it)."""
    properties = {name for table in NODE_TABLES for name in table.columns}
    properties |= {name for rel in REL_TABLES for name in rel.properties}
    return {"labels": [t.name for t in NODE_TABLES], "relationshipTypes": sorted({r.name for r in REL_TABLES}),
            "propertyKeys": sorted(properties)}


def lint(texts: dict[str, str]) -> dict[str, list[str]]:
    """The linter's messages per text (undeclared-parameter notes dropped: parameters come at run time)."""
    node, modules = shutil.which("node"), _modules()
    if node is None or modules is None:
        pytest.skip(f"needs node and {PACKAGE} (scripts/test-tools.sh, or set CYPHER_LINT_MODULES "
                    "to its node_modules folder)")
    result = subprocess.run([node, "-e", LINT, str(modules)], input=json.dumps({"schema": graph_schema(), "texts": texts}), capture_output=True,
                            text=True, timeout=120, check=True)
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def diagnostics() -> dict[str, list[str]]:
    """One node process lints the whole library."""
    return lint({query.id: query.cypher for query in ALL_QUERIES})


@pytest.mark.slow
@pytest.mark.parametrize("query", ALL_QUERIES, ids=lambda q: q.id)
def test_query_passes_the_neo4j_linter(query, diagnostics):
    assert diagnostics[query.id] == []


@pytest.mark.slow
def test_the_linter_reports_what_neo4j_rejects():
    found = lint({"syntax": "MATCH (n RETURN n", "schema": "MATCH (m:Modul) RETURN m.pth AS p",
                  "valid": "MATCH (m:Module {snapshot: $snapshot}) RETURN m.path AS path"})
    assert found["syntax"] and found["valid"] == []
    assert [message.split(" is not present")[0] for message in found["schema"]] == ["Label Modul", "pth"]


# --- the examples on Neo4j ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def neo4j_store():
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set: the Neo4j leg needs a server "
                    "(docker compose up -d; NEO4J_URI=bolt://localhost:7687 NEO4J_PASSWORD=...)")
    from analyzer.store.neo4j import Neo4jStore

    store = Neo4jStore.connect(uri)
    yield uri, store
    store.close()


@pytest.mark.slow
@pytest.mark.neo4j
@pytest.mark.parametrize(("query", "example"), EXAMPLES)
def test_example_returns_its_rows_on_neo4j(query, example, neo4j_store, tmp_path):
    uri, store = neo4j_store
    name = f"t{uuid.uuid4().hex[:8]}-{query.id}"  # the server is shared: a repository of our own
    repo = write_repo(tmp_path / "repo", example.files)
    scan(ScanOptions(repo=repo, store=uri, use_cache=False, jobs=1, repository=name))
    try:
        result = store.query(query.cypher, query.bind(param_texts(example.params)), name)
    finally:
        store.drop_repository(name)
    assert result.dicts() == example.rows
