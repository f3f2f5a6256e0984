#!/usr/bin/env bash
# Tools some tests use beyond the Python dependencies. Each is optional: a test
# whose tool could not be installed is skipped with the reason.
cd "$(dirname "$0")/.."
# torch 2.13.0, for the quantisation tests of runtime/agent_runtime (about 2.7 GB with its CUDA wheels).
.venv/bin/python -c "import torch" 2>/dev/null || .venv/bin/python -m pip install -q torch==2.13.0 \
    || echo "note: torch not installable here; quantisation tests will be skipped" >&2
# transformers, for loading a locally built checkpoint quantised (no downloads).
.venv/bin/python -c "import transformers" 2>/dev/null || .venv/bin/python -m pip install -q transformers \
    || echo "note: transformers not installable here; the checkpoint quantisation test will be skipped" >&2
# torchao, for the int8 path agent_runtime.quantize takes when torch lacks dynamic quantisation.
.venv/bin/python -c "import torchao" 2>/dev/null || .venv/bin/python -m pip install -q torchao \
    || echo "note: torchao not installable here; its quantisation test will be skipped" >&2
# Neo4j's own Cypher linter (node), for tests/queries/test_query_lint.py; into the git-ignored .tools/.
[ -f .tools/node_modules/@neo4j-cypher/language-support/package.json ] \
    || npm install --prefix .tools --silent @neo4j-cypher/language-support@2.0.0-next.38 >/dev/null 2>&1 \
    || echo "note: node/npm or @neo4j-cypher/language-support not installable here; the Cypher lint tests will be skipped" >&2
# playwright-core (node), to drive chromium through Neo4j Browser (tests/browser/test_neo4j_browser.py).
[ -f .tools/node_modules/playwright-core/package.json ] \
    || npm install --prefix .tools --silent playwright-core@1.65.1 >/dev/null 2>&1 \
    || echo "note: playwright-core not installable here; the Neo4j Browser test will be skipped" >&2
# Debian's chromium, for the headless-browser tests (topology HTML, Neo4j Browser).
command -v chromium >/dev/null 2>&1 \
    || { SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo); export DEBIAN_FRONTEND=noninteractive
         $SUDO apt-get install -y -q chromium >/dev/null 2>&1 \
             || { $SUDO apt-get update -q >/dev/null 2>&1 && $SUDO apt-get install -y -q chromium >/dev/null 2>&1; }; } \
    || echo "note: chromium not installable here; the browser tests will be skipped" >&2
