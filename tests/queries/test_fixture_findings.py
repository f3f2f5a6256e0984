"""Every query on the fixture repository returns exactly its planted findings: nothing missed, nothing extra.

The expected rows live in fixtures/agent_system/expected_findings/<id>.json, written
by hand from the planted problems (fixtures/agent_system/README.md lists them).
"""

from __future__ import annotations

import json

import pytest

from analyzer import queries
from analyzer.store import open_store
from tests.conftest import FIXTURE_REPO

EXPECTED = FIXTURE_REPO / "expected_findings"


@pytest.fixture(scope="module")
def fixture_store(scanned_fixture):
    store = open_store(str(scanned_fixture[0]))
    yield store
    store.close()


@pytest.mark.parametrize("query", queries.load_all(), ids=lambda q: q.id)
def test_query_finds_the_planted_problems(query, fixture_store):
    expected_file = EXPECTED / f"{query.id}.json"
    assert expected_file.is_file(), f"{expected_file.relative_to(FIXTURE_REPO)} is missing"
    result = fixture_store.query(query.cypher, query.bind())
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    assert rows == json.loads(expected_file.read_text(encoding="utf-8"))
