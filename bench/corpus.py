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



# --- a deployed system: live agents on two machines, their startup configs, and the copies real trees keep -----

TOPICS = ("speech", "vision", "memory", "emotion", "translation", "planning", "audio", "face", "gesture", "dialogue",
          "knowledge", "context", "task", "model", "health", "session", "learning", "reasoning", "tutoring", "streaming")
ROLES = ("recognition", "capture", "synthesis", "manager", "router", "monitor", "orchestrator", "tracker", "scheduler",
         "cache", "bridge", "processor", "analyzer", "coordinator", "generator")
# Folders the copy classifier recognises (docs/copies.md); every fourth copy is a `_backup` file beside its original.
COPY_FOLDERS = ("_trash_2025-06-13/agents", "ARCHIVEDONTUSE/agents", "backups/2025-07-01/agents")

SYSTEM_AGENT_TEMPLATE = '''"""{cls}: {topic} {role} for the {machine} pipeline."""

import logging
import os

import zmq

logger = logging.getLogger("{cls}")
PORT = {port}
PUB_PORT = {pub_port}
PEER_HOST = os.environ.get("PEER_HOST", "localhost")
MAIN_PC_IP = os.environ.get("MAIN_PC_IP", "192.168.1.10")
PC2_IP = os.environ.get("PC2_IP", "192.168.1.20")


class {cls}:
    def __init__(self, port=PORT):
        self.context = zmq.Context()
        self.server = self.context.socket(zmq.REP)
        self.server.bind(f"tcp://*:{{port}}")
        self.events = self.context.socket(zmq.PUB)
        self.events.bind(f"tcp://*:{{PUB_PORT}}")
{connects}
    def handle(self, request):
        # TODO: validate the {topic} request before handling it
        try:
            return {{"ok": True, "echo": request}}
        except Exception:
            logger.exception("{cls} failed")
            return None
{broken}

if __name__ == "__main__":
    {cls}()
'''

CONNECT_TEMPLATE = '''        self.{name} = self.context.socket(zmq.{kind})
        self.{name}.connect(f"tcp://{{{host}}}:{port}")
'''
# The host variable a connect names: its own machine's peers by PEER_HOST (localhost), the other machine by its IP.
HOST_OF_MACHINE = {"main_pc_code": "MAIN_PC_IP", "pc2_code": "PC2_IP"}
BROKEN_METHOD = "\n    def broken(self:\n        pass\n"


class SystemAgent:
    """One live agent of a generated system: where it runs, what it binds, whom it connects to."""

    def __init__(self, machine: str, name: str, port: int, pub_port: int) -> None:
        self.machine, self.name, self.port, self.pub_port = machine, name, port, pub_port
        self.connects: list[tuple[str, int, str]] = []  # (socket kind, port, machine it binds on)
        self.broken = False  # ends in a syntax error

    @property
    def cls(self) -> str:
        return "".join(word.title() for word in self.name.split("_"))

    @property
    def path(self) -> str:
        return f"{self.machine}/agents/{self.name}.py"

    def source(self) -> str:
        connects = "".join(
            CONNECT_TEMPLATE.format(name=f"peer_{n}", kind=kind, port=port,
                                    host="PEER_HOST" if machine == self.machine else HOST_OF_MACHINE[machine])
            for n, (kind, port, machine) in enumerate(self.connects))
        topic, role = self.name.split("_")[:2]
        return SYSTEM_AGENT_TEMPLATE.format(cls=self.cls, topic=topic, role=role, machine=self.machine, port=self.port,
                                            pub_port=self.pub_port, connects=connects,
                                            broken=BROKEN_METHOD if self.broken else "")


class SystemPlan:
    """What `generate_system` wrote and the problems it planted, for tests to compare against."""

    def __init__(self) -> None:
        self.agents: list[SystemAgent] = []
        self.copies: list[str] = []  # paths of the copied agent files
        self.collisions: list[tuple[str, int, list[str]]] = []  # (machine, port, its live binders)
        self.orphan_ports: list[int] = []  # connected to, bound by nobody
        self.mismatches: list[tuple[str, int]] = []  # (connecting path, port): a REQ connects to a PUB
        self.broken: list[str] = []  # live configured agents that do not parse


def generate_system(target: Path, agents: int = 150, copies: int = 90, seed: int = 11) -> SystemPlan:
    """Write a two-machine system of `agents` live agents (alternating machines) with a startup config per machine
    and `copies` archived copies of them; returns the plan with the planted problems.

    Each agent binds a REP and a PUB port and connects a REQ to one or two peers (a fifth of them on the other
    machine, reached by its IP variable: MAIN_PC_IP, PC2_IP) and a SUB to a publisher. Planted: two port collisions between live agents of main_pc_code, a connect
    nobody serves, a REQ connecting to a PUB, a live configured agent with a syntax error. Copies keep their
    originals' ports and TODOs, as real copies do.
    """
    rng = random.Random(seed)
    plan = SystemPlan()
    names = rng.sample([f"{topic}_{role}_agent" for topic in TOPICS for role in ROLES], agents)
    plan.agents = [SystemAgent(MACHINES[index % 2], name, 5000 + 2 * index, 7000 + index)
                   for index, name in enumerate(names)]
    by_machine = {machine: [a for a in plan.agents if a.machine == machine] for machine in MACHINES}
    main, other = by_machine[MACHINES[0]], by_machine[MACHINES[1]]
    for first, second in ((main[1], main[2]), (main[3], main[4])):
        second.port = first.port
        plan.collisions.append((first.machine, first.port, sorted([first.path, second.path])))
    other[3].broken = True  # and nobody connects to it, so its peers do not turn into orphans
    plan.broken.append(other[3].path)
    for agent in plan.agents:
        peers = {machine: [a for a in live if not a.broken and a is not agent] for machine, live in by_machine.items()}
        home, away = peers[agent.machine], peers[MACHINES[1 - MACHINES.index(agent.machine)]]
        for _ in range(rng.choice((1, 2))):
            peer = rng.choice(away if rng.random() < 0.2 else home)
            agent.connects.append(("REQ", peer.port, peer.machine))
        agent.connects.append(("SUB", rng.choice(home).pub_port, agent.machine))
    orphan_port = 5000 + 2 * agents + 1  # odd: no agent's port
    main[5].connects.append(("REQ", orphan_port, main[5].machine))
    plan.orphan_ports.append(orphan_port)
    main[6].connects.append(("REQ", main[7].pub_port, main[7].machine))
    plan.mismatches.append((main[6].path, main[7].pub_port))
    for agent in plan.agents:
        _write(target / agent.path, agent.source())
    for n in range(copies):
        original = plan.agents[rng.randrange(agents)]
        slot = n % (len(COPY_FOLDERS) + 1)
        relative = (f"{original.machine}/{COPY_FOLDERS[slot]}/{original.name}.py" if slot < len(COPY_FOLDERS)
                    else f"{original.machine}/agents/{original.name}_backup.py")
        if (target / relative).exists():
            relative = relative.removesuffix(".py") + f"_{n}.py"
        _write(target / relative, original.source())
        plan.copies.append(relative)
    for machine, live in by_machine.items():
        entries = "".join(f"  - {{name: {a.cls}, script_path: agents/{a.name}.py, host: 0.0.0.0, port: {a.port}, "
                          f"required: true, dependencies: []}}\n" for a in live)
        _write(target / machine / "config" / "startup_config.yaml", f"# generated\nservices:\n{entries}")
    return plan


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("target", type=Path)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--system", type=int, metavar="AGENTS", help="write a deployed system of AGENTS live agents "
                        "with startup configs and copies instead (generate_system)")
    args = parser.parse_args()
    if args.system:
        plan = generate_system(args.target, args.system)
        print(len(plan.agents), "agents and", len(plan.copies), "copies written")
    else:
        print(generate(args.target, args.lines), "files written")
