"""The store port's types, which the adapters implement; `analyzer.store` re-exports them.

A module of its own so the adapters need not import the package that opens them.
"""

from __future__ import annotations

import shlex
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from analyzer.graph import GraphSnapshot


class StoreError(RuntimeError):
    """The store cannot be opened, written or queried; the message is for the user."""


class DamagedSnapshotError(StoreError):
    """A repository's current snapshot exists but cannot be read; the next scan of it writes a fresh one."""

    def __init__(self, repository: str, store: str, reason: str) -> None:
        self.damage = f"the current snapshot of {repository!r} in {store} is damaged ({reason})"
        super().__init__(f"{self.damage}: `analyzer scan PATH --repo {shlex.quote(repository)} --store "
                         f"{shlex.quote(store)}` writes a fresh one and keeps the damaged files aside")


MAX_REPOSITORY_NAME = 100


def check_repository_name(name: str) -> str:
    """`name` when it can name a repository in a store; StoreError saying why not otherwise."""
    if not name or not name.strip():
        raise StoreError("the repository name is empty: pass --repo NAME")
    if name in (".", "..") or "/" in name or "\\" in name:
        raise StoreError(f"repository name {name!r} may not be . or .. or hold / or \\")
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in name):
        raise StoreError(f"repository name {name!r} holds control characters or undecodable bytes")
    if len(name) > MAX_REPOSITORY_NAME:
        raise StoreError(f"repository name {name[:40]!r}... is over {MAX_REPOSITORY_NAME} characters")
    return name


@dataclass(frozen=True)
class SnapshotInfo:
    repository: str
    snapshot: str
    created_at: str
    fingerprint: str
    current: bool


@dataclass
class QueryResult:
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row)) for row in self.rows]


class GraphStore(Protocol):
    def write_snapshot(self, graph: GraphSnapshot) -> SnapshotInfo:
        """Store `graph` and make it the repository's current snapshot, atomically."""

    def query(self, cypher: str, params: dict[str, Any] | None = None, repository: str | None = None) -> QueryResult:
        """Run Cypher against a repository's current snapshot; `$snapshot` is filled in."""

    def list_snapshots(self, repository: str | None = None) -> list[SnapshotInfo]:
        """Current (and any leftover) snapshots, per repository."""

    def snapshot_stamp(self, repository: str) -> str | None:
        """A token that names the repository's current snapshot as stored, read without opening it: equal
        tokens mean the very same snapshot, unchanged since. None when the store cannot tell so cheaply (or
        holds no snapshot): the caller reads the snapshot instead."""

    def close(self) -> None: ...
