"""The store port's types, which the adapters implement; `analyzer.store` re-exports them.

A module of its own so the adapters need not import the package that opens them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from analyzer.graph import GraphSnapshot


class StoreError(RuntimeError):
    """The store cannot be opened, written or queried; the message is for the user."""


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

    def close(self) -> None: ...
