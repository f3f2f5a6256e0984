"""Worker processes that run one task per item under a time limit, tied to the process that started them.

A hostile file may make the parser recurse past its native stack (the process
dies) or take minutes (quadratic corners of the grammar). So every item runs in
a child process; the parent gives each item `seconds` from the moment it was
sent. A worker that dies or overruns is killed and replaced, and that item's
outcome is a `Failure`; the other items go on. Workers die with their parent:
on Linux the kernel kills them (PR_SET_PDEATHSIG), elsewhere a watchdog thread
notices the parent is gone within a second.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
WATCHDOG_SECONDS = 1.0


@dataclass(frozen=True)
class Failure:
    kind: str  # TooSlow | Crashed | Failed
    message: str


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off meanwhile (as it was after): the small objects that parsing and its facts are
    made of (syntax trees, facts, graph rows) hold no reference cycles, and its passes over millions of them
    cost a large share of the CPU and free nothing. Forked workers inherit the pause."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Worker(Generic[Item, Result]):
    def __init__(self, task: Callable[[Item], Result]) -> None:
        context = multiprocessing.get_context("fork")  # workers share the parent's imports; spawn would import libcst again
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, task, os.getpid()), daemon=True)
        self.process.start()
        child.close()  # the parent keeps one end only, so it sees EOF the moment the worker dies
        self.index: int | None = None  # the item it is working on
        self.started = 0.0

    def send(self, index: int, item: Item) -> None:
        self.index, self.started = index, time.monotonic()
        self.connection.send((index, item))

    def stop(self) -> None:
        """Kill now (it may be stuck in native code) and reap."""
        self.process.kill()
        self.process.join()
        self.connection.close()

    def close(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass  # already gone
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.stop()
        else:
            self.connection.close()

    def death(self) -> str:
        self.process.join(timeout=5)
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}"
        return f"exit code {code}"


def run_bounded(task: Callable[[Item], Result], items: Sequence[Item], jobs: int, seconds: float,
                done: Callable[[int, Result | Failure], None]) -> None:
    """`done(index, result or Failure)` once per item, in completion order; `task` runs in up to `jobs` workers."""
    with bounded_run(task, jobs, seconds, done) as run:
        run.submit(items)


@contextmanager
def bounded_run(task: Callable[[Item], Result], jobs: int, seconds: float,
                done: Callable[[int, Result | Failure], None]) -> Iterator[BoundedRun[Item, Result]]:
    """`run_bounded` whose items arrive in batches: the workers take the first batch the moment it is
    submitted and work while the caller does something else (a scan decodes its cached facts while the
    changed files parse); leaving the block waits for every item. Indexes count items across batches."""
    run: BoundedRun[Item, Result] = BoundedRun(_Pool(task, seconds), jobs, done)
    try:
        yield run
        run.finish()
    finally:
        run.pool.close()


class BoundedRun(Generic[Item, Result]):
    def __init__(self, pool: _Pool, jobs: int, done: Callable[[int, Result | Failure], None]) -> None:
        self.pool, self.jobs, self.done = pool, max(1, jobs), done
        self.pending: deque[tuple[int, Item]] = deque()
        self.submitted = 0

    def submit(self, items: Sequence[Item]) -> None:
        """Queue `items` and hand one to every idle worker now (starting workers up to `jobs`)."""
        self.pending.extend(enumerate(items, start=self.submitted))
        self.submitted += len(items)
        self.pool.grow(min(self.jobs, len(self.pending) + len(self.pool.busy())))
        self.pool.dispatch(self.pending)

    def finish(self) -> None:
        while self.pending or self.pool.busy():
            self.pool.dispatch(self.pending)
            for index, outcome in self.pool.wait():
                self.done(index, outcome)


class _Pool:
    def __init__(self, task: Callable[[Any], Any], seconds: float) -> None:
        self.task, self.seconds = task, seconds
        self.workers: list[_Worker] = []

    def grow(self, count: int) -> None:
        """At least `count` workers."""
        self.workers += [_Worker(self.task) for _ in range(count - len(self.workers))]

    def busy(self) -> list[_Worker]:
        return [w for w in self.workers if w.index is not None]

    def dispatch(self, pending: deque) -> None:
        """An item for every idle worker."""
        for position, worker in enumerate(self.workers):
            if worker.index is not None or not pending:
                continue
            index, item = pending.popleft()
            try:
                worker.send(index, item)
            except OSError:  # it died while idle (killed from outside): a fresh one takes the item
                worker.stop()
                self.workers[position] = _Worker(self.task)
                self.workers[position].send(index, item)

    def wait(self) -> list[tuple[int, Any]]:
        """(index, outcome) of every item finished, failed or overdue by the earliest deadline."""
        busy = self.busy()
        deadline = min(w.started for w in busy) + self.seconds
        ready = wait([w.connection for w in busy], timeout=max(0.0, deadline - time.monotonic()))
        finished = []
        for position, worker in enumerate(self.workers):
            if worker.index is None:
                continue
            if worker.connection in ready:
                outcome = _receive(worker)
            elif time.monotonic() - worker.started > self.seconds:
                worker.stop()
                outcome = Failure("TooSlow", f"took over the {self.seconds:g}-second limit per file")
            else:
                continue
            finished.append((worker.index, outcome))
            worker.index = None
            if isinstance(outcome, Failure) and outcome.kind != "Failed":
                self.workers[position] = _Worker(self.task)  # the dead or killed one's place
        return finished

    def close(self) -> None:
        for worker in self.workers:
            if worker.index is None:
                worker.close()
            else:  # interrupted mid-item: nobody waits for it
                worker.stop()


def _receive(worker: _Worker) -> Any:
    try:
        _index, result = worker.connection.recv()  # a worker holds one item at a time
    except (EOFError, OSError):
        reason = worker.death()
        worker.connection.close()
        return Failure("Crashed", f"the parser process died on this file ({reason})")
    return result


def _serve(connection: Connection, task: Callable[[Any], Any], parent: int) -> None:
    _tie_to_parent(parent)
    while True:
        try:
            message = connection.recv()
        except EOFError:
            return
        if message is None:
            return
        index, item = message
        try:
            result = task(item)
        except Exception as error:  # analyzer: ignore[broad-except] - a bug on one item is reported against it; the scan goes on
            result = Failure("Failed", f"{type(error).__name__}: {error}")
        connection.send((index, result))


def _tie_to_parent(parent: int) -> None:
    """Exit when `parent` does: the kernel's parent-death signal on Linux, and a watchdog everywhere."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="parent-watchdog").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)
