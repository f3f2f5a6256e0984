"""Endpoint ports resolved through configs: which expressions, which sources, and what is never replaced."""

from __future__ import annotations

import copy
import re
from pathlib import Path

from analyzer.configs import read_deployment, summary
from analyzer.endpoints import resolve_endpoints
from analyzer.facts import CONFIDENCES, PORT_SOURCES
from tests.configs.conftest import python_facts

AGENT = '''\
import os
import zmq
from agent_runtime.ports import get_port


class A:
    def __init__(self, port, health_check_port=6000):
        self.port = port
        self.health_check_port = health_check_port
        self.fixed = 5995
        self.s = zmq.Context().socket(zmq.REP)

    def run(self, config, args):
        self.s.bind(f"tcp://*:{self.port}")  # config-port
        self.s.bind(f"tcp://*:{self.health_check_port}")  # config-health
        self.s.connect(f"tcp://localhost:{config['translator_port']}")  # config-param
        self.s.bind(f"tcp://*:{config.get('port')}")  # config-get
        self.s.bind(f"tcp://*:{int(args.port)}")  # config-args
        self.s.bind(f"tcp://*:{get_port('x-rep')}")  # registry
        self.s.bind(f"tcp://*:{get_port('OVERRIDDEN')}")  # registry-env-override
        self.s.bind(f"tcp://*:{os.environ['A_PORT']}")  # env
        self.s.bind(f"tcp://*:{os.environ.get('B_PORT', '5998')}")  # compose-over-env-default
        self.s.bind(f"tcp://*:{os.environ.get('C_PORT', '5997')}")  # env-default-kept
        self.s.bind("tcp://*:5996")  # literal-kept
        self.s.bind(f"tcp://*:{self.fixed}")  # self-attr-kept
        self.s.bind(f"tcp://*:{self.other}")  # not-a-port-key
        self.s.bind(f"tcp://*:{self.port + 1}")  # arithmetic
        self.random = self.s.bind_to_random_port("tcp://*")  # random
        self.s.bind(f"tcp://*:{os.environ['PC2_ONLY_PORT']}")  # other-machine-env
'''
SHARED = '''\
import zmq


class Worker:
    def __init__(self, **kwargs):
        self.port = kwargs.get("port", 5990)
        self.s = zmq.Context().socket(zmq.PULL)
        self.s.bind(f"tcp://*:{self.port}")  # shared
'''
STARTUP = '''\
services:
  - name: A
    script_path: agents/a.py
    port: 7000
    health_check_port: 7001
    params: {translator_port: 7002}
  - {name: W1, script_path: agents/worker.py, port: 7500}
  - {name: W2, script_path: agents/worker.py, port: 7500}
  - {name: V1, script_path: agents/variant.py, port: 7600}
  - {name: V2, script_path: agents/variant.py, port: 7601}
'''
FILES = {
    "main_pc_code/agents/a.py": AGENT,
    "main_pc_code/agents/worker.py": SHARED,
    "main_pc_code/agents/variant.py": SHARED.replace("# shared", "# variant"),
    "main_pc_code/config/startup_config.yaml": STARTUP,
    "config/ports.yaml": "ports:\n  X_REP: {port: 7100, machine: main_pc_code}\n  OVERRIDDEN: {port: 7199}\n",
    ".env": "A_PORT=7300\nB_PORT=5000\nPORT_OVERRIDDEN=7200\n",
    "pc2_code/.env": "PC2_ONLY_PORT=7700\n",
    "docker-compose.yml": "services:\n  a:\n    environment:\n      B_PORT: '7400'\n",
}
MAIN = "main_pc_code/config/startup_config.yaml"
EXPECTED = {  # marker comment -> (port, port_source, origin)
    "config-port": (7000, "config", f"{MAIN}:4"),
    "config-health": (7001, "config", f"{MAIN}:5"),
    "config-param": (7002, "config", f"{MAIN}:6"),
    "config-get": (7000, "config", f"{MAIN}:4"),
    "config-args": (7000, "config", f"{MAIN}:4"),
    "registry": (7100, "ports_yaml", "config/ports.yaml:2"),
    "registry-env-override": (7200, "env", ".env:3"),
    "env": (7300, "env", ".env:1"),
    "compose-over-env-default": (7400, "compose", "docker-compose.yml:4"),
    "env-default-kept": (5997, "env_default", "main_pc_code/agents/a.py:23"),
    "literal-kept": (5996, "literal", "main_pc_code/agents/a.py:24"),
    "self-attr-kept": (5995, "self_attr", "main_pc_code/agents/a.py:10"),
    "not-a-port-key": (None, "dynamic", ""),
    "arithmetic": (7001, "config", f"{MAIN}:4"),  # computed from the configured port
    "random": (None, "random", ""),
    "other-machine-env": (None, "dynamic", ""),
    "shared": (7500, "config", f"{MAIN}:7"),
    "variant": (5990, "default_arg", "main_pc_code/agents/variant.py:6"),
}


def _resolved(make_repo, files):
    repo, config = make_repo(files)
    facts = python_facts(repo, config)
    deployment = read_deployment(repo, config, facts)
    return facts, deployment, resolve_endpoints(facts, deployment)


def _by_marker(files, resolution):
    found = {}
    for endpoint in resolution.endpoints:
        marker = files[endpoint.path].splitlines()[endpoint.fact.line - 1].rsplit("# ", 1)[-1]
        found[marker] = endpoint
    return found


def test_each_way_a_port_is_resolved_or_kept(make_repo):
    _facts, _deployment, resolution = _resolved(make_repo, FILES)
    found = {marker: (e.port, e.source, e.origin) for marker, e in _by_marker(FILES, resolution).items()}
    assert found == EXPECTED


def test_config_values_come_with_the_declared_port(make_repo):
    _facts, _deployment, resolution = _resolved(make_repo, FILES)
    for marker, endpoint in _by_marker(FILES, resolution).items():
        declared = endpoint.port_from
        assert (declared is not None) == (EXPECTED[marker][1] in ("config", "ports_yaml", "env", "compose")), marker
        if declared is not None:
            assert f"{declared.path}:{declared.line}" == endpoint.origin


def test_resolution_leaves_the_facts_as_they_were(make_repo):
    repo, config = make_repo(FILES)
    facts = python_facts(repo, config)
    before = copy.deepcopy(facts)
    resolve_endpoints(facts, read_deployment(repo, config, facts))
    assert facts == before


def test_summary_buckets(make_repo):
    _facts, deployment, resolution = _resolved(make_repo, FILES)
    counts = resolution.summary()
    sources = [source for _port, source, _origin in EXPECTED.values()]
    assert counts["ports_from_code"] == sum(PORT_SOURCES[s][0] == "code" for s in sources) == 4
    assert counts["ports_from_config"] == sum(PORT_SOURCES[s][0] == "config" for s in sources) == 11
    assert (counts["ports_unknown"], counts["tcp_endpoints"], counts["tcp_endpoints_with_port"]) == (3, 18, 15)
    assert (summary(deployment)["configured_agents"], summary(deployment)["config_files"]) == (5, 5)


def test_no_configs_changes_nothing(make_repo):
    files = {k: v for k, v in FILES.items() if k.endswith(".py")}
    _facts, deployment, resolution = _resolved(make_repo, files)
    assert deployment.files == [] and resolution.extra_ports == []
    sources = {e.source for e in resolution.endpoints}
    assert sources.isdisjoint({"config", "ports_yaml", "env", "compose"})


def test_the_docs_tables_list_every_port_source_and_confidence():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "configs.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", docs, re.M))
    assert {s: rows.get(s) for s in PORT_SOURCES} == {s: f"{b} | {m}" for s, (b, m) in PORT_SOURCES.items()}
    assert {c: rows.get(c) for c in CONFIDENCES} == CONFIDENCES
