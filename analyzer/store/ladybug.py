"""The embedded store: one LadybugDB database file per repository snapshot.

A scan writes a complete new database file, then switches the repository's
CURRENT pointer with an atomic rename, then deletes the old file. A scan that
fails or is killed at any point leaves the previous snapshot current and
queryable; leftovers of an interrupted scan are removed by the next one.

Readers hold a shared lock on a snapshot's lease file (`<snapshot>.lbdb.readers`)
from before they open it until they close it, and garbage collection deletes
only snapshots it can lock exclusively; a reader that finds its snapshot gone
after all (collected between reading CURRENT and locking) reads CURRENT again.
So a snapshot never vanishes under a reader. A current snapshot that cannot
be opened (a damaged file, a directory in its place, a garbage write-ahead
log, CURRENT naming nothing) is reported with the command that repairs it;
the next scan moves the damaged files aside (`*.damaged-<time>`) and writes a
fresh snapshot. Repository names map to folders injectively (percent-encoding).

A rescan that changed a small part of the graph writes only the difference: it copies
the current snapshot's file and applies the rows that differ (analyzer/store/delta.py)
to the copy in one transaction, then switches CURRENT as above, so every guarantee
holds. The rows of a copy keep the `snapshot` value and id prefix of the file they were
first written to (the row key: the Snapshot node's `snapshot`, the Repository node's
`current_snapshot`), and queries get it as `$snapshot`; the Snapshot node's id is the
new snapshot's name, as CURRENT's is. The difference is found
against the image of its rows saved beside each snapshot (`<snapshot>.lbdb.rows`), signed with
this user's local key: a store folder planted in a scanned repository is never a base.
The image also records the identity of the database file it was saved beside (device, inode, size,
modification time): while the file is as that scan left it, the next scan takes the row key from the
image and does not open the file (an open costs a tenth of a second); a file touched since is opened and
its row key and fingerprint compared with the image's.
"""

from __future__ import annotations

import decimal
import errno
import fcntl
import os
import re
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote, unquote

from analyzer.cache import make_ignored_folder
from analyzer.graph import Columns, GraphSnapshot
from analyzer.schema import NODE_TABLES, NODES_BY_NAME, REL_TABLES, RELS_BY_NAME
from analyzer.store.delta import (
    Delta, GraphImage, Image, graph_image, load_image, save_image, small_difference, stored_nodes, stored_rels,
)
from analyzer.store.port import DamagedSnapshotError, QueryResult, SnapshotInfo, StoreError, check_repository_name

DB_SUFFIX = ".lbdb"
CURRENT = "CURRENT"
LEASE_SUFFIX = ".readers"
DAMAGED_MARK = ".damaged-"
IMAGE_SUFFIX = ".rows"  # beside a snapshot's database: its rows' image, for the next scan's difference
MAX_GROWTH = 1.5  # a file that differences grew past this multiple of its whole write is written whole again
PARAM_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
OPEN_ATTEMPTS = 20  # a reader re-reads CURRENT when the snapshot it read was collected before it locked it


def _ladybug():
    import ladybug  # imported on use: the CLI's --help should not pay for it

    return ladybug


def repository_key(name: str) -> str:
    """The folder (or file stem) for a repository or snapshot name: one per name, never `..` or a path."""
    return quote(check_repository_name(name), safe="")


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


def _apply(connection: Any, graph: GraphSnapshot, delta: Delta, row_key: str) -> None:
    """Turn the copied snapshot into `graph` in one transaction; rows take the copy's row key."""

    def run(cypher: str, rows: list[dict[str, Any]]) -> None:
        connection.execute(cypher, {"rows": rows})

    def run_each(cypher: str, rows: list[dict[str, Any]], what: str) -> None:
        """`cypher` must match once per row: a row whose node is missing fails the write, as a COPY does."""
        done = connection.execute(f"{cypher} RETURN count(*)", {"rows": rows}).get_all()[0][0]
        if done != len(rows):
            raise StoreError(f"{len(rows) - done} of {len(rows)} {what} name a node the snapshot does not hold")

    def value(column: str, kind: str) -> str:
        # Parameter rows carry no types: a column that is null in every row would bind as STRING.
        return f"CAST(row.`{column}` AS {kind})"

    connection.execute("BEGIN TRANSACTION")
    for name, pairs in delta.deleted_pairs.items():
        rel = RELS_BY_NAME[name]
        run(f"UNWIND $rows AS row MATCH (:{rel.source} {{id: row.`from`}})-[r:{name}]->(:{rel.target} {{id: row.`to`}}) "
            "DELETE r", [{"from": row_key + source, "to": row_key + target} for source, target in pairs])
    for name, names in delta.deleted_nodes.items():
        run(f"UNWIND $rows AS row MATCH (n:{name} {{id: row.id}}) DETACH DELETE n",
            [{"id": row_key + local} for local in names])
    for name, positions in delta.changed_nodes.items():
        settable = [(c, kind) for c, kind in NODES_BY_NAME[name].columns.items() if c != "id"]
        run_each(f"UNWIND $rows AS row MATCH (n:{name} {{id: row.id}}) SET "
                 + ", ".join(f"n.`{c}` = {value(c, kind)}" for c, kind in settable),
                 stored_nodes(graph, name, positions, row_key), f"changed {name} rows")
    for name, positions in delta.created_nodes.items():
        columns = ", ".join(f"`{c}`: {value(c, kind)}" for c, kind in NODES_BY_NAME[name].columns.items())
        run(f"UNWIND $rows AS row CREATE (:{name} {{{columns}}})", stored_nodes(graph, name, positions, row_key))
    for name, positions in delta.created_rels.items():
        rel = RELS_BY_NAME[name]
        properties = ", ".join(f"`{p}`: {value(p, kind)}" for p, kind in rel.properties.items())
        run_each(f"UNWIND $rows AS row MATCH (a:{rel.source} {{id: row.`from`}}), (b:{rel.target} {{id: row.`to`}}) "
                 f"CREATE (a)-[:{name}{f' {{{properties}}}' if properties else ''}]->(b)",
                 stored_rels(graph, name, positions, row_key), f"{name} relationships")
    # The Snapshot node names the new snapshot. The Repository node's `current_snapshot` stays the row key: it
    # is what queries anchor on (a Browser statement reads it for `$snapshot`).
    connection.execute("MATCH (s:Snapshot) DELETE s")
    columns = ", ".join(f"`{c}`: {value(c, kind)}" for c, kind in NODES_BY_NAME["Snapshot"].columns.items())
    snapshot_row = graph.nodes["Snapshot"].rows()[0]
    run(f"UNWIND $rows AS row CREATE (:Snapshot {{{columns}}})", [{**snapshot_row, "snapshot": row_key}])
    connection.execute("MATCH (r:Repository) SET r.root = $root", {"root": graph.root})
    connection.execute("COMMIT")


def _file_stamp(database: Path) -> str | None:
    """A database file's identity (device, inode, size, modification time): a file a write left is the same
    file, untouched, while it holds. None while a write-ahead log is beside it (the file alone is not the
    snapshot)."""
    if Path(f"{database}.wal").exists():
        return None
    info = database.stat()
    return f"{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"


@dataclass(frozen=True)
class _CurrentImage:
    database: Path
    saved: dict[str, Any]  # load_image's identity and tables
    untouched: bool  # the file is as the scan that saved the image left it


class LadybugStore:
    def __init__(self, location: str | os.PathLike[str], read_only: bool = False) -> None:
        self.root = Path(location)
        self.read_only = read_only
        # database path -> (database, connection, lease, row key)
        self._readers: dict[Path, tuple[Any, Any, int | None, str]] = {}
        if not read_only:
            try:
                make_ignored_folder(self.root)
            except OSError as error:
                raise StoreError(f"cannot create store folder {self.root}: {error.strerror}") from error

    # --- writing ----------------------------------------------------------

    def write_snapshot(self, graph: GraphSnapshot) -> SnapshotInfo:
        folder = self.root / repository_key(graph.repository)
        folder.mkdir(parents=True, exist_ok=True)
        snapshot_row = graph.nodes["Snapshot"].rows()[0]
        with self._locked(folder):
            current = self._current_image(folder, graph.repository)
            if current is None or not current.untouched:
                # Opened to find damage; a file as this user's last scan left it is not.
                self._set_aside_if_damaged(folder, graph.repository)
                current = self._current_image(folder, graph.repository)
            target = folder / (repository_key(graph.snapshot) + DB_SUFFIX)
            self._remove_database(target)
            image = graph_image(graph)
            written = self._write_difference(graph, image, target, current)
            if written is None:
                self._write_whole(graph, target)
                written = graph.snapshot, target.stat().st_size
            row_key, whole_bytes = written
            save_image(Path(str(target) + IMAGE_SUFFIX), image.packed, repository=graph.repository,
                       snapshot=graph.snapshot, row_key=row_key, fingerprint=snapshot_row["fingerprint"],
                       whole_bytes=whole_bytes, file=_file_stamp(target) or "")
            Path(str(target) + LEASE_SUFFIX).touch()  # before CURRENT names it: readers lock it from the start
            pointer = folder / (CURRENT + ".tmp")
            pointer.write_text(graph.snapshot + "\n", encoding="utf-8")
            with open(pointer, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(pointer, folder / CURRENT)
            self._release(folder)  # this process's own readers of the old snapshot must not keep it alive
            self._collect_garbage(folder, keep=target)
        return SnapshotInfo(graph.repository, graph.snapshot, snapshot_row["created_at"], snapshot_row["fingerprint"], True)

    def _write_whole(self, graph: GraphSnapshot, target: Path) -> None:
        import pyarrow as pa

        with self._new_database(target, graph.snapshot) as connection:
            for statement in schema_statements():
                connection.execute(statement)  # analyzer: ignore[query-in-loop] - schema DDL, once per table
            types: dict[str, pa.DataType] = {"STRING": pa.string(), "INT64": pa.int64(), "BOOLEAN": pa.bool_()}
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

    @contextmanager
    def _new_database(self, target: Path, snapshot: str) -> Iterator[Any]:
        """A connection to the database file `target`; when a statement fails the file goes and StoreError says why."""
        ladybug = _ladybug()
        database = ladybug.Database(str(target))
        try:
            connection = ladybug.Connection(database)
            yield connection
            connection.close()
        except RuntimeError as error:
            database.close()
            self._remove_database(target)
            raise StoreError(f"writing snapshot {snapshot} failed: {error}") from error
        database.close()

    def _write_difference(self, graph: GraphSnapshot, image: GraphImage, target: Path,
                          current: _CurrentImage | None) -> tuple[str, int] | None:
        """Copy the current snapshot to `target` and apply what differs: (its row key, the size of the file its
        lineage was first written whole as), or None when the current snapshot cannot be a base (none, no
        trusted image of it, a large difference, a file grown too far past its whole write)."""
        base = None if current is None else self._base(current)
        if current is None or base is None:
            return None
        row_key, whole_bytes = base
        delta = small_difference(current.saved["tables"], image, graph)
        if delta is None:
            return None
        shutil.copyfile(current.database, target)
        with self._new_database(target, graph.snapshot) as connection:
            _apply(connection, graph, delta, row_key)
        return row_key, whole_bytes

    def _current_image(self, folder: Path, repository: str) -> _CurrentImage | None:
        """The current snapshot's database and its saved image, when this user's scan signed the image for it
        and its file is checkpointed; None otherwise (no snapshot, CURRENT unreadable, no trusted image)."""
        try:
            snapshot = self._current(folder)
            if snapshot is None:
                return None
            database = folder / (repository_key(snapshot) + DB_SUFFIX)
        except StoreError:  # DamagedSnapshotError included: the write sets it aside
            return None
        image = Path(str(database) + IMAGE_SUFFIX)
        try:
            stamp = _file_stamp(database)
            if stamp is None:
                return None  # not checkpointed: the file alone is not the snapshot
            if image.stat().st_size > 2 * database.stat().st_size + 2**20:
                return None  # far larger than any image of this file: not read (the folder may be the repository's)
        except OSError:
            return None
        saved = load_image(image)
        if saved is None or (saved.get("repository"), saved.get("snapshot")) != (repository, snapshot):
            return None
        return _CurrentImage(database, saved, saved.get("file") == stamp)

    def _base(self, current: _CurrentImage) -> tuple[str, int] | None:
        """(row key, size when written whole) of the current snapshot when it and its image belong together and
        the file has not grown past MAX_GROWTH; None otherwise. A file as the scan that saved the image left
        it (its stamp) is not opened; another is, to compare its row key and fingerprint with the image's."""
        saved, whole_bytes = current.saved, current.saved.get("whole_bytes")
        if type(whole_bytes) is not int or current.database.stat().st_size > MAX_GROWTH * whole_bytes:
            return None  # pages of rows that differences replaced: a whole write compacts the file
        if current.untouched:
            row_key = saved.get("row_key")
            return (row_key, whole_bytes) if type(row_key) is str else None
        _snapshot, row_key, connection = self._open_current(current.database.parent)
        fingerprint = self._execute(connection, "MATCH (s:Snapshot) RETURN s.fingerprint", {}).rows[0][0]
        if (row_key, fingerprint) != (saved.get("row_key"), saved.get("fingerprint")):
            return None
        return row_key, whole_bytes

    @contextmanager
    def _locked(self, folder: Path):
        with open(folder / ".lock", "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise StoreError(f"another scan is writing {folder.name} in {self.root}") from error
            yield

    def _set_aside_if_damaged(self, folder: Path, repository: str) -> None:
        """Move a current snapshot that cannot be read (and its CURRENT) aside, for inspection."""
        try:
            if self._current(folder) is not None:
                self._read_meta(folder, repository)
            return
        except DamagedSnapshotError:
            pass  # moved aside below
        self._release(folder)
        stamp = f"{DAMAGED_MARK}{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{os.getpid()}"
        pointer = folder / CURRENT
        snapshot = self._pointer_text(folder)
        candidates = [pointer]
        if snapshot:
            try:
                database = folder / (repository_key(snapshot) + DB_SUFFIX)
                candidates += [database, Path(f"{database}.wal"), Path(f"{database}.shadow")]
            except StoreError:
                pass  # CURRENT names no valid snapshot: it alone is set aside
        for path in candidates:
            if path.exists() or path.is_symlink():
                os.replace(path, path.with_name(path.name + stamp))

    @staticmethod
    def _remove_database(path: Path) -> None:
        for candidate in (path, *(Path(str(path) + suffix) for suffix in (".wal", ".shadow", LEASE_SUFFIX, IMAGE_SUFFIX))):
            if candidate.is_dir() and not candidate.is_symlink():
                shutil.rmtree(candidate)
            elif candidate.exists() or candidate.is_symlink():
                candidate.unlink()

    def _collect_garbage(self, folder: Path, keep: Path) -> None:
        """Old snapshots no reader holds, and leftovers of interrupted scans; damaged files stay for inspection."""
        names = set(os.listdir(folder))
        for name in sorted(names):
            if name.startswith(keep.name) or name in (CURRENT, ".lock") or DAMAGED_MARK in name:
                continue
            entry = folder / name
            if name == CURRENT + ".tmp":
                entry.unlink(missing_ok=True)
            elif name.endswith(DB_SUFFIX):
                self._collect_snapshot(entry)
            elif DB_SUFFIX in name and name[: name.index(DB_SUFFIX) + len(DB_SUFFIX)] not in names:
                self._remove_database(entry)  # a .wal, .shadow or lease whose database is gone

    def _collect_snapshot(self, database: Path) -> None:
        lease = Path(str(database) + LEASE_SUFFIX)
        try:
            handle = os.open(lease, os.O_RDONLY)
        except FileNotFoundError:
            self._remove_database(database)  # never leased: an interrupted write, or written before leases
            return
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # a reader holds it; a later scan collects it
            self._remove_database(database)
        finally:
            os.close(handle)

    # --- reading ----------------------------------------------------------

    @staticmethod
    def _pointer_text(folder: Path) -> str | None:
        """CURRENT's snapshot name as written; None when there is no CURRENT; "" when it cannot be read."""
        try:
            return (folder / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            return ""

    def _current(self, folder: Path) -> str | None:
        """The current snapshot's name; None when the repository was never scanned; DamagedSnapshotError for a bad CURRENT."""
        text = self._pointer_text(folder)
        if text is None:
            return None
        if not text or "\n" in text:
            raise self._damage(folder, f"its {CURRENT} file is unreadable")
        return text

    def _damage(self, folder: Path, reason: str) -> DamagedSnapshotError:
        return DamagedSnapshotError(unquote(folder.name), str(self.root), reason)

    def repositories(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(unquote(folder.name) for folder in self.root.iterdir()
                      if folder.is_dir() and (folder / CURRENT).exists())

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

    def _read_meta(self, folder: Path, repository: str) -> dict[str, Any]:
        snapshot, _row_key, connection = self._open_current(folder)
        result = self._execute(connection, "MATCH (s:Snapshot) RETURN s.created_at, s.fingerprint", {})
        created_at, fingerprint = result.rows[0]
        return {"snapshot": snapshot, "created_at": created_at, "fingerprint": fingerprint}

    def _open_current(self, folder: Path) -> tuple[str, str, Any]:
        """(snapshot, row key, connection) of the folder's current snapshot, leased so that no scan collects it
        while open; DamagedSnapshotError when it cannot be opened or is not the snapshot CURRENT names."""
        for _attempt in range(OPEN_ATTEMPTS):
            snapshot = self._current(folder)
            if snapshot is None:
                raise self._damage(folder, f"its {CURRENT} file is gone")
            try:
                database_path = folder / (repository_key(snapshot) + DB_SUFFIX)
            except StoreError as error:
                raise self._damage(folder, f"{CURRENT} names {snapshot[:60]!r}, not a snapshot") from error
            cached = self._readers.get(database_path)
            if cached is not None:
                return snapshot, cached[3], cached[1]
            lease = self._lease(database_path)
            if lease is False:
                if self._current(folder) != snapshot:
                    continue  # collected after a scan switched CURRENT: read the new one
                raise self._damage(folder, f"{CURRENT} names {snapshot!r}, whose database file is missing")
            try:
                database, connection, row_key = self._open_database(folder, database_path, snapshot)
            except DamagedSnapshotError:
                self._unlock(lease)
                raise
            self._readers[database_path] = (database, connection, lease, row_key)
            return snapshot, row_key, connection
        raise StoreError(f"{folder} changed {OPEN_ATTEMPTS} times while opening it: a scan loop? try again")

    def _open_database(self, folder: Path, database_path: Path, snapshot: str) -> tuple[Any, Any, str]:
        ladybug = _ladybug()
        database = None
        try:
            database = ladybug.Database(str(database_path), read_only=True)
            connection = ladybug.Connection(database)
            rows = connection.execute("MATCH (s:Snapshot) RETURN s.repository, s.id, s.snapshot").get_all()
        except RuntimeError as error:
            if database is not None:
                database.close()
            raise self._damage(folder, f"{database_path.name}: {' '.join(str(error).split())}") from error
        if [row[:2] for row in rows] != [[unquote(folder.name), snapshot]]:
            connection.close()
            database.close()
            found = ", ".join(f"{row[0]!r}" for row in rows) or "no snapshot"
            raise self._damage(folder, f"{database_path.name} holds {found}, not {snapshot!r}")
        return database, connection, rows[0][2]

    @staticmethod
    def _lease(database_path: Path) -> int | None | bool:
        """A shared lock on the snapshot's lease file: its descriptor; None for a snapshot written before
        leases; False when the snapshot was collected meanwhile."""
        try:
            handle = os.open(f"{database_path}{LEASE_SUFFIX}", os.O_RDONLY)
        except FileNotFoundError:
            return None if database_path.exists() else False
        except OSError as error:
            if error.errno in (errno.EACCES, errno.EISDIR):
                return None  # not ours to lock: read as before leases
            raise
        fcntl.flock(handle, fcntl.LOCK_SH)
        if not database_path.exists() and not database_path.is_symlink():
            os.close(handle)
            return False
        return handle

    @staticmethod
    def _unlock(lease: int | None | bool) -> None:
        if isinstance(lease, int) and not isinstance(lease, bool):
            os.close(lease)

    def _release(self, folder: Path) -> None:
        for path in [p for p in self._readers if p.parent == folder]:
            database, connection, lease, _row_key = self._readers.pop(path)
            connection.close()
            database.close()
            self._unlock(lease)

    @staticmethod
    def _execute(connection: Any, cypher: str, params: dict[str, Any]) -> QueryResult:
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
        return self._open_current(self._folder_for(repository))[0]

    def query(self, cypher: str, params: dict[str, Any] | None = None, repository: str | None = None) -> QueryResult:
        _snapshot, row_key, connection = self._open_current(self._folder_for(repository))
        return self._execute(connection, cypher, {"snapshot": row_key, **(params or {})})

    def list_snapshots(self, repository: str | None = None) -> list[SnapshotInfo]:
        names = [repository] if repository is not None else self.repositories()
        infos = []
        for name in names:
            folder = self.root / repository_key(name)
            if self._current(folder) is None:
                continue
            meta = self._read_meta(folder, name)
            infos.append(SnapshotInfo(name, meta["snapshot"], meta["created_at"], meta["fingerprint"], True))
        return infos

    def snapshot_stamp(self, repository: str) -> str | None:
        """CURRENT's snapshot and its database file's identity (device, inode, size, modification time): every
        write makes a new file under a new name, so an equal stamp is the same snapshot, untouched. None for a
        snapshot with a write-ahead log beside it (its file alone is not the snapshot) or none at all."""
        folder = self.root / repository_key(repository)
        snapshot = self._pointer_text(folder)
        if not snapshot or "\n" in snapshot:
            return None
        try:
            stamp = _file_stamp(folder / (repository_key(snapshot) + DB_SUFFIX))
        except (OSError, StoreError):
            return None  # no such file, or CURRENT names no valid snapshot: opening it reports why
        return None if stamp is None else f"{snapshot}\n{stamp}"

    def close(self) -> None:
        for folder in {path.parent for path in self._readers}:
            self._release(folder)
