"""Export a graph as the CSV files `neo4j-admin database import full` takes, for very large graphs.

Per label a header file and a data file (`Module.nodes.header.csv`, `Module.nodes.csv`),
per relationship type the same (`IMPORTS.rels.header.csv`, ...), plus `schema.cypher`
(the store's constraints and indexes, to run once the server is up) and
`neo4j-admin-import.sh` with the exact import command. Headers follow the import
tool's format: `id:ID(Module)` (ids are strings, one ID space per label), `:LABEL`,
`:START_ID(Module)`, `:END_ID(Package)`, `:TYPE`, typed properties (`line:long`,
`lazy:boolean`, strings untyped). An empty unquoted field is a missing (null)
property; every string is quoted, so `""` stays an empty string.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analyzer.graph import Columns, GraphSnapshot
from analyzer.store import GraphStore, SnapshotInfo
from analyzer.store.delta import local_name
from analyzer.schema import NODE_TABLES, NODES_BY_NAME, REL_TABLES, RELS_BY_NAME

IMPORT_TYPES = {"STRING": "", "INT64": ":long", "BOOLEAN": ":boolean"}


# --- reading a graph back out of a store (either adapter) ---------------------------------------


def read_graph(store: GraphStore, repository: str | None = None) -> GraphSnapshot:
    """The current snapshot of `repository` as a GraphSnapshot, read through Cypher (rows sorted); a StoreError
    when another scan replaced the snapshot meanwhile."""
    info: SnapshotInfo = _current(store, repository)
    nodes = {t.name: Columns(tuple(t.columns)) for t in NODE_TABLES}
    rels = {t.name: Columns(tuple(t.columns)) for t in REL_TABLES}
    for table in NODE_TABLES:
        names = list(table.columns)
        returns = ", ".join(f"n.`{name}` AS c{i}" for i, name in enumerate(names))
        cypher = f"MATCH (n:{table.name} {{snapshot: $snapshot}}) RETURN {returns} ORDER BY c0"
        _fill(nodes[table.name], names, store.query(cypher, repository=info.repository).rows)
    for rel in REL_TABLES:
        names = list(rel.columns)
        returns = ", ".join(["a.id AS c0", "b.id AS c1", *(f"r.`{p}` AS c{i + 2}" for i, p in enumerate(rel.properties))])
        order = ", ".join(f"c{i}" for i in range(len(names)))
        cypher = (f"MATCH (a:{rel.source} {{snapshot: $snapshot}})-[r:{rel.name}]->(b:{rel.target}) "
                  f"RETURN {returns} ORDER BY {order}")
        _fill(rels[rel.name], names, store.query(cypher, repository=info.repository).rows)
    now = _current(store, info.repository)
    if (now.snapshot, now.fingerprint) != (info.snapshot, info.fingerprint):
        from analyzer.store import StoreError

        # Each query read whatever was current when it ran: tables of two snapshots must not be mixed (a Neo4j
        # snapshot changed in place keeps its id; its fingerprint changes).
        raise StoreError(f"a scan replaced {info.repository}'s snapshot while it was read: run the export again")
    root = nodes["Repository"].data["root"][0] if len(nodes["Repository"]) else ""
    graph = GraphSnapshot(info.repository, info.snapshot, root or "", nodes, rels)
    _name_rows_by_snapshot(graph)
    return graph


def _name_rows_by_snapshot(graph: GraphSnapshot) -> None:
    """Rows written as a difference keep the key of the snapshot they were first written to (the Snapshot
    row's `snapshot`, docs/performance.md): rename them to the snapshot read, as a whole write names them."""
    keys = graph.nodes["Snapshot"].data["snapshot"]
    if not keys or keys[0] == graph.snapshot:
        return
    key = keys[0]

    def renamed(value):
        return graph.snapshot + local_name(value, key) if isinstance(value, str) and value.startswith(key) else value

    for name, columns in [*graph.nodes.items(), *graph.rels.items()]:
        for column in ("id", "snapshot", "from", "to", "current_snapshot"):
            if column in columns.data and not (name == "Repository" and column == "id"):
                columns.data[column] = [renamed(value) for value in columns.data[column]]


def _current(store: GraphStore, repository: str | None) -> SnapshotInfo:
    from analyzer.store import StoreError

    infos = store.list_snapshots(repository)
    if not infos:
        raise StoreError(f"no scan of {repository!r} in the store" if repository else "the store holds no scan yet")
    if len(infos) > 1:
        raise StoreError(f"the store holds {len(infos)} repositories ({', '.join(i.repository for i in infos)}): "
                         "pass --repo NAME")
    return infos[0]


def _fill(columns: Columns, names: list[str], rows: list[list[Any]]) -> None:
    for row in rows:
        columns.add(**dict(zip(names, row)))


class CapturingStore:
    """A store that keeps the graph a scan hands it, in memory: `analyzer export PATH` scans into it."""

    def __init__(self) -> None:
        self.graphs: list[GraphSnapshot] = []

    def write_snapshot(self, graph: GraphSnapshot) -> SnapshotInfo:
        self.graphs.append(graph)
        row = graph.nodes["Snapshot"].rows()[0]
        return SnapshotInfo(graph.repository, graph.snapshot, row["created_at"], row["fingerprint"], True)

    def query(self, cypher: str, params: dict[str, Any] | None = None, repository: str | None = None):
        raise NotImplementedError("a capturing store keeps graphs; it runs no Cypher")

    def list_snapshots(self, repository: str | None = None) -> list[SnapshotInfo]:
        return []  # nothing is current: the scan always builds its graph

    def snapshot_stamp(self, repository: str) -> str | None:
        return None

    def close(self) -> None:
        """Nothing to release."""


# --- writing the import files -------------------------------------------------------------------


@dataclass
class ExportResult:
    folder: Path
    node_files: list[tuple[Path, Path]] = field(default_factory=list)  # (header, data) per label
    rel_files: list[tuple[Path, Path]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # label or type -> rows written
    command: str = ""


def node_header(table_name: str) -> list[str]:
    table = NODES_BY_NAME[table_name]
    props = [f"{name}{IMPORT_TYPES[kind]}" for name, kind in table.columns.items() if name != "id"]
    return [f"id:ID({table.name})", ":LABEL", *props]


def rel_header(rel_name: str) -> list[str]:
    rel = RELS_BY_NAME[rel_name]
    props = [f"{name}{IMPORT_TYPES[kind]}" for name, kind in rel.properties.items()]
    return [f":START_ID({rel.source})", f":END_ID({rel.target})", ":TYPE", *props]


def csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace('"', '""') + '"'


def _line(fields: list[str]) -> str:
    return ",".join(fields) + "\n"


def _repository_rows(graph: GraphSnapshot) -> list[dict[str, Any]]:
    """The Repository node: read back from a store it is there; a freshly built graph lacks it."""
    rows = graph.nodes["Repository"].rows()
    return rows or [{"id": graph.repository, "snapshot": graph.snapshot, "name": graph.repository,
                     "root": graph.root, "current_snapshot": graph.snapshot}]


def export_neo4j_admin(graphs: list[GraphSnapshot], folder: Path, paths_as: str | None = None,
                       database: str = "neo4j", overwrite: bool = False) -> ExportResult:
    """Write the import files of `graphs` (one or several repositories) into `folder`; the command replaces an
    existing `database` (with every repository in it) only when `overwrite` says so."""
    from analyzer.store.neo4j import schema_statements

    folder.mkdir(parents=True, exist_ok=True)
    result = ExportResult(folder)
    for table in NODE_TABLES:
        rows = [row for graph in graphs for row in
                (_repository_rows(graph) if table.name == "Repository" else graph.nodes[table.name].rows())]
        if rows:
            columns = [c for c in table.columns if c != "id"]
            lines = (_line([csv_field(row["id"]), table.name, *(csv_field(row[c]) for c in columns)]) for row in rows)
            result.node_files.append(_write_pair(folder, f"{table.name}.nodes", node_header(table.name), lines))
            result.counts[table.name] = len(rows)
    for rel in REL_TABLES:
        rows = [row for graph in graphs for row in graph.rels[rel.name].rows()]
        if rows:
            lines = (_line([csv_field(row["from"]), csv_field(row["to"]), rel.name,
                            *(csv_field(row[p]) for p in rel.properties)]) for row in rows)
            result.rel_files.append(_write_pair(folder, f"{rel.name}.rels", rel_header(rel.name), lines))
            result.counts[rel.name] = len(rows)
    (folder / "schema.cypher").write_text(";\n".join(schema_statements()) + ";\n", encoding="utf-8")
    result.command = import_command(result, paths_as, database, overwrite)
    script = folder / "neo4j-admin-import.sh"
    script.write_text("#!/bin/sh\n# Stop the database first; then, after the import, run schema.cypher "
                      "(cypher-shell -f schema.cypher).\n# " + overwrite_note(database, overwrite) + "\n"
                      + result.command + "\n", encoding="utf-8")
    return result


def overwrite_note(database: str, overwrite: bool) -> str:
    """What the import command does to an existing database, in one line."""
    if overwrite:
        return (f"WARNING: this import deletes database {database!r} first: every repository it holds is lost, "
                "not only the ones in these files.")
    return (f"The import creates database {database!r} and fails if it exists (neo4j-admin: \"Database already "
            "exist\"); `analyzer export --overwrite-database` writes a command that replaces it, every repository "
            "it holds included.")


def _write_pair(folder: Path, stem: str, header: list[str], lines) -> tuple[Path, Path]:
    header_path, data_path = folder / f"{stem}.header.csv", folder / f"{stem}.csv"
    header_path.write_text(_line(header), encoding="utf-8")
    with open(data_path, "w", encoding="utf-8", errors="replace", newline="") as handle:
        handle.writelines(lines)
    return header_path, data_path


def import_command(result: ExportResult, paths_as: str | None = None, database: str = "neo4j",
                   overwrite: bool = False) -> str:
    """`neo4j-admin database import full ...` for the files written; `paths_as`: where the import tool sees the
    folder; `overwrite`: replace an existing database (`--overwrite-destination`)."""
    base = paths_as.rstrip("/") if paths_as else str(result.folder.resolve())

    def seen(path: Path) -> str:
        return f"{base}/{path.name}"

    parts = ["neo4j-admin", "database", "import", "full", database,
             *(["--overwrite-destination=true"] if overwrite else []), "--id-type=string", "--multiline-fields=true"]
    parts += [f"--nodes={seen(h)},{seen(d)}" for h, d in result.node_files]
    parts += [f"--relationships={seen(h)},{seen(d)}" for h, d in result.rel_files]
    return " ".join(shlex.quote(p) for p in parts)
