"""scripts/neo4j-local.sh: the local Neo4j without Docker that CI starts before the tests (.ci/run).

Starting a second server here would cost a JVM; these check what the script promises around it: `stop` ends
only the process it started, `status` reports the running one with the settings the tests use, and a
missing Java is a clear error with its own exit code.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "neo4j-local.sh"


def _script(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **env})


def test_stop_ends_only_the_server_it_started(tmp_path):
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / "neo4j.pid").write_text(f"{stranger.pid}\n")  # a pid file naming someone else's process
        stopped = _script("stop", NEO4J_LOCAL_DIR=str(tmp_path))
        assert stopped.returncode == 0 and "not running" in stopped.stderr
        assert stranger.poll() is None  # still alive
        assert not (tmp_path / "neo4j.pid").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_status_without_a_server_says_so(tmp_path):
    status = _script("status", NEO4J_LOCAL_DIR=str(tmp_path))
    assert (status.returncode, status.stdout, status.stderr.strip()) == (1, "", "neo4j-local: not running")


def test_start_without_java_is_a_clear_error(tmp_path):
    started = _script("start", NEO4J_LOCAL_DIR=str(tmp_path), NEO4J_LOCAL_JAVA=str(tmp_path / "no-java"))
    assert started.returncode == 3 and "no java" in started.stderr
    assert not (tmp_path / "neo4j.pid").exists()


def test_an_unknown_command_prints_the_usage():
    result = _script("restart")
    assert result.returncode == 2 and "usage:" in result.stderr and "start|stop|status" in result.stderr


@pytest.mark.neo4j
def test_status_reports_the_running_server_the_tests_use():
    folder = Path(os.environ.get("NEO4J_LOCAL_DIR", ROOT / ".neo4j"))
    if not (folder / "neo4j.pid").is_file() or not os.environ.get("NEO4J_URI"):
        pytest.skip("no server started by scripts/neo4j-local.sh here (.ci/run starts one)")
    status = _script("status")
    assert status.returncode == 0, status.stderr
    settings = dict(line.removeprefix("export ").split("=", 1) for line in status.stdout.splitlines())
    assert settings["NEO4J_URI"] == os.environ["NEO4J_URI"] and settings["NEO4J_URI"].startswith("bolt://127.0.0.1:")
    assert settings["NEO4J_PASSWORD"] == os.environ["NEO4J_PASSWORD"] and len(settings["NEO4J_PASSWORD"]) == 32
    assert settings["NEO4J_BROWSER_URL"].startswith("http://127.0.0.1:") and settings["NEO4J_BROWSER_URL"].endswith(
        "/browser/")
