"""Structure queries beyond their examples: canonical cycle rows, deterministic rows, agreement with expected.json."""

from __future__ import annotations

import json

import pytest

from analyzer import queries
from analyzer.store import open_store
from tests.conftest import FIXTURE_REPO
from tests.queries.conftest import query_rows, scan_files

STRUCTURE_QUERIES = ("import-cycles", "complexity-hotspots", "duplicate-agents",
                     "dead-code-on-path", "heavy-dependencies", "most-imported", "critical-path")

# A four-module cycle whose smallest member (`alpha_agent`) is neither the first file written nor the first importer,
# a two-module cycle beside it, copies and a heavy import: something for every structure query.
RING = {
    "main_pc_code/agents/zeta_agent.py": "import zmq\n\nfrom agents.alpha_agent import A\n\n\nclass ZetaAgent:\n    pass\n",
    "main_pc_code/agents/alpha_agent.py": "from utils.mu import M\n\nA = 1\n",
    "main_pc_code/utils/mu.py": "import time\nfrom agents.omega_agent import OmegaAgent\nM = 2\n",
    "main_pc_code/agents/omega_agent.py": "from agents.zeta_agent import ZetaAgent\n\n\nclass OmegaAgent:\n    pass\n",
    "pc2_code/agents/zeta_agent.py": "import torch\nfrom agents.beta_agent import B\n\n\nclass ZetaAgent:\n    pass\n",
    "pc2_code/agents/beta_agent.py": "def b():\n    from agents.zeta_agent import ZetaAgent\n    return ZetaAgent\n\n\nB = 1\n",
    "pc2_code/agents/old/beta_agent.py": "def b():\n    from agents.zeta_agent import ZetaAgent\n    return ZetaAgent\n\n\nB = 1\n",
}


@pytest.fixture(scope="module")
def ring_stores(tmp_path_factory):
    """The ring scanned twice, its files written in one order and in the opposite order: one scan each for
    every structure query."""
    base = tmp_path_factory.mktemp("ring")
    return scan_files(RING, base / "one"), scan_files(dict(reversed(RING.items())), base / "two")


def _rows(query_id: str, store_path) -> list[dict]:
    return query_rows(store_path, queries.get(query_id))


def test_cycle_starts_at_its_smallest_member_and_each_import_closes_the_next_step(ring_stores):
    rows = _rows("import-cycles", ring_stores[0])
    ring = next(row for row in rows if row["size"] == 4)
    members = ring["members"].split(",")
    assert members == ["main_pc_code.agents.alpha_agent", "main_pc_code.utils.mu", "main_pc_code.agents.omega_agent",
                       "main_pc_code.agents.zeta_agent"]
    imports = [entry.rsplit(":", 1) for entry in ring["imports"].split(",")]
    for (path, line), member, following in zip(imports, members, members[1:] + members[:1]):
        assert path.removesuffix(".py").replace("/", ".") == member
        imported = RING[path].splitlines()[int(line) - 1]
        assert following.split(".", 1)[1] in imported, f"{path}:{line} does not import {following}"
    assert (ring["path"], ring["line"]) == ("main_pc_code/agents/alpha_agent.py", 1)


def test_a_cycle_with_one_lazy_import_is_lazy(ring_stores):
    rows = _rows("import-cycles", ring_stores[0])
    pair = next(row for row in rows if row["size"] == 2)
    assert pair["members"] == "pc2_code.agents.beta_agent,pc2_code.agents.zeta_agent"
    assert pair["timing"] == "lazy"
    assert pair["imports"] == "pc2_code/agents/beta_agent.py:2,pc2_code/agents/zeta_agent.py:2"


@pytest.mark.parametrize("query_id", STRUCTURE_QUERIES)
def test_rows_do_not_depend_on_the_scan(query_id, ring_stores):
    """Two scans of the repository, its files written in opposite orders, give the same rows in the same order."""
    query = queries.get(query_id)
    first, second = (_rows(query_id, store) for store in ring_stores)
    assert first == second
    if query.kind == "detection" and query_id != "complexity-hotspots":  # the ring has no complex function
        assert first, f"{query_id} finds nothing in the ring repository"


def test_fixture_cycles_agree_with_the_hand_written_expected_json(scanned_fixture):
    expected = json.loads((FIXTURE_REPO / "expected.json").read_text(encoding="utf-8"))["import_cycles"]
    store = open_store(str(scanned_fixture[0]))
    try:
        query = queries.get("import-cycles")
        rows = store.query(query.cypher, query.bind()).dicts()
    finally:
        store.close()
    found = sorted((sorted(row["members"].split(",")), row["timing"]) for row in rows)
    assert found == sorted((sorted(cycle["members"]), cycle["timing"]) for cycle in expected)
