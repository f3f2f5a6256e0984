"""The config queries are valid Neo4j 5 Cypher, checked with Neo4j's own linter (@neo4j-cypher/language-support).

The linter is a node package; the test looks for it in $CYPHER_LINT_MODULES
(a node_modules folder), else `.tools/node_modules` in the repository, and is
skipped with the reason when node or the package is missing. Install with
`npm install --prefix .tools @neo4j-cypher/language-support@2.0.0-next.38`.
LadybugDB runs the same queries in test_queries.py and test_fixture_config.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

import queries

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@neo4j-cypher/language-support"
LINT = """
const { lintCypherQuery } = require(process.argv[1] + '/@neo4j-cypher/language-support');
const texts = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = {};
for (const [id, text] of Object.entries(texts)) {
  out[id] = lintCypherQuery('CYPHER 5 ' + text, {}).diagnostics
    .filter(d => !/^Parameter \\$\\w+ is not defined/.test(d.message))
    .map(d => d.message);
}
console.log(JSON.stringify(out));
"""


def _modules() -> Path | None:
    folder = Path(os.environ.get("CYPHER_LINT_MODULES", ROOT / ".tools" / "node_modules"))
    return folder if (folder / PACKAGE / "package.json").is_file() else None


@pytest.mark.slow
def test_config_queries_pass_the_neo4j_linter():
    node, modules = shutil.which("node"), _modules()
    if node is None or modules is None:
        pytest.skip(f"needs node and {PACKAGE} (set CYPHER_LINT_MODULES to its node_modules folder)")
    texts = {q.id: q.cypher for q in queries.load_all() if q.id.startswith("config-")}
    result = subprocess.run([node, "-e", LINT, str(modules)], input=json.dumps(texts), capture_output=True,
                            text=True, timeout=120, check=True)
    diagnostics = json.loads(result.stdout)
    assert diagnostics == {query_id: [] for query_id in texts}


@pytest.mark.slow
def test_the_linter_harness_reports_an_invalid_query():
    node, modules = shutil.which("node"), _modules()
    if node is None or modules is None:
        pytest.skip(f"needs node and {PACKAGE}")
    result = subprocess.run([node, "-e", LINT, str(modules)], input=json.dumps({"bad": "MATCH (n RETURN n"}),
                            capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout)["bad"]
