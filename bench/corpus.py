"""A synthetic two-machine agent repository of any size, for benchmarks.

Files look like the real thing: agent classes with ZeroMQ sockets whose ports
come in the ways real trees write them (PORT_FORMS: constants and constructor
defaults, aliased imports of a shared ports module, module attributes, an
environment helper, `os.environ.get` defaults, a key only the launcher's config
sets), broad excepts, TODOs, CUDA calls, sys.path-style imports between agents,
and shared utilities.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

MACHINES = ("main_pc_code", "pc2_code")

AGENT_TEMPLATE = '''"""Agent {name}: handles {topic} requests for the {machine} pipeline."""

import json
import logging
import os
import time

import zmq
{imports}

logger = logging.getLogger(__name__)
{port_line}
HEALTH_PORT = {health}


class {cls}:
    """Serves {topic} over ZeroMQ."""

    def __init__(self, port={port_default}, host="localhost", config=None):
        self.config = config or {{}}
        self.port = {port_value}
        self.host = host
        self.context = zmq.Context()
        self.socket = self.context.socket(zmq.REP)
        self.pub = self.context.socket(zmq.PUB)
        self.running = False
        self.requests = 0

    def start(self):
        self.socket.bind(f"tcp://*:{{self.port}}")
        self.pub.bind("tcp://*:{pub_port}")
        self.running = True
        logger.info("started on %s", self.port)

    def connect_upstream(self):
        upstream = self.context.socket(zmq.REQ)
        upstream.connect(f"tcp://{{self.host}}:{up_port}")
        return upstream
{methods}

def main():
    agent = {cls}()
    try:
        agent.start()
        while agent.running:
            agent.serve_once()
    except KeyboardInterrupt:
        pass
    except Exception:
        logger.exception("agent crashed")
        raise


if __name__ == "__main__":
    main()
'''

METHOD_TEMPLATES = (
    '''
    def handle_{n}(self, request):
        # TODO: validate request schema
        try:
            payload = json.loads(request)
        except:
            return None
        if payload.get("kind") == "{n}":
            return self.process_{n}(payload)
        elif payload.get("kind") == "ping":
            return {{"status": "ok"}}
        return {{"error": "unknown"}}
''',
    '''
    def process_{n}(self, payload):
        result = []
        for item in payload.get("items", []):
            try:
                result.append(self.transform(item))
            except Exception as e:
                logger.error("transform failed: %s", e)
                continue
        return result
''',
    '''
    def run_model_{n}(self, tensor):
        import torch  # deferred: only GPU agents need it
        model = self.models.get("{n}")
        if model is None:
            return None
        with torch.no_grad():
            output = model(tensor.to("cuda"))
        torch.cuda.empty_cache()
        return output.cpu()
''',
    '''
    def serve_once(self):
        try:
            message = self.socket.recv_string()
            self.requests += 1
            reply = self.handle_0(message)
            self.socket.send_string(json.dumps(reply))
        except zmq.ZMQError as error:
            logger.warning("zmq error %s", error)
        # FIXME(#{n}): back-off on repeated failures
        time.sleep(0.001)
''',
)

UTIL_TEMPLATE = '''"""Shared helpers {n}."""

import os
import subprocess


def read_config(path):
    with open(path) as handle:
        return handle.read()


def run_tool(name):
    # XXX: shell=True with a formatted command
    return subprocess.run(f"tool {{name}}", shell=True, check=False)


def retry(function, attempts=3):
    for attempt in range(attempts):
        try:
            return function()
        except Exception:
            pass
    return None
'''


# How an agent gets its port, by agent index: (module-level line, constructor default, `self.port = ...`).
PORT_FORMS = (
    ("PORT = {port}", "PORT", "port"),
    ("from common.ports import AGENT_{index:04d}_PORT as PORT", "None", "port or PORT"),
    ("import common.ports as ports", "None", "port if port else ports.AGENT_{index:04d}_PORT"),
    ("PORT = get_service_port(\"agent_{index:04d}\", {port})", "PORT", "port"),
    ("PORT = int(os.environ.get(\"AGENT_{index:04d}_PORT\", {port}))", "PORT", "port"),
    ("PORT = None  # the launcher passes the port in the config", "PORT", "self.config.get(\"port\", 0)"),
)
SHARED_PORTS_HELPER = '''"""Ports the agents share, with an environment override."""

import os


def get_service_port(name, default):
    return int(os.environ.get(f"{name.upper()}_PORT", default))
'''


def agent_source(machine: str, index: int, count: int, rng: random.Random) -> str:
    peers = sorted({rng.randrange(count) for _ in range(3)} - {index})
    imports = "\n".join(f"from agents.agent_{p:04d} import Agent{p:04d}" for p in peers[:2])
    imports += f"\nfrom utils.util_{index % 20:02d} import retry"
    imports += "\nfrom common.service_ports import get_service_port"
    methods = "".join(METHOD_TEMPLATES[(index + n) % len(METHOD_TEMPLATES)].format(n=n) for n in range(12))
    port_line, port_default, port_value = (
        part.format(index=index, port=5000 + index) for part in PORT_FORMS[index % len(PORT_FORMS)])
    return AGENT_TEMPLATE.format(
        name=f"agent_{index:04d}", topic=rng.choice(["speech", "vision", "memory", "planning", "translation"]),
        machine=machine, imports=imports, port_line=port_line, port_default=port_default, port_value=port_value,
        health=6000 + index, cls=f"Agent{index:04d}",
        pub_port=7000 + index % 500, up_port=5000 + rng.randrange(count), methods=methods,
    )


def generate(target: Path, lines: int, seed: int = 7) -> int:
    """Write a repository of about `lines` lines; returns the number of files."""
    rng = random.Random(seed)
    per_agent = agent_source("main_pc_code", 0, 10, random.Random(0)).count("\n")
    agents = max(2, lines // (per_agent + 2))
    files = 0
    for index in range(agents):
        machine = MACHINES[index % 2]
        path = target / machine / "agents" / f"agent_{index:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(agent_source(machine, index, agents, rng))
        files += 1
    common = target / "common"
    common.mkdir(parents=True, exist_ok=True)
    (common / "__init__.py").write_text("")
    (common / "ports.py").write_text("".join(f"AGENT_{i:04d}_PORT = {5000 + i}\n" for i in range(agents)))
    (common / "service_ports.py").write_text(SHARED_PORTS_HELPER)
    files += 3
    for machine in MACHINES:
        for n in range(20):
            path = target / machine / "utils" / f"util_{n:02d}.py"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(UTIL_TEMPLATE.format(n=n))
            files += 1
    return files


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=Path)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    print(generate(args.target, args.lines), "files written")
