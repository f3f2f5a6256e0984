"""Every file is bounded: deep nesting is TooDeep before any parser recurses, a slow file is TooSlow after the
per-file limit, a worker that dies is replaced, and workers die with their parent."""

from __future__ import annotations

import faulthandler
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analyzer.extract import MAX_BRACKETS, extract_file, nesting_error
from analyzer.scan import ScanOptions, scan
from analyzer.store.ladybug import LadybugStore
from analyzer.workers import Failure, bounded_run, run_bounded
from tests.conftest import write_repo
from tests.hardening.hostile import ROOT, call_chain, deep_expression, slow_file

NORMAL = "import zmq\nsock = ctx.socket(zmq.PUB)\nsock.bind('tcp://*:5556')\n"


@pytest.mark.parametrize("depth", [250, 5000])
def test_a_deep_expression_is_too_deep_with_the_limit(depth):
    started = time.perf_counter()
    facts = extract_file("deep.py", deep_expression(depth).encode())
    assert (facts.parse_status, facts.parse_error.kind) == ("error", "TooDeep")
    assert str(MAX_BRACKETS) in facts.parse_error.message
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize("length", [pytest.param(1000, marks=pytest.mark.slow), 5000])  # libcst takes seconds on 1000
def test_a_long_call_chain_is_parsed_or_too_deep_never_a_crash(length):
    facts = extract_file("chain.py", call_chain(length).encode())
    assert facts.parse_status == "error" and facts.parse_error.kind == "TooDeep", facts.parse_error
    assert "limit" in facts.parse_error.message


def test_newer_syntax_that_python_rejects_is_still_bounded_by_the_tokenizer():
    code = "type Alias = int\n" + deep_expression(5000)
    error = nesting_error(code)
    assert error is not None and (error.kind, error.line) == ("TooDeep", 2)
    found = extract_file("new.py", code.encode()).parse_error
    assert (found.kind, found.line) == (error.kind, error.line) and "200" in found.message


def test_moderate_nesting_still_parses():
    facts = extract_file("ok.py", (deep_expression(50) + call_chain(100) + NORMAL).encode())
    assert facts.parse_status == "ok" and [e.port_ref.value for e in facts.endpoints] == [5556]


def _module_errors(store: Path) -> dict[str, str]:
    opened = LadybugStore(store, read_only=True)
    try:
        rows = opened.query("MATCH (m:Module {snapshot: $snapshot}) RETURN m.path, m.parse_error").rows
    finally:
        opened.close()
    return dict(rows)


@pytest.mark.slow
def test_a_scan_reports_deep_slow_and_normal_files_and_goes_on(tmp_path):
    repo = write_repo(tmp_path / "repo", {
        "pyproject.toml": "[tool.analyzer]\nmax_file_seconds = 3\n",
        "agents/ok.py": NORMAL, "agents/deep.py": deep_expression(5000), "agents/deep250.py": deep_expression(250),
        "agents/chain1000.py": call_chain(1000), "agents/chain5000.py": call_chain(5000), "agents/slow.py": slow_file(),
    })
    started = time.perf_counter()
    report = scan(ScanOptions(repo=repo, store=str(tmp_path / "store"), use_cache=False, jobs=2))
    assert time.perf_counter() - started < 45
    kinds = {f.path: (f.kind, f.message) for f in report.parse_failures}
    assert kinds["agents/slow.py"] == ("TooSlow", "took over the 3-second limit per file")
    assert kinds.pop("agents/chain1000.py")[0] in ("TooDeep", "TooSlow")  # too deep to analyse, or slower than 3 s
    assert {path: kind for path, (kind, _) in kinds.items()} == {
        "agents/deep.py": "TooDeep", "agents/deep250.py": "TooDeep", "agents/chain5000.py": "TooDeep",
        "agents/slow.py": "TooSlow",
    }
    errors = _module_errors(tmp_path / "store")  # shown like any parse failure, in Module.parse_error
    assert errors["agents/slow.py"] == "TooSlow" and errors["agents/deep.py"] == "TooDeep" and errors["agents/ok.py"] == ""
    assert report.endpoints == 1


def _crash_on_two(item: int) -> int:
    if item == 2:
        faulthandler.disable()  # pytest's handler would print the deliberate crash's traceback
        os.kill(os.getpid(), signal.SIGSEGV)
    if item == 4:
        time.sleep(60)
    if item == 5:
        raise ValueError("a bug")
    return item * 10


def test_a_worker_that_crashes_overruns_or_fails_is_reported_and_the_rest_go_on():
    outcomes: dict[int, object] = {}
    started = time.perf_counter()
    run_bounded(_crash_on_two, list(range(8)), 2, 1.5, lambda index, outcome: outcomes.__setitem__(index, outcome))
    assert time.perf_counter() - started < 10
    assert {i: outcomes[i] for i in (0, 1, 3, 6, 7)} == {0: 0, 1: 10, 3: 30, 6: 60, 7: 70}
    assert outcomes[2] == Failure("Crashed", "the parser process died on this file (killed by SIGSEGV)")
    assert outcomes[4] == Failure("TooSlow", "took over the 1.5-second limit per file")
    assert outcomes[5] == Failure("Failed", "ValueError: a bug")


def _finished_at(seconds: float) -> tuple[int, float]:
    time.sleep(seconds)
    return os.getpid(), time.monotonic()  # CLOCK_MONOTONIC: one clock for every process


def test_a_run_fed_in_batches_works_on_the_first_while_the_caller_goes_on():
    outcomes: dict[int, object] = {}
    with bounded_run(_finished_at, 2, 5, outcomes.__setitem__) as run:
        run.submit([0.2])
        assert len(run.pool.workers) == 1  # one item: one worker
        time.sleep(0.8)  # the caller's own work (a scan decoding its cached facts)
        second_batch = time.monotonic()
        run.submit([0.2, 0.2])
        assert len(run.pool.workers) == 2
    assert sorted(outcomes) == [0, 1, 2]
    assert outcomes[0][1] < second_batch  # parsed during the caller's work, not when the block ended
    assert os.getpid() not in {pid for pid, _at in outcomes.values()}


def test_items_of_later_batches_are_numbered_after_the_earlier_ones():
    outcomes: dict[int, object] = {}
    with bounded_run(_crash_on_two, 2, 5, outcomes.__setitem__) as run:
        run.submit([0, 1])
        run.submit([3, 5, 7])
    assert outcomes == {0: 0, 1: 10, 2: 30, 3: Failure("Failed", "ValueError: a bug"), 4: 70}


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")
def test_workers_exit_when_the_scan_is_killed(tmp_path):
    repo = write_repo(tmp_path / "repo", {f"agents/slow{i}.py": slow_file() for i in range(2)})
    process = subprocess.Popen(
        [sys.executable, "-c", "from analyzer.cli import main; main()", "scan", str(repo), "--store",
         str(tmp_path / "store"), "--no-cache", "--jobs", "2"],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(process.pid)) < 2:  # both busy on a file that takes minutes
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(1)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in workers if _alive(pid)], "workers outlived the killed scan"
