#!/usr/bin/env bash
# Create .venv and install the project with its test dependencies (idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
# The agents' runtime (agent-graph-runtime, import agent_runtime) first: the analyzer depends on it
# and it is not on any public index, so pip must find it installed already.
.venv/bin/python -m pip install -q -e ./runtime
.venv/bin/python -m pip install -q -e '.[dev]'
# Editable installs get no bytecode, and where PYTHONDONTWRITEBYTECODE is set (as on the CI machines) every
# process, scan worker and CLI test would compile the analyzer again (about 0.25 s CPU each). A stale .pyc is
# only ignored (Python checks the source's mtime), so this is safe to run again after edits.
.venv/bin/python -m compileall -q analyzer codemods/agent_graph_codemods runtime/agent_runtime >/dev/null
