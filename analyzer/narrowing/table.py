"""The raise table (raises.yaml beside this file), extended by `[[tool.analyzer.raises]]`.

A row says what a call raises and, optionally, what it returns; the first row whose
name pattern and conditions match a call is the one used. Rows from the scanned
repository's settings come before the built-in ones, so a repository can override
a row as well as add one. The file's own header documents every key.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from analyzer.narrowing.model import CallShape

TABLE_PATH = Path(__file__).with_name("raises.yaml")
BUILT_IN = "raise table"
FROM_CONFIG = "[tool.analyzer] raises"
ROW_KEYS = frozenset({"call", "when", "raises", "unproven", "returns", "consumes", "source", "note"})
EXCEPTION_KEYS = frozenset({"exception", "base", "import", "source", "note"})
CONDITION_KEYS = frozenset({"keyword_true", "keyword_set", "mentions", "literal_args", "first_arg", "min_args"})
ANY_TYPE = "any"


class TableError(ValueError):
    """A raise-table row is malformed; the message names the row."""


@dataclass(frozen=True)
class Row:
    call: str  # a dotted name, or a prefix ending in "*"
    raises: tuple[str, ...]
    when: tuple[tuple[str, Any], ...] = ()
    returns: str = ""
    consumes: bool = False
    unproven: bool = False
    source: str = ""
    note: str = ""
    origin: str = BUILT_IN

    def names(self, name: str) -> bool:
        return name.startswith(self.call[:-1]) if self.call.endswith("*") else name == self.call

    def label(self) -> str:
        """`raise table: json.loads (https://...)`: where a row's answer comes from, for evidence."""
        where = self.source or self.note
        return f"{self.origin}: {self.call}" + (f" ({where})" if where else "")


@dataclass
class RaiseTable:
    rows: list[Row]
    exceptions: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (base, module to import)
    aliases: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    iterables: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    subscripts: dict[str, Row] = field(default_factory=dict)  # type -> what `x[key]` raises (and returns)
    iteration: dict[str, Row] = field(default_factory=dict)  # type -> what iterating it raises

    def __post_init__(self) -> None:
        self._exact: dict[str, list[int]] = {}
        self._prefixed: list[int] = []
        for index, row in enumerate(self.rows):
            if row.call.endswith("*"):
                self._prefixed.append(index)
            else:
                self._exact.setdefault(row.call, []).append(index)

    def canonical(self, type_name: str) -> str:
        return self.aliases.get(type_name, type_name)

    def find(self, name: str, shape: CallShape, first_arg_type: Callable[[], str | None]) -> Row | None:
        """The first row naming `name` whose conditions the call meets."""
        candidates = sorted([*self._exact.get(name, ()), *(i for i in self._prefixed if self.rows[i].names(name))])
        for index in candidates:
            row = self.rows[index]
            if all(_holds(key, value, shape, first_arg_type) for key, value in row.when):
                return row
        return None

    def returns(self, name: str) -> str:
        """What a call of `name` returns: the type its rows name, "" when none does or they disagree
        (the type of a call's result is worked out without its arguments, so a row's `when` cannot pick it)."""
        exact = {self.rows[i].returns for i in self._exact.get(name, ())} - {""}
        if exact:
            return exact.pop() if len(exact) == 1 else ""
        prefixed = sorted((len(self.rows[i].call), self.rows[i].returns) for i in self._prefixed
                          if self.rows[i].names(name) and self.rows[i].returns)
        longest = {returns for length, returns in prefixed if length == prefixed[-1][0]} if prefixed else set()
        return longest.pop() if len(longest) == 1 else ""

    def base_of(self, exception: str) -> str | None:
        """The base class of a non-builtin exception the table knows, None for one it does not."""
        known = self.exceptions.get(exception)
        return known[0] if known else None

    def import_for(self, exception: str) -> str:
        """The module to import so that `exception` can be named."""
        known = self.exceptions.get(exception)
        return known[1] if known and known[1] else exception.rsplit(".", 1)[0]


def _holds(key: str, value: Any, shape: CallShape, first_arg_type: Callable[[], str | None]) -> bool:
    keywords = dict(shape.keywords)
    if key == "keyword_true":
        return all(keywords.get(name) not in (None, "false", "none") for name in value)
    if key == "keyword_set":
        return all(keywords.get(name) not in (None, "none") for name in value)
    if key == "mentions":
        return any(name in shape.mentions for name in value)
    if key == "literal_args":
        return shape.literal_args == bool(value) and not shape.starred
    if key == "min_args":
        return len(shape.args) >= int(value)
    if key == "first_arg":
        return bool(shape.args) and first_arg_type() in value
    raise TableError(f"unknown condition {key!r}")


# --------------------------------------------------------------------- loading


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise TableError(f"{where}: {key} must be a list of names")
    return tuple(value)


def _row(entry: Mapping[str, Any], where: str, origin: str) -> Row:
    unknown = set(entry) - ROW_KEYS
    if unknown:
        raise TableError(f"{where}: unknown key {', '.join(sorted(unknown))} (keys: {', '.join(sorted(ROW_KEYS))})")
    call = entry.get("call")
    if not isinstance(call, str) or not call.strip() or "*" in call[:-1]:
        raise TableError(f"{where}: call must be a dotted name, optionally ending in *")
    unproven = entry.get("unproven") is True
    if ("raises" in entry) == unproven:
        raise TableError(f"{where}: give either raises (a list, [] for none) or unproven = true")
    when = entry.get("when") or {}
    if not isinstance(when, Mapping) or set(when) - CONDITION_KEYS:
        raise TableError(f"{where}: when takes {', '.join(sorted(CONDITION_KEYS))}")
    for key in ("keyword_true", "keyword_set", "mentions", "first_arg"):
        if key in when:
            _strings(when[key], where, f"when.{key}")
    for key in ("source", "note", "returns"):
        if key in entry and not isinstance(entry[key], str):
            raise TableError(f"{where}: {key} must be text")
    conditions = tuple((key, tuple(value) if isinstance(value, list) else value) for key, value in when.items())
    return Row(call.strip(), () if unproven else _strings(entry["raises"], where, "raises"), conditions,
               entry.get("returns", ""), entry.get("consumes") is True, unproven, entry.get("source", ""),
               entry.get("note", ""), origin)


def _exception(entry: Mapping[str, Any], where: str) -> tuple[str, tuple[str, str]]:
    unknown = set(entry) - EXCEPTION_KEYS
    name, base = entry.get("exception"), entry.get("base", "Exception")
    if unknown or not isinstance(name, str) or "." not in name or not isinstance(base, str):
        raise TableError(f"{where}: an exception row takes exception (a dotted name), base and import")
    return name, (base, str(entry.get("import", "")))


@cache
def _built_in() -> RaiseTable:
    # The bundled table is this package's own file, not scanned input: libyaml's safe loader, when built, reads
    # it ten times faster (`analyzer check` loads it on every run).
    text = TABLE_PATH.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=yaml.CSafeLoader) if yaml.__with_libyaml__ else yaml.safe_load(text)
    rows = [_row(entry, f"{TABLE_PATH.name} row {n}", BUILT_IN) for n, entry in enumerate(data["calls"], 1)]
    exceptions = {name: (info["base"], info.get("import", "")) for name, info in data["exceptions"].items()}
    subscripts = {name: Row(f"{name}[...]", tuple(info["raises"]), returns=info.get("returns", ""),
                            source=info.get("source", ""), note=info.get("note", ""))
                  for name, info in data["subscripts"].items()}
    iteration = {name: Row(f"iterating a {name}", tuple(info["raises"]), source=info.get("source", ""),
                           note=info.get("note", ""))
                 for name, info in data["iteration"].items()}
    return RaiseTable(rows, exceptions, dict(data["aliases"]), dict(data["attributes"]),
                      frozenset(data["iterables"]), frozenset(data["numbers"]), subscripts, iteration)


def load_table(extra: Any = None) -> RaiseTable:
    """The built-in table, with `[[tool.analyzer.raises]]` rows (a list of tables) put first."""
    table = _built_in()
    if not extra:
        return table
    if not isinstance(extra, list) or not all(isinstance(entry, Mapping) for entry in extra):
        raise TableError(f"{FROM_CONFIG} must be a list of tables ([[tool.analyzer.raises]])")
    rows, exceptions = [], dict(table.exceptions)
    for number, entry in enumerate(extra, 1):
        where = f"{FROM_CONFIG} row {number}"
        if "exception" in entry:
            name, info = _exception(entry, where)
            exceptions[name] = info
        else:
            rows.append(_row(entry, where, FROM_CONFIG))
    return RaiseTable([*rows, *table.rows], exceptions, table.aliases, table.attributes, table.iterables,
                      table.numbers, table.subscripts, table.iteration)


def is_builtin_exception(name: str) -> bool:
    value = getattr(builtins, name, None)
    return isinstance(value, type) and issubclass(value, BaseException)
