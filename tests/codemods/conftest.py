"""Fixtures for the codemod tests: a synthetic two-machine agent tree, the CLI, git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import write_repo

# A small agent system with the debt the codemods fix, in the shapes real agents use.
AGENT_TREE: dict[str, bytes] = {
    "main_pc_code/agents/translator.py": b'''"""Translator agent."""
import logging

import zmq

logger = logging.getLogger(__name__)
PUB_PORT = 5556


class Translator:
    def __init__(self):
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.bind(f"tcp://*:{PUB_PORT}")
        self.rep = self.ctx.socket(zmq.REP)
        self.rep.bind("tcp://0.0.0.0:5557")  # requests

    def serve(self):
        while True:
            try:
                msg = self.rep.recv_json()
            except:
                continue
            try:
                self.pub.send_json(msg)
            except:  # keep serving
                logger.warning("publish failed")
''',
    "main_pc_code/agents/memory.py": b'''import zmq

MEMORY_ENDPOINT = "tcp://*:5560"


def start(ctx):
    rep = ctx.socket(zmq.REP)
    rep.bind(MEMORY_ENDPOINT)
    sub = ctx.socket(zmq.SUB)
    sub.connect("tcp://localhost:%d" % 5556)
    try:
        rep.recv()
    except: pass
    return rep, sub
''',
    "main_pc_code/agents/duplicate_publisher.py": b'''import zmq

ctx = zmq.Context()
s = ctx.socket(zmq.PUB)
s.bind("tcp://*:" + "5556")
try:
    s.send(b"")
except:
    try:
        s.close()
    except:
        raise
''',
    "main_pc_code/agents/configurable.py": b'''import os

import zmq

STT_PORT = int(os.environ.get("STT_PORT", "5590"))


class Configurable:
    def __init__(self, port=5591):
        self.sock = zmq.Context().socket(zmq.PULL)
        self.sock.bind(f"tcp://*:{port}")
        self.stt = zmq.Context().socket(zmq.PUSH)
        self.stt.connect("tcp://localhost:" + str(STT_PORT))
        self.ipc = zmq.Context().socket(zmq.PAIR)
        self.ipc.bind("ipc:///tmp/configurable.sock")
''',
    "main_pc_code/utils/tabs.py": b"def f():\n\ttry:\n\t\tg()\n\texcept:\n\t\tpass\n",
    "pc2_code/agents/emotion.py": b'''import zmq

HOST = "192.168.1.10"


class Emotion:
    PORT = 5620

    def __init__(self):
        self.sock = zmq.Context().socket(zmq.PUB)
        self.sock.bind("tcp://*:{}".format(self.PORT))
        self.main = zmq.Context().socket(zmq.REQ)
        self.main.connect("tcp://{}:{}".format(HOST, 5557))

    def loop(self):
        try:
            self.sock.send(b"")
        except:
            self.sock.close()
            raise
''',
    "pc2_code/agents/listener.py": b'''import zmq


def listen(host):
    sub = zmq.Context().socket(zmq.SUB)
    sub.connect(f'tcp://{host}:5620')
    req = zmq.Context().socket(zmq.REQ)
    req.connect(f'tcp://192.168.1.2:5557')
    return sub, req
''',
    "pc2_code/run_all.py": (
        b"import asyncio\r\ntry: import uvloop\r\nexcept: uvloop = None\r\n\r\n"
        b"if __name__ == '__main__':\r\n    asyncio.get_event_loop().run_until_complete(main())\r\n"
    ),
    "pc2_code/legacy/py2_agent.py": b"import zmq\ntry:\n    print 'hello'\nexcept:\n    pass\n",
    ".venv/lib/site.py": b"try:\n    x()\nexcept:\n    pass\n",
    "node_modules/tool/gen.py": b"try:\n    x()\nexcept:\n    pass\n",
    "main_pc_code/agents/__pycache__/cached.py": b"try:\n    x()\nexcept:\n    pass\n",
}
SOURCES = sorted(p for p in AGENT_TREE if p.startswith(("main_pc_code/", "pc2_code/")) and "__pycache__" not in p)
UNPARSABLE = ["pc2_code/legacy/py2_agent.py"]
SKIPPED = [".venv/lib/site.py", "node_modules/tool/gen.py", "main_pc_code/agents/__pycache__/cached.py"]


def write_tree(root: Path, files: dict[str, bytes] = AGENT_TREE) -> Path:
    """The agent tree (or `files`) under `root`."""
    return write_repo(root, files)


def read_tree(root: Path, paths) -> dict[str, bytes]:
    return {p: (root / p).read_bytes() for p in paths}


class Layout:
    """What the agent tree holds; a fixture, since test modules cannot import conftest here."""

    files = AGENT_TREE
    sources = SOURCES
    unparsable = UNPARSABLE
    skipped = SKIPPED
    write = staticmethod(write_tree)
    read = staticmethod(read_tree)
    init_repo = staticmethod(lambda root: init_repo(root))
    git = staticmethod(lambda root, *args: git(root, *args))


@pytest.fixture
def layout() -> type[Layout]:
    return Layout


@pytest.fixture
def agent_tree(tmp_path) -> Path:
    return write_tree(tmp_path / "system")


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def init_repo(root: Path) -> Path:
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Test")
    git(root, "config", "user.email", "test@example.invalid")
    git(root, "config", "commit.gpgsign", "false")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def agent_repo(agent_tree) -> Path:
    """The agent tree as a git repository with one commit."""
    return init_repo(agent_tree)


@pytest.fixture
def cli():
    """Invoke `analyzer ...` in-process; returns typer's Result (stdout, stderr, exit_code)."""
    from typer.testing import CliRunner

    from analyzer.cli import app

    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(app, [str(a) for a in args])

    return invoke
