"""Generated hostile inputs, shared by the per-case tests and the all-at-once scan."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PLANTED = "hunter2-Zq8"  # planted in every place a credential can hide; must never come out


def deep_expression(depth: int) -> str:
    return "x = " + "f(" * depth + "1" + ")" * depth + "\n"


def call_chain(length: int) -> str:
    return "x = a" + ".b()" * length + "\n"


def slow_file(length: int = 3000) -> str:
    """Python 3.12 syntax first (CPython 3.11 rejects it, so libcst alone parses), then a chain libcst takes minutes on."""
    return "type Alias = int\n" + call_chain(length)


def alias_bomb(levels: int = 12) -> str:
    """Under 1 KB; a tree walk visits 10**levels nodes."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


RECURSIVE_ALIAS = "agents: &loop\n  - name: x\n    children: *loop\n"


class _Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').write('the payload ran')",))


def pickle_payload(marker: Path) -> bytes:
    """A pickle that writes `marker` when it is loaded."""
    return pickle.dumps(_Payload(marker))


def cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300,
        check: bool = False) -> subprocess.CompletedProcess:
    """`analyzer ARGS...` in a child process (a real exit code, a real working directory); `env` replaces os.environ."""
    environment = {**(os.environ if env is None else env), "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", "from analyzer.cli import main; main()", *args], cwd=cwd,
                            env=environment, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"analyzer {' '.join(args)} exited {result.returncode}: {result.stderr[-2000:]}")
    return result
