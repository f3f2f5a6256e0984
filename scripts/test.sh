#!/usr/bin/env bash
# Set everything up and run the whole test suite. Extra arguments go to pytest
# (e.g. `-m "not slow"` for the quick subset).
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 2
bash scripts/test-tools.sh
.venv/bin/python -m pytest -n 2 "$@"
status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: that is a failure" >&2
    exit 1
fi
exit "$status"
