"""The topology and report HTML in a real headless browser (Debian's chromium): no errors, every node drawn."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analyzer.cli import app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,900",
         "--virtual-time-budget=3000")


def _browser() -> str:
    found = next((path for path in map(shutil.which, BROWSERS) if path), None)
    if found is None:
        pytest.skip("no chromium: scripts/test-tools.sh installs it (apt-get install chromium)")
    return found


def _load(browser: str, page: Path) -> tuple[dict[str, str], str]:
    """The <body> data attributes after the page's scripts ran, and the browser's log."""
    done = subprocess.run([browser, *FLAGS, "--enable-logging=stderr", "--v=0", "--dump-dom", page.as_uri()],
                          capture_output=True, text=True, timeout=120, check=False)
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body, f"no DOM dumped: {done.stderr[-500:]}"
    return dict(re.findall(r'data-(\w+)="([^"]*)"', body.group(1))), done.stderr


def _console_errors(log: str) -> list[str]:
    return [line for line in log.splitlines() if "CONSOLE" in line or "Uncaught" in line]


def test_topology_html_draws_every_node_without_errors(scanned_fixture, tmp_path):
    browser = _browser()
    page = tmp_path / "topology.html"
    result = CliRunner().invoke(app, ["topology", "--store", str(scanned_fixture[0]), "--out", str(page)])
    assert result.exit_code == 0, result.output
    json_result = CliRunner().invoke(app, ["topology", "--store", str(scanned_fixture[0]), "--format", "json"])
    model = json.loads(json_result.stdout)
    drawn, log = _load(browser, page)
    assert drawn.get("errors") == "" and _console_errors(log) == []
    assert int(drawn["nodes"]) == len(model["nodes"]) + len(model["unbound_ports"]) == 27
    assert int(drawn["edges"]) == len(model["edges"])
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "topology.png"
    subprocess.run([browser, *FLAGS, f"--screenshot={screenshot}", page.as_uri()], capture_output=True,
                   timeout=120, check=False)
    assert screenshot.is_file() and screenshot.stat().st_size > 10_000


@pytest.mark.slow
def test_report_html_loads_with_diagram_and_charts(scanned_fixture, tmp_path):
    browser = _browser()
    page = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "--store", str(scanned_fixture[0]), "--format", "html", "--out", str(page)])
    assert result.exit_code == 0, result.output
    drawn, log = _load(browser, page)
    assert drawn.get("errors") == "" and _console_errors(log) == []
    assert int(drawn["nodes"]) == 27
    assert page.read_text(encoding="utf-8").count("<svg") == 2
