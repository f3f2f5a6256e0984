"""Store contract fixtures: one `backend` per adapter, the same tests run on each.

The embedded leg runs everywhere. The Neo4j leg runs when NEO4J_URI names a
server (with NEO4J_USER / NEO4J_PASSWORD; `.ci/run` starts one with
scripts/neo4j-local.sh) and is skipped with the reason otherwise. Every test works in repositories of its own (unique names), so
runs share a server safely, and drops them afterwards.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import write_repo

NEO4J_SKIP = ("NEO4J_URI is not set: the Neo4j leg needs a server "
              "(scripts/neo4j-local.sh start; . .neo4j/env; or docker compose up -d with NEO4J_URI and NEO4J_PASSWORD)")

# A tiny two-machine system: pub/sub agents, an import cycle across folders, a broken file.
SMALL_REPO = {
    "main_pc_code/agents/pub.py": "import zmq\nfrom utils import helper\nclass Pub:\n    def run(self):\n"
                                  "        s = ctx.socket(zmq.PUB)\n        s.bind('tcp://*:5556')\n",
    "main_pc_code/agents/sub.py": "import zmq\ns = ctx.socket(zmq.SUB)\ns.connect('tcp://localhost:5556')  "
                                  "# TODO(#9): \"quoted\", comma\n",
    "main_pc_code/utils/helper.py": "from agents import pub\ntry:\n    import torch\nexcept:\n    pass\n",
    "pc2_code/agents/a.py": "from agents import b\n",
    "pc2_code/agents/b.py": "from agents import a\nimport os\nos.system('ls')\n",
    "pc2_code/broken.py": "print 'py2'\n",
}



@pytest.fixture
def small_repo(tmp_path) -> Path:
    return write_repo(tmp_path / "small", SMALL_REPO)


@dataclass
class Backend:
    """One store adapter under test: where it lives and the repositories a test made in it."""

    kind: str  # "embedded" or "neo4j"
    location: str
    cache_dir: str
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    names: list[str] = field(default_factory=list)

    def name(self, base: str) -> str:
        """A repository name unique to this test (a Neo4j server is shared)."""
        self.names.append(f"t{self.tag}-{base}")
        return self.names[-1]

    def open(self, **neo4j_options):
        if self.kind == "neo4j":
            from analyzer.store.neo4j import Neo4jStore

            return Neo4jStore.connect(self.location, **neo4j_options)
        from analyzer.store.ladybug import LadybugStore

        return LadybugStore(self.location)

    def cleanup(self) -> None:
        if self.kind != "neo4j" or not self.names:
            return
        store = self.open(lease_seconds=1.0)
        try:
            for name in self.names:
                store.drop_repository(name)
        finally:
            store.close()


def _backend(kind: str, tmp_path: Path) -> Backend:
    if kind == "neo4j":
        uri = os.environ.get("NEO4J_URI")
        if not uri:
            pytest.skip(NEO4J_SKIP)
        return Backend("neo4j", uri, str(tmp_path / "cache"))
    return Backend("embedded", str(tmp_path / "store"), str(tmp_path / "cache"))


@pytest.fixture(params=[pytest.param("embedded"), pytest.param("neo4j", marks=pytest.mark.neo4j)])
def backend(request, tmp_path):
    made = _backend(request.param, tmp_path)
    yield made
    made.cleanup()


@pytest.fixture
def neo4j_backend(tmp_path):
    made = _backend("neo4j", tmp_path)
    yield made
    made.cleanup()


def normalized(graph, *names: str) -> dict[str, list[tuple]]:
    """Every table's rows with snapshot ids and repository names replaced, creation times dropped, sorted."""
    replacements = [(graph.snapshot, "<snapshot>"), *((n, "<repo>") for n in names)]

    def clean(value):
        if isinstance(value, str):
            for old, new in replacements:
                value = value.replace(old, new)
        return value

    tables = {}
    for name, columns in [*graph.nodes.items(), *graph.rels.items()]:
        rows = []
        for row in columns.rows():
            if name == "Snapshot":
                row.pop("created_at")
            rows.append(tuple((key, clean(value)) for key, value in sorted(row.items())))
        tables[name] = sorted(rows, key=repr)
    return tables
