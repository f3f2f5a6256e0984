"""Which exceptions a `try` body can raise, over the whole repository, and what a handler can be narrowed to.

The per-file raise facts (analyzer/extract/raising.py) hold symbolic operations;
here they are resolved: names through imports to other files (analyzer/resolve.py's
module index), `self.x` through the class and its bases, calls against the raise
table (raises.yaml) or into the repository's own functions, followed a few calls
deep. A body is *proven* when every operation in it is accounted for; only then is
a handler narrowed without `--unsafe`.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from analyzer.codec import DeferredValue
from analyzer.facts import FileFacts
from analyzer.narrowing.model import (
    ATTRIBUTE, AWAIT, BINOP, CALL, COMPARE, FIXED, FORMAT, ITERATE, OPAQUE, RAISE, SET_ATTRIBUTE, SUBSCRIPT, UNARY,
    UNPACK, WITH, CallShape, ClassRaises, HandlerRaises, RaiseFacts, Site, Value,
)
from analyzer.config import ConfigError
from analyzer.narrowing.table import TABLE_PATH, RaiseTable, Row, TableError, is_builtin_exception, load_table
from analyzer.resolve import STDLIB, ModuleIndex, _package_of, module_name

MAX_CALL_DEPTH = 4  # calls into the repository's own functions followed from a try body
SAFE_DECORATORS = frozenset({
    "property", "staticmethod", "classmethod", "abstractmethod", "abc.abstractmethod", "override", "typing.override",
    "functools.cache", "functools.lru_cache", "cache", "lru_cache", "functools.cached_property", "cached_property",
})
SEQUENCES = frozenset({"str", "bytes", "bytearray", "list", "tuple"})
ORDERED = frozenset({"str", "bytes"})
ARITHMETIC_SOURCE = "https://docs.python.org/3/library/stdtypes.html#numeric-types-int-float-complex"
UNPACK_SOURCE = "https://docs.python.org/3/reference/simple_stmts.html#assignment-statements"

# Verdicts.
NARROW = "narrow"  # proven: every exception the body raises is named
UNPROVEN = "unproven"  # some operations are not accounted for; narrowed only with --unsafe
LEFT = "left"  # not narrowed at all, see `reason`

# Why a handler is left alone (the dry run groups handlers by these).
REASON_RERAISES = "the handler raises (clean-up or wrapping handler)"
REASON_STAR = "an except* handler"
REASON_NOTHING = "nothing the body raises reaches this handler"
REASON_NAMING = "an exception that cannot be named in this module"


@dataclass(frozen=True)
class Unknown:
    """An operation the analysis cannot account for."""

    category: str  # grouping key for reports, e.g. "calls a method on an object of unknown type"
    detail: str  # "line 12 `self.transform()`"


@dataclass
class BodyResult:
    raises: dict[str, str] = field(default_factory=dict)  # exception -> evidence (the first way it was found)
    unknown: list[Unknown] = field(default_factory=list)

    def add(self, exception: str, evidence: str) -> None:
        self.raises.setdefault(exception, evidence)

    def absorb(self, other: BodyResult, prefix: str = "") -> None:
        for exception, evidence in other.raises.items():
            self.add(exception, f"{prefix}{evidence}")
        self.unknown.extend(Unknown(u.category, f"{prefix}{u.detail}") for u in other.unknown)


@dataclass(frozen=True)
class Verdict:
    """What narrow-excepts can do with one bare or broad handler."""

    path: str
    line: int
    function: str
    status: str  # NARROW | UNPROVEN | LEFT
    types: tuple[str, ...] = ()  # exceptions, fewest that cover the body (project classes as "path::Name")
    names: tuple[str, ...] = ()  # the same, as the handler's module can spell them
    imports: tuple[str, ...] = ()  # import statements the module needs for them
    evidence: tuple[str, ...] = ()  # per exception: where it comes from
    reason: str = ""  # why it is left alone or not proven (a grouping category)
    unproven: tuple[str, ...] = ()  # what was not accounted for

    @property
    def display_types(self) -> str:
        return ",".join(display_name(t) for t in self.types)


def display_name(exception: str) -> str:
    """`main_pc_code/common/errors.py::ConfigError` -> `main_pc_code.common.errors.ConfigError`."""
    path, sep, name = exception.partition("::")
    return f"{module_name(path)}.{name}" if sep else exception


# --------------------------------------------------------------------- the repository


class RecordedReads(Mapping[str, RaiseFacts]):
    """Every file's raise facts, recording which files were looked up (found or not) since `start`, and whether
    every file was (`everything`): a file's verdicts depend on those files' facts alone."""

    def __init__(self, facts: dict[str, RaiseFacts]) -> None:
        self._facts = facts
        self.reads: set[str] = set()
        self.everything = False

    def start(self) -> None:
        self.reads, self.everything = set(), False

    def __getitem__(self, path: str) -> RaiseFacts:
        self.reads.add(path)
        return self._facts[path]

    def __contains__(self, path: object) -> bool:
        if isinstance(path, str):
            self.reads.add(path)  # a miss is a read too: the file's absence is an input
        return path in self._facts

    def __iter__(self) -> Iterator[str]:
        self.everything = True
        return iter(self._facts)

    def __len__(self) -> int:
        self.everything = True
        return len(self._facts)

    def paths(self) -> list[str]:
        """The files that have raise facts, sorted; not a read."""
        return sorted(self._facts)


class Repository:
    """Every file's raise facts, with name lookups across files."""

    def __init__(self, facts: dict[str, RaiseFacts], all_paths: Iterable[str] = ()) -> None:
        self.files = RecordedReads(facts)
        self.paths = frozenset((*facts, *all_paths))
        self._children: dict[tuple[str, str], list[tuple[str, str]]] | None = None  # class -> direct subclasses
        self.index = ModuleIndex(sorted(self.paths))
        self.prefixes = {base: {name.rsplit(".", n)[0] for name in names for n in range(1, name.count(".") + 1)}
                         for base, names in self.index.by_base.items()}

    def children(self, bases: Callable[[str, str], list[Value | None]]) -> dict[tuple[str, str], list[tuple[str, str]]]:
        """Each class's direct subclasses, built once (`bases` evaluates a class's bases); it reads every file."""
        self.files.everything = True
        if self._children is None:
            children: dict[tuple[str, str], list[tuple[str, str]]] = {}
            for file, facts in self.files.items():
                for name in facts.classes:
                    for base in bases(file, name):
                        if base is not None and base[0] == "pclass":
                            children.setdefault((base[1], base[2]), []).append((file, name))
            self._children = children
        return self._children

    def is_namespace(self, dotted: str) -> bool:
        return any(dotted in prefixes for prefixes in self.prefixes.values())

    def submodule(self, path: str, name: str) -> str | None:
        if not path.endswith("/__init__.py"):
            return None
        folder = path[: -len("/__init__.py")]
        for candidate in (f"{folder}/{name}.py", f"{folder}/{name}/__init__.py"):
            if candidate in self.paths:
                return candidate
        return None

    def relative_base(self, importer: str, module: str, level: int) -> str:
        package = _package_of(importer)
        if level > 1:
            package = package[: len(package) - (level - 1)]
        return ".".join([*package, module] if module else package)


# --------------------------------------------------------------------- evaluation


class Values:
    """Evaluates symbolic values: names through imports, attributes through classes, exception hierarchies.
    Results are memoised for the whole run."""

    def __init__(self, repository: Repository, table: RaiseTable | None = None) -> None:
        self.repo = repository
        self.table = table or load_table()
        self._values: dict[tuple[str, Value], Value | None] = {}
        self._ancestors: dict[str, tuple[str, ...]] = {}

    # --- values -------------------------------------------------------------

    def value(self, path: str, expression: Value) -> Value | None:
        key = (path, expression)
        if key in self._values:
            return self._values[key]
        self._values[key] = None  # a value defined through itself stays unknown
        handler = getattr(self, f"_value_{expression[0]}", None)
        result = handler(path, *expression[1:]) if handler is not None else None
        self._values[key] = result
        return result

    def _value_lit(self, path: str, type_name: str) -> Value:
        return ("inst", type_name)

    def _value_builtin(self, path: str, name: str) -> Value:
        return ("builtin", name)

    def _value_self(self, path: str, cls: str) -> Value:
        return ("pinst", path, cls, True)

    def _value_cls(self, path: str, cls: str) -> Value:
        return ("pclass", path, cls)

    def _value_super(self, path: str, cls: str) -> Value:
        return ("super", path, cls)

    def _value_here(self, path: str, name: str) -> Value | None:
        return self.module_name(path, name)

    def _value_import(self, path: str, module: str, level: int, name: str) -> Value | None:
        return self.imported(path, module, level, name)

    def _value_attr(self, path: str, owner: Value, name: str) -> Value | None:
        return self.member(self.value(path, owner), name)

    def _value_call(self, path: str, callee: Value, keywords: tuple = ()) -> Value | None:
        return self.result_of(self.value(path, callee), CallShape(keywords=keywords))

    def _value_any(self, path: str, values: tuple[Value, ...]) -> Value | None:
        return self.union(path, values)

    def _value_binop(self, path: str, operator: str, left: Value, right: Value) -> Value | None:
        return self.arithmetic_type(operator, self.value(path, left), self.value(path, right))

    def _value_instance(self, path: str, cls: Value) -> Value | None:
        found = self.value(path, cls)
        if found is None:
            return None
        if found[0] == "pclass":
            return ("pinst", found[1], found[2], False)
        if found[0] in ("ext", "builtin"):
            return ("inst", self.table.canonical(found[1]))
        return None

    def _value_slice(self, path: str, container: Value) -> Value | None:
        found = self.value(path, container)
        return found if found is not None and found[0] == "inst" and found[1] in SEQUENCES else None

    def _value_item(self, path: str, container: Value) -> Value | None:
        found = self.value(path, container)
        row = self.table.subscripts.get(found[1]) if found is not None and found[0] == "inst" else None
        return ("inst", row.returns) if row is not None and row.returns else None

    def union(self, path: str, values: tuple[Value, ...]) -> Value | None:
        """One value for several assignments: all the same type (a `None` default aside), else unknown."""
        plain = [v for v in values if v[0] != "aug"]
        found = [self.value(path, v) for v in plain]
        if any(v is None for v in found):
            return None
        kinds = {v for v in found if v != ("inst", "NoneType")}
        if len(kinds) != 1:
            return ("inst", "NoneType") if found and not kinds else None
        result = kinds.pop()
        for augmented in (v for v in values if v[0] == "aug"):
            if self.arithmetic_type(augmented[1], result, self.value(path, augmented[2])) != result:
                return None
        return result

    def module_name(self, path: str, name: str) -> Value | None:
        facts = self.repo.files.get(path)
        if facts is None:
            return None
        if name in facts.functions and "." not in name:
            return ("pfunc", path, name)
        known = facts.classes.get(name)
        if known is not None and known.top_level:
            return ("pclass", path, name)
        if name in facts.names:
            return self.union(path, facts.names[name])
        for module, level in facts.star_imports:
            target = self.imported(path, module, level, "")
            if target is not None and target[0] == "pmod":
                found = self.module_name(target[1], name)
                if found is not None:
                    return found
        return ("builtin", name) if hasattr(builtins, name) else None

    def imported(self, importer: str, module: str, level: int, name: str) -> Value | None:
        """What `from module import name` (name "" for `import module`) binds in `importer`."""
        repo = self.repo
        if level:
            base = repo.relative_base(importer, module, level)
            names = repo.index.by_base[""]
            if name and f"{base}.{name}" in names:
                return ("pmod", names[f"{base}.{name}"])
            target = names.get(base)
            if target is None:
                return None
            return self.module_name(target, name) if name else ("pmod", target)
        if module.split(".")[0] in STDLIB:
            return ("ext", f"{module}.{name}" if name else module)
        if name:
            submodule = repo.index.find([f"{module}.{name}"], importer)
            if submodule is not None:
                return ("pmod", submodule)
        target = repo.index.find([module], importer)
        if target is not None:
            return self.module_name(target, name) if name else ("pmod", target)
        dotted = f"{module}.{name}" if name else module
        return ("pns", dotted, importer) if repo.is_namespace(dotted) else ("ext", dotted)

    def member(self, owner: Value | None, name: str) -> Value | None:
        if owner is None:
            return None
        handler = getattr(self, f"_member_{owner[0]}", None)
        return handler(owner, name) if handler is not None else None

    def _member_ext(self, owner: Value, name: str) -> Value:
        dotted = f"{owner[1]}.{name}"
        listed = self.table.attributes.get(dotted)
        return ("inst", listed) if listed and listed != "any" else ("ext", dotted)

    _member_builtin = _member_ext

    def _member_pmod(self, owner: Value, name: str) -> Value | None:
        submodule = self.repo.submodule(owner[1], name)
        return ("pmod", submodule) if submodule else self.module_name(owner[1], name)

    def _member_pns(self, owner: Value, name: str) -> Value | None:
        dotted = f"{owner[1]}.{name}"
        found = self.repo.index.find([dotted], owner[2])
        if found is not None:
            return ("pmod", found)
        return ("pns", dotted, owner[2]) if self.repo.is_namespace(dotted) else None

    def _member_pclass(self, owner: Value, name: str) -> Value | None:
        found = self.find_member(owner[1], owner[2], name)
        if found is None or found[0] != "project":
            return None
        _, path, cls, kind = found
        if kind in ("method", "staticmethod", "classmethod"):
            return ("pfunc", path, f"{cls}.{name}")
        return self.union(path, self.repo.files[path].classes[cls].attributes[name]) if kind == "data" else None

    def _member_pinst(self, owner: Value, name: str) -> Value | None:
        found = self.find_member(owner[1], owner[2], name)
        if found is None or found[0] != "project":
            return None
        _, path, cls, kind = found
        if kind == "data":
            return self.union(path, self.repo.files[path].classes[cls].attributes[name])
        if kind in ("method", "staticmethod", "classmethod"):
            return ("pmethod", owner[1], owner[2], name, owner[3])
        return None

    def _member_inst(self, owner: Value, name: str) -> Value:
        type_name = self.table.canonical(owner[1])
        listed = self.table.attributes.get(f"{type_name}.{name}")
        if listed:
            return ("inst", listed) if listed != "any" else ("data",)
        return ("extmethod", type_name, name)

    def _member_super(self, owner: Value, name: str) -> Value:
        return ("superattr", owner[1], owner[2], name)

    def result_of(self, callee: Value | None, shape: CallShape = CallShape()) -> Value | None:
        if callee is None:
            return None
        if callee[0] in ("ext", "builtin", "extmethod"):
            name = self.table.canonical(callee[1]) if callee[0] != "extmethod" else f"{callee[1]}.{callee[2]}"
            row = self.table.find(name, shape, lambda: None)
            returned = row.returns if row is not None and row.returns else self.table.returns(name)
            if returned == "self":
                return ("inst", callee[1]) if callee[0] == "extmethod" else None
            return ("inst", returned) if returned else None
        if callee[0] == "pclass":
            return ("pinst", callee[1], callee[2], False)
        if callee[0] == "pfunc":
            return self._returned(callee[1], callee[2])
        if callee[0] == "pmethod":
            found = self.find_member(callee[1], callee[2], callee[3])
            return self._returned(found[1], f"{found[2]}.{callee[3]}") if found and found[0] == "project" else None
        return None

    def _returned(self, path: str, qualname: str) -> Value | None:
        """What a repository function returns, when all its return statements agree (`None` aside)."""
        function = self.repo.files[path].functions.get(qualname)
        if function is None or function.is_async or not function.returns:
            return None
        return self.union(path, function.returns)

    def arithmetic_type(self, operator: str, left: Value | None, right: Value | None) -> Value | None:
        if left is None or right is None or left[0] != "inst" or right[0] != "inst":
            return None
        numbers = self.table.numbers
        if left[1] in numbers and right[1] in numbers:
            if "complex" in (left[1], right[1]):
                return ("inst", "complex")
            if operator == "Divide" or "float" in (left[1], right[1]):
                return ("inst", "float")
            return ("inst", "int")
        if left[1] in SEQUENCES and (right[1] == left[1] or (operator == "Multiply" and right[1] == "int")):
            return left if operator in ("Add", "Multiply") else None
        return ("inst", "str") if left[1] == "str" and operator == "Modulo" else None

    # --- classes --------------------------------------------------------------

    def class_facts(self, path: str, cls: str) -> ClassRaises | None:
        facts = self.repo.files.get(path)
        return facts.classes.get(cls) if facts is not None else None

    def bases(self, path: str, cls: str) -> list[Value | None]:
        known = self.class_facts(path, cls)
        return [self.value(path, base) for base in known.bases] if known is not None else []

    def find_member(self, path: str, cls: str, name: str, skip_own: bool = False, seen=None):
        """Where `name` is defined for class cls, searching its bases in order:
        ("project", path, class, kind) with kind method / property / staticmethod / classmethod / data,
        ("outside", qualified base) for a base from outside the repository, ("absent",) or None (unknown base)."""
        seen = seen if seen is not None else set()
        if (path, cls) in seen:
            return ("absent",)
        seen.add((path, cls))
        known = self.class_facts(path, cls)
        if known is None:
            return None
        if not skip_own:
            if name in known.methods:
                return ("project", path, cls, known.methods[name])
            if name in known.attributes:
                return ("project", path, cls, "data")
        for base in self.bases(path, cls):
            if base is None:
                return None
            if base[0] == "pclass":
                found = self.find_member(base[1], base[2], name, False, seen)
                if found is None or found[0] != "absent":
                    return found
            elif base[0] == "ext" or (base[0] == "builtin" and base[1] != "object"):
                return ("outside", base[1])
        return ("absent",)

    def subclasses(self, path: str, cls: str) -> list[tuple[str, str]]:
        """Every repository class that derives from path::cls, directly or not."""
        children = self.repo.children(self.bases)
        found, queue = [], [(path, cls)]
        while queue:
            for child in children.get(queue.pop(), []):
                if child not in found:
                    found.append(child)
                    queue.append(child)
        return found

    # --- exceptions -------------------------------------------------------------

    def exception_type(self, path: str, expression: Value) -> str | None:
        found = self.value(path, expression)
        if found is None:
            return None
        if found[0] in ("builtin", "inst") and is_builtin_exception(found[1]):
            return found[1]
        if found[0] == "ext":
            return self.table.canonical(found[1])
        if found[0] == "pclass":
            return f"{found[1]}::{found[2]}"
        return None

    def ancestors(self, exception: str) -> tuple[str, ...]:
        if exception in self._ancestors:
            return self._ancestors[exception]
        self._ancestors[exception] = ("Exception", "BaseException")  # while resolving a cycle
        if is_builtin_exception(exception):
            found = tuple(c.__name__ for c in getattr(builtins, exception).__mro__[1:] if c is not object)
        elif "::" in exception:
            path, _, cls = exception.partition("::")
            chain: list[str] = []
            for base in declared.bases if (declared := self.class_facts(path, cls)) else ():
                parent = self.exception_type(path, base)
                if parent is None:
                    continue
                chain += [parent, *self.ancestors(parent)]
            found = tuple(dict.fromkeys(chain)) or ("Exception", "BaseException")
        else:
            listed = self.table.base_of(exception)
            found = (listed, *self.ancestors(listed)) if listed else ("Exception", "BaseException")
        self._ancestors[exception] = found
        return found

    def caught_by(self, exception: str, catchers: Iterable[str]) -> bool:
        catchers = set(catchers)
        return exception in catchers or any(a in catchers for a in self.ancestors(exception))

    def fewest(self, exceptions: Iterable[str]) -> list[str]:
        """The exceptions no other one of the set already covers."""
        unique = list(dict.fromkeys(exceptions))
        return [e for e in unique if not any(o != e and self.caught_by(e, [o]) for o in unique)]



class Inference(Values):
    """What bodies raise: each site against the raise table or the repository's own functions."""

    def __init__(self, repository: Repository, table: RaiseTable | None = None) -> None:
        super().__init__(repository, table)
        self._functions: dict[tuple[str, str, int], BodyResult] = {}
        self._active: set[tuple[str, str]] = set()
        self._sites = {
            CALL: self._site_call, SUBSCRIPT: self._site_subscript, ITERATE: self._site_iterate,
            UNPACK: self._site_unpack, BINOP: self._site_binop, COMPARE: self._site_compare, UNARY: self._site_unary,
            ATTRIBUTE: self._site_attribute, SET_ATTRIBUTE: self._site_setattr, AWAIT: self._site_await,
            FORMAT: self._site_format, WITH: self._site_with, RAISE: self._site_raise, FIXED: self._site_fixed,
            OPAQUE: self._site_opaque,
        }

    def body(self, path: str, sites: Iterable[Site], depth: int) -> BodyResult:
        result = BodyResult()
        for site in sites:
            found = self.site(path, site, depth)
            if site.caught:
                found = self._filter(path, site, found)
            result.absorb(found)
        return result

    def _filter(self, path: str, site: Site, found: BodyResult) -> BodyResult:
        catchers = [t for t in (self.exception_type(path, v) for v in site.caught) if t is not None]
        kept = BodyResult({e: ev for e, ev in found.raises.items() if not self.caught_by(e, catchers)})
        if not {"Exception", "BaseException"} & set(catchers):
            kept.unknown = found.unknown
        return kept

    def site(self, path: str, site: Site, depth: int) -> BodyResult:
        return self._sites[site.kind](path, site, depth)

    @staticmethod
    def _where(site: Site) -> str:
        return f"line {site.line} `{site.text}`"

    def _unknown(self, site: Site, category: str, more: str = "") -> BodyResult:
        return BodyResult(unknown=[Unknown(category, self._where(site) + (f": {more}" if more else ""))])

    def _from_row(self, site: Site, row: Row, raises: Iterable[str] | None = None) -> BodyResult:
        result = BodyResult()
        for exception in (row.raises if raises is None else raises):
            result.add(self.table.canonical(exception), f"{self._where(site)} ({row.label()})")
        return result

    def _site_call(self, path: str, site: Site, depth: int) -> BodyResult:
        shape: CallShape = site.detail[0]
        callee = self.value(path, site.value)
        if callee is None:
            return self._unknown(site, self._unknown_callee_category(path, site.value))
        handler = getattr(self, f"_call_{callee[0]}", None)
        if handler is None:
            return self._unknown(site, "calls something computed at run time")
        return handler(path, site, depth, shape, callee)

    def _unknown_callee_category(self, path: str, callee: Value) -> str:
        if callee[0] == "attr" and self.value(path, callee[1]) is None:
            return "calls a method on an object of unknown type"
        if callee[0] in ("attr", "here", "import", "builtin"):
            return "calls a function the analysis cannot see"
        return "calls something computed at run time"

    def _call_ext(self, path: str, site: Site, depth: int, shape: CallShape, callee: Value) -> BodyResult:
        return self.table_call(path, site, self.table.canonical(callee[1]), shape)

    def _call_builtin(self, path: str, site: Site, depth: int, shape: CallShape, callee: Value) -> BodyResult:
        if is_builtin_exception(callee[1]):
            return BodyResult()  # constructing a builtin exception raises nothing
        return self.table_call(path, site, callee[1], shape)

    def _call_extmethod(self, path: str, site: Site, depth: int, shape: CallShape, callee: Value) -> BodyResult:
        return self.table_call(path, site, f"{callee[1]}.{callee[2]}", shape)

    def _call_pfunc(self, path: str, site: Site, depth: int, shape: CallShape, callee: Value) -> BodyResult:
        return self.project_call(site, callee[1], callee[2], depth)

    def _call_pclass(self, path: str, site: Site, depth: int, shape: CallShape, callee: Value) -> BodyResult:
        return self.method_call(site, depth, shape, callee[1], callee[2], "__init__", constructor=True)

    def _call_pmethod(self, path: str, site: Site, depth: int, shape: CallShape, callee: Value) -> BodyResult:
        _, owner_path, cls, name, via_self = callee
        result = self.method_call(site, depth, shape, owner_path, cls, name)
        if via_self:
            # `self.m()` may run a subclass's m.
            for sub_path, sub in self.subclasses(owner_path, cls):
                known = self.class_facts(sub_path, sub)
                if known is not None and name in known.methods:
                    result.absorb(self.project_call(site, sub_path, f"{sub}.{name}", depth))
        return result

    def _call_superattr(self, path: str, site: Site, depth: int, shape: CallShape, callee: Value) -> BodyResult:
        _, owner_path, cls, name = callee
        return self.method_call(site, depth, shape, owner_path, cls, name, constructor=name == "__init__",
                                skip_own=True)

    def method_call(self, site: Site, depth: int, shape: CallShape, path: str, cls: str, name: str,
                    constructor: bool = False, skip_own: bool = False) -> BodyResult:
        found = self.find_member(path, cls, name, skip_own)
        if found is None:
            return self._unknown(site, "calls a method inherited from a class the analysis cannot see")
        if found[0] == "project":
            if found[3] not in ("method", "staticmethod", "classmethod"):
                return self._unknown(site, "calls something computed at run time")
            return self.project_call(site, found[1], f"{found[2]}.{name}", depth)
        if found[0] == "outside":
            if is_builtin_exception(found[1]) or found[1] in ("object", "dict", "list", "Exception"):
                return BodyResult()
            outside = self.table.canonical(found[1])
            return self.table_call(path, site, outside if constructor else f"{outside}.{name}", shape)
        if constructor:
            return BodyResult()  # no __init__ anywhere in the repository's classes: object's raises nothing
        return self._unknown(site, "calls a method no class defines")

    def table_call(self, path: str, site: Site, name: str, shape: CallShape) -> BodyResult:
        def first_arg_type() -> str | None:
            found = self.value(path, shape.args[0]) if shape.args else None
            return found[1] if found is not None and found[0] == "inst" else None

        row = self.table.find(name, shape, first_arg_type)
        if row is None:
            return self._unknown(site, "calls something the raise table does not list", name)
        if row.unproven:
            return self._unknown(site, "calls something whose exceptions cannot be listed", row.label())
        result = self._from_row(site, row)
        for argument in shape.args if row.consumes else ():
            iterated = self._iteration(path, site, argument)
            if iterated is None:
                return self._unknown(site, "passes an object of unknown type to a call that iterates it", name)
            result.absorb(iterated)
        return result

    def _iteration(self, path: str, site: Site, iterable: Value) -> BodyResult | None:
        """What iterating a value raises; None when its type is not known to be iterable."""
        type_name = self._instance_type(path, iterable)
        if type_name in self.table.iterables:
            return BodyResult()
        row = self.table.iteration.get(type_name or "")
        return self._from_row(site, row) if row is not None else None

    def project_call(self, site: Site, path: str, qualname: str, depth: int) -> BodyResult:
        function = self.repo.files[path].functions.get(qualname)
        if function is None:
            return self._unknown(site, "calls a function the analysis cannot see")
        unsafe = [d for d in function.decorators if d not in SAFE_DECORATORS and not d.endswith((".setter", ".deleter"))]
        if unsafe:
            return self._unknown(site, "calls a decorated function", f"@{unsafe[0] or '(expression)'} {qualname}")
        if depth + 1 > MAX_CALL_DEPTH:
            return self._unknown(site, f"calls more than {MAX_CALL_DEPTH} functions deep", qualname)
        inner = self.function(path, qualname, depth + 1)
        result = BodyResult()
        result.absorb(inner, f"{self._where(site)} -> {qualname} ({path}:{function.line}): ")
        return result

    def function(self, path: str, qualname: str, depth: int) -> BodyResult:
        key = (path, qualname, depth)
        if key in self._functions:
            return self._functions[key]
        if (path, qualname) in self._active:
            return BodyResult()  # recursion: what the cycle raises is gathered where it started
        self._active.add((path, qualname))
        try:
            result = self.body(path, self.repo.files[path].functions[qualname].sites, depth)
        finally:
            self._active.discard((path, qualname))
        self._functions[key] = result
        return result

    def _instance_type(self, path: str, expression: Value) -> str | None:
        found = self.value(path, expression)
        return self.table.canonical(found[1]) if found is not None and found[0] == "inst" else None

    def _project_instance(self, path: str, expression: Value) -> Value | None:
        found = self.value(path, expression)
        return found if found is not None and found[0] == "pinst" else None

    def _site_subscript(self, path: str, site: Site, depth: int) -> BodyResult:
        key, context = site.detail
        instance = self._project_instance(path, site.value)
        if instance is not None:
            dunder = {"load": "__getitem__", "store": "__setitem__", "del": "__delitem__"}[context]
            return self.method_call(site, depth, CallShape(), instance[1], instance[2], dunder)
        type_name = self._instance_type(path, site.value)
        row = self.table.subscripts.get(type_name or "")
        if row is None:
            return self._unknown(site, "subscripts an object of unknown type")
        if key == "slice" or (context == "store" and type_name == "dict"):
            return BodyResult()
        return self._from_row(site, row)

    def _site_iterate(self, path: str, site: Site, depth: int) -> BodyResult:
        iterated = self._iteration(path, site, site.value)
        return iterated if iterated is not None else self._unknown(site, "iterates over an object of unknown type")

    def _site_unpack(self, path: str, site: Site, depth: int) -> BodyResult:
        if self._instance_type(path, site.value) in self.table.iterables:
            row = Row("unpacking", ("ValueError",), source=UNPACK_SOURCE)
            return self._from_row(site, row)
        return self._unknown(site, "unpacks an object of unknown type")

    def _site_binop(self, path: str, site: Site, depth: int) -> BodyResult:
        operator, right, nonzero = site.detail
        left_type, right_type = self._instance_type(path, site.value), self._instance_type(path, right)
        numbers = self.table.numbers
        if left_type in numbers and right_type in numbers:
            raises: tuple[str, ...] = ()
            if operator in ("Divide", "FloorDivide", "Modulo") and not nonzero:
                raises = ("ZeroDivisionError",)
            elif operator == "Power" and "int" not in (left_type, right_type):
                raises = ("ZeroDivisionError", "OverflowError")
            elif operator in ("LeftShift", "RightShift") and not nonzero:
                raises = ("ValueError",)
            elif operator == "MatrixMultiply":
                return self._unknown(site, "does arithmetic on operands of unknown type")
            return self._from_row(site, Row(f"{operator} on numbers", raises, source=ARITHMETIC_SOURCE))
        if self.arithmetic_type(operator, ("inst", left_type), ("inst", right_type)) is not None:
            raises = ("TypeError", "ValueError") if operator == "Modulo" else ()
            return self._from_row(site, Row(f"{operator} on {left_type}", raises, source=ARITHMETIC_SOURCE))
        return self._unknown(site, "does arithmetic on operands of unknown type")

    def _site_compare(self, path: str, site: Site, depth: int) -> BodyResult:
        left_type, right_type = self._instance_type(path, site.value), self._instance_type(path, site.detail[1])
        numbers = self.table.numbers
        if (left_type in numbers and right_type in numbers) or (left_type == right_type and left_type in ORDERED):
            return BodyResult()
        return self._unknown(site, "compares operands of unknown type")

    def _site_unary(self, path: str, site: Site, depth: int) -> BodyResult:
        if self._instance_type(path, site.value) in self.table.numbers:
            return BodyResult()
        return self._unknown(site, "does arithmetic on operands of unknown type")

    def _site_format(self, path: str, site: Site, depth: int) -> BodyResult:
        type_name = self._instance_type(path, site.value)
        if type_name in self.table.numbers or type_name == "str":
            return BodyResult()
        return self._unknown(site, "formats an object of unknown type")

    def _site_attribute(self, path: str, site: Site, depth: int) -> BodyResult:
        owner = self.value(path, site.value)
        name = site.detail[0]
        if owner is None:
            return self._unknown(site, "reads an attribute of an object of unknown type")
        if owner[0] == "pinst":
            found = self.find_member(owner[1], owner[2], name)
            if found is not None and found[0] == "project" and found[3] == "property":
                return self.project_call(site, found[1], f"{found[2]}.{name}", depth)
            return BodyResult()
        if owner[0] == "inst" and owner[1] not in self.table.subscripts and owner[1] not in self.table.numbers:
            type_name = self.table.canonical(owner[1])
            listed = f"{type_name}.{name}" in self.table.attributes
            if not listed and self.table.find(f"{type_name}.{name}", CallShape(), lambda: None) is None:
                return self._unknown(site, "reads an attribute the raise table does not list", f"{type_name}.{name}")
        return BodyResult()

    def _site_setattr(self, path: str, site: Site, depth: int) -> BodyResult:
        owner = self.value(path, site.value)
        if owner is None or owner[0] not in ("pinst", "pmod", "pclass"):
            return self._unknown(site, "sets an attribute of an object of unknown type")
        return BodyResult()

    def _site_await(self, path: str, site: Site, depth: int) -> BodyResult:
        return self._unknown(site, "awaits an object of unknown type")

    def _site_with(self, path: str, site: Site, depth: int) -> BodyResult:
        instance = self._project_instance(path, site.value)
        result = BodyResult()
        for dunder in ("__enter__", "__exit__"):
            if instance is not None:
                result.absorb(self.method_call(site, depth, CallShape(), instance[1], instance[2], dunder))
                continue
            type_name = self._instance_type(path, site.value)
            if type_name is None:
                return self._unknown(site, "enters a context manager of unknown type")
            result.absorb(self.table_call(path, site, f"{type_name}.{dunder}", CallShape()))
        return result

    def _site_raise(self, path: str, site: Site, depth: int) -> BodyResult:
        exception = self.exception_type(path, site.value)
        if exception is None:
            return self._unknown(site, "raises an exception chosen at run time")
        result = BodyResult()
        result.add(exception, f"{self._where(site)} (explicit raise in {path})")
        return result

    def _site_fixed(self, path: str, site: Site, depth: int) -> BodyResult:
        return self.table_call(path, site, site.detail[0], CallShape())

    def _site_opaque(self, path: str, site: Site, depth: int) -> BodyResult:
        return self._unknown(site, site.detail[0])

    # --- handlers ----------------------------------------------------------------

    def handler(self, path: str, handler: HandlerRaises) -> Verdict:
        base = Verdict(path, handler.line, handler.function, LEFT)
        if handler.star:
            return replace(base, reason=REASON_STAR)
        if handler.reraises:
            return replace(base, reason=REASON_RERAISES)
        result = self.body(path, handler.sites, 0)
        named = [t for t in (self.exception_type(path, v) for v in handler.types) if t is not None]
        reaching = self._reaching(path, handler, named, result)
        unproven = tuple(f"{u.detail} ({u.category})" for u in result.unknown)
        reason = result.unknown[0].category if result.unknown else ""
        if not reaching:
            return replace(base, reason=reason or REASON_NOTHING, unproven=unproven)
        types = self.fewest([*(t for t in named if t not in ("Exception", "BaseException")), *sorted(reaching)])
        names, imports, problem = Spelling(self, path, handler.function).spell(types)
        if problem:
            return replace(base, reason=REASON_NAMING, unproven=(problem, *unproven))
        evidence = tuple(f"{display_name(t)}: {reaching[t]}" for t in types if t in reaching)
        return Verdict(path, handler.line, handler.function, UNPROVEN if result.unknown else NARROW, tuple(types),
                       names, imports, evidence, reason, unproven)

    def _reaching(self, path: str, handler: HandlerRaises, named: list[str], result: BodyResult) -> dict[str, str]:
        """What the body raises that gets past the earlier handlers and that this handler catches."""
        earlier = [t for t in (self.exception_type(path, v) for v in handler.earlier) if t is not None]
        catches = named if handler.types else ["BaseException"]
        return {exception: evidence for exception, evidence in result.raises.items()
                if not self.caught_by(exception, earlier) and self.caught_by(exception, catches)}


# --------------------------------------------------------------------- naming exceptions in a module


class Spelling:
    """How a module names an exception: builtins bare, imported names as bound, a new import where needed."""

    def __init__(self, inference: Inference, path: str, function: str) -> None:
        self.inference = inference
        self.path = path
        self.facts = inference.repo.files[path]
        found = self.facts.functions.get(function)
        self.local_names = found.local_names if found is not None else frozenset()

    def spell(self, exceptions: list[str]) -> tuple[tuple[str, ...], tuple[str, ...], str]:
        names, imports = [], []
        for exception in exceptions:
            if is_builtin_exception(exception):
                name, statement = self._builtin(exception)
            elif "::" in exception:
                name, statement = self._project(exception)
            else:
                name, statement = self._outside(exception)
            if not name:
                return (), (), f"{display_name(exception)} cannot be named in {self.path}"
            names.append(name)
            if statement and statement not in imports:
                imports.append(statement)
        return tuple(names), tuple(imports), ""

    def _free(self, name: str) -> bool:
        return name not in self.local_names

    def _builtin(self, exception: str) -> tuple[str, str]:
        rebound = exception in self.facts.names or exception in self.facts.classes
        return ("" if rebound or not self._free(exception) else exception), ""

    def _bindings(self):
        for name, values in self.facts.names.items():
            if len(values) == 1 and values[0][0] == "import" and self._free(name):
                yield name, values[0]

    def _outside(self, exception: str) -> tuple[str, str]:
        for name, (_, module, level, imported) in self._bindings():
            if level:
                continue
            dotted = f"{module}.{imported}" if imported else module
            if exception == dotted:
                return name, ""
            if exception.startswith(dotted + "."):
                return name + exception[len(dotted):], ""
        module = self.inference.table.import_for(exception)
        top = module.split(".")[0]
        if top in self.facts.names or top in self.facts.classes or not self._free(top):
            return "", ""
        return exception, f"import {module}"

    def _project(self, exception: str) -> tuple[str, str]:
        path, _, cls = exception.partition("::")
        if path == self.path:
            known = self.facts.classes.get(cls)
            return (cls if known is not None and known.top_level and self._free(cls) else ""), ""
        inference = self.inference
        for name, value in self._bindings():
            found = inference.value(self.path, value)
            if found == ("pclass", path, cls):
                return name, ""
            if found == ("pmod", path):
                return f"{name}.{cls}", ""
        if cls in self.facts.names or cls in self.facts.classes or not self._free(cls):
            return "", ""
        module = self._module_spelling(path)
        return (cls, f"from {module} import {cls}") if module else ("", "")

    def _module_spelling(self, path: str) -> str:
        """How this module would import `path`: its dotted name from a top-level package this module already
        imports from (so the same sys.path root), else a module it imports from that re-exports the class."""
        inference = self.inference
        tops = {module.split(".")[0] for _, (_, module, level, _) in self._bindings() if not level and module}
        parts = module_name(path).split(".")
        for start in range(len(parts)):
            candidate = ".".join(parts[start:])
            if candidate.split(".")[0] in tops and inference.imported(self.path, candidate, 0, "") == ("pmod", path):
                return candidate
        return ""


# --------------------------------------------------------------------- whole repository


def repository_of(files: Iterable[FileFacts]) -> Repository:
    files = list(files)
    return Repository({f.path: f.raising for f in files if f.raising is not None}, [f.path for f in files])


def file_verdicts(repo: Repository, table: RaiseTable, path: str) -> list[Verdict]:
    """A verdict for every bare or broad handler of one file, from an inference of its own: they depend on the
    file, the files it reads (`repo.files` records which) and the raise table, never on the files before it."""
    inference = Inference(repo, table)
    return [inference.handler(path, handler) for handler in repo.files[path].handlers
            if handler.kind in ("bare", "broad")]


def verdicts(inference: Inference) -> list[Verdict]:
    """A verdict for every bare or broad handler of the repository."""
    return [verdict for path in inference.repo.files.paths()
            for verdict in file_verdicts(inference.repo, inference.table, path)]


@dataclass
class FileNarrowing:
    sha256: str
    reads: tuple[str, ...] | None  # the files its verdicts read; None: every file (a subclass lookup)
    narrowed: tuple[tuple[int, str], ...]  # (except line, types) of each handler proven narrowable


@dataclass
class Narrowing:
    """What the scan's pass found, kept for the next scan: a file's verdicts are reused while it and the files
    they read are unchanged, under the same raise table and set of paths (`inputs`)."""

    inputs: str
    files: dict[str, FileNarrowing]


def _inputs(files: list[FileFacts], extra_rows: Any) -> str:
    """The raise table (the bundled file is data: the analyzer's code version does not cover it) and the paths."""
    digest = hashlib.sha256(TABLE_PATH.read_bytes())
    digest.update(json.dumps(extra_rows, sort_keys=True, default=str).encode("utf-8", "surrogateescape"))
    for path in sorted(f.path for f in files):
        digest.update(b"\0" + path.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _reusable(previous: Narrowing, path: str, shas: dict[str, str]) -> FileNarrowing | None:
    found = previous.files.get(path)
    if found is None or found.reads is None or found.sha256 != shas[path]:
        return None
    for read in found.reads:
        before = previous.files.get(read)
        if (before.sha256 if before else None) != shas.get(read):
            return None
    return found


def narrow_excepts(files: list[FileFacts], extra_rows=None,
                   previous: Narrowing | None = None) -> tuple[list[FileFacts], Narrowing]:
    """The scan's pass: each bare or broad ExceptFact gets the types narrow-excepts would narrow it to. A file
    whose verdicts `previous` holds for the same inputs keeps them without its raise facts being followed."""
    try:
        table = load_table(extra_rows)
    except TableError as error:
        raise ConfigError(str(error)) from None
    inputs = _inputs(files, extra_rows)
    if previous is not None and previous.inputs != inputs:
        previous = None
    repo = repository_of(files)
    shas = {f.path: f.sha256 for f in files}
    found: dict[str, FileNarrowing] = {}
    for facts in files:
        reused = _reusable(previous, facts.path, shas) if previous is not None else None
        if reused is not None:
            found[facts.path] = reused
        elif facts.raising is None:
            found[facts.path] = FileNarrowing(facts.sha256, (), ())
        else:
            repo.files.start()
            narrowed = tuple((v.line, v.display_types) for v in file_verdicts(repo, table, facts.path)
                             if v.status == NARROW)
            reads = None if repo.files.everything else tuple(sorted(repo.files.reads))
            found[facts.path] = FileNarrowing(facts.sha256, reads, narrowed)
    updated = []
    for facts in files:
        types = dict(found[facts.path].narrowed)
        if not any(x.line in types for x in facts.excepts):
            updated.append(facts)
            continue
        excepts = [replace(x, narrow_types=types[x.line], narrowable=True) if x.line in types else x
                   for x in facts.excepts]
        updated.append(replace(facts, excepts=excepts))
    for facts in files:
        raising: object = facts.raising  # a DeferredValue standing for the RaiseFacts, where they came packed
        if isinstance(raising, DeferredValue):
            raising.forget()  # followed: its decoded form is freed for the rest of the scan
    return updated, Narrowing(inputs, found)

