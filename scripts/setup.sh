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
