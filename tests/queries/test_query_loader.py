"""Query metadata and `--param` binding."""

from __future__ import annotations

import pytest

import queries
from queries import QueryError


def test_list_parameter_takes_comma_separated_items():
    query = queries.get("heavy-dependencies")
    assert query.bind({"packages": "torch, whisper"})["packages"] == ["torch", "whisper"]


def test_int_and_bool_parameters_are_converted_or_refused():
    query = queries.get("god-objects")
    assert query.bind({"min_methods": "40"})["min_methods"] == 40
    with pytest.raises(QueryError, match="expects int"):
        query.bind({"min_methods": "many"})
    with pytest.raises(QueryError, match="has no parameter 'limit'"):
        query.bind({"limit": "3"})
    boolean = next(q for q in queries.load_all() if any(isinstance(v, bool) for v in q.params.values()))
    name = next(k for k, v in boolean.params.items() if isinstance(v, bool))
    assert boolean.bind({name: "no"})[name] is False
    with pytest.raises(QueryError):
        boolean.bind({name: "maybe"})


def test_every_query_declares_location_and_identity_columns_it_returns():
    for query in queries.load_all():
        if query.kind == "detection":
            assert query.identity, f"{query.id} has no identity columns: its findings cannot be baselined"
            assert not any("line" in column for column in query.identity), f"{query.id}: identity holds a line"
