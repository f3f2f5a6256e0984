"""agent_runtime.boundedyaml: alias bombs, deep nesting and big texts are refused fast, with a line."""

from __future__ import annotations

import time

import pytest
import yaml

from agent_runtime.boundedyaml import (
    BoundedSafeLoader,
    YamlLimitError,
    bounded_loader,
    compose_bounded_yaml,
    load_bounded_yaml,
    read_bounded_file,
)
from agent_runtime.ports import load_registry
from agent_runtime.portsyaml import PortRegistryError


def laughs(levels: int, width: int = 9) -> str:
    """The classic bomb: each level's list holds `width` aliases of the one before (width**levels leaves)."""
    lines = ["l0: &l0 [" + ", ".join(["lol"] * width) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int) -> str:
    """`<<` merges copy the merged mapping's pairs: doubling per level without a single list."""
    lines = ["m0: &m0 {a: 1, b: 2}"]
    for level in range(1, levels + 1):
        lines.append(f"m{level}: &m{level} {{<<: [*m{level - 1}, *m{level - 1}], k{level}: 1}}")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("loader", [None, yaml.SafeLoader], ids=["libyaml parser", "python parser"])
def test_a_billion_laughs_is_refused_at_the_alias_that_crosses_the_budget(loader):
    text = laughs(9)
    assert len(text) < 1024
    started = time.perf_counter()
    with pytest.raises(YamlLimitError, match=r"aliases stand for more than 10000 nodes .* at \*l3") as info:
        load_bounded_yaml(text, loader=loader)
    assert time.perf_counter() - started < 1.0
    assert info.value.line == 5 and isinstance(info.value, yaml.YAMLError)  # the first *l3, in l4's list


def test_a_merge_key_bomb_is_refused():
    with pytest.raises(YamlLimitError, match="aliases stand for more than"):
        load_bounded_yaml(merge_bomb(30))


def test_ordinary_anchors_and_merges_load_as_pyyaml_loads_them():
    text = "defaults: &d {host: 0.0.0.0, required: true}\nagents:\n  - {<<: *d, name: A}\n  - {<<: *d, name: B}\n"
    assert load_bounded_yaml(text) == yaml.safe_load(text)
    assert load_bounded_yaml(laughs(3), max_aliases=10_000) == yaml.safe_load(laughs(3))  # 9**3 leaves: fine


def test_the_budget_covers_every_document_of_a_stream():
    def stream(documents: int) -> str:
        return "---\n".join([laughs(1)] * documents)  # 9 aliases of a 10-node list: 90 nodes per document

    assert len(compose_bounded_yaml(stream(3), max_aliases=1000)) == 3
    with pytest.raises(YamlLimitError):
        compose_bounded_yaml(stream(20), max_aliases=1000)


def test_an_alias_inside_what_it_names_is_refused():
    with pytest.raises(YamlLimitError, match=r"alias \*a refers to a node that contains it") as info:
        load_bounded_yaml("x: 1\na: &a [1, [2, *a]]\n")
    assert info.value.line == 2


def test_deep_nesting_is_refused_before_the_composer_recurses_too_far():
    with pytest.raises(YamlLimitError, match="deeper than 100 levels"):
        load_bounded_yaml("[" * 900 + "]" * 900)  # libyaml stops at 1000 itself; pyyaml's parser would not
    assert load_bounded_yaml("[" * 50 + "]" * 50, max_depth=60) is not None


def test_size_is_checked_before_parsing(tmp_path):
    with pytest.raises(YamlLimitError, match="2000 bytes is over the 1000-byte limit"):
        load_bounded_yaml("a: " + "x" * 1997, max_bytes=1000)
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: 1\n" * 1000)
    with pytest.raises(YamlLimitError, match="over the 100-byte limit"):
        read_bounded_file(big, max_bytes=100)
    assert read_bounded_file(big) == big.read_bytes()


def test_nodes_keep_their_lines_for_readers_that_report_them():
    (document,) = compose_bounded_yaml("a: 1\nb:\n  c: *x\n".replace("*x", "2"))
    assert [(key.value, key.start_mark.line + 1) for key, _ in document.value] == [("a", 1), ("b", 2)]


def test_any_loader_class_can_be_bounded():
    class Tagged(yaml.SafeLoader):
        """A project's own loader with a custom tag."""

    Tagged.add_constructor("!port", lambda loader, node: int(loader.construct_scalar(node)))
    assert load_bounded_yaml("p: !port '5563'\n", loader=Tagged) == {"p": 5563}
    with pytest.raises(YamlLimitError):
        load_bounded_yaml(laughs(9), loader=Tagged)
    bounded = bounded_loader(Tagged, max_aliases=3)
    assert issubclass(bounded, Tagged) and bounded is bounded_loader(Tagged, max_aliases=3)
    with pytest.raises(YamlLimitError, match="more than 3 nodes"):  # *a stands for the list and its 3 items
        yaml.load("a: &a [1, 2, 3]\nb: *a\n", Loader=bounded)  # nosec B506 - a safe loader, bounded
    assert yaml.load("a: [1]", Loader=BoundedSafeLoader) == {"a": [1]}  # nosec B506 - a safe loader, bounded


def test_the_runtime_refuses_a_bomb_or_a_huge_registry_with_a_clear_error(ports_file):
    ports_file("ports:\n  A: {port: 5563}\nbomb:\n" + "".join(f"  {line}\n" for line in laughs(9).splitlines()))
    with pytest.raises(PortRegistryError, match=r"ports\.yaml:\d+: not valid YAML: aliases stand for more than"):
        load_registry()
    ports_file("ports:\n" + "".join(f"  P{n}: {{port: {1 + n % 60000}, machine: m{n}}}\n" for n in range(40000)))
    with pytest.raises(PortRegistryError, match=r"ports\.yaml: .*over the 1048576-byte limit"):
        load_registry()
