"""SIGKILL in the middle of `analyzer fix bare-except --apply`: every file is old or new, never torn."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_graph_codemods.bare_except import BareExcept
from agent_graph_codemods.base import apply_to_source

ROOT = Path(__file__).resolve().parents[2]
FILES = 2000
HANDLERS = 20


def _source(index: int) -> str:
    handlers = "".join(
        f"\n\ndef handler_{j}(sock):\n    try:\n        sock.recv()\n    except:  # agent {index}\n        pass\n"
        for j in range(HANDLERS)
    )
    return f'"""Agent {index}."""\nimport zmq\n{handlers}'


@pytest.mark.slow
def test_sigkill_during_apply_leaves_every_file_old_or_new(tmp_path) -> None:
    tree = tmp_path / "big"
    expected: dict[Path, tuple[bytes, bytes]] = {}
    for index in range(FILES):
        path = tree / f"pkg{index % 40}" / f"agent_{index}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        before = _source(index)
        after = before.replace("except:  #", "except Exception:  #")
        path.write_text(before)
        path.chmod(0o640)
        expected[path] = (before.encode(), after.encode())
    sample = _source(7)
    assert apply_to_source(BareExcept(), sample).code == sample.replace("except:  #", "except Exception:  #")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", "from analyzer.cli import main; main()", "fix", "bare-except", str(tree),
         "--apply", "--jobs", "2"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    paths = list(expected)
    deadline = time.monotonic() + 120
    try:
        # Kill as soon as the first rewritten file shows up: the run is then surely mid-way.
        while time.monotonic() < deadline and process.poll() is None:
            if any(p.read_bytes() == expected[p][1] for p in paths[::25]):
                break
            time.sleep(0.02)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)  # the CLI and its worker processes
        process.wait(timeout=30)
    time.sleep(0.5)  # let killed workers' file handles close

    old = new = 0
    for path, (before, after) in expected.items():
        content = path.read_bytes()
        assert content in (before, after), f"{path} is torn ({len(content)} bytes)"
        assert (path.stat().st_mode & 0o777) == 0o640
        old += content == before
        new += content == after
    assert new > 0
    assert old > 0, "the run finished before it was killed: the test proved nothing"
    stray = [p for p in tree.rglob("*") if p.is_file() and p not in expected]
    assert all(p.name.endswith(".fix-tmp") for p in stray), stray

    # A second run finishes the job; a third has nothing to do.
    finish = subprocess.run(
        [sys.executable, "-c", "from analyzer.cli import main; main()", "fix", "bare-except", str(tree),
         "--apply", "--jobs", "2"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert finish.returncode == 0, finish.stderr  # every remaining site fixed
    assert all(path.read_bytes() == after for path, (_, after) in expected.items())
