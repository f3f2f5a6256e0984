"""Endpoint ports resolved through configs: which expressions, which sources, and what is never replaced."""

from __future__ import annotations

from analyzer.configs import read_and_resolve, summary
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
EXPECTED = {  # marker comment -> (port, port_source, origin)
    "config-port": (7000, "config", "config:main_pc_code/config/startup_config.yaml:4"),
    "config-health": (7001, "config", "config:main_pc_code/config/startup_config.yaml:5"),
    "config-param": (7002, "config", "config:main_pc_code/config/startup_config.yaml:6"),
    "config-get": (7000, "config", "config:main_pc_code/config/startup_config.yaml:4"),
    "config-args": (7000, "config", "config:main_pc_code/config/startup_config.yaml:4"),
    "registry": (7100, "ports_yaml", "ports_yaml:config/ports.yaml:2"),
    "registry-env-override": (7200, "env", "env:.env:3"),
    "env": (7300, "env", "env:.env:1"),
    "compose-over-env-default": (7400, "compose", "compose:docker-compose.yml:4"),
    "env-default-kept": (5997, "env_default", None),
    "literal-kept": (5996, "literal", None),
    "self-attr-kept": (5995, "self_attr", None),
    "not-a-port-key": (None, "dynamic", None),
    "arithmetic": (None, "dynamic", None),
    "random": (None, "dynamic", None),
    "other-machine-env": (None, "dynamic", None),
    "shared": (7500, "config", "config:main_pc_code/config/startup_config.yaml:7"),
    "variant": (5990, "default_arg", None),
}


def _resolved(make_repo, files):
    repo, config = make_repo(files)
    facts = python_facts(repo, config)
    deployment, links = read_and_resolve(repo, config, facts)
    return facts, deployment, links


def test_each_way_a_port_is_resolved_or_kept(make_repo):
    facts, _deployment, links = _resolved(make_repo, FILES)
    found = {}
    for file in facts:
        source_lines = (FILES[file.path]).splitlines()
        for index, endpoint in enumerate(file.endpoints):
            marker = source_lines[endpoint.line - 1].rsplit("# ", 1)[-1]
            link = links.get((file.path, index))
            found[marker] = (endpoint.port, endpoint.port_source, link.origin if link else None)
    assert found == EXPECTED


def test_summary_buckets(make_repo):
    facts, deployment, _links = _resolved(make_repo, FILES)
    counts = summary(facts, deployment)
    assert (counts["endpoints_literal"], counts["endpoints_config_resolved"], counts["endpoints_unknown"]) == (4, 10, 4)
    assert (counts["configured_agents"], counts["config_files"], counts["config_errors"]) == (5, 5, [])


def test_no_configs_changes_nothing(make_repo):
    files = {k: v for k, v in FILES.items() if k.endswith(".py")}
    facts, deployment, links = _resolved(make_repo, files)
    assert links == {} and deployment.files == []
    sources = {e.port_source for f in facts for e in f.endpoints}
    assert sources.isdisjoint({"config", "ports_yaml", "env", "compose"})
