"""`analyzer query --show` pasted into a real Neo4j Browser (headless chromium) shows the query's rows.

Needs the server and Browser that `scripts/neo4j-local.sh start` runs (NEO4J_URI, NEO4J_PASSWORD and
NEO4J_BROWSER_URL, e.g. from `. .neo4j/env`), node with playwright-core in .tools/node_modules and
chromium (scripts/test-tools.sh installs both); without one of them the test is skipped with the reason.
The screenshot is kept as test-artifacts/neo4j-browser-import-cycles.png.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from analyzer.store.neo4j import Neo4jStore
from tests.conftest import FIXTURE_REPO

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("neo4j_browser.js")
ARTIFACTS = ROOT / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _requirements() -> tuple[str, Path]:
    """node and the node_modules folder holding playwright-core; skips with the missing piece named."""
    missing = [name for name in ("NEO4J_URI", "NEO4J_PASSWORD", "NEO4J_BROWSER_URL") if not os.environ.get(name)]
    if missing:
        pytest.skip(f"{', '.join(missing)} not set: start Neo4j with Browser (scripts/neo4j-local.sh start; . .neo4j/env)")
    node, modules = shutil.which("node"), ROOT / ".tools" / "node_modules"
    if node is None or not (modules / "playwright-core" / "package.json").is_file():
        pytest.skip("needs node and playwright-core in .tools/node_modules (scripts/test-tools.sh)")
    if _chromium() is None:
        pytest.skip("no chromium: scripts/test-tools.sh installs it (apt-get install chromium)")
    return node, modules


def _chromium() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def _analyzer(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from analyzer.cli import main; main()", *args], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)}, check=False)


def _cell(text: str):
    """A Browser table cell as the value it shows: strings are quoted, numbers and booleans bare."""
    return json.loads(text)


@pytest.mark.slow
@pytest.mark.neo4j
def test_show_pasted_into_neo4j_browser_shows_the_expected_rows(tmp_path):
    node, modules = _requirements()
    name = f"t{uuid.uuid4().hex[:8]}-browser"
    scanned = _analyzer("scan", str(FIXTURE_REPO), "--store", "neo4j", "--repo", name, "--no-cache")
    assert scanned.returncode == 0, scanned.stderr
    try:
        shown = _analyzer("query", "--show", "import-cycles", "--repo", name)
        assert shown.returncode == 0, shown.stderr
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot = ARTIFACTS / "neo4j-browser-import-cycles.png"
        browser = subprocess.run([node, str(DRIVER), str(modules), str(screenshot)], input=shown.stdout,
                                 capture_output=True, text=True, timeout=300, check=False,
                                 env={**os.environ, "CHROMIUM": _chromium()})
    finally:
        store = Neo4jStore.connect()
        try:
            store.drop_repository(name)
        finally:
            store.close()
    assert browser.returncode == 0, browser.stderr[-2000:]
    table = json.loads(browser.stdout)
    expected = json.loads((FIXTURE_REPO / "expected_findings" / "import-cycles.json").read_text(encoding="utf-8"))
    assert table["columns"] == list(expected[0])
    assert [dict(zip(table["columns"], map(_cell, row))) for row in table["rows"]] == expected
    assert f"{len(expected)} records" in table["status"]
    assert screenshot.is_file() and screenshot.stat().st_size > 20_000
