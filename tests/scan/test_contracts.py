"""Import contracts: settings are checked, patterns and chains follow docs/contracts.md."""

from __future__ import annotations

import pytest

from analyzer.config import ConfigError
from analyzer.contracts import ContractError, check_contracts, parse_contracts
from analyzer.resolve import ImportEdge, Resolution
from analyzer.scan import ScanOptions, scan
from tests.conftest import write_repo


def _resolution(*imports: str) -> Resolution:
    """`a/b.py:3>c/d.py` per import."""
    edges = []
    for text in imports:
        source, target = text.split(">")
        path, line = source.split(":")
        edges.append(ImportEdge(path, target, int(line), lazy=False, guarded=False))
    return Resolution(edges=edges)


@pytest.mark.parametrize("table, error", [
    ({"layer": []}, "unknown kind(s) layer"),
    ({"layers": [{"layers": ["a", "b"]}]}, "needs a `name`"),
    ({"layers": [{"name": "x", "layers": ["a"]}]}, "at least two layers"),
    ({"layers": [{"name": "x", "layers": ["a", [1]]}]}, "layers must be a non-empty list of module names"),
    ({"forbidden": [{"name": "x", "source_modules": "a", "forbidden_modules": ["b"]}]},
     "source_modules must be a non-empty list of module names"),
    ({"independence": [{"name": "x", "modules": ["a"], "allow_indirect": "no"}]}, "allow_indirect must be true or false"),
    ({"independence": [{"name": "x", "modules": ["a"], "module": ["b"]}]}, "unknown key(s) module"),
])
def test_malformed_contracts_are_refused_naming_the_contract_and_key(table, error):
    with pytest.raises(ContractError) as raised:
        parse_contracts(table)
    assert error in str(raised.value)


def test_a_malformed_contract_in_the_repository_stops_the_scan_with_the_reason(tmp_path):
    write_repo(tmp_path, {"pyproject.toml": '[[tool.analyzer.contracts.layers]]\nname = "x"\nlayers = "a"\n',
                          "a.py": "import b\n"})
    with pytest.raises(ConfigError, match="contract 'x': layers needs a list of at least two layers"):
        scan(ScanOptions(repo=tmp_path, store=str(tmp_path / "store"), use_cache=False, jobs=1))


def test_double_star_spans_any_depth_and_a_unit_may_import_itself():
    contracts = parse_contracts({"independence": [{"name": "apps", "modules": ["**.apps.*"]}]})
    found = check_contracts(contracts, _resolution(
        "x/y/apps/a/__init__.py:1>x/y/apps/a/core.py",   # inside one unit
        "x/y/apps/a/core.py:2>x/y/apps/b.py",             # unit a reaches unit b
        "z/apps/c.py:4>x/y/apps/b.py",                    # another depth, same pattern
    ))
    assert [(v.source, v.target, v.chain) for v in found] == [
        ("x.y.apps.a.core", "x.y.apps.b", ("x.y.apps.a.core:2", "x.y.apps.b")),
        ("z.apps.c", "x.y.apps.b", ("z.apps.c:4", "x.y.apps.b")),
    ]


def test_indirect_chains_count_unless_allowed_and_stop_at_restricted_modules():
    edges = ("common/a.py:1>common/b.py", "common/b.py:5>lib/x.py", "lib/x.py:9>launcher.py")
    forbidden = {"name": "no launcher", "source_modules": ["common"], "forbidden_modules": ["launcher"]}
    indirect = check_contracts(parse_contracts({"forbidden": [forbidden]}), _resolution(*edges))
    # common.a's chain would pass through common.b, which is restricted itself: only common.b is reported.
    assert [(v.source, v.line, v.chain_text) for v in indirect] == [
        ("common.b", 5, "common.b:5 -> lib.x:9 -> launcher")]
    direct = check_contracts(parse_contracts({"forbidden": [{**forbidden, "allow_indirect": True}]}),
                             _resolution(*edges))
    assert direct == []


def test_siblings_in_one_layer_may_import_each_other_but_not_a_layer_above():
    contracts = parse_contracts({"layers": [{"name": "tiers", "layers": ["cli", ["report", "check"], "store"]}]})
    found = check_contracts(contracts, _resolution(
        "report/a.py:1>check/b.py", "check/b.py:2>store/c.py", "store/c.py:3>report/a.py", "cli/x.py:4>report/a.py"))
    assert [(v.source, v.target) for v in found] == [("store.c", "report.a")]
