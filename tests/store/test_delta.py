"""The difference between two snapshots' rows: snapshot names do not count, every change of a row does."""

from __future__ import annotations

from analyzer.graph import Columns, GraphSnapshot
from analyzer.schema import NODES_BY_NAME, RELS_BY_NAME
from analyzer.store.delta import difference, graph_image


def _graph(snapshot: str, modules: dict[str, int], imports: list[tuple[str, str, int]]) -> GraphSnapshot:
    """Modules (path -> lines) and IMPORTS (importer, target, line) under `snapshot`."""
    nodes = {name: Columns(tuple(table.columns)) for name, table in NODES_BY_NAME.items()}
    rels = {name: Columns(tuple(table.columns)) for name, table in RELS_BY_NAME.items()}
    for path, lines in modules.items():
        nodes["Module"].add(id=f"{snapshot}|{path}", snapshot=snapshot, path=path, lines=lines)
    for importer, target, line in imports:
        rels["IMPORTS"].add(**{"from": f"{snapshot}|{importer}", "to": f"{snapshot}|{target}"}, line=line)
    nodes["Snapshot"].add(id=snapshot, snapshot=snapshot, fingerprint=snapshot)
    return GraphSnapshot("repo", snapshot, "/repo", nodes, rels)


def _delta(before: GraphSnapshot, after: GraphSnapshot):
    return difference(graph_image(before).packed, graph_image(after), set(after.nodes))


def test_the_same_rows_under_another_snapshot_differ_in_nothing():
    rows = ({"a.py": 1, "b.py": 2}, [("a.py", "b.py", 1)])
    assert _delta(_graph("r@1", *rows), _graph("r@2", *rows)).size == 0


def test_nodes_are_deleted_changed_or_created_by_id():
    before = _graph("r@1", {"a.py": 1, "b.py": 2, "c.py": 3}, [])
    after = _graph("r@2", {"a.py": 1, "b.py": 5, "d.py": 4}, [])
    delta = _delta(before, after)
    assert delta.deleted_nodes == {"Module": ["|c.py"]}
    assert delta.changed_nodes == {"Module": [1]}  # positions in the new table
    assert delta.created_nodes == {"Module": [2]}
    assert delta.size == 3


def test_a_pair_whose_relationships_change_in_count_or_properties_is_rewritten_whole():
    modules = {"a.py": 1, "b.py": 2, "c.py": 3}
    before = _graph("r@1", modules, [("a.py", "b.py", 1), ("a.py", "b.py", 1), ("a.py", "c.py", 1)])
    after = _graph("r@2", modules, [("a.py", "b.py", 1), ("a.py", "c.py", 7)])
    delta = _delta(before, after)
    assert delta.deleted_pairs == {"IMPORTS": [("|a.py", "|b.py"), ("|a.py", "|c.py")]}
    assert delta.created_rels == {"IMPORTS": [0, 1]}
    assert delta.changed_nodes == delta.created_nodes == delta.deleted_nodes == {}
