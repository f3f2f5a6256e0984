"""Fact kinds, declared once: `@fact_kind` on a fact dataclass gives its list in a file's facts, its graph label,
relationship, node id scheme and typed columns. analyzer/schema.py, the graph rows (analyzer/graph.py), the
extraction's sorting (analyzer/extract) and the facts-cache key (analyzer/cache.py) are derived from this registry.

    @fact_kind(field="asserts", label="AssertStatement", relationship="HAS_ASSERT", id_tag="A",
               doc="An assert statement.", rel_doc="Module has assert statement.")
    @dataclass(slots=True)
    class AssertFact:
        line: int
        test: str

Columns come from the type hints: int -> INT64, str -> STRING, bool -> BOOLEAN, a tuple of strings -> a
comma-joined STRING. The kinds of analyzer/facts.py are typed fields of FileFacts; a kind registered later
(docs/fact-kinds.md) keeps its list in `FileFacts.extra[field]`.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from analyzer.codec import register_class

STRING, INT, BOOL = "STRING", "INT64", "BOOLEAN"
# The graph groups file facts in two runs (docs/graph.md's order): the code's structure before the
# repository-wide nodes (cycles, contracts, duplicates), the security, performance and hygiene checks after.
CODE, CHECKS = "code", "checks"
# Properties every file-level child node repeats so queries need no join to report a location.
LOCATED = {"path": STRING, "machine": STRING, "line": INT}
_SCALAR_COLUMNS: dict[Any, str] = {int: INT, str: STRING, bool: BOOL}

T = TypeVar("T")


@dataclass(frozen=True)
class FactKind:
    cls: type
    field: str  # its list in a file's facts
    label: str  # graph node label ("" when its facts are no nodes of their own)
    relationship: str  # Module -[relationship]-> node
    id_tag: str  # node id: "<module id>#<id_tag><index in the list>"
    doc: str
    rel_doc: str
    group: str
    columns: dict[str, str]  # typed node properties besides id and snapshot, path, machine and line first
    joined: tuple[str, ...]  # tuple-of-strings fields, comma-joined in their column
    own_rows: bool  # analyzer/graph.py writes its rows with code of its own (they need more than the fact)
    sorted_by_line: bool
    extra_rels: tuple[tuple[str, str, str], ...]  # (relationship, source label, doc) into this kind's nodes
    builtin: bool = False  # a typed field of FileFacts (else kept in FileFacts.extra)

    @property
    def node(self) -> bool:
        return bool(self.label)


_kinds: dict[str, FactKind] = {}
_code: list[type] = []  # extractors besides the kinds: their modules are part of the facts-cache key
_listeners: list[Callable[[], None]] = []


def fact_kind(*, field: str, label: str = "", relationship: str = "", id_tag: str = "", doc: str = "",
              rel_doc: str = "", node: bool = True, group: str = CHECKS, columns: dict[str, str] | None = None,
              own_rows: bool = False, sorted_by_line: bool = True,
              extra_rels: tuple[tuple[str, str, str], ...] = ()) -> Callable[[type[T]], type[T]]:
    """Register a fact dataclass as a kind; `node=False` for facts that feed later stages but are no nodes.
    `columns` replaces the columns derived from the fields where the rows are not the fact's (own_rows)."""

    def register(cls: type[T]) -> type[T]:
        if field in _kinds:
            raise ValueError(f"fact kind {field!r} is declared twice")
        if node and not (label and relationship and id_tag and doc and rel_doc):
            raise ValueError(f"fact kind {field!r}: a node kind needs label, relationship, id_tag, doc and rel_doc")
        hints = typing.get_type_hints(cls)
        joined = tuple(name for name, hint in hints.items() if hint == tuple[str, ...])
        derived = dict(LOCATED) if node else {}
        if node and columns is None:
            for f in dataclasses.fields(cls):  # type: ignore[arg-type]
                if f.name != "line":
                    derived[f.name] = _column_type(cls, f.name, hints[f.name])
        elif columns is not None:
            derived.update(columns)
        _kinds[field] = FactKind(cls, field, label if node else "", relationship if node else "", id_tag, doc,
                                 rel_doc, group, derived, joined, own_rows, sorted_by_line, extra_rels)
        register_class(cls)  # a cached FileFacts.extra names its facts' class
        _changed()
        return cls
    return register


def _column_type(cls: type, name: str, hint: Any) -> str:
    if hint in _SCALAR_COLUMNS:
        return _SCALAR_COLUMNS[hint]
    if hint == tuple[str, ...]:
        return STRING
    raise TypeError(f"{cls.__name__}.{name}: no column type for {hint!r} (int, str, bool or tuple[str, ...]); "
                    "declare `columns` and write its rows in analyzer/graph.py")


def seal_builtin(facts_class: type) -> None:
    """The kinds declared so far are `facts_class`'s typed list fields, each of them (checked here, once),
    and take their order."""
    lists = [f.name for f in dataclasses.fields(facts_class)
             if typing.get_origin(typing.get_type_hints(facts_class)[f.name]) is list]
    if sorted(lists) != sorted(_kinds):
        raise TypeError(f"FileFacts' fact lists {lists} are not the declared kinds {list(_kinds)}")
    declared = {name: dataclasses.replace(kind, builtin=True) for name, kind in _kinds.items()}
    _kinds.clear()
    _kinds.update((name, declared[name]) for name in lists)  # in the order of the file's facts
    _changed()


def kinds() -> tuple[FactKind, ...]:
    """Every kind, in declaration order."""
    return tuple(_kinds.values())


def kind_named(field: str) -> FactKind:
    return _kinds[field]


def node_kinds(group: str | None = None) -> tuple[FactKind, ...]:
    return tuple(k for k in _kinds.values() if k.node and group in (None, k.group))


def facts_of(facts: Any, kind: FactKind) -> list[Any]:
    """A file's facts of one kind."""
    return getattr(facts, kind.field) if kind.builtin else facts.extra.get(kind.field, [])


def register_code(cls: type) -> None:
    """Code whose module is part of the facts-cache key besides the kinds' (the extractors)."""
    _code.append(cls)
    _changed()


def code_files() -> list[Path]:
    """The modules the registered kinds and extractors are declared in."""
    files = {Path(inspect.getfile(cls)).resolve() for cls in [*(k.cls for k in _kinds.values()), *_code]}
    return sorted(files)


def on_change(listener: Callable[[], None]) -> None:
    """Call `listener` now and after every registration (the schema's tables are rebuilt in place)."""
    _listeners.append(listener)
    listener()


def _changed() -> None:
    for listener in _listeners:
        listener()


def snapshot() -> tuple[dict[str, FactKind], list[type]]:
    return dict(_kinds), list(_code)


def restore(saved: tuple[dict[str, FactKind], list[type]]) -> None:
    kinds_then, code_then = saved
    _kinds.clear()
    _kinds.update(kinds_then)
    _code[:] = code_then
    _changed()
