"""YAML with limits: size, alias expansion and nesting are bounded before anything is built.

    data = load_bounded_yaml(text)                            # yaml.safe_load, bounded
    nodes = compose_bounded_yaml(text)                        # the node API: every node keeps its line
    Loader = bounded_loader(MyLoader, max_aliases=500)        # any pyyaml Loader class, bounded
    yaml.load(text, Loader=BoundedSafeLoader)                 # the default limits as a Loader class

An alias (``*name``) stands for the whole node its anchor names, so a few hundred bytes of
nested aliases ("billion laughs") stand for billions of nodes: constructing them, merging
them (``<<: *a``) or walking the node tree never ends. Here each alias is charged the
expanded size of the node it stands for (aliases inside it counted expanded too), and the
stream is refused once its aliases stand for more than ``max_aliases`` nodes in all. Text
over ``max_bytes`` is refused before parsing, nesting deeper than ``max_depth`` (pyyaml's
composer recurses once per level) and an alias to a node that contains it while composing.

Every refusal is a YamlLimitError, a ``yaml.MarkedYAMLError``: code that already reports
malformed YAML (its message, its line) reports these the same way.

Parsing uses libyaml's parser when pyyaml was built with it; composing is pyyaml's own
composer with the counting added, so the limits hold with either parser. Only the standard
library and PyYAML are used.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent

DEFAULT_MAX_BYTES = 4 << 20  # 4 MiB: far above any hand-written config, far below a memory problem
DEFAULT_MAX_ALIASES = 10_000  # nodes all aliases of one stream may stand for
DEFAULT_MAX_DEPTH = 100  # nesting levels

_SAFE_BASE: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(yaml.MarkedYAMLError):
    """A YAML text over one of the limits (size, aliases, depth); the mark is where, when known."""

    problem: str  # always given, unlike a MarkedYAMLError's

    def __init__(self, problem: str, mark: Any = None) -> None:
        super().__init__(problem=problem, problem_mark=mark)

    @property
    def line(self) -> int:
        """1-based line of the refused construct; 0 for the size limit."""
        return self.problem_mark.line + 1 if self.problem_mark is not None else 0


class BoundedComposer(Composer):
    """pyyaml's composer, charging every alias the expanded size of what it stands for.

    Mixed in before a Loader's parser (``bounded_loader`` does it), it replaces that
    Loader's composing, libyaml's included; the limits are class attributes.
    """

    max_aliases: int = DEFAULT_MAX_ALIASES
    max_depth: int = DEFAULT_MAX_DEPTH
    max_bytes: int = DEFAULT_MAX_BYTES
    _alias_nodes = 0  # per loader instance (the first += makes it an instance attribute)
    _depth = 0
    if TYPE_CHECKING:  # the parser it is mixed in with provides these
        def check_event(self, *choices: type[yaml.Event]) -> bool: ...
        def peek_event(self) -> Any: ...

    def compose_document(self) -> Any:
        self.anchors = {}  # Composer.__init__ does not run under libyaml's parser
        self._expanded: dict[int, int] = {}  # id(node) -> its size with aliases expanded
        return super().compose_document()

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(AliasEvent):
            event = self.peek_event()
            target = self.anchors.get(event.anchor)
            if target is not None:
                self._charge(target, event)
            return super().compose_node(parent, index)
        self._depth += 1
        try:
            if self._depth > self.max_depth:
                raise YamlLimitError(f"nesting is deeper than {self.max_depth} levels", self.peek_event().start_mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is not None:  # never None for a composed node (typeshed allows it)
            self._expanded[id(node)] = self._size(node)
        return node

    def _charge(self, target: yaml.Node, event: Any) -> None:
        size = self._expanded.get(id(target))
        if size is None:  # its anchor is still being composed: the alias is inside what it names
            raise YamlLimitError(f"alias *{event.anchor} refers to a node that contains it", event.start_mark)
        self._alias_nodes += size
        if self._alias_nodes > self.max_aliases:
            raise YamlLimitError(
                f"aliases stand for more than {self.max_aliases} nodes (an alias bomb?); "
                f"refused at *{event.anchor}",
                event.start_mark,
            )

    def _size(self, node: yaml.Node) -> int:
        if isinstance(node, yaml.SequenceNode):
            return 1 + sum(self._expanded.get(id(item), 1) for item in node.value)
        if isinstance(node, yaml.MappingNode):
            return 1 + sum(self._expanded.get(id(k), 1) + self._expanded.get(id(v), 1) for k, v in node.value)
        return 1


def check_size(data: str | bytes, max_bytes: int) -> None:
    """YamlLimitError when ``data`` is over ``max_bytes`` (text counted as UTF-8)."""
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise YamlLimitError(f"{size} bytes is over the {max_bytes}-byte limit for a YAML file")


@functools.cache
def bounded_loader(
    base: type[Any] = _SAFE_BASE,
    *,
    max_aliases: int = DEFAULT_MAX_ALIASES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> type:
    """``base`` (a pyyaml Loader class) with the limits; a str or bytes stream is size-checked too."""
    limits = {"max_aliases": max_aliases, "max_bytes": max_bytes, "max_depth": max_depth}

    def __init__(self: Any, stream: Any) -> None:
        if isinstance(stream, (str, bytes)):
            check_size(stream, max_bytes)
        base.__init__(self, stream)

    return type(f"Bounded{base.__name__}", (BoundedComposer, base), {"__init__": __init__, **limits})


BoundedSafeLoader = bounded_loader()


def _loader(data: str | bytes, loader: type | None, max_aliases: int, max_bytes: int, max_depth: int) -> Any:
    cls = bounded_loader(loader or _SAFE_BASE, max_aliases=max_aliases, max_bytes=max_bytes, max_depth=max_depth)
    return cls(data)


def load_bounded_yaml(
    data: str | bytes,
    *,
    max_aliases: int = DEFAULT_MAX_ALIASES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    loader: type | None = None,
) -> Any:
    """The one document in ``data`` as Python data (``loader`` defaults to pyyaml's safe loader)."""
    instance = _loader(data, loader, max_aliases, max_bytes, max_depth)
    try:
        return instance.get_single_data()
    finally:
        instance.dispose()


def compose_bounded_yaml(
    data: str | bytes,
    *,
    max_aliases: int = DEFAULT_MAX_ALIASES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
    loader: type | None = None,
) -> list[yaml.Node]:
    """The node tree of every (non-empty) document in ``data``; the alias budget covers them all."""
    instance = _loader(data, loader, max_aliases, max_bytes, max_depth)
    documents = []
    try:
        while instance.check_node():
            node = instance.get_node()
            if node is not None:
                documents.append(node)
    finally:
        instance.dispose()
    return documents


def read_bounded_file(path: Path | str, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """A file's bytes, refused with YamlLimitError past ``max_bytes`` without reading the rest."""
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise YamlLimitError(f"{path} is over the {max_bytes}-byte limit for a YAML file")
    return data
