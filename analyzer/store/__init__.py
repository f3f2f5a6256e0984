"""The graph store port: write a snapshot, run Cypher, list snapshots.

Two adapters implement it: the embedded LadybugDB store (default, a database
file per repository snapshot under a folder) and Neo4j (a server). Extraction
never knows which one it writes to.
"""

from __future__ import annotations

import os

from analyzer.store.port import (
    DamagedSnapshotError, GraphStore, QueryResult, SnapshotInfo, StoreError, check_repository_name,
)

__all__ = ["DEFAULT_STORE", "DamagedSnapshotError", "GraphStore", "QueryResult", "SnapshotInfo", "StoreError",
           "check_repository_name", "is_server_url", "open_store", "resolve_store_location"]

DEFAULT_STORE = ".analyzer/store"


def is_server_url(location: str) -> bool:
    return location.startswith(("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://"))


def resolve_store_location(location: str | None) -> str:
    """`--store`, else env ANALYZER_STORE, else the embedded default; `neo4j` means env NEO4J_URI."""
    location = location or os.environ.get("ANALYZER_STORE") or DEFAULT_STORE
    if location == "neo4j":
        uri = os.environ.get("NEO4J_URI")
        if not uri:
            raise StoreError("--store neo4j needs NEO4J_URI (e.g. bolt://localhost:7687)")
        return uri
    return location


def open_store(location: str | None = None, read_only: bool = False) -> GraphStore:
    """The adapter for `location`: a bolt:// or neo4j:// URL, else an embedded store folder."""
    location = resolve_store_location(location)
    if is_server_url(location):
        from analyzer.store.neo4j import Neo4jStore

        return Neo4jStore.connect(location)
    from analyzer.store.ladybug import LadybugStore

    return LadybugStore(location, read_only=read_only)
