"""Every library query returns the same rows on Neo4j as on the embedded store, for the fixture and a generated
100k-line repository; and `analyzer query --show`'s statement (what Neo4j Browser runs) returns them too.

A difference is a bug in an adapter or a query (or LadybugDB: see /work/shared/CYPHER.md), never a tolerance.
"""

from __future__ import annotations

import pytest

from analyzer import queries
from analyzer.cli.query import show_text
from analyzer.scan import ScanOptions, scan
from analyzer.store.ladybug import LadybugStore
from bench.corpus import generate

pytestmark = pytest.mark.neo4j


def _scan_both(neo4j_backend, repo, name: str, embedded: str) -> None:
    """One parse (the facts cache is shared), written to both stores under the same name."""
    scan(ScanOptions(repo=repo, store=embedded, cache_dir=neo4j_backend.cache_dir, jobs=2, repository=name))
    scan(ScanOptions(repo=repo, store=neo4j_backend.location, cache_dir=neo4j_backend.cache_dir, jobs=2,
                     repository=name))


def _differences(neo4j_backend, name: str, embedded: str, browser: bool) -> list[str]:
    server, local = neo4j_backend.open(), LadybugStore(embedded)
    differences = []
    try:
        for query in queries.load_all():
            params = query.bind()
            on_server = server.query(query.cypher, params, repository=name)
            on_disk = local.query(query.cypher, params, repository=name)
            if (on_server.columns, on_server.rows) != (on_disk.columns, on_disk.rows):
                differences.append(f"{query.id}: {len(on_server.rows)} rows on Neo4j, {len(on_disk.rows)} embedded")
            if browser and server.query(show_text(query, params, name), repository=name).rows != on_server.rows:
                differences.append(f"{query.id}: the --show statement answers differently")
    finally:
        server.close()
        local.close()
    return differences


@pytest.mark.slow
def test_every_query_answers_the_same_on_both_stores_and_in_browser_form(neo4j_backend, fixture_repo, tmp_path):
    name = neo4j_backend.name("queries")
    _scan_both(neo4j_backend, fixture_repo, name, str(tmp_path / "embedded"))
    assert _differences(neo4j_backend, name, str(tmp_path / "embedded"), browser=True) == []


@pytest.mark.slow
def test_every_query_answers_the_same_on_a_100k_line_repository(neo4j_backend, tmp_path):
    repo = tmp_path / "corpus"
    generate(repo, 100_000)
    name = neo4j_backend.name("corpus")
    _scan_both(neo4j_backend, repo, name, str(tmp_path / "embedded"))
    assert _differences(neo4j_backend, name, str(tmp_path / "embedded"), browser=False) == []
