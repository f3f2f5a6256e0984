"""One test per query example (queries/<id>.examples.yaml): the rows a repository must give, or none."""

from __future__ import annotations

import pytest

from analyzer import queries
from tests.queries.conftest import run_example

EXAMPLES = [example for query in queries.load_all() for example in query.examples()]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: f"{e.query_id}:{e.name}")
def test_example(example, tmp_path):
    query = queries.get(example.query_id)
    rows = run_example(query, example, tmp_path)
    assert rows == example.rows


@pytest.mark.parametrize("query", queries.load_all(), ids=lambda q: q.id)
def test_every_query_carries_examples(query):
    examples = query.examples()
    assert any(e.flags for e in examples), f"{query.examples_path.name} has no example the query flags"
    if query.kind == "detection":
        assert any(not e.flags for e in examples), f"{query.examples_path.name} has no should-not-flag example"


@pytest.mark.parametrize("query", queries.load_all(), ids=lambda q: q.id)
def test_example_rows_name_the_declared_columns(query):
    for example in query.examples():
        for row in example.rows:
            assert tuple(row) == query.columns, f"{example.name}: row keys differ from the `// column:` lines"
