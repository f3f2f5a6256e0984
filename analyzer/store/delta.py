"""Which rows of a new snapshot differ from the snapshot it replaces (the store writes only those).

Rows are compared without their snapshot: ids lose the snapshot's name (their prefix) and the `snapshot`
column is left out, so the same row of two snapshots is equal. A graph's image is each table's columns so
normalised and packed with msgpack, one bytes value per table: the store keeps the image of the snapshot
it holds, and a later write compares table by table, unpacking only the tables whose bytes differ. A node
is named by its id, a relationship by its (from, to) pair (all of a pair's relationships of one type are
rewritten together). The Snapshot node, which differs every time, is not in the image.
"""

from __future__ import annotations

import hmac
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgpack

from analyzer.cache import signature
from analyzer.codec import pack, unpack
from analyzer.graph import GraphSnapshot
from analyzer.schema import schema_digest

SNAPSHOT_TABLE = "Snapshot"
IMAGE_FORMAT = 1
# A difference above this share of the graph's rows is written as a whole snapshot: statement by statement
# it would cost more than the stores' bulk writes.
MAX_DELTA_SHARE = 0.25
Image = dict[str, bytes]  # table -> its normalised columns, packed


def local_name(value: str, snapshot: str) -> str:
    """An id without its snapshot prefix (ids are `<snapshot>|...`)."""
    return value[len(snapshot):] if value.startswith(snapshot) else value


def save_image(path: Path, image: Image, **identity: str | int) -> None:
    """Keep `image` with what it is the image of (repository, snapshot, row key, fingerprint), signed with this
    user's local key: only a scan of this user's can make it a base."""
    body = pack({"format": IMAGE_FORMAT, "schema": schema_digest(), **identity, "tables": image})
    path.write_bytes(msgpack.packb({"body": body, "signature": signature(body)}))


def load_image(path: Path) -> dict[str, Any] | None:
    """A saved image and its identity, when this user's scan signed it for this schema; None otherwise."""
    try:
        envelope = msgpack.unpackb(path.read_bytes())
        body, signed = envelope["body"], envelope["signature"]
        if not hmac.compare_digest(signature(body), signed):
            return None
        saved = msgpack.unpackb(body, unicode_errors="surrogatepass")
        tables = saved.get("tables") if type(saved) is dict else None
        if saved.get("format") != IMAGE_FORMAT or saved.get("schema") != schema_digest() or type(tables) is not dict \
                or not all(type(name) is str and type(data) is bytes for name, data in tables.items()):
            return None  # another version's layout: the callers compare its identity with .get
        return saved
    except (OSError, ValueError, KeyError, TypeError, msgpack.UnpackException):
        return None  # missing, unreadable, not ours or another format: the snapshot is written whole


@dataclass
class GraphImage:
    columns: dict[str, list[list[Any]]]  # table -> normalised columns (nodes: id then properties)
    packed: Image


def graph_image(graph: GraphSnapshot) -> GraphImage:
    snapshot, columns = graph.snapshot, {}
    cut = len(snapshot)

    def local(names: list[str]) -> list[str]:  # local_name over a column, inlined: a few hundred thousand ids
        return [name[cut:] if name.startswith(snapshot) else name for name in names]

    for name, table in graph.nodes.items():
        if name == SNAPSHOT_TABLE:
            continue
        ids, _snapshot, *rest = (table.data[c] for c in table.names)
        columns[name] = [local(ids), *rest]
    for name, table in graph.rels.items():
        sources, targets, *rest = (table.data[c] for c in table.names)
        columns[name] = [local(sources), local(targets), *rest]
    return GraphImage(columns, {name: pack(data) for name, data in columns.items()})


@dataclass
class Delta:
    """What turns the stored snapshot into the new one: names are snapshot-free (see `local_name`)."""

    deleted_nodes: dict[str, list[str]] = field(default_factory=dict)  # table -> ids
    changed_nodes: dict[str, list[int]] = field(default_factory=dict)  # table -> new row positions
    created_nodes: dict[str, list[int]] = field(default_factory=dict)
    deleted_pairs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # rel -> (from, to): all go
    created_rels: dict[str, list[int]] = field(default_factory=dict)  # rel -> new row positions

    @property
    def size(self) -> int:
        return sum(len(v) for part in (self.deleted_nodes, self.changed_nodes, self.created_nodes,
                                       self.deleted_pairs, self.created_rels) for v in part.values())


def small_difference(stored: Image, new: GraphImage, graph: GraphSnapshot) -> Delta | None:
    """The difference between a stored image and `graph` (whose image `new` is), or None when it is too large
    to be worth writing as a difference."""
    delta = difference(stored, new, set(graph.nodes))
    rows = sum(len(table) for table in [*graph.nodes.values(), *graph.rels.values()])
    return delta if delta.size <= MAX_DELTA_SHARE * max(rows, 1) else None


def difference(stored: Image, new: GraphImage, node_tables: set[str]) -> Delta:
    delta = Delta()
    for table, columns in new.columns.items():
        if stored.get(table) == new.packed[table]:
            continue
        old_rows = list(zip(*unpack(stored[table]))) if table in stored else []
        new_rows = list(zip(*columns))
        if table in node_tables:
            _node_difference(delta, table, old_rows, new_rows)
        else:
            _rel_difference(delta, table, old_rows, new_rows)
    return delta


def _node_difference(delta: Delta, table: str, old_rows: list[tuple], new_rows: list[tuple]) -> None:
    old_set, new_set = set(old_rows), set(new_rows)
    old_ids = {row[0] for row in old_set - new_set}
    new_ids = {row[0] for row in new_set - old_set}
    changed: list[int] = []
    created: list[int] = []
    for position, row in enumerate(new_rows):
        if row[0] in new_ids:
            (changed if row[0] in old_ids else created).append(position)
    deleted = sorted(old_ids - new_ids)
    if deleted:
        delta.deleted_nodes[table] = deleted
    for part, positions in ((delta.changed_nodes, changed), (delta.created_nodes, created)):
        if positions:
            part[table] = positions


def _rel_difference(delta: Delta, table: str, old_rows: list[tuple], new_rows: list[tuple]) -> None:
    # Rows counted, not just collected: a pair may hold the same relationship twice.
    touched = {row[:2] for row, _count in set(Counter(old_rows).items()) ^ set(Counter(new_rows).items())}
    if touched:
        delta.deleted_pairs[table] = sorted(touched)
    created = [position for position, row in enumerate(new_rows) if row[:2] in touched]
    if created:
        delta.created_rels[table] = created


def stored_nodes(graph: GraphSnapshot, table: str, positions: list[int], row_key: str) -> list[dict[str, Any]]:
    """The new graph's rows of `table` at `positions`, as a store that keeps `row_key` writes them."""
    data, snapshot = graph.nodes[table].data, graph.snapshot
    rows = [{column: values[p] for column, values in data.items()} for p in positions]
    for row in rows:
        row["id"], row["snapshot"] = row_key + local_name(row["id"], snapshot), row_key
    return rows


def stored_rels(graph: GraphSnapshot, table: str, positions: list[int], row_key: str) -> list[dict[str, Any]]:
    """The new graph's relationships of `table` at `positions`, their ends named as a store that keeps `row_key`."""
    data, snapshot = graph.rels[table].data, graph.snapshot
    rows = [{column: values[p] for column, values in data.items()} for p in positions]
    for row in rows:
        row["from"], row["to"] = row_key + local_name(row["from"], snapshot), row_key + local_name(row["to"], snapshot)
    return rows
