"""Which rows of a new snapshot differ from the snapshot it replaces (the store writes only those).

Every row is named without its snapshot: a node by its id, a relationship by its (from, to) pair, with the
snapshot's name (the prefix of every id, and every `snapshot` column) taken out, so the same row of two
snapshots has the same name and the same digest. A `RowIndex` (table -> name -> digest) of the snapshot a
store holds is all a later write needs to find the difference; the Snapshot node, which differs every
time, is not in it (the store writes it whole). A pair's digest covers all of its relationships of one type.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

import msgpack

from analyzer.graph import GraphSnapshot

RowIndex = dict[str, dict[str, bytes]]  # table -> row name (snapshot taken out) -> digest
PAIR_SEPARATOR = "\0"
SNAPSHOT_TABLE = "Snapshot"


def local_name(value: str, snapshot: str) -> str:
    """An id without its snapshot prefix (ids are `<snapshot>|...`)."""
    return value[len(snapshot):] if value.startswith(snapshot) else value


def _digest(row: list) -> bytes:
    return hashlib.blake2b(msgpack.packb(row), digest_size=12).digest()


@dataclass
class GraphRows:
    """A graph's row index, and where each named row sits in its table (for writing the difference)."""

    index: RowIndex = field(default_factory=dict)
    node_rows: dict[str, dict[str, int]] = field(default_factory=dict)  # table -> name -> row position
    rel_rows: dict[str, dict[str, list[int]]] = field(default_factory=dict)  # table -> pair -> row positions

    @property
    def size(self) -> int:
        return sum(len(names) for names in self.index.values())


def graph_rows(graph: GraphSnapshot) -> GraphRows:
    snapshot, rows = graph.snapshot, GraphRows()
    for name, columns in graph.nodes.items():
        if name == SNAPSHOT_TABLE:
            continue
        names, digests, positions = [], [], {}
        for position, values in enumerate(zip(*(columns.data[c] for c in columns.names))):
            row = list(values)
            row[0], row[1] = local_name(row[0], snapshot), ""  # id, snapshot: the first two columns of every node
            positions[row[0]] = position
            names.append(row[0])
            digests.append(_digest(row))
        rows.index[name], rows.node_rows[name] = dict(zip(names, digests)), positions
    for name, columns in graph.rels.items():
        grouped: dict[str, list[int]] = defaultdict(list)
        row_digests: list[bytes] = []
        for position, values in enumerate(zip(*(columns.data[c] for c in columns.names))):
            row = list(values)
            row[0], row[1] = local_name(row[0], snapshot), local_name(row[1], snapshot)  # from, to
            grouped[row[0] + PAIR_SEPARATOR + row[1]].append(position)
            row_digests.append(_digest(row))
        rows.index[name] = {pair: hashlib.blake2b(b"".join(sorted(row_digests[p] for p in positions)),
                                                  digest_size=12).digest()
                            for pair, positions in grouped.items()}
        rows.rel_rows[name] = dict(grouped)
    return rows


@dataclass
class Delta:
    """What turns the stored snapshot into the new one: names are snapshot-free (see `local_name`)."""

    deleted_nodes: dict[str, list[str]] = field(default_factory=dict)  # table -> names
    changed_nodes: dict[str, list[int]] = field(default_factory=dict)  # table -> new row positions
    created_nodes: dict[str, list[int]] = field(default_factory=dict)
    deleted_pairs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # rel -> (from, to), all rels go
    created_rels: dict[str, list[int]] = field(default_factory=dict)  # rel -> new row positions

    @property
    def size(self) -> int:
        return sum(len(v) for part in (self.deleted_nodes, self.changed_nodes, self.created_nodes,
                                       self.deleted_pairs, self.created_rels) for v in part.values())


def difference(stored: RowIndex, new: GraphRows) -> Delta:
    delta = Delta()
    for table, positions in new.node_rows.items():
        old, digests = stored.get(table, {}), new.index[table]
        deleted = [name for name in old if name not in digests]
        changed = [positions[name] for name, digest in digests.items() if name in old and old[name] != digest]
        created = [positions[name] for name in digests if name not in old]
        for part, found in ((delta.deleted_nodes, deleted), (delta.changed_nodes, changed),
                            (delta.created_nodes, created)):
            if found:
                part[table] = found
    for table, grouped in new.rel_rows.items():
        old, digests = stored.get(table, {}), new.index[table]
        gone = [pair for pair, digest in old.items() if digests.get(pair) != digest]
        fresh = [p for pair, digest in digests.items() if old.get(pair) != digest for p in grouped[pair]]
        if gone:
            delta.deleted_pairs[table] = [tuple(pair.split(PAIR_SEPARATOR, 1)) for pair in gone]
        if fresh:
            delta.created_rels[table] = fresh
    return delta
