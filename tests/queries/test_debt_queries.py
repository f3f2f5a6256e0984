"""The ranked debt reports agree with the per-occurrence queries they summarise, on the fixture repository.

A hotspot row's counts must be exactly the number of rows the matching
per-clause / per-comment query returns for that module, so the two views never
tell a user different stories.
"""

from __future__ import annotations

from collections import Counter

import pytest

from analyzer import queries
from analyzer.store import open_store

EVERY_MODULE = {"limit": "100000"}


@pytest.fixture(scope="module")
def fixture_store(scanned_fixture):
    store = open_store(str(scanned_fixture[0]))
    yield store
    store.close()


def rows_of(store, query_id: str, params: dict[str, str] | None = None) -> list[dict]:
    query = queries.get(query_id)
    return store.query(query.cypher, query.bind(params)).dicts()


def per_path(rows: list[dict]) -> Counter[str]:
    return Counter(row["path"] for row in rows)


def test_except_hotspots_count_the_per_clause_findings(fixture_store):
    hotspots = rows_of(fixture_store, "broad-except-hotspots", EVERY_MODULE)
    for column, query_id in (("bare", "bare-except"), ("broad", "broad-except"), ("swallowing", "swallowed-exceptions")):
        occurrences = per_path(rows_of(fixture_store, query_id))
        assert {row["path"]: row[column] for row in hotspots if row[column]} == dict(occurrences), column


def test_except_hotspots_machine_totals_sum_their_modules(fixture_store):
    hotspots = rows_of(fixture_store, "broad-except-hotspots", EVERY_MODULE)
    summed: Counter[str] = Counter()
    for row in hotspots:
        summed[row["machine"]] += row["flagged"]
    assert {row["machine"]: row["machine_flagged"] for row in hotspots} == dict(summed)


def test_except_hotspots_are_ranked_and_limited(fixture_store):
    ranked = rows_of(fixture_store, "broad-except-hotspots", EVERY_MODULE)
    assert [row["flagged"] for row in ranked] == sorted((row["flagged"] for row in ranked), reverse=True)
    assert rows_of(fixture_store, "broad-except-hotspots", {"limit": "3"}) == ranked[:3]


def test_todo_hotspots_count_the_ticketless_comments(fixture_store):
    hotspots = rows_of(fixture_store, "todo-hotspots", EVERY_MODULE)
    ticketless = per_path(rows_of(fixture_store, "todos-without-ticket"))
    assert {row["path"]: row["without_ticket"] for row in hotspots if row["without_ticket"]} == dict(ticketless)
    for row in hotspots:
        assert row["total"] == row["todo"] + row["fixme"] + row["hack"] + row["xxx"], row["path"]
