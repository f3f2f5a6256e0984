"""The Neo4j store: a server that scans, CI jobs and Neo4j Browser share.

It holds the same graph as the embedded store: labels, relationship types and
properties all come from `analyzer.schema`, so every bundled query reads
the same rows from both. A snapshot replace never shows a half graph:

1. the new snapshot is written beside the current one under its own id, in
   parameterised `UNWIND $rows` batches (its Snapshot node first);
2. one transaction points the Repository node's `current_snapshot` at it;
3. the old snapshot is deleted in small batches (`CALL (r) { ... } IN TRANSACTIONS`,
   relationships first), but only once no reader holds it.

A rescan whose graph differs in a small share of its rows (analyzer/store/delta.py) writes only
the difference, onto the current snapshot itself, in one transaction that holds the Repository
node's write lock (which readers take to register) and runs only when no reader holds the
snapshot: a reader registers before it (and the write falls back to the steps above) or after
it commits, and a killed scan's transaction is rolled back. The snapshot keeps its id; its
Snapshot node takes the new scan's time and fingerprint. The image the difference is found
against is kept in the per-user cache folder, signed with the user's local key, and used only
while the server's current snapshot is the one it names, with the fingerprint it names.

A reader (`query()`) resolves the current snapshot and registers itself on it in
one transaction (an `AnalyzerReader` node), runs the query, then removes the
mark; the delete waits for the marks of the old snapshot to go (or leaves it to
the next write). Neo4j reads are read-committed, so resolving and reading in one
transaction alone would still see a concurrent delete's committed batches.

One scan at a time writes a repository: it holds a write lease (an
`AnalyzerWriteLease` node) renewed by a heartbeat. The lease of a killed scan
expires after `lease_seconds` without a heartbeat; the next scan takes it over
and deletes the killed scan's leftovers. Reader marks, leases and the
Repository node's `source` (the git remote and branch the name belongs to) are
store bookkeeping outside the graph schema, like the embedded store's lock file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from analyzer.cache import default_cache_dir, make_ignored_folder
from analyzer.graph import GraphSnapshot
from analyzer.store.delta import (
    Delta, GraphImage, Image, graph_image, load_image, save_image, small_difference, stored_nodes, stored_rels,
)
from analyzer.store.port import QueryResult, SnapshotInfo, StoreError
from analyzer.schema import (
    NODE_TABLES, NODES_BY_NAME, REL_TABLES, RELS_BY_NAME, SNAPSHOT_NODE_TABLES, NodeTable, RelTable,
)

DEFAULT_BATCH_ROWS = 5000  # rows per UNWIND transaction and per delete batch; see bench/bench_store.py
DEFAULT_LEASE_SECONDS = 20.0
DEFAULT_LEASE_WAIT_SECONDS = 900.0  # a second writer of one repository waits this long for a live first one
READER_SECONDS = 600.0  # a reader mark older than this belongs to a reader that died
READER_WAIT_SECONDS = 30.0  # how long a write waits for readers of the snapshot it replaced before leaving it
RETRY_SECONDS = 30.0  # transient errors (deadlock, leader switch) are retried this long
CONNECT_TIMEOUT_SECONDS = 5.0
IMAGES_FOLDER = "neo4j-images"  # in the per-user cache folder: the image of each repository's current snapshot
LEASE_LABEL = "AnalyzerWriteLease"
READER_LABEL = "AnalyzerReader"

# Composite indexes for what queries filter on after the snapshot anchor.
ANCHOR_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "Module": (("snapshot", "path"), ("snapshot", "name"), ("snapshot", "machine")),
    "Endpoint": (("snapshot", "port"),),
    "ConfigPort": (("snapshot", "port"),),
    "ConfiguredAgent": (("snapshot", "name"),),
    "Snapshot": (("repository",),),
    READER_LABEL: (("repository", "snapshot"),),
}

# What the server reports back: warnings only, and none for labels, types or properties a repository lacks
# (every query names the whole schema; a small repository has no Todo, say). Filtered on the server.
NOTIFICATIONS: dict[str, Any] = {"notifications_min_severity": "WARNING",
                                 "notifications_disabled_classifications": ["UNRECOGNIZED"]}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_log = logging.getLogger(__name__)


def _name(text: str) -> str:
    """A label, type or property name from the schema module, checked before it goes into Cypher text."""
    if not _NAME.fullmatch(text):
        raise ValueError(f"schema name {text!r} is not a plain identifier")
    return text


# --- Cypher text, built from the schema module only --------------------------------------------


def schema_statements() -> list[str]:
    """Uniqueness of `id` per label, a `snapshot` index per label, and the anchor indexes."""
    statements = []
    for table in NODE_TABLES:
        label = _name(table.name)
        statements.append(f"CREATE CONSTRAINT analyzer_{label}_id IF NOT EXISTS FOR (n:{label}) REQUIRE n.id IS UNIQUE")
        statements.append(f"CREATE INDEX analyzer_{label}_snapshot IF NOT EXISTS FOR (n:{label}) ON (n.snapshot)")
    for label, indexes in ANCHOR_INDEXES.items():
        for properties in indexes:
            columns = ", ".join(f"n.{_name(p)}" for p in properties)
            statements.append(
                f"CREATE INDEX analyzer_{_name(label)}_{'_'.join(properties)} IF NOT EXISTS FOR (n:{label}) ON ({columns})"
            )
    statements.append(
        f"CREATE CONSTRAINT analyzer_{LEASE_LABEL}_repository IF NOT EXISTS "
        f"FOR (l:{LEASE_LABEL}) REQUIRE l.repository IS UNIQUE"
    )
    return statements


def node_statement(table: NodeTable) -> str:
    return f"UNWIND $rows AS row CREATE (n:{_name(table.name)}) SET n = row RETURN count(*) AS written"


def rel_statement(rel: RelTable) -> str:
    assignments = ", ".join(f"r.`{_name(p)}` = row.`{p}`" for p in rel.properties)
    return (
        f"UNWIND $rows AS row "
        f"MATCH (a:{_name(rel.source)} {{id: row.`from`}}) MATCH (b:{_name(rel.target)} {{id: row.`to`}}) "
        f"CREATE (a)-[r:{_name(rel.name)}]->(b)" + (f" SET {assignments}" if assignments else "") + " "
        "RETURN count(*) AS written"
    )


def delete_rels_statement(rel: RelTable) -> str:
    """One snapshot's relationships of one type, $rows per inner transaction (found through the source's index)."""
    return (
        f"MATCH (:{_name(rel.source)} {{snapshot: $snapshot}})-[r:{_name(rel.name)}]->() "
        "CALL (r) { DELETE r } IN TRANSACTIONS OF $rows ROWS"
    )


def delete_statement(label: str) -> str:
    """One snapshot's nodes of one label; DETACH for safety, though their relationships are gone by then."""
    return (
        f"MATCH (n:{_name(label)} {{snapshot: $snapshot}}) "
        "CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF $rows ROWS"
    )


def delete_statements() -> list[str]:
    """A snapshot's delete, in order: every relationship, then the nodes, Modules late, its Snapshot node last
    (until then a half-deleted snapshot can still be found and removed)."""
    labels = [t for t in SNAPSHOT_NODE_TABLES if t not in ("Module", "Snapshot")] + ["Module", "Snapshot"]
    return [*(delete_rels_statement(rel) for rel in REL_TABLES), *(delete_statement(label) for label in labels)]


ACQUIRE_LEASE = f"""
MERGE (l:{LEASE_LABEL} {{repository: $repository}})
SET l.locked = true REMOVE l.locked
WITH l, l.snapshot AS holder, l.heartbeat AS beat, timestamp() AS now
WITH l, holder, beat, now, (holder IS NULL OR holder = $snapshot OR beat IS NULL OR beat < now - $ttl_ms) AS free
SET l.snapshot = CASE WHEN free THEN $snapshot ELSE holder END,
    l.heartbeat = CASE WHEN free THEN now ELSE beat END
RETURN free, holder, now - beat AS age_ms
"""

RENEW_LEASE = f"""
MATCH (l:{LEASE_LABEL} {{repository: $repository, snapshot: $snapshot}})
SET l.heartbeat = timestamp()
RETURN count(l) AS held
"""

RELEASE_LEASE = f"MATCH (l:{LEASE_LABEL} {{repository: $repository, snapshot: $snapshot}}) DELETE l"

# One transaction: still the lease holder (SET takes the node's write lock, held to commit, so no
# takeover races it), the snapshot is there, then the pointer moves. Returns the snapshot it replaced.
# Locking the Repository node orders the switch against readers registering (REGISTER_READER).
SWITCH_CURRENT = f"""
MATCH (l:{LEASE_LABEL} {{repository: $repository}})
SET l.locked = true REMOVE l.locked
WITH l WHERE l.snapshot = $snapshot
MATCH (s:Snapshot {{id: $snapshot}})
MERGE (r:Repository {{id: $repository}})
WITH l, r, r.current_snapshot AS previous
SET r.snapshot = $snapshot, r.current_snapshot = $snapshot, r.name = $repository, r.root = $root,
    r.source = $source, l.heartbeat = timestamp()
RETURN previous
"""

# The difference's transaction starts here: still the lease holder, both write locks taken (the Repository
# node's orders it against readers registering), the pointer still at $key, and how many live readers hold it.
DIFFERENCE_GATE = f"""
MATCH (l:{LEASE_LABEL} {{repository: $repository}})
SET l.locked = true REMOVE l.locked
WITH l WHERE l.snapshot = $lease
MATCH (r:Repository {{id: $repository}})
SET r.locked = true REMOVE r.locked
WITH r WHERE r.current_snapshot = $key
OPTIONAL MATCH (m:{READER_LABEL} {{repository: $repository, snapshot: $key}})
WHERE m.started >= timestamp() - $ttl_ms
RETURN count(DISTINCT r) AS held, count(m) AS readers
"""

REPOSITORY_SOURCE = "MATCH (r:Repository {id: $repository}) RETURN r.source AS source"

# Under the Repository node's write lock: read the pointer and mark the snapshot as read, so a
# switch either comes first (the reader reads the new snapshot) or sees the mark (and keeps the old one).
REGISTER_READER = f"""
MATCH (r:Repository {{id: $repository}})
SET r.locked = true REMOVE r.locked
WITH r
CREATE (m:{READER_LABEL} {{repository: r.id, snapshot: r.current_snapshot, started: timestamp()}})
RETURN r.current_snapshot AS snapshot, elementId(m) AS reader
"""

UNREGISTER_READER = f"MATCH (m:{READER_LABEL}) WHERE elementId(m) = $reader DELETE m"

# Under the same lock: are there live readers of `$snapshot`? Marks of readers that died are dropped.
LIVE_READERS = f"""
OPTIONAL MATCH (r:Repository {{id: $repository}})
SET r.locked = true REMOVE r.locked
WITH count(*) AS locked
OPTIONAL MATCH (m:{READER_LABEL} {{repository: $repository, snapshot: $snapshot}})
WITH m, timestamp() - $ttl_ms AS expired
FOREACH (dead IN CASE WHEN m.started < expired THEN [m] ELSE [] END | DELETE dead)
RETURN count(CASE WHEN m.started >= expired THEN 1 END) AS readers
"""

LEFTOVER_SNAPSHOTS = """
MATCH (s:Snapshot {repository: $repository})
OPTIONAL MATCH (r:Repository {id: $repository})
WITH s, r
WHERE s.id <> $keep AND (r IS NULL OR s.id <> r.current_snapshot)
RETURN s.id AS snapshot
ORDER BY snapshot
"""

CURRENT_SNAPSHOTS = """
MATCH (r:Repository)
WHERE $repository IS NULL OR r.id = $repository
OPTIONAL MATCH (s:Snapshot {id: r.current_snapshot})
RETURN r.id AS repository, r.current_snapshot AS snapshot, s.created_at AS created_at, s.fingerprint AS fingerprint
ORDER BY repository
"""


# --- errors and notifications -------------------------------------------------------------------


def _one_line(error: BaseException) -> str:
    message = getattr(error, "message", None) or str(error) or type(error).__name__
    return " ".join(message.split())


@contextmanager
def _translated(uri: str, doing: str):
    """Driver and server errors become one StoreError line for the user."""
    from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired

    try:
        yield
    except AuthError as error:
        raise StoreError(f"Neo4j at {uri} refused the credentials (set NEO4J_USER and NEO4J_PASSWORD): "
                         f"{_one_line(error)}") from error
    except (ServiceUnavailable, SessionExpired) as error:
        raise StoreError(f"Neo4j at {uri} is not reachable (is the server running? `docker compose up -d` or "
                         f"`scripts/neo4j-local.sh start`): {_one_line(error)}") from error
    except (Neo4jError, DriverError) as error:
        raise StoreError(f"{doing} failed on Neo4j at {uri}: {_one_line(error)}") from error


class _DriverNotificationLog(logging.Filter):
    """Drops the driver's own notification lines (each repeats the whole query); query() reports them in one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return False


_DRIVER_NOTIFICATIONS = _DriverNotificationLog()


def _report_notifications(summary) -> None:
    """What passed the server's filter (warnings that matter, e.g. a deprecated function): one line each."""
    for status in summary.gql_status_objects:
        if status.is_notification:
            text = " ".join((status.status_description or status.gql_status).split())
            _log.warning("Neo4j %s: %s", str(status.raw_severity or "warning").lower(),
                         re.sub(r"^(warn|info): ", "", text))  # GQL descriptions repeat the severity


class _IncompleteBatch(Exception):
    """A relationship batch found fewer endpoint nodes than it has rows: the graph is inconsistent."""


def _write_batch(tx, statement: str, rows: list[dict[str, Any]]) -> int:
    written = tx.run(statement, rows=rows).single(strict=True)["written"]
    if written != len(rows):
        raise _IncompleteBatch(f"wrote {written} of {len(rows)} rows (missing endpoint nodes)")
    return written


def _plain(value: Any) -> Any:
    from neo4j.graph import Node, Relationship

    if isinstance(value, (Node, Relationship)):
        return dict(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _apply(tx, graph: GraphSnapshot, delta: Delta, key: str) -> None:
    """Turn snapshot `key` into `graph` within transaction `tx`; rows keep `key`."""
    for name, pairs in delta.deleted_pairs.items():
        rel = RELS_BY_NAME[name]
        tx.run(f"UNWIND $rows AS row MATCH (:{_name(rel.source)} {{id: row.`from`}})-[r:{_name(name)}]->"
               f"(:{_name(rel.target)} {{id: row.`to`}}) DELETE r",
               rows=[{"from": key + source, "to": key + target} for source, target in pairs]).consume()
    for name, names in delta.deleted_nodes.items():
        tx.run(f"UNWIND $ids AS id MATCH (n:{_name(name)} {{id: id}}) DETACH DELETE n",
               ids=[key + local for local in names]).consume()
    for name, positions in delta.changed_nodes.items():
        _write_batch(tx, f"UNWIND $rows AS row MATCH (n:{_name(name)} {{id: row.id}}) SET n = row "
                         "RETURN count(*) AS written", stored_nodes(graph, name, positions, key))
    for name, positions in delta.created_nodes.items():
        _write_batch(tx, node_statement(NODES_BY_NAME[name]), stored_nodes(graph, name, positions, key))
    for name, positions in delta.created_rels.items():
        _write_batch(tx, rel_statement(RELS_BY_NAME[name]), stored_rels(graph, name, positions, key))
    snapshot = {c: v for c, v in graph.nodes["Snapshot"].rows()[0].items() if c not in ("id", "snapshot")}
    tx.run("MATCH (s:Snapshot {id: $key}) SET s += $snapshot", key=key, snapshot=snapshot).consume()


# --- where a repository name comes from -------------------------------------------------------------


def _git(root: str, *args: str) -> str:
    """git's answer about the scanned folder, '' when it has none (no git, not a work tree, untrusted)."""
    try:
        # Read-only plumbing (config, refs): nothing here runs hooks or the repository's fsmonitor.
        done = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def scan_source(root: str) -> str | None:
    """What a repository name stands for on a shared server: the origin remote (credentials dropped), the
    branch and the folder inside the work tree, e.g. `github.com/org/proj#main:services/`. None outside git."""
    if not _git(root, "rev-parse", "--is-inside-work-tree"):
        return None
    url = _git(root, "config", "--get", "remote.origin.url")
    remote = re.sub(r"^[^@/]*@", "", re.sub(r"^[A-Za-z][A-Za-z0-9+.-]*://", "", url))  # scheme, user:token@
    if "://" not in url and re.match(r"[^/]+:", remote):
        remote = remote.replace(":", "/", 1)  # scp-like host:org/proj
    remote = remote.removesuffix(".git").rstrip("/") or "(no remote)"
    branch = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD")  # empty when detached (CI checkouts)
    prefix = _git(root, "rev-parse", "--show-prefix")
    return remote + (f"#{branch}" if branch else "") + (f":{prefix}" if prefix else "")


# --- the adapter -------------------------------------------------------------------------------


def _credentials() -> tuple[str, str | None]:
    """NEO4J_USER / NEO4J_PASSWORD, else NEO4J_AUTH (`user/password`, the compose file's format)."""
    user, password = os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD")
    auth = os.environ.get("NEO4J_AUTH", "")
    if password is None and "/" in auth:
        auth_user, _, password = auth.partition("/")
        user = user or auth_user
    return user or "neo4j", password


class Neo4jStore:
    def __init__(self, driver, uri: str, database: str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS,
                 lease_seconds: float = DEFAULT_LEASE_SECONDS, lease_wait: float = DEFAULT_LEASE_WAIT_SECONDS,
                 reader_wait: float = READER_WAIT_SECONDS) -> None:
        if batch_rows < 1:
            raise StoreError(f"batch size must be at least 1 row, got {batch_rows}")
        self._driver = driver
        self.uri = uri
        self.database = database
        self.batch_rows = batch_rows
        self.lease_seconds = lease_seconds
        self.lease_wait = lease_wait
        self.reader_wait = reader_wait
        self._schema_ready = False

    @classmethod
    def connect(cls, location: str | None = None, *, batch_rows: int | None = None,
                lease_seconds: float = DEFAULT_LEASE_SECONDS, lease_wait: float = DEFAULT_LEASE_WAIT_SECONDS,
                reader_wait: float = READER_WAIT_SECONDS,
                connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> Neo4jStore:
        """Connect to `location` (bolt:// or neo4j://), else env NEO4J_URI; check it answers and accepts us."""
        from neo4j import GraphDatabase
        from neo4j.exceptions import ConfigurationError

        uri = location or os.environ.get("NEO4J_URI")
        if not uri:
            raise StoreError("no Neo4j server given: pass --store bolt://host:7687 or set NEO4J_URI")
        user, password = _credentials()
        database = os.environ.get("NEO4J_DATABASE") or None
        if batch_rows is None:
            raw = os.environ.get("ANALYZER_NEO4J_BATCH_ROWS", str(DEFAULT_BATCH_ROWS))
            if not raw.isdigit():
                raise StoreError(f"ANALYZER_NEO4J_BATCH_ROWS must be a whole number, got {raw!r}")
            batch_rows = int(raw)
        logging.getLogger("neo4j.notifications").addFilter(_DRIVER_NOTIFICATIONS)
        try:
            # The acquisition timeout also bounds the Bolt handshake with a server that accepts and stays silent.
            driver = GraphDatabase.driver(uri, auth=(user, password) if password is not None else None,
                                          connection_timeout=connect_timeout,
                                          connection_acquisition_timeout=2 * connect_timeout,
                                          max_transaction_retry_time=RETRY_SECONDS, **NOTIFICATIONS)
        except (ValueError, ConfigurationError) as error:
            raise StoreError(f"cannot use Neo4j URI {uri!r}: {_one_line(error)}") from error
        try:
            with _translated(uri, "connecting"), driver.session(database=database) as session:
                session.run("RETURN 1").consume()  # reaches the server, logs in, and finds the database
        except StoreError:
            driver.close()
            raise
        return cls(driver, uri, database, batch_rows, lease_seconds, lease_wait, reader_wait)

    def _session(self):
        return self._driver.session(database=self.database)

    def _write(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        def work(tx):
            return [record.data() for record in tx.run(statement, params)]

        with self._session() as session:
            return session.execute_write(work)

    def _read(self, statement: str, **params: Any) -> list[dict[str, Any]]:
        def work(tx):
            return [record.data() for record in tx.run(statement, params)]

        with self._session() as session:
            return session.execute_read(work)

    def _run_retried(self, statement: str, **params: Any) -> None:
        """An auto-commit statement (`CALL { } IN TRANSACTIONS` cannot run in a managed transaction), run again
        on transient errors until RETRY_SECONDS: what its committed batches did is not done twice."""
        from neo4j.exceptions import DriverError, Neo4jError

        deadline, pause = time.monotonic() + RETRY_SECONDS, 0.2
        while True:
            try:
                with self._session() as session:
                    session.run(statement, params).consume()
                return
            except (Neo4jError, DriverError) as error:
                if not error.is_retryable() or time.monotonic() + pause > deadline:
                    raise
            time.sleep(pause)
            pause = min(2 * pause, 5.0)

    # --- writing ------------------------------------------------------------------------------

    def ensure_schema(self) -> None:
        """Constraints and indexes, created before the first load and awaited."""
        if self._schema_ready:
            return
        from neo4j.exceptions import ClientError

        with _translated(self.uri, "creating constraints and indexes"):
            for statement in schema_statements():
                try:
                    self._write(statement)
                except ClientError as error:
                    if not (error.code or "").endswith("AlreadyExists"):
                        raise
                    # another scan created the same rule at the same moment: IF NOT EXISTS raced
            with self._session() as session:
                session.run("CALL db.awaitIndexes(300)").consume()
        self._schema_ready = True

    def write_snapshot(self, graph: GraphSnapshot) -> SnapshotInfo:
        self.ensure_schema()
        snapshot_row = graph.nodes["Snapshot"].rows()[0]
        source = scan_source(graph.root) if graph.root else None
        with _translated(self.uri, f"writing snapshot {graph.snapshot}"):
            self._check_source(graph.repository, source)
            with self._lease(graph.repository, graph.snapshot) as lease:
                self._remove_leftovers(graph.repository, keep=graph.snapshot)
                image = graph_image(graph)
                written = self._write_difference(graph, image, source)
                if written is not None:
                    self._save_image(graph.repository, written, snapshot_row["fingerprint"], image.packed)
                    return SnapshotInfo(graph.repository, written, snapshot_row["created_at"],
                                        snapshot_row["fingerprint"], True)
                try:
                    self._load(graph, lease)
                    switched = self._write(SWITCH_CURRENT, repository=graph.repository, snapshot=graph.snapshot,
                                           root=graph.root, source=source)
                except BaseException:  # any failure, interrupts included: the half-written snapshot goes, then re-raise
                    self._delete_quietly(graph.snapshot)
                    raise
                if not switched:
                    self._delete_quietly(graph.snapshot)
                    raise StoreError(f"another scan took over writing {graph.repository!r}; snapshot "
                                     f"{graph.snapshot} was not made current")
                self._save_image(graph.repository, graph.snapshot, snapshot_row["fingerprint"], image.packed)
                self._remove_leftovers(graph.repository, keep=graph.snapshot, quietly=True, wait=self.reader_wait)
        return SnapshotInfo(graph.repository, graph.snapshot, snapshot_row["created_at"], snapshot_row["fingerprint"], True)

    def _image_path(self, repository: str) -> Path:
        where = f"{self.uri}\0{self.database or ''}\0{repository}".encode("utf-8", "surrogateescape")
        return default_cache_dir() / IMAGES_FOLDER / f"{hashlib.sha256(where).hexdigest()}.rows"

    def _save_image(self, repository: str, snapshot: str, fingerprint: str, image: Image) -> None:
        path = self._image_path(repository)
        try:
            make_ignored_folder(path.parent, mode=0o700)
            save_image(path, image, repository=repository, snapshot=snapshot, row_key=snapshot, fingerprint=fingerprint)
        except OSError:
            path.unlink(missing_ok=True)  # no image costs the next scan a whole write, never a wrong one

    def _write_difference(self, graph: GraphSnapshot, image: GraphImage, source: str | None) -> str | None:
        """Apply what differs from the current snapshot to it, in one transaction; the snapshot's id, or None
        when it cannot be done (no current snapshot or trusted image of it, a large difference, a reader)."""
        current = self._read(CURRENT_SNAPSHOTS, repository=graph.repository)
        if not current or not current[0]["snapshot"]:
            return None
        key, fingerprint = current[0]["snapshot"], current[0]["fingerprint"]
        saved = load_image(self._image_path(graph.repository))
        if saved is None or (saved.get("repository"), saved.get("snapshot"), saved.get("fingerprint")) != (
                graph.repository, key, fingerprint):
            return None
        delta = small_difference(saved["tables"], image, graph)
        if delta is None:
            return None

        def work(tx) -> bool:
            gate = tx.run(DIFFERENCE_GATE, repository=graph.repository, lease=graph.snapshot, key=key,
                          ttl_ms=int(READER_SECONDS * 1000)).single(strict=True)
            if not gate["held"] or gate["readers"]:
                return False  # nothing written; the transaction ends with the locks
            _apply(tx, graph, delta, key)
            tx.run("MATCH (r:Repository {id: $repository}) SET r.root = $root, r.source = $source",
                   repository=graph.repository, root=graph.root, source=source).consume()
            return True

        with self._session() as session:
            try:
                applied = session.execute_write(work)
            except _IncompleteBatch as error:
                raise StoreError(f"writing snapshot {graph.snapshot} failed: {error}") from error
        return key if applied else None

    def _check_source(self, repository: str, source: str | None) -> None:
        """On a shared server a name belongs to one remote and branch: another's scan would replace its graph."""
        rows = self._read(REPOSITORY_SOURCE, repository=repository)
        held = rows[0]["source"] if rows else None
        if source is None or held is None or held == source:
            return
        branch = source.partition("#")[2].partition(":")[0]
        # a repository name holds no separator (it also names a folder of the embedded store)
        example = f"{repository}@{branch.replace('/', '-')}" if branch else f"{repository}-2"
        raise StoreError(f"Neo4j at {self.uri} holds repository {repository!r} scanned from {held}; this scan is "
                         f"of {source}: pass --repo NAME to keep both (e.g. --repo {example})")

    def _load(self, graph: GraphSnapshot, lease: _Lease) -> None:
        # The Snapshot node first: every node written after it can be found (and removed) through it.
        order = ["Snapshot", *(t for t in SNAPSHOT_NODE_TABLES if t != "Snapshot")]
        tables = [(graph.nodes[name], node_statement(NODES_BY_NAME[name])) for name in order]
        tables += [(graph.rels[rel.name], rel_statement(rel)) for rel in REL_TABLES]
        with self._session() as session:
            for columns, statement in tables:
                rows = columns.rows()
                for start in range(0, len(rows), self.batch_rows):
                    lease.check()
                    try:
                        session.execute_write(_write_batch, statement, rows[start : start + self.batch_rows])
                    except _IncompleteBatch as error:
                        raise StoreError(f"writing snapshot {graph.snapshot} failed: {error}") from error

    def _remove_leftovers(self, repository: str, keep: str, quietly: bool = False, wait: float = 0.0) -> None:
        """Delete every snapshot of `repository` that is neither current nor `keep` and that no reader holds
        (waiting up to `wait` seconds for its readers); one still read is left for the next write."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            for row in self._read(LEFTOVER_SNAPSHOTS, repository=repository, keep=keep):
                if self._unread(repository, row["snapshot"], wait):
                    self.delete_snapshot(row["snapshot"])
        except (Neo4jError, DriverError):
            if not quietly:
                raise
            # The new snapshot is current already; the next write removes what is left.

    def _unread(self, repository: str, snapshot: str, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while True:
            readers = self._write(LIVE_READERS, repository=repository, snapshot=snapshot,
                                  ttl_ms=int(READER_SECONDS * 1000))[0]["readers"]
            if not readers:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.2)

    def delete_snapshot(self, snapshot: str) -> None:
        """Remove one snapshot in small batches: relationships, then nodes, its Snapshot node last."""
        for statement in delete_statements():
            self._run_retried(statement, snapshot=snapshot, rows=self.batch_rows)

    def _delete_quietly(self, snapshot: str) -> None:
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            self.delete_snapshot(snapshot)  # never current, so never read
        except (Neo4jError, DriverError):
            pass  # the write failed already; the next write removes this leftover

    def drop_repository(self, repository: str) -> None:
        """Delete every snapshot of `repository` and its Repository node."""
        with _translated(self.uri, f"dropping {repository}"), self._lease(repository, f"{repository}@drop") as lease:
            lease.check()
            self._write("MATCH (r:Repository {id: $repository}) DELETE r", repository=repository)
            self._remove_leftovers(repository, keep="", wait=self.reader_wait)

    @contextmanager
    def _lease(self, repository: str, snapshot: str):
        lease = _Lease(self, repository, snapshot)
        lease.acquire()
        try:
            yield lease
        finally:
            lease.release()

    # --- reading ------------------------------------------------------------------------------

    def _current_rows(self, repository: str | None) -> list[dict[str, Any]]:
        with _translated(self.uri, "reading the current snapshots"):
            return self._read(CURRENT_SNAPSHOTS, repository=repository)

    def repositories(self) -> list[str]:
        return [row["repository"] for row in self._current_rows(None)]

    def _repository(self, repository: str | None) -> dict[str, Any]:
        rows = self._current_rows(repository)
        if repository is not None and not rows:
            known = ", ".join(self.repositories()) or "none"
            raise StoreError(f"no scan of repository {repository!r} in Neo4j at {self.uri} (scanned: {known})")
        if not rows:
            raise StoreError(f"Neo4j at {self.uri} holds no scan yet: run `analyzer scan PATH --store {self.uri}` first")
        if len(rows) > 1:
            names = ", ".join(row["repository"] for row in rows)
            raise StoreError(f"Neo4j at {self.uri} holds {len(rows)} repositories ({names}): pass --repo NAME")
        return rows[0]

    def current_snapshot(self, repository: str | None = None) -> str:
        return self._repository(repository)["snapshot"]

    @contextmanager
    def reading(self, repository: str | None = None):
        """The current snapshot of `repository`, kept from deletion until the block ends (yields its id)."""
        name = self._repository(repository)["repository"]
        with _translated(self.uri, "query"):
            rows = self._write(REGISTER_READER, repository=name)
        if not rows:
            raise StoreError(f"repository {name!r} was dropped from Neo4j at {self.uri}")
        try:
            yield rows[0]["snapshot"]
        finally:
            with _translated(self.uri, "query"):
                self._write(UNREGISTER_READER, reader=rows[0]["reader"])

    def query(self, cypher: str, params: dict[str, Any] | None = None, repository: str | None = None) -> QueryResult:
        with self.reading(repository) as snapshot:
            return self.query_snapshot(snapshot, cypher, params)

    def query_snapshot(self, snapshot: str, cypher: str, params: dict[str, Any] | None = None) -> QueryResult:
        """Run Cypher against `snapshot`, which the caller holds (`reading()`)."""
        def work(tx):
            result = tx.run(cypher, {"snapshot": snapshot, **(params or {})})
            keys = list(result.keys())
            rows = [[_plain(v) for v in record.values()] for record in result]
            return keys, rows, result.consume()

        with _translated(self.uri, "query"), self._session() as session:
            columns, rows, summary = session.execute_read(work)
        _report_notifications(summary)
        return QueryResult(columns, rows)

    def list_snapshots(self, repository: str | None = None) -> list[SnapshotInfo]:
        return [
            SnapshotInfo(row["repository"], row["snapshot"], row["created_at"] or "", row["fingerprint"] or "", True)
            for row in self._current_rows(repository)
            if row["snapshot"]
        ]

    def snapshot_stamp(self, repository: str) -> str | None:
        return None  # a snapshot changed in place keeps its id: only its Snapshot node tells, in a round trip

    def close(self) -> None:
        self._driver.close()


class _Lease:
    """The right to write one repository, renewed by a heartbeat thread while the write runs."""

    def __init__(self, store: Neo4jStore, repository: str, snapshot: str) -> None:
        self.store, self.repository, self.snapshot = store, repository, snapshot
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _params(self) -> dict[str, Any]:
        return {"repository": self.repository, "snapshot": self.snapshot}

    def acquire(self) -> None:
        """Take the lease; wait while another writer's heartbeat is fresh, up to the store's lease_wait."""
        ttl = self.store.lease_seconds
        wait = max(self.store.lease_wait, 2 * ttl)  # at least long enough to see a dead writer's lease expire
        deadline = time.monotonic() + wait
        while True:
            row = self.store._write(ACQUIRE_LEASE, ttl_ms=int(ttl * 1000), **self._params())[0]
            if row["free"]:
                break
            if time.monotonic() >= deadline:
                raise StoreError(f"another scan is writing {self.repository!r} to Neo4j at {self.store.uri} "
                                 f"(snapshot {row['holder']}, last heartbeat {row['age_ms'] / 1000:.0f} s ago); "
                                 f"waited {wait:.0f} s")
            time.sleep(min(1.0, ttl / 4))
        self._thread = threading.Thread(target=self._beat, name=f"neo4j-lease-{self.repository}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        from neo4j.exceptions import DriverError, Neo4jError

        while not self._stop.wait(self.store.lease_seconds / 5):
            try:
                held = self.store._write(RENEW_LEASE, **self._params())[0]["held"]
            except (Neo4jError, DriverError):
                continue  # a missed beat; the lease lasts several intervals and the switch re-checks it
            if not held:
                self.lost = True
                return

    def check(self) -> None:
        if self.lost:
            raise StoreError(f"lost the write lease on {self.repository!r} (another scan took it over)")

    def release(self) -> None:
        from neo4j.exceptions import DriverError, Neo4jError

        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            self.store._write(RELEASE_LEASE, **self._params())
        except (Neo4jError, DriverError):
            pass  # an unreleased lease expires by itself after lease_seconds
