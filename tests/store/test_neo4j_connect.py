"""Connecting to Neo4j: a server that is down, absent, not Neo4j or refusing us is one clear error, never a traceback.

These run everywhere, against real sockets on this machine; no Neo4j server is needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from analyzer.store import StoreError, open_store
from analyzer.store.neo4j import Neo4jStore, _credentials
from tests.conftest import write_repo

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again when the block ends: nothing listens there


class _Listener:
    """A TCP server on localhost that is not Neo4j: it answers `reply` to anyone, or nothing at all."""

    def __init__(self, reply: bytes | None) -> None:
        self.reply = reply
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.server.settimeout(0.2)
        held = []
        while not self.stop.is_set():
            try:
                client, _ = self.server.accept()
            except TimeoutError:
                continue
            if self.reply is None:
                held.append(client)  # accept and stay silent
            else:
                client.sendall(self.reply)
                client.close()
        for client in held:
            client.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join()
        self.server.close()


@pytest.mark.parametrize("scheme", ["bolt", "neo4j"])
def test_a_closed_port_is_a_clear_store_error(scheme):
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"not reachable \(is the server running") as caught:
        Neo4jStore.connect(f"{scheme}://127.0.0.1:{_closed_port()}")
    assert "\n" not in str(caught.value)
    assert time.monotonic() - started < 5


def test_an_unknown_host_is_a_clear_store_error():
    with pytest.raises(StoreError, match="not reachable") as caught:
        Neo4jStore.connect("bolt://no-such-neo4j-host.invalid:7687")
    assert "no-such-neo4j-host.invalid" in str(caught.value)


def test_a_server_that_is_not_neo4j_is_a_clear_store_error():
    listener = _Listener(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
    try:
        with pytest.raises(StoreError, match=f"127.0.0.1:{listener.port}"):
            Neo4jStore.connect(f"bolt://127.0.0.1:{listener.port}")
    finally:
        listener.close()


def test_a_silent_server_times_out_with_a_clear_store_error():
    listener = _Listener(None)
    started = time.monotonic()
    try:
        with pytest.raises(StoreError, match="not reachable"):
            Neo4jStore.connect(f"bolt://127.0.0.1:{listener.port}", connect_timeout=1.0)
    finally:
        listener.close()
    assert time.monotonic() - started < 10


def test_open_store_dispatches_urls_to_neo4j(monkeypatch):
    port = _closed_port()
    with pytest.raises(StoreError, match=f"Neo4j at bolt://127.0.0.1:{port}"):
        open_store(f"bolt://127.0.0.1:{port}")
    monkeypatch.setenv("NEO4J_URI", f"neo4j://127.0.0.1:{port}")
    with pytest.raises(StoreError, match=f"Neo4j at neo4j://127.0.0.1:{port}"):
        open_store("neo4j")


def test_credentials_from_the_environment(monkeypatch):
    for name in ("NEO4J_USER", "NEO4J_PASSWORD", "NEO4J_AUTH"):
        monkeypatch.delenv(name, raising=False)
    assert _credentials() == ("neo4j", None)
    monkeypatch.setenv("NEO4J_AUTH", "admin/s3cret/with-slash")  # the compose file's format
    assert _credentials() == ("admin", "s3cret/with-slash")
    monkeypatch.setenv("NEO4J_USER", "reader")
    monkeypatch.setenv("NEO4J_PASSWORD", "other")
    assert _credentials() == ("reader", "other")


def test_a_bad_batch_size_is_a_clear_store_error(monkeypatch):
    monkeypatch.setenv("ANALYZER_NEO4J_BATCH_ROWS", "lots")
    with pytest.raises(StoreError, match="ANALYZER_NEO4J_BATCH_ROWS"):
        Neo4jStore.connect("bolt://127.0.0.1:1")


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-c", "from analyzer.cli import main; main()", *args],
                          capture_output=True, text=True, env=environment, timeout=60)


def test_cli_scan_against_a_down_server_exits_2_with_one_error(tmp_path):
    repo = write_repo(tmp_path / "repo", {"a.py": "import zmq\n"})
    result = _cli("scan", str(repo), "--store", f"bolt://127.0.0.1:{_closed_port()}", "--no-cache")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: Neo4j at bolt://127.0.0.1:")
    assert "not reachable" in " ".join(result.stderr.split())


def test_cli_scan_with_store_neo4j_needs_neo4j_uri(tmp_path):
    repo = write_repo(tmp_path / "repo", {"a.py": "import zmq\n"})
    environment = {k: v for k, v in os.environ.items() if k != "NEO4J_URI"}
    result = subprocess.run([sys.executable, "-c", "from analyzer.cli import main; main()", "scan", str(repo),
                             "--store", "neo4j", "--no-cache"], capture_output=True, text=True,
                            env={**environment, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 2 and "NEO4J_URI" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.neo4j
def test_wrong_password_is_a_clear_store_error(monkeypatch):
    uri = os.environ.get("NEO4J_URI")
    if not uri:
        pytest.skip("NEO4J_URI is not set: needs a Neo4j server")
    monkeypatch.setenv("NEO4J_USER", os.environ.get("NEO4J_USER", "neo4j"))
    monkeypatch.setenv("NEO4J_PASSWORD", "definitely-not-the-password")
    with pytest.raises(StoreError, match="refused the credentials"):
        Neo4jStore.connect(uri)
