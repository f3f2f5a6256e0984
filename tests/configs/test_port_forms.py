"""Every way the code writes a port, resolved to a number with its source and confidence, and the machine a
connect reaches: analyzer/extract/zmq.py's references through analyzer/endpoints.py."""

from __future__ import annotations

import pytest

from analyzer.config import ConfigError, ScanConfig, load_scan_config
from analyzer.configs import read_deployment
from analyzer.endpoints import resolve_endpoints
from analyzer.scan import ScanOptions, scan
from analyzer.store import open_store
from tests.configs.conftest import python_facts
from tests.conftest import write_repo

FORMS = '''\
import os

import zmq

import common.ports as cp
from common import ports
from common.ports import TRANSLATOR_PORT as TP
from common.service_ports import get_service_port
from runtime.ports import get_port

PORT = 5701
BASE = 5700


def serve(port=5740):
    zmq.Context().socket(zmq.REP).bind(f"tcp://*:{port}")  # other-function-default


class Forms:
    LOCAL = 5702

    def __init__(self, port=5710, backup=None, agent=None, opts=None):
        self.port = port
        self.backup = backup
        self.mode = 5720
        self.s = zmq.Context().socket(zmq.REP)
        self.agent = agent or {}
        self.opts = opts

    def reset(self):
        self.mode = 5721

    def run(self):
        local = 5703
        self.s.bind("tcp://*:5700")  # literal
        self.s.bind(f"tcp://*:{PORT}")  # module-constant
        self.s.bind(f"tcp://*:{self.LOCAL}")  # class-constant
        self.s.bind(f"tcp://*:{local}")  # local-constant
        self.s.bind(f"tcp://*:{TP}")  # imported-alias
        self.s.bind(f"tcp://*:{ports.MEMORY_PORT}")  # module-attribute
        self.s.bind(f"tcp://*:{cp.MEMORY_PORT + 2}")  # aliased-module-arithmetic
        self.s.bind(f"tcp://*:{BASE + 4}")  # arithmetic
        self.s.bind(f"tcp://*:{self.port}")  # constructor-default
        self.s.bind(f"tcp://*:{self.mode}")  # several-assignments
        self.s.bind(f"tcp://*:{self.backup if self.backup else 5642}")  # conditional-default
        self.s.bind(f"tcp://*:{self.backup or 5643}")  # or-default
        self.s.bind(f"tcp://*:{getattr(self.opts, 'x_port', 5600)}")  # getattr-default
        self.s.bind(f"tcp://*:{os.environ.get('FORMS_PORT', 5650)}")  # env-default
        self.s.bind(f"tcp://*:{os.getenv('UNSET_PORT', '5651')}")  # getenv-default
        self.s.bind(f"tcp://*:{os.environ.get('SET_PORT', 5652)}")  # env-set
        self.s.bind(f"tcp://*:{get_service_port('VISION', 5611)}")  # helper-default
        self.s.bind(f"tcp://*:{get_service_port('SPEECH', 5612)}")  # helper-env
        self.s.bind(f"tcp://*:{get_port('TTS_REP')}")  # registry
        self.s.bind(f"tcp://*:{self.agent.get('port', 0)}")  # get-zero
        self.s.bind("tcp://*:0")  # port-zero
        self.s.bind(f"tcp://*:{None}")  # none
'''
SIBLING = '''\
import zmq
from port_config import SCRIPT_PORT

zmq.Context().socket(zmq.PUSH).bind(f"tcp://*:{SCRIPT_PORT}")  # sibling-module
'''
HELPER = '''\
import os


def get_service_port(name, default):
    return int(os.environ.get(f"{name.upper()}_PORT", default))
'''
FILES = {
    "main_pc_code/agents/forms.py": FORMS,
    "main_pc_code/scripts/runner.py": SIBLING,
    "main_pc_code/scripts/port_config.py": "SCRIPT_PORT = 5760\n",
    "common/__init__.py": "",
    "common/ports.py": "TRANSLATOR_PORT = 5595\nMEMORY_PORT = 5560\n",
    "common/service_ports.py": HELPER,
    "config/ports.yaml": "ports:\n  TTS_REP: {port: 5800, machine: main_pc_code}\n",
    ".env": "SET_PORT=7652\nSPEECH_PORT=7612\n",
}
FORMS_PATH = "main_pc_code/agents/forms.py"
EXPECTED = {  # marker -> (port, port_source, confidence, origin)
    "other-function-default": (5740, "default_arg", "possible", f"{FORMS_PATH}:15"),
    "literal": (5700, "literal", "certain", f"{FORMS_PATH}:35"),
    "module-constant": (5701, "constant", "certain", f"{FORMS_PATH}:11"),
    "class-constant": (5702, "constant", "certain", f"{FORMS_PATH}:20"),
    "local-constant": (5703, "constant", "certain", f"{FORMS_PATH}:34"),
    "imported-alias": (5595, "imported_constant", "certain", "common/ports.py:1"),
    "module-attribute": (5560, "imported_constant", "certain", "common/ports.py:2"),
    "aliased-module-arithmetic": (5562, "imported_constant", "certain", "common/ports.py:2"),
    "arithmetic": (5704, "constant", "certain", f"{FORMS_PATH}:12"),
    "constructor-default": (5710, "default_arg", "likely", f"{FORMS_PATH}:22"),
    "several-assignments": (5720, "self_attr", "possible", f"{FORMS_PATH}:25"),
    "conditional-default": (5642, "default_arg", "likely", f"{FORMS_PATH}:45"),
    "or-default": (5643, "default_arg", "likely", f"{FORMS_PATH}:46"),
    "getattr-default": (5600, "default_arg", "likely", f"{FORMS_PATH}:47"),
    "env-default": (5650, "env_default", "likely", f"{FORMS_PATH}:48"),
    "getenv-default": (5651, "env_default", "likely", f"{FORMS_PATH}:49"),
    "env-set": (7652, "env", "likely", ".env:1"),
    "helper-default": (5611, "env_default", "likely", f"{FORMS_PATH}:51"),
    "helper-env": (7612, "env", "likely", ".env:2"),
    "registry": (5800, "ports_yaml", "likely", "config/ports.yaml:2"),
    "get-zero": (None, "dynamic", "", ""),
    "port-zero": (None, "dynamic", "", ""),
    "none": (None, "dynamic", "", ""),
    "sibling-module": (5760, "imported_constant", "certain", "main_pc_code/scripts/port_config.py:1"),
}


def _resolve(tmp_path, files, roots=("main_pc_code", "pc2_code"), hosts=None):
    repo = write_repo(tmp_path / "repo", files)
    config = ScanConfig(roots=list(roots), hosts=hosts or {})
    facts = python_facts(repo, config)
    return resolve_endpoints(facts, read_deployment(repo, config, facts)).endpoints


def _marked(files, endpoints):
    return {files[e.path].splitlines()[e.fact.line - 1].rsplit("# ", 1)[-1]: e for e in endpoints}


def test_every_port_form_resolves_with_its_source_confidence_and_origin(tmp_path):
    found = _marked(FILES, _resolve(tmp_path, FILES))
    assert {m: (e.port, e.source, e.confidence, e.origin) for m, e in found.items()} == EXPECTED
    assert found["several-assignments"].candidates == (5720, 5721)


AGENT = '''\
import zmq


class HealthAgent:
    def __init__(self, port, emotion_host="localhost", pc2_host=None):
        self.port = port
        self.health_check_port = self.port + 1
        self.emotion_host = emotion_host
        self.pc2_host = pc2_host
        self.context = zmq.Context()

    def start(self):
        self.context.socket(zmq.REP).bind(f"tcp://*:{self.port}")  # own-port
        self.context.socket(zmq.REP).bind(f"tcp://*:{self.health_check_port}")  # health-computed
        self.context.socket(zmq.SUB).connect(f"tcp://{self.emotion_host}:5620")  # config-host
        self.context.socket(zmq.REQ).connect(f"tcp://{self.pc2_host}:5630")  # host-parameter-name

    def ask(self, host="localhost", port=5570):
        client = self.context.socket(zmq.REQ)
        client.connect(f"tcp://{host}:{port}")  # client-default

    def ask_peer(self, port):
        self.context.socket(zmq.REQ).connect(f"tcp://localhost:{port}")  # client-no-default
'''
REMOTE = '''\
import os

import zmq

PC2_IP = os.environ.get("PC2_IP", "192.168.1.2")
BRAIN = "brain-box"
s = zmq.Context().socket(zmq.REQ)
s.connect(f"tcp://{PC2_IP}:5620")  # ip-variable
s.connect("tcp://192.168.1.2:5620")  # ip-literal
s.connect(f"tcp://{BRAIN}:5620")  # configured-host
s.connect("tcp://127.0.0.1:5620")  # loopback
s.connect(f"tcp://{unknown_host}:5620")  # unknown-host
'''
STARTUP = '''\
services:
  - name: HealthAgent
    script_path: agents/health_agent.py
    port: 7000
    health_check_port: 7100
    params: {emotion_host: "${PC2_IP}"}
'''
AGENT_FILES = {
    "main_pc_code/agents/health_agent.py": AGENT,
    "main_pc_code/agents/remote.py": REMOTE,
    "main_pc_code/config/startup_config.yaml": STARTUP,
    ".env": "PC2_IP=192.168.1.2\n",
}


def test_a_config_port_never_replaces_what_the_code_computes_and_never_reaches_a_client(tmp_path):
    found = _marked(AGENT_FILES, _resolve(tmp_path, AGENT_FILES))
    own, health = found["own-port"], found["health-computed"]
    assert (own.port, own.source, [(d.name, d.port) for d in own.configured_as]) == (7000, "config", [("port", 7000)])
    # `self.port + 1` with no launcher argument for the health port: the code's 7001 stays, the config's 7100
    # is the evidence config-port-conflict reports.
    assert (health.port, health.source) == (7001, "config")
    assert [(d.name, d.port, d.line) for d in health.configured_as] == [("health_check_port", 7100, 5)]
    client = found["client-default"]
    assert (client.port, client.source, client.confidence, client.configured_as) == (5570, "default_arg", "possible", ())
    assert (found["client-no-default"].port, found["client-no-default"].source) == (None, "dynamic")


def test_hosts_decide_the_machine_a_connect_reaches(tmp_path):
    endpoints = _resolve(tmp_path, AGENT_FILES, hosts={"pc2_code": ["brain-box"]})
    targets = {marker: e.target_machine for marker, e in _marked(AGENT_FILES, endpoints).items()}
    assert targets == {
        "own-port": "main_pc_code", "health-computed": "main_pc_code",
        "config-host": "pc2_code",  # `self.emotion_host`, which the startup config sets to ${PC2_IP}
        "host-parameter-name": "pc2_code",  # named like the machine's address variable: pc2_host
        "client-default": "main_pc_code", "client-no-default": "main_pc_code",
        "ip-variable": "pc2_code", "ip-literal": "pc2_code", "configured-host": "pc2_code",
        "loopback": "main_pc_code", "unknown-host": "",
    }


def test_without_the_hosts_setting_an_unknown_name_reaches_no_machine(tmp_path):
    endpoints = _resolve(tmp_path, AGENT_FILES)
    assert _marked(AGENT_FILES, endpoints)["configured-host"].target_machine == ""


def test_changing_the_hosts_setting_rescans_and_moves_the_connect(tmp_path):
    files = {"main_pc_code/agents/viewer.py": 'import zmq\nzmq.Context().socket(zmq.SUB).connect("tcp://brain-box:5640")\n',
             "pc2_code/agents/vision.py": 'import zmq\nzmq.Context().socket(zmq.PUB).bind("tcp://*:5640")\n',
             "pyproject.toml": '[tool.analyzer]\nroots = ["main_pc_code", "pc2_code"]\n'}
    repo = write_repo(tmp_path / "repo", files)
    options = ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=str(tmp_path / "cache"), jobs=1)

    def target() -> str:
        store = open_store(options.store, read_only=True)
        try:
            return store.query("MATCH (e:Endpoint {snapshot: $snapshot}) WHERE e.action = 'connect' "
                               "RETURN e.target_machine").rows[0][0]
        finally:
            store.close()
    assert not scan(options).unchanged and target() == ""
    (repo / "pyproject.toml").write_text(files["pyproject.toml"] + 'hosts = { pc2_code = ["brain-box"] }\n')
    assert not scan(options).unchanged and target() == "pc2_code"


def test_a_malformed_hosts_setting_is_a_clear_error(tmp_path):
    repo = write_repo(tmp_path / "repo", {"pyproject.toml": '[tool.analyzer]\nhosts = ["PC2_IP"]\n'})
    with pytest.raises(ConfigError, match="hosts maps a machine root to a list of host names"):
        load_scan_config(repo)
