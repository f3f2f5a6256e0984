"""The pre-commit hook (.pre-commit-hooks.yaml) as pre-commit runs it: its file filter, its entry on the staged files."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analyzer.store import open_store
from tests.check.check_repo import commit, git, make_repo, write

ROOT = Path(__file__).resolve().parents[2]
[HOOK] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
PYPROJECT = '[tool.analyzer]\nroots = ["main_pc_code"]\n'


def selected(path: str) -> bool:
    """pre-commit's choice: `files` searched in the repo-relative path (no `types` narrows it here)."""
    assert set(HOOK.get("types", ["file"])) == {"file"} and "types_or" not in HOOK and "exclude" not in HOOK
    return re.search(HOOK["files"], path) is not None


def run_hook(repo: Path, staged: list[str]) -> subprocess.CompletedProcess:
    entry = shlex.split(HOOK["entry"])
    command = [str(Path(sys.executable).with_name(entry[0])), *entry[1:], *[p for p in staged if selected(p)]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=repo, capture_output=True, text=True, env=env)


def test_the_hook_runs_on_python_and_every_config_and_requirements_file_the_scan_reads(scanned_fixture):
    store = open_store(str(scanned_fixture[0]))
    try:
        read = {row[0] for table in ("Module", "ConfigFile", "RequirementsFile", "ConfigCredential")
                for row in store.query(f"MATCH (n:{table} {{snapshot: $snapshot}}) RETURN DISTINCT n.path AS path", {}).rows}
    finally:
        store.close()
    kinds = {Path(p).suffix or Path(p).name for p in read}
    assert {".py", ".yaml", ".yml", ".env", ".txt", ".ini"} <= kinds  # the fixture covers each kind
    assert [p for p in sorted(read) if not selected(p)] == []
    for path in ("pyproject.toml", "deploy/compose.prod.yaml", "pc2_code/.env.production", "requirements-dev.in",
                 "main_pc_code/agents/x.pyi"):
        assert selected(path), path
    for path in ("README.md", ".gitattributes", "expected.json", "docs/ci.md", "main_pc_code/agents/model.bin"):
        assert not selected(path), path
    assert HOOK["pass_filenames"] and HOOK["require_serial"]


ALPHA = ("import zmq\nfrom agent_runtime import get_port\n\n\nclass Alpha:\n    def __init__(self):\n"
         "        self.socket = zmq.Context().socket(zmq.PUB)\n"
         "        self.socket.bind(f\"tcp://*:{get_port('ALPHA_PUB')}\")\n")
BETA = ("import zmq\n\n\nclass Beta:\n    def __init__(self):\n"
        "        self.socket = zmq.Context().socket(zmq.PUB)\n"
        "        self.socket.bind(\"tcp://*:5701\")\n")
REGISTRY = "main_pc_code/config/ports.yaml"
PORTS = "ports:\n  ALPHA_PUB:\n    port: 5700\n    machine: main_pc_code\n"


@pytest.mark.slow
def test_a_staged_ports_yaml_change_that_collides_fails_the_commit(tmp_path):
    fillers = {f"main_pc_code/utils/helper_{i}.py": f"def helper_{i}():\n    return {i}\n" for i in range(25)}
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT + 'enable = ["port-collisions"]\n', REGISTRY: PORTS,
                                "main_pc_code/agents/alpha.py": ALPHA, "main_pc_code/agents/beta.py": BETA, **fillers})
    write(repo, {REGISTRY: PORTS.replace("5700", "5701")})  # Alpha moves onto the port Beta binds
    git(repo, "add", REGISTRY)
    staged = git(repo, "diff", "--cached", "--name-only").split()
    first = run_hook(repo, staged)
    assert first.returncode == 1, first.stdout + first.stderr
    assert "building the facts cache" in first.stderr  # the first run says why it takes a while
    reported = [line for line in first.stdout.splitlines() if "[port-collisions]" in line]
    assert reported and {line.split(":")[0] for line in reported} <= \
        {"main_pc_code/agents/alpha.py", "main_pc_code/agents/beta.py"}, first.stdout
    git(repo, "checkout", "-q", "HEAD", "--", REGISTRY)
    write(repo, {"main_pc_code/utils/helper_0.py": "def helper_0():\n    return -1\n"})
    git(repo, "add", "main_pc_code/utils/helper_0.py")
    second = run_hook(repo, ["main_pc_code/utils/helper_0.py"])
    assert second.returncode == 0, second.stdout + second.stderr
    assert "building the facts cache" not in second.stderr  # warm: only the changed file is parsed


@pytest.mark.slow
def test_the_hook_reports_only_what_concerns_the_staged_files(tmp_path):
    # The hook passes no options: the checks it runs come from [tool.analyzer].
    agent = "import os\n\n\nclass Agent:\n    def restart(self, cmd):\n        os.system(cmd)\n"
    repo = make_repo(tmp_path, {"pyproject.toml": PYPROJECT + 'enable = ["shell-constant-command", "shell-injection"]\n',
                                "main_pc_code/agents/a.py": agent, "main_pc_code/agents/b.py": "def ok():\n    return 1\n"})
    write(repo, {"main_pc_code/agents/b.py": "import os\n\n\ndef boot():\n    os.system('reboot')\n"})
    git(repo, "add", "main_pc_code/agents/b.py")
    hook = run_hook(repo, git(repo, "diff", "--cached", "--name-only").split())
    assert hook.returncode == 1, hook.stderr
    assert "main_pc_code/agents/b.py:5" in hook.stdout and "agents/a.py" not in hook.stdout
    commit(repo, "b")
    write(repo, {"main_pc_code/agents/c.py": "X = 1\n"})
    git(repo, "add", "main_pc_code/agents/c.py")
    clean = run_hook(repo, ["main_pc_code/agents/c.py"])
    assert clean.returncode == 0, clean.stdout + clean.stderr
