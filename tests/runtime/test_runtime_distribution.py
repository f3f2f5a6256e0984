"""The runtime as its own distribution: a fresh environment with `pip install ./runtime` and nothing else.

Slow: each test uses a virtual environment built from scratch (the session's `runtime_venv`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from typer.testing import CliRunner

from agent_runtime.portsyaml import parse_registry
from analyzer.cli import app

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "port_registry"
ANALYZER_DEPENDENCIES = {"libcst", "networkx", "neo4j", "neo4j-rust-ext", "pyarrow", "bandit", "ladybug", "radon",
                         "typer", "rich", "agent-graph-analyzer"}
GPU_EXTRA = {"nvidia-ml-py", "torch", "transformers", "bitsandbytes", "accelerate", "torchao"}

pytestmark = pytest.mark.slow


def run(python: Path, *args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def test_a_fresh_environment_gets_the_runtime_and_nothing_of_the_analyzer(runtime_venv):
    listed = run(runtime_venv, "-m", "pip", "list", "--format", "json")
    installed = {canonicalize_name(package["name"]) for package in json.loads(listed.stdout)}
    assert {"agent-graph-runtime", "pyzmq", "pyyaml", "prometheus-client", "pydantic"} <= installed
    assert not installed & ANALYZER_DEPENDENCIES, installed & ANALYZER_DEPENDENCIES
    assert not installed & GPU_EXTRA  # only with [gpu]

    imported = run(runtime_venv, "-I", "-c", "import agent_runtime, sys; from agent_runtime import get_port, RepServer, "
                                              "load_bounded_yaml; print(agent_runtime.__file__)", cwd=Path("/"))
    assert imported.returncode == 0, imported.stderr
    assert "site-packages" in imported.stdout  # the installed copy, not this checkout
    for gone in ("analyzer", "agent_graph_codemods", "codemods", "queries", "runtime"):
        missing = run(runtime_venv, "-I", "-c", f"import {gone}", cwd=Path("/"))
        assert "ModuleNotFoundError" in missing.stderr, gone


def test_the_gpu_extra_names_nvml_and_the_quantisation_packages(runtime_venv):
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps(m.requires('agent-graph-runtime')))")
    requires = [Requirement(text) for text in json.loads(run(runtime_venv, "-I", "-c", code).stdout)]
    in_extra = {canonicalize_name(r.name) for r in requires if r.marker and r.marker.evaluate({"extra": "gpu"})}
    required = {canonicalize_name(r.name) for r in requires if r.marker is None}
    assert in_extra == GPU_EXTRA
    assert required == {"pyzmq", "pyyaml", "prometheus-client", "pydantic"}


def deployed(tree: Path, machine: str, target: Path) -> Path:
    """One machine's tree on its own, as that machine deploys it (nothing of the other machine, no repository)."""
    return Path(shutil.copytree(tree / machine, target / machine))


def start(python: Path, agent: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run an agent from another folder; retry while another test run holds one of its fixed ports."""
    deadline = time.monotonic() + 30
    while True:
        result = run(python, "-I", str(agent), cwd=Path("/"), env=env)
        if "PortInUseError" not in result.stderr or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_rewritten_agents_start_against_their_own_machine_registry(runtime_venv, tmp_path):
    tree = Path(shutil.copytree(FIXTURE / "tree", tmp_path / "tree"))
    fixed = CliRunner().invoke(app, ["fix", "port-literals", str(tree), "--apply", "--unsafe", "-j", "1"])
    assert fixed.exit_code == 1, fixed.output
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PORT_", "AGENT_PORTS_FILE"))}
    env["MODEL_MANAGER_PORT"] = "25570"  # what the launcher passes from the startup config
    agents = {
        "main_pc_code": ["agents/asr/streaming_partial_transcripts.py", "agents/model_manager.py", "agents/translator.py"],
        "pc2_code": ["agents/emotion_engine.py", "agents/listener.py"],
    }
    for machine, paths in agents.items():
        root = deployed(tree, machine, tmp_path / f"{machine}-host")
        registry = parse_registry((root / "config/ports.yaml").read_text())
        bound = set()
        for path in paths:
            result = start(runtime_venv, root / path, env)
            assert result.returncode == 0, f"{machine}/{path}:\n{result.stderr}"
            bound |= {int(word.rsplit(":", 1)[1]) for word in result.stdout.split() if word.startswith("tcp://")}
        # Every port this machine's registry says it binds, bound by its agents (the rest are other machines').
        assert bound == {e.port for e in registry.values() if e.machine == machine}
        assert (root / "requirements.txt").read_text().startswith(("agent-graph-runtime", "pyzmq"))
    # The registry is the machine's own: without it the agent says where it looked.
    lonely = deployed(tree, "pc2_code", tmp_path / "no-registry")
    (lonely / "config/ports.yaml").unlink()
    missing = run(runtime_venv, "-I", str(lonely / "agents/emotion_engine.py"), cwd=Path("/"), env=env)
    assert missing.returncode != 0 and "PortsFileNotFound: no config/ports.yaml found upward from" in missing.stderr
