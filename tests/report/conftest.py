"""Scanned systems for the report tests beyond the bundled fixture: a small one outside git, and 150 agents."""

from __future__ import annotations

import pytest

from bench.corpus import generate_system
from tests.conftest import write_repo

AGENT = '''"""{name}."""
import zmq


class {cls}:
    def __init__(self):
        self.socket = zmq.Context().socket(zmq.REP)
        self.socket.bind("tcp://*:{port}")

    def run(self):
        # TODO: retry when the model is not loaded yet
        return None
'''


@pytest.fixture(scope="session")
def small_system(tmp_path_factory):
    """(store, root) of a repository that is not a git work tree: a live agent, two copies of it (repeating its
    TODO), and a copy holding a TODO of its own twice over."""
    from analyzer.scan import ScanOptions, scan

    base = tmp_path_factory.mktemp("small-system")
    live = AGENT.format(name="Planner", cls="PlannerAgent", port=5800)
    own_todo = live.replace("# TODO: retry when the model is not loaded yet", "# TODO: drop this archive")
    root = write_repo(base / "repo", {
        "main_pc_code/agents/planner_agent.py": live,
        "main_pc_code/agents/planner_agent_backup.py": live,
        "main_pc_code/_trash_2025-06-13/agents/planner_agent.py": live,
        "main_pc_code/ARCHIVEDONTUSE/agents/old_planner.py": own_todo,
        "main_pc_code/backups/2025-07-01/agents/old_planner.py": own_todo,
    })
    store = base / "store"
    scan(ScanOptions(repo=root, store=str(store), cache_dir=str(base / "cache"), jobs=1))
    return store, root


@pytest.fixture(scope="session")
def scanned_system(tmp_path_factory):
    """(store, plan) of bench/corpus.generate_system: 150 live agents on two machines and 90 copies."""
    from analyzer.scan import ScanOptions, scan

    base = tmp_path_factory.mktemp("system-150")
    plan = generate_system(base / "repo", agents=150, copies=90)
    store = base / "store"
    scan(ScanOptions(repo=base / "repo", store=str(store), cache_dir=str(base / "cache"), jobs=2))
    return store, plan
