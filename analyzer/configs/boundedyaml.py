"""YAML from files a repository wrote, read within bounds: the one way the analyzer reads YAML.

A few hundred bytes of anchors and aliases (`a: &a [x, x]`, `b: &b [*a, *a]`,
...) compose into a small graph that every reader walking it as a tree
visits billions of times; a recursive alias never ends; a 30 MB file takes
minutes. `load_bounded_yaml` refuses files over `max_bytes`, trees whose
aliases add more than `alias_budget` nodes to what is written, and recursive
aliases, with a `yaml.YAMLError` subclass, so every caller that reports
malformed YAML reports these too (a finding, not a hang).

Standard library and PyYAML only: the runtime package may use it as it is.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_YAML_BYTES = 2 * 1024 * 1024
ALIAS_BUDGET = 10_000  # nodes that aliases may add beyond those written: anchors for defaults, not for bombs
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTooLarge(yaml.YAMLError):
    """The file is over the size limit."""


class YamlAliasBomb(yaml.YAMLError):
    """Aliases expand past the budget, or refer to themselves."""


class YamlTooDeep(yaml.YAMLError):
    """Nesting past what the pure-Python composer can recurse into."""


def load_bounded_yaml(text: str, *, max_bytes: int = MAX_YAML_BYTES, alias_budget: int = ALIAS_BUDGET,
                      loader: Any = _LOADER) -> list[yaml.Node]:
    """Every document of `text` as a node tree (lines kept; `loader().construct_document(node)` gives Python data).

    Raises yaml.YAMLError for malformed YAML and for the bounds above.
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlTooLarge(f"{size} bytes is over the {max_bytes}-byte limit for YAML")
    try:
        documents = [node for node in yaml.compose_all(text, Loader=loader) if node is not None]
    except RecursionError as error:
        raise YamlTooDeep("nested too deep to read") from error
    added = _expanded_size(documents) - _distinct_count(documents)
    if added > alias_budget:
        raise YamlAliasBomb(f"aliases expand it by {added} nodes, over the budget of {alias_budget}")
    return documents


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _distinct_count(documents: list[yaml.Node]) -> int:
    seen: set[int] = set()
    stack = list(documents)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(_children(node))
    return len(seen)


def _expanded_size(documents: list[yaml.Node]) -> int:
    """Nodes a tree walk visits, with each alias expanded; YamlAliasBomb for a recursive alias.

    Linear in the distinct nodes: each node's expanded size is computed once, children first.
    """
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()  # the current path from a document root: meeting one again is a cycle
    stack: list[tuple[yaml.Node, bool]] = [(document, False) for document in documents]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            in_progress.discard(key)
            sizes[key] = 1 + sum(sizes[id(child)] for child in _children(node))
            continue
        if key in sizes:
            continue
        if key in in_progress:
            raise YamlAliasBomb("an alias refers to the node that contains it (a recursive alias)")
        in_progress.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node) if id(child) not in sizes)
    return sum(sizes[id(document)] for document in documents)
