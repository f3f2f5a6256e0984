"""Query metadata and `--param` binding."""

from __future__ import annotations

import pytest

from analyzer import queries
from analyzer.queries import QueryError


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


HEADER = """// id: sample
// title: A sample rule
// severity: low
// category: structure
// precision: high
// tags: maintainability, CWE-1093
// what: Finds samples.
// why: Samples matter.
// fix: Remove them.
// message: {path} holds {count} samples in {function|module code}
// column: path
// column: count
// column: function
MATCH (m:Module {snapshot: $snapshot}) RETURN m.path AS path, 1 AS count, '' AS function
"""


def _write(tmp_path, text: str):
    path = tmp_path / "sample.cypher"
    path.write_text(text)
    return path


def test_the_header_holds_everything_about_a_rule(tmp_path):
    query = queries.parse_query(_write(tmp_path, HEADER))
    assert (query.category, query.precision, query.tags) == ("structure", "high", ("maintainability", "CWE-1093"))
    assert (query.what, query.why, query.fix, query.fixed_by) == ("Finds samples.", "Samples matter.", "Remove them.", "")
    assert query.cwe_ids == ("CWE-1093",) and query.security_severity is None
    assert query.render_message({"path": "a.py", "count": 3, "function": ""}) == "a.py holds 3 samples in module code"
    assert query.render_message({"path": ["a.py", "b.py"], "count": 3, "function": "f"}) == \
        "a.py, b.py holds 3 samples in f"


@pytest.mark.parametrize("change, error", [
    (("// category: structure", "// category: misc"), "category 'misc' is not one of"),
    (("// precision: high", "// precision: sure"), "precision 'sure' is not one of"),
    (("// why: Samples matter.\n", ""), "header lacks why"),
    (("{count}", "{counted}"), "message names counted, which no `// column:` line declares"),
    (("// fix: Remove them.", "// fix: Remove them.\n// description: old style"), "unknown header key 'description'"),
    (("// fix: Remove them.", "// fix: Remove them.\n// fix: twice"), "'fix' is given twice"),
])
def test_a_malformed_header_is_refused_with_the_reason(tmp_path, change, error):
    with pytest.raises(QueryError, match=error.replace("(", r"\(").replace("{", r"\{")):
        queries.parse_query(_write(tmp_path, HEADER.replace(*change)))


def test_every_fixed_by_names_a_registered_codemod_and_security_rules_carry_a_security_severity():
    from agent_graph_codemods import all_codemods

    registered = all_codemods()
    for query in queries.load_all():
        assert not query.fixed_by or query.fixed_by in registered, f"{query.id}: fixed_by {query.fixed_by!r}"
        assert (query.security_severity is not None) == ("security" in query.tags)
