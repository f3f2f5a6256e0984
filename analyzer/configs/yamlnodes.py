"""YAML through pyyaml's node API, so every value keeps the line it was written on.

The runtime's `agent_runtime.boundedyaml.compose_bounded_yaml` reads the
documents' node trees within bounds (libyaml's parser when pyyaml has it); `value` turns a node into Python data
with pyyaml's own safe constructors, so `5563`, `"5563"`, `true` and `0x15bb`
mean what YAML says.
"""

from __future__ import annotations

from typing import Any

import yaml


def line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


STR_TAG, INT_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:int"


def value(node: yaml.Node) -> Any:
    """The Python value of a node, typed by YAML's own rules (`5563` int, `"5563"` str, `yes` bool)."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag == STR_TAG:
            return node.value  # the common cases without a constructor
        if node.tag == INT_TAG and node.value.isdigit():
            return int(node.value)
    # A fresh constructor each call: pyyaml caches every node it constructed.
    return yaml.constructor.SafeConstructor().construct_object(node, deep=True)


def scalar_text(node: yaml.Node) -> str | None:
    """A scalar's text as written (without YAML's typing), None for a list or mapping."""
    return node.value if isinstance(node, yaml.ScalarNode) else None


def items(node: yaml.Node) -> list[tuple[str, yaml.Node, yaml.Node]]:
    """(key text, key node, value node) of a mapping; [] for anything else. Non-scalar keys are skipped."""
    if not isinstance(node, yaml.MappingNode):
        return []
    return [(key.value, key, val) for key, val in node.value if isinstance(key, yaml.ScalarNode)]


def fields(node: yaml.Node) -> dict[str, yaml.Node]:
    """A mapping's value nodes by lower-cased scalar key (the first of duplicate keys wins); {} for anything else."""
    found: dict[str, yaml.Node] = {}
    if isinstance(node, yaml.MappingNode):
        for key, val in node.value:
            if isinstance(key, yaml.ScalarNode):
                found.setdefault(key.value.lower(), val)
    return found


def field_of(node: yaml.Node, *names: str) -> yaml.Node | None:
    """The value node of the first of `names` present in a mapping (keys compared case-insensitively)."""
    return first(fields(node), *names)


def first(table: dict[str, yaml.Node], *names: str) -> yaml.Node | None:
    for name in names:
        found = table.get(name)
        if found is not None:
            return found
    return None


def error_location(error: yaml.YAMLError) -> tuple[str, int]:
    """(one-line message, 1-based line) of a YAML error; line 0 when pyyaml gives no mark."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"{context}, {problem}" if context else problem
    return " ".join(str(message).split()), (mark.line + 1 if mark is not None else 0)
