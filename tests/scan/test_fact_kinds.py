"""A fact kind is declared once (analyzer/kinds.py): a new kind from its declaration and its extractor alone."""

from __future__ import annotations

import dataclasses
import importlib
import re
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer import kinds
from analyzer.cache import facts_version, graph_version
from analyzer.extract import EXTRACTORS, extract_source, register_extractor, registrations
from analyzer.facts import FileFacts
from analyzer.kinds import fact_kind
from analyzer.scan import ScanOptions, scan
from analyzer.schema import NODES_BY_NAME, REL_TABLES, RELS_BY_NAME, schema_digest
from analyzer.store import open_store

ROOT = Path(__file__).resolve().parents[2]
# The plugin module docs/fact-kinds.md shows: a kind's declaration and its extractor, nothing else.
PLUGIN = re.search(r"```python\n(.*?)```", (ROOT / "docs" / "fact-kinds.md").read_text(encoding="utf-8"), re.S).group(1)

REPO = {
    "agents/a.py": "def run(x, y):\n    assert x > 0, 'positive'\n    assert x < y\n    return x\n",
    "agents/b.py": "import zmq\n\nassert zmq\n",
    "common/none.py": "X = 1\n",
}


@pytest.fixture
def plugin(tmp_path, monkeypatch):
    """The plugin imported by its module name (scan workers are forked: they inherit the registration, and
    facts come back from them in pickles that name the class by module), unregistered afterwards."""
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "assert_kind_plugin.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    with registrations():
        try:
            yield importlib.import_module("assert_kind_plugin")
        finally:
            sys.modules.pop("assert_kind_plugin", None)


def _repo(tmp_path):
    repo = tmp_path / "repo"
    for name, text in REPO.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text, encoding="utf-8")
    return repo


ASSERTS = ("MATCH (m:Module {snapshot: $snapshot})-[:HAS_ASSERT]->(a:AssertStatement) "
           "RETURN m.path, a.line, a.test, a.has_message, a.names, a.path, a.id ORDER BY m.path, a.line")


def test_a_declared_kind_and_its_extractor_reach_the_store(plugin, tmp_path):
    repo, cache = _repo(tmp_path), str(tmp_path / "cache")
    report = scan(ScanOptions(repo=repo, store=str(tmp_path / "store"), cache_dir=cache, jobs=2))
    assert report.parsed == 3
    rows = open_store(str(tmp_path / "store")).query(ASSERTS).rows
    snapshot = report.snapshot
    assert rows == [
        ["agents/a.py", 2, "x > 0", True, "x", "agents/a.py", f"{snapshot}|agents/a.py#A0"],
        ["agents/a.py", 3, "x < y", False, "x,y", "agents/a.py", f"{snapshot}|agents/a.py#A1"],
        ["agents/b.py", 3, "zmq", False, "zmq", "agents/b.py", f"{snapshot}|agents/b.py#A0"],
    ]
    # The same facts from the cache: the kind's class is a codec tag, its list survives msgpack.
    again = scan(ScanOptions(repo=repo, store=str(tmp_path / "store2"), cache_dir=cache, jobs=1))
    assert (again.parsed, again.cache_hits) == (0, 3)
    assert open_store(str(tmp_path / "store2")).query(ASSERTS).rows == [
        [*row[:6], row[6].replace(snapshot, again.snapshot)] for row in rows]


def test_registering_a_kind_changes_the_schema_and_the_cache_key_and_leaving_restores_them():
    before = (schema_digest(), facts_version(), graph_version(), list(NODES_BY_NAME), len(REL_TABLES), list(EXTRACTORS))
    with registrations():
        @fact_kind(field="yields", label="YieldPoint", relationship="HAS_YIELD", id_tag="V", doc="A yield.",
                   rel_doc="Module yields.")
        @dataclass(slots=True)
        class YieldFact:
            line: int
            function: str

        table = NODES_BY_NAME["YieldPoint"]
        assert table.columns == {"id": "STRING", "snapshot": "STRING", "path": "STRING", "machine": "STRING",
                                 "line": "INT64", "function": "STRING"}
        assert (RELS_BY_NAME["HAS_YIELD"].source, RELS_BY_NAME["HAS_YIELD"].target) == ("Module", "YieldPoint")
        assert list(NODES_BY_NAME)[list(NODES_BY_NAME).index("HygieneCall") + 1] == "YieldPoint"  # after the checks
        assert schema_digest() != before[0]
        assert facts_version() != before[1]  # this test module declares it: its code is part of the key
        assert graph_version() != before[2]  # and of the scan fingerprint
        assert extract_source("def f():\n    yield 1\n").extra == {"yields": []}
    assert (schema_digest(), facts_version(), graph_version(), list(NODES_BY_NAME), len(REL_TABLES),
            list(EXTRACTORS)) == before


def test_a_column_without_a_type_is_refused_and_a_kind_is_declared_once():
    with registrations():
        with pytest.raises(TypeError, match="no column type"):
            @fact_kind(field="odd", label="Odd", relationship="HAS_ODD", id_tag="O", doc="d", rel_doc="r")
            @dataclass(slots=True)
            class OddFact:
                line: int
                values: list[int]
        with pytest.raises(ValueError, match="declared twice"):
            @fact_kind(field="todos", label="Todo2", relationship="HAS_TODO2", id_tag="Q", doc="d", rel_doc="r")
            @dataclass(slots=True)
            class TodoAgain:
                line: int


def test_the_built_in_kinds_are_the_typed_lists_of_file_facts():
    hints = typing.get_type_hints(FileFacts)
    lists = [f.name for f in dataclasses.fields(FileFacts) if typing.get_origin(hints[f.name]) is list]
    assert [k.field for k in kinds.kinds()] == lists
    assert all(k.builtin for k in kinds.kinds())
    for kind in kinds.node_kinds():
        assert NODES_BY_NAME[kind.label].properties == kind.columns
        assert RELS_BY_NAME[kind.relationship].target == kind.label
    with pytest.raises(ValueError, match="not registered"):
        register_extractor(type("Orphan", (EXTRACTORS[0],), {}), after=type("Never", (EXTRACTORS[0],), {}))
