"""The Neo4j store: a server that scans, CI jobs and Neo4j Browser share.

It holds the same graph as the embedded store: labels, relationship types and
properties all come from `analyzer.schema`, so every bundled query reads
the same rows from both. A snapshot replace never shows a half graph:

1. the new snapshot is written beside the current one under its own id, in
   parameterised `UNWIND $rows` batches (its Snapshot node first);
2. one transaction points the Repository node's `current_snapshot` at it;
3. the old snapshot is deleted in batches (`CALL { ... } IN TRANSACTIONS`).

`query()` reads the pointer and passes it as `$snapshot`. One scan at a time
writes a repository: it holds a write lease (an `AnalyzerWriteLease` node,
store bookkeeping outside the graph schema, like the embedded store's lock
file) renewed by a heartbeat. The lease of a killed scan expires after
`lease_seconds` without a heartbeat; the next scan takes it over and deletes
the killed scan's leftovers.
"""

from __future__ import annotations

import os
import re
import threading
import time
from contextlib import contextmanager
from typing import Any

from analyzer.graph import GraphSnapshot
from analyzer.store.port import QueryResult, SnapshotInfo, StoreError
from analyzer.schema import NODE_TABLES, NODES_BY_NAME, REL_TABLES, SNAPSHOT_NODE_TABLES, NodeTable, RelTable

DEFAULT_BATCH_ROWS = 5000  # rows per UNWIND transaction; see bench/bench_store.py
DEFAULT_LEASE_SECONDS = 20.0
CONNECT_TIMEOUT_SECONDS = 5.0
LEASE_LABEL = "AnalyzerWriteLease"

# Composite indexes for what queries filter on after the snapshot anchor.
ANCHOR_INDEXES: dict[str, tuple[tuple[str, ...], ...]] = {
    "Module": (("snapshot", "path"), ("snapshot", "name")),
    "Endpoint": (("snapshot", "port"),),
    "ConfigPort": (("snapshot", "port"),),
    "ConfiguredAgent": (("snapshot", "name"),),
    "Snapshot": (("repository",),),
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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


def delete_statement(label: str) -> str:
    # Runs in an implicit transaction: IN TRANSACTIONS commits every $rows deletions.
    return (
        f"MATCH (n:{_name(label)} {{snapshot: $snapshot}}) "
        "CALL { WITH n DETACH DELETE n } IN TRANSACTIONS OF $rows ROWS"
    )


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
# takeover races it), the snapshot is there,
# then the pointer moves. Returns the snapshot it replaced.
SWITCH_CURRENT = f"""
MATCH (l:{LEASE_LABEL} {{repository: $repository}})
SET l.locked = true REMOVE l.locked
WITH l WHERE l.snapshot = $snapshot
MATCH (s:Snapshot {{id: $snapshot}})
MERGE (r:Repository {{id: $repository}})
WITH l, r, r.current_snapshot AS previous
SET r.snapshot = $snapshot, r.current_snapshot = $snapshot, r.name = $repository, r.root = $root,
    l.heartbeat = timestamp()
RETURN previous
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


# --- errors ------------------------------------------------------------------------------------


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
        raise StoreError(f"Neo4j at {uri} is not reachable (is the server running? `docker compose up -d`): "
                         f"{_one_line(error)}") from error
    except (Neo4jError, DriverError) as error:
        raise StoreError(f"{doing} failed on Neo4j at {uri}: {_one_line(error)}") from error


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
                 lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        if batch_rows < 1:
            raise StoreError(f"batch size must be at least 1 row, got {batch_rows}")
        self._driver = driver
        self.uri = uri
        self.database = database
        self.batch_rows = batch_rows
        self.lease_seconds = lease_seconds
        self._schema_ready = False

    @classmethod
    def connect(cls, location: str | None = None, *, batch_rows: int | None = None,
                lease_seconds: float = DEFAULT_LEASE_SECONDS, connect_timeout: float = CONNECT_TIMEOUT_SECONDS) -> Neo4jStore:
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
        try:
            # The acquisition timeout also bounds the Bolt handshake with a server that accepts and stays silent.
            driver = GraphDatabase.driver(uri, auth=(user, password) if password is not None else None,
                                          connection_timeout=connect_timeout,
                                          connection_acquisition_timeout=2 * connect_timeout,
                                          max_transaction_retry_time=30.0)
        except (ValueError, ConfigurationError) as error:
            raise StoreError(f"cannot use Neo4j URI {uri!r}: {_one_line(error)}") from error
        try:
            with _translated(uri, "connecting"), driver.session(database=database) as session:
                session.run("RETURN 1").consume()  # reaches the server, logs in, and finds the database
        except StoreError:
            driver.close()
            raise
        return cls(driver, uri, database, batch_rows, lease_seconds)

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
        with _translated(self.uri, f"writing snapshot {graph.snapshot}"), self._lease(graph.repository, graph.snapshot) as lease:
            self._remove_leftovers(graph.repository, keep=graph.snapshot)
            try:
                self._load(graph, lease)
                switched = self._write(SWITCH_CURRENT, repository=graph.repository, snapshot=graph.snapshot,
                                       root=graph.root)
            except BaseException:
                self._delete_quietly(graph.snapshot)
                raise
            if not switched:
                self._delete_quietly(graph.snapshot)
                raise StoreError(f"another scan took over writing {graph.repository!r}; snapshot {graph.snapshot} "
                                 "was not made current")
            self._remove_leftovers(graph.repository, keep=graph.snapshot, quietly=True)
        return SnapshotInfo(graph.repository, graph.snapshot, snapshot_row["created_at"], snapshot_row["fingerprint"], True)

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

    def _remove_leftovers(self, repository: str, keep: str, quietly: bool = False) -> None:
        """Delete every snapshot of `repository` that is neither current nor `keep`."""
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            for row in self._read(LEFTOVER_SNAPSHOTS, repository=repository, keep=keep):
                self.delete_snapshot(row["snapshot"])
        except (Neo4jError, DriverError):
            if not quietly:
                raise
            # The new snapshot is current already; the next write removes what is left.

    def delete_snapshot(self, snapshot: str) -> None:
        """Remove one snapshot's nodes and relationships in batches, its Snapshot node last."""
        with self._session() as session:
            for label in [*(t for t in SNAPSHOT_NODE_TABLES if t != "Snapshot"), "Snapshot"]:
                session.run(delete_statement(label), snapshot=snapshot, rows=self.batch_rows).consume()

    def _delete_quietly(self, snapshot: str) -> None:
        from neo4j.exceptions import DriverError, Neo4jError

        try:
            self.delete_snapshot(snapshot)
        except (Neo4jError, DriverError):
            pass  # the write failed already; the next write removes this leftover

    def drop_repository(self, repository: str) -> None:
        """Delete every snapshot of `repository` and its Repository node."""
        with _translated(self.uri, f"dropping {repository}"), self._lease(repository, f"{repository}@drop") as lease:
            lease.check()
            self._write("MATCH (r:Repository {id: $repository}) DELETE r", repository=repository)
            self._remove_leftovers(repository, keep="")

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

    def current_snapshot(self, repository: str | None = None) -> str:
        rows = self._current_rows(repository)
        if repository is not None and not rows:
            known = ", ".join(self.repositories()) or "none"
            raise StoreError(f"no scan of repository {repository!r} in Neo4j at {self.uri} (scanned: {known})")
        if not rows:
            raise StoreError(f"Neo4j at {self.uri} holds no scan yet: run `analyzer scan PATH --store {self.uri}` first")
        if len(rows) > 1:
            names = ", ".join(row["repository"] for row in rows)
            raise StoreError(f"Neo4j at {self.uri} holds {len(rows)} repositories ({names}): pass --repo NAME")
        return rows[0]["snapshot"]

    def query(self, cypher: str, params: dict[str, Any] | None = None, repository: str | None = None) -> QueryResult:
        snapshot = self.current_snapshot(repository)

        def work(tx):
            result = tx.run(cypher, {"snapshot": snapshot, **(params or {})})
            keys = list(result.keys())
            return keys, [[_plain(v) for v in record.values()] for record in result]

        with _translated(self.uri, "query"), self._session() as session:
            columns, rows = session.execute_read(work)
        return QueryResult(columns, rows)

    def list_snapshots(self, repository: str | None = None) -> list[SnapshotInfo]:
        return [
            SnapshotInfo(row["repository"], row["snapshot"], row["created_at"] or "", row["fingerprint"] or "", True)
            for row in self._current_rows(repository)
            if row["snapshot"]
        ]

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
        """Take the lease; wait while another writer's heartbeat is fresh, up to twice the lease time."""
        ttl = self.store.lease_seconds
        deadline = time.monotonic() + 2 * ttl
        while True:
            row = self.store._write(ACQUIRE_LEASE, ttl_ms=int(ttl * 1000), **self._params())[0]
            if row["free"]:
                break
            if time.monotonic() >= deadline:
                raise StoreError(f"another scan is writing {self.repository!r} to Neo4j at {self.store.uri} "
                                 f"(snapshot {row['holder']}, last heartbeat {row['age_ms'] / 1000:.0f} s ago)")
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
