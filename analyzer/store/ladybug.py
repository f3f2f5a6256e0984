"""The embedded store: one LadybugDB database file per repository snapshot.

A scan writes a complete new database file, then switches the repository's
CURRENT pointer with an atomic rename, then deletes the old file. A scan that
fails or is killed at any point leaves the previous snapshot current and
queryable; leftovers of an interrupted scan are removed by the next one.
"""

from __future__ import annotations

import decimal
import fcntl
import os
import re
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from analyzer.graph import Columns, GraphSnapshot
from analyzer.store.port import QueryResult, SnapshotInfo, StoreError
from analyzer.schema import NODE_TABLES, REL_TABLES

DB_SUFFIX = ".lbdb"
CURRENT = "CURRENT"
PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _ladybug():
    import ladybug  # imported on use: the CLI's --help should not pay for it

    return ladybug


def repository_key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name) or "_"


def schema_statements() -> list[str]:
    statements = []
    for table in NODE_TABLES:
        columns = ", ".join(f"`{name}` {kind}" for name, kind in table.columns.items())
        statements.append(f"CREATE NODE TABLE IF NOT EXISTS {table.name}({columns}, PRIMARY KEY(id))")
    for rel in REL_TABLES:
        columns = "".join(f", `{name}` {kind}" for name, kind in rel.properties.items())
        statements.append(f"CREATE REL TABLE IF NOT EXISTS {rel.name}(FROM {rel.source} TO {rel.target}{columns})")
    return statements


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class LadybugStore:
    def __init__(self, location: str | os.PathLike[str], read_only: bool = False) -> None:
        self.root = Path(location)
        self.read_only = read_only
        self._readers: dict[Path, tuple[Any, Any]] = {}
        if not read_only:
            try:
                self.root.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create store folder {self.root}: {error.strerror}") from error

    # --- writing ----------------------------------------------------------

    def write_snapshot(self, graph: GraphSnapshot) -> SnapshotInfo:
        import pyarrow as pa

        from analyzer.schema import NODES_BY_NAME, RELS_BY_NAME

        folder = self.root / repository_key(graph.repository)
        folder.mkdir(parents=True, exist_ok=True)
        with self._locked(folder):
            target = folder / (repository_key(graph.snapshot) + DB_SUFFIX)
            self._remove_database(target)
            ladybug = _ladybug()
            database = ladybug.Database(str(target))
            try:
                connection = ladybug.Connection(database)
                for statement in schema_statements():
                    connection.execute(statement)  # analyzer: ignore[query-in-loop] - schema DDL, once per table
                types = {"STRING": pa.string(), "INT64": pa.int64(), "BOOLEAN": pa.bool_()}
                snapshot_row = graph.nodes["Snapshot"].rows()[0]
                # The pointer row lives only in the stored copy; the caller's graph stays as given.
                repository = Columns(tuple(NODES_BY_NAME["Repository"].columns))
                repository.add(id=graph.repository, snapshot=graph.snapshot, name=graph.repository, root=graph.root,
                               current_snapshot=graph.snapshot)
                for name, columns in [*graph.nodes.items(), ("Repository", repository), *graph.rels.items()]:
                    if not len(columns):
                        continue
                    table = NODES_BY_NAME.get(name) or RELS_BY_NAME[name]
                    schema = pa.schema([(c, types[t]) for c, t in table.columns.items()])
                    # A fresh Arrow table per COPY: reusing one across COPYs has crashed LadybugDB.
                    arrow_table = pa.Table.from_pydict({c: columns.data[c] for c in table.columns}, schema=schema)  # noqa: F841
                    connection.execute(f"COPY {name} FROM arrow_table")  # analyzer: ignore[query-in-loop] - one bulk COPY per table
                connection.close()
            except RuntimeError as error:
                database.close()
                self._remove_database(target)
                raise StoreError(f"writing snapshot {graph.snapshot} failed: {error}") from error
            database.close()
            pointer = folder / (CURRENT + ".tmp")
            pointer.write_text(graph.snapshot + "\n", encoding="utf-8")
            with open(pointer, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(pointer, folder / CURRENT)
            self._collect_garbage(folder, keep=target)
        return SnapshotInfo(graph.repository, graph.snapshot, snapshot_row["created_at"], snapshot_row["fingerprint"], True)

    @contextmanager
    def _locked(self, folder: Path):
        with open(folder / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise StoreError(f"another scan is writing {folder.name} in {self.root}") from error
            yield

    @staticmethod
    def _remove_database(path: Path) -> None:
        for candidate in (path, Path(str(path) + ".wal"), Path(str(path) + ".shadow")):
            if candidate.is_dir():
                shutil.rmtree(candidate)
            elif candidate.exists():
                candidate.unlink()

    def _collect_garbage(self, folder: Path, keep: Path) -> None:
        """Old snapshots and leftovers of interrupted scans."""
        for entry in folder.iterdir():
            if entry.name.startswith(keep.name) or entry.name in (CURRENT, ".lock"):
                continue
            if DB_SUFFIX in entry.name or entry.name == CURRENT + ".tmp":
                self._remove_database(entry)

    # --- reading ----------------------------------------------------------

    @staticmethod
    def _current(folder: Path) -> str | None:
        try:
            return (folder / CURRENT).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def repositories(self) -> list[str]:
        if not self.root.is_dir():
            return []
        found = []
        for folder in sorted(self.root.iterdir()):
            snapshot = self._current(folder) if folder.is_dir() else None
            if snapshot:
                found.append(self._read_meta(folder, snapshot)["repository"])
        return found

    def _folder_for(self, repository: str | None) -> Path:
        if repository is not None:
            folder = self.root / repository_key(repository)
            if self._current(folder) is None:
                known = ", ".join(self.repositories()) or "none"
                raise StoreError(f"no scan of repository {repository!r} in {self.root} (scanned: {known})")
            return folder
        repositories = self.repositories()
        if not repositories:
            raise StoreError(f"the store {self.root} holds no scan yet: run `analyzer scan PATH` first")
        if len(repositories) > 1:
            raise StoreError(f"the store {self.root} holds {len(repositories)} repositories "
                             f"({', '.join(repositories)}): pass --repo NAME")
        return self.root / repository_key(repositories[0])

    def _read_meta(self, folder: Path, snapshot: str) -> dict[str, Any]:
        result = self._run(folder / (repository_key(snapshot) + DB_SUFFIX),
                           "MATCH (s:Snapshot) RETURN s.repository, s.created_at, s.fingerprint", {})
        repository, created_at, fingerprint = result.rows[0]
        return {"repository": repository, "created_at": created_at, "fingerprint": fingerprint}

    def _connection(self, database_path: Path):
        """A read-only connection per snapshot file, kept open: a snapshot file never changes once written."""
        cached = self._readers.get(database_path)
        if cached is None:
            ladybug = _ladybug()
            try:
                database = ladybug.Database(str(database_path), read_only=True)
            except RuntimeError as error:
                raise StoreError(f"cannot open {database_path}: {error}") from error
            cached = self._readers[database_path] = (database, ladybug.Connection(database))
        return cached[1]

    def _run(self, database_path: Path, cypher: str, params: dict[str, Any]) -> QueryResult:
        connection = self._connection(database_path)
        try:
            used = {k: v for k, v in params.items() if k in set(PARAM_RE.findall(cypher))}
            result = connection.execute(cypher, used)
            columns = result.get_column_names()
            rows = []
            while result.has_next():
                rows.append([_plain(v) for v in result.get_next()])
            return QueryResult(columns, rows)
        except RuntimeError as error:
            raise StoreError(f"query failed: {error}") from error

    def current_snapshot(self, repository: str | None = None) -> str:
        folder = self._folder_for(repository)
        return self._current(folder) or ""

    def query(self, cypher: str, params: dict[str, Any] | None = None, repository: str | None = None) -> QueryResult:
        folder = self._folder_for(repository)
        snapshot = self._current(folder) or ""
        return self._run(folder / (repository_key(snapshot) + DB_SUFFIX), cypher, {"snapshot": snapshot, **(params or {})})

    def list_snapshots(self, repository: str | None = None) -> list[SnapshotInfo]:
        infos = []
        if not self.root.is_dir():
            return infos
        for folder in sorted(self.root.iterdir()):
            snapshot = self._current(folder) if folder.is_dir() else None
            if not snapshot:
                continue
            meta = self._read_meta(folder, snapshot)
            if repository is None or meta["repository"] == repository:
                infos.append(SnapshotInfo(meta["repository"], snapshot, meta["created_at"], meta["fingerprint"], True))
        return infos

    def close(self) -> None:
        for database, connection in self._readers.values():
            connection.close()
            database.close()
        self._readers.clear()
