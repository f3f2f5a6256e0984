"""agent_runtime.ports: ports.yaml loading, validation, env overrides, endpoints and bind()."""

from __future__ import annotations

import runpy
import socket as pysocket
from pathlib import Path

import pytest
import zmq

from agent_runtime import ports
from agent_runtime.ports import (
    DuplicateNameError,
    DuplicatePortError,
    PortInUseError,
    PortRegistryError,
    PortsFileNotFound,
    UnknownPortError,
    bind,
    endpoint,
    get_port,
    load_registry,
)

REGISTRY = """\
ports:
  TRANSLATOR_REP:
    port: 5563
    machine: main_pc_code
    owner: main_pc_code/agents/translator.py
    socket: REP
  TTS_PUB:
    port: 5564
"""


def free_tcp_port() -> int:
    with pysocket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_load_registry_reads_every_field(ports_file):
    path = ports_file(REGISTRY)
    registry = load_registry()
    entry = registry["TRANSLATOR_REP"]
    assert (entry.port, entry.machine, entry.owner, entry.socket) == (
        5563, "main_pc_code", "main_pc_code/agents/translator.py", "REP")
    assert registry["TTS_PUB"].machine is None
    assert registry.path == path
    assert sorted(registry) == ["TRANSLATOR_REP", "TTS_PUB"]


def test_get_port_and_endpoint(ports_file):
    ports_file(REGISTRY)
    assert get_port("TRANSLATOR_REP") == 5563
    assert get_port("translator-rep") == 5563  # same normalisation as the env variable names
    assert endpoint("TRANSLATOR_REP") == "tcp://*:5563"
    assert endpoint("TTS_PUB", host="127.0.0.1") == "tcp://127.0.0.1:5564"


def test_env_override_wins_and_is_validated(ports_file, monkeypatch):
    ports_file(REGISTRY)
    monkeypatch.setenv("PORT_TRANSLATOR_REP", "6000")
    assert get_port("TRANSLATOR_REP") == 6000
    assert load_registry()["TRANSLATOR_REP"].port == 6000
    monkeypatch.setenv("PORT_TRANSLATOR_REP", "70000")
    with pytest.raises(PortRegistryError, match="PORT_TRANSLATOR_REP.*outside 1..65535"):
        get_port("TRANSLATOR_REP")
    monkeypatch.setenv("PORT_TRANSLATOR_REP", "abc")
    with pytest.raises(PortRegistryError, match="must be an integer"):
        get_port("TRANSLATOR_REP")


def test_env_override_name_normalisation(ports_file, monkeypatch):
    ports_file(REGISTRY)
    monkeypatch.setenv("PORT_MODEL_SERVER_2", "7001")
    assert get_port("model-server.2") == 7001  # not in the file: env alone is enough


def test_env_override_that_collides_is_refused(ports_file, monkeypatch):
    ports_file(REGISTRY)
    monkeypatch.setenv("PORT_TTS_PUB", "5563")
    with pytest.raises(DuplicatePortError, match=r"TRANSLATOR_REP \(line 2\) and TTS_PUB"):
        load_registry()


def test_same_port_on_one_machine_names_both(ports_file):
    ports_file("""\
        ports:
          TRANSLATOR_REP: {port: 5563, machine: pc1}
          STT_REP: {port: 5563, machine: pc1}
    """)
    with pytest.raises(DuplicatePortError) as info:
        load_registry()
    assert info.value.names == ("TRANSLATOR_REP", "STT_REP")
    assert "TRANSLATOR_REP" in str(info.value) and "STT_REP" in str(info.value)
    assert "pc1" in str(info.value)


def test_same_port_on_two_machines_is_fine(ports_file):
    ports_file("""\
        ports:
          TRANSLATOR_REP: {port: 5563, machine: pc1}
          STT_REP: {port: 5563, machine: pc2}
    """)
    assert len(load_registry()) == 2


def test_entry_without_machine_collides_with_any_machine(ports_file):
    ports_file("""\
        ports:
          TRANSLATOR_REP: {port: 5563, machine: pc1}
          STT_REP: {port: 5563}
    """)
    with pytest.raises(DuplicatePortError, match=r"TRANSLATOR_REP \(line 2\) and STT_REP"):
        load_registry()


def test_duplicate_name_is_refused_with_lines(ports_file):
    ports_file("""\
        ports:
          TRANSLATOR_REP:
            port: 5563
          TRANSLATOR_REP:
            port: 5570
    """)
    with pytest.raises(DuplicateNameError, match=r"'TRANSLATOR_REP' appears twice \(lines 2 and 4\)"):
        load_registry()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ports:\n  translator_rep: {port: 5563}\n", "not UPPER_SNAKE_CASE"),
        ("ports:\n  A: {port: 0}\n", "outside 1..65535"),
        ("ports:\n  A: {port: 65536}\n", "outside 1..65535"),
        ("ports:\n  A: {port: true}\n", "must be an integer"),
        ("ports:\n  A: {machine: pc1}\n", "needs a 'port:' field"),
        ("ports:\n  A: {port: 1, colour: red}\n", "unknown field .colour."),
        ("services: {}\n", "top-level 'ports:'"),
        ("ports: [\n", "not valid YAML"),
    ],
)
def test_malformed_files_are_refused(ports_file, text, message):
    ports_file(text)
    with pytest.raises(PortRegistryError, match=message):
        load_registry()


def test_unknown_name(ports_file):
    ports_file(REGISTRY)
    with pytest.raises(UnknownPortError, match="no port named NOPE .* no PORT_NOPE set"):
        get_port("NOPE")
    assert "NOPE" not in load_registry()


def test_file_is_found_upward_from_the_calling_module(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENT_PORTS_FILE", raising=False)
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "ports.yaml").write_text(REGISTRY)
    agent = tmp_path / "main_pc_code" / "agents" / "translator.py"
    agent.parent.mkdir(parents=True)
    agent.write_text("from agent_runtime.ports import get_port\nPORT = get_port('TRANSLATOR_REP')\n")
    monkeypatch.chdir("/")
    assert runpy.run_path(str(agent))["PORT"] == 5563


def test_file_is_found_upward_from_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("AGENT_PORTS_FILE", raising=False)
    project = tmp_path / "project"
    (project / "config").mkdir(parents=True)
    (project / "config" / "ports.yaml").write_text(REGISTRY)
    (project / "deep" / "er").mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere" / "agent.py"  # no config/ above it
    elsewhere.parent.mkdir()
    elsewhere.write_text("from agent_runtime.ports import get_port\nPORT = get_port('TTS_PUB')\n")
    monkeypatch.chdir(project / "deep" / "er")
    assert runpy.run_path(str(elsewhere))["PORT"] == 5564


def test_missing_file_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENT_PORTS_FILE", str(tmp_path / "nope.yaml"))
    with pytest.raises(PortsFileNotFound, match="AGENT_PORTS_FILE"):
        load_registry()
    monkeypatch.delenv("AGENT_PORTS_FILE")
    with pytest.raises(PortsFileNotFound, match="config/ports.yaml"):
        ports.find_ports_file(Path("/"))


def test_reload_after_edit(ports_file):
    path = ports_file(REGISTRY)
    assert get_port("TTS_PUB") == 5564
    path.write_text(REGISTRY.replace("5564", "5599"))
    assert get_port("TTS_PUB") == 5599


def test_bind_uses_registered_port(ports_file):
    port = free_tcp_port()
    ports_file(f"ports:\n  TRANSLATOR_REP: {{port: {port}, owner: agents/translator.py}}\n")
    context = zmq.Context()
    sock = context.socket(zmq.REP)
    try:
        assert bind(sock, "TRANSLATOR_REP", host="127.0.0.1") == f"tcp://127.0.0.1:{port}"
    finally:
        sock.close(linger=0)
        context.term()


def test_bind_twice_names_the_owner(ports_file):
    context = zmq.Context()
    first, second = context.socket(zmq.REP), context.socket(zmq.REP)
    try:
        port = first.bind_to_random_port("tcp://127.0.0.1")
        ports_file(f"""\
            ports:
              TRANSLATOR_REP:
                port: {port}
                machine: main_pc_code
                owner: main_pc_code/agents/translator.py
                socket: REP
        """)
        with pytest.raises(PortInUseError) as info:
            bind(second, "TRANSLATOR_REP", host="127.0.0.1")
        error = info.value
        assert error.port == port and error.name == "TRANSLATOR_REP"
        assert "main_pc_code/agents/translator.py" in str(error)
        assert f"port {port} (TRANSLATOR_REP) is already in use" in str(error)
        assert isinstance(error.__cause__, zmq.ZMQError)
    finally:
        first.close(linger=0)
        second.close(linger=0)
        context.term()


def test_ephemeral_range_is_read():
    low, high = ports.ephemeral_range()
    assert 1 <= low <= high <= 65535
    assert ports.is_ephemeral(low) and not ports.is_ephemeral(low - 1)
