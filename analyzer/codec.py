"""Fact dataclasses <-> plain data (msgpack's), derived from their fields and type hints.

    data = encoder(FileFacts)(facts)          # arrays, maps and scalars, for msgpack.packb
    facts = decoder(FileFacts)(data)          # data as msgpack.unpackb(..., use_list=False) gives it back;
                                              # EntryError when it has another shape

Nothing is hand-listed: a dataclass is an array of its fields in declaration order (no key
strings to build and check per item: decoding cache entries is most of a rescan's reading),
`list[X]`, `tuple[X, ...]` and sets are arrays, `tuple[X, Y]` an array of two, `dict[str, X]`
a map, `X | None` nil or X (arrays come back as tuples: msgpack builds them in C, no
conversion), `Annotated[dict[str, X], DEFERRED]` a map of packed values, each decoded when it
is first read (a `DeferredMap`), and `Annotated[X | None, DEFERRED]` nil or X packed, decoded
when first used (a `DeferredValue`). Where a hint says only `tuple` (the narrowing model's
symbolic values) or `Any` (FileFacts.extra, the lists of kinds registered later), values
describe themselves: tuples are arrays, and a dataclass is a map of its class's tag and its
array; the class must be one of the dataclasses of a module whose classes are decoded anyway
or a registered fact kind (analyzer/kinds.py); decoding never imports or calls anything else,
so data from anyone builds fact objects or fails with EntryError, nothing more. Adding a fact
kind needs no change here.
"""

from __future__ import annotations

import dataclasses
import operator
import sys
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import msgpack

Coder = Callable[[Any], Any]
_PLAIN = (str, int, float, bool, type(None))
_TAG = "@"  # the class of a dataclass where the hint does not say which
_FIELDS = "fields"  # beside the tag: the dataclass's array
_TAGGED = {_TAG, _FIELDS}


class EntryError(ValueError):
    """Data that does not have the shape its type hint asks for."""


def encoder(hint: Any) -> Coder:
    """value -> JSON data, for values of type `hint`."""
    return _cached(_encoders, hint, _build_encoder)


def decoder(hint: Any) -> Coder:
    """JSON data -> a value of type `hint`; EntryError for data of another shape."""
    return _cached(_decoders, hint, _build_decoder)


_encoders: dict[Any, Coder] = {}
_decoders: dict[Any, Coder] = {}
_classes: dict[str, type] = {}  # tag -> a dataclass data may name where a hint says only `tuple`


def _cached(table: dict[Any, Coder], hint: Any, build: Callable[[Any], Coder]) -> Coder:
    found = table.get(hint)
    if found is None:
        # A recursive type (PortRef.operands holds PortRefs) meets itself while it is built: it finds a
        # forward reference to the coder being built.
        table[hint] = lambda data: table[hint](data)
        try:
            found = table[hint] = build(hint)
        except TypeError:
            del table[hint]
            raise
    return found


def _fail(expected: Any, data: Any) -> typing.NoReturn:
    raise EntryError(f"expected {expected}, found {type(data).__name__}")


def _tag(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _register_module_of(cls: type) -> None:
    """Every dataclass of `cls`'s module may be named by a tag (the narrowing model's CallShape in Site.detail)."""
    for value in vars(sys.modules[cls.__module__]).values():
        if isinstance(value, type) and dataclasses.is_dataclass(value):
            _classes.setdefault(_tag(value), value)


def register_class(cls: type) -> None:
    """`cls` may be named by a tag (a fact kind registered after the built-in ones, in FileFacts.extra)."""
    _classes.setdefault(_tag(cls), cls)


def _fields(cls: type, coder: Callable[[Any], Coder]) -> list[tuple[str, Coder]]:
    hints = typing.get_type_hints(cls, include_extras=True)
    _register_module_of(cls)
    return [(f.name, coder(hints[f.name])) for f in dataclasses.fields(cls)]


# --- deferred maps ------------------------------------------------------------------------------------


class Deferred:
    """The mark of `Annotated[dict[str, X], DEFERRED]` (a map whose values are packed one by one and decoded
    when first read) and of `Annotated[X | None, DEFERRED]` (a value packed whole, decoded when first used).
    For data a reader needs a part of: a rescan's narrowing pass reads the raise facts of the files its
    changed files touch, and of those about a fifth of the functions. A value decoded late that does not
    fit raises EntryError where it is used, so only data known to be this codec's own output may hold one
    (cache entries are signed: analyzer/cache.py)."""


DEFERRED = Deferred()


def pack(data: Any) -> bytes:
    """msgpack of encoded data, the one way this project writes it: lone surrogates (of escaped file names)
    survive."""
    return msgpack.packb(data, unicode_errors="surrogatepass")


def unpack(data: bytes) -> Any:
    """What `pack` wrote, arrays as tuples (built in C, as decoders expect them)."""
    return msgpack.unpackb(data, use_list=False, unicode_errors="surrogatepass")


class DeferredMap(Mapping[str, Any]):
    """A read-only map of packed values, each decoded on first read and kept."""

    __slots__ = ("_packed", "_decoded", "_decode")

    def __init__(self, packed: dict[str, bytes], decode: Coder) -> None:
        self._packed, self._decode = packed, decode
        self._decoded: dict[str, Any] = {}

    def __getitem__(self, key: str) -> Any:
        found = self._decoded.get(key, self)
        if found is self:
            found = self._decoded[key] = self._decode(unpack(self._packed[key]))
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._packed

    def __iter__(self) -> Iterator[str]:
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __repr__(self) -> str:
        return repr(dict(self.items()))

    def __reduce__(self) -> tuple[type, tuple[dict[str, Any]]]:
        return dict, (dict(self.items()),)  # pickled (to a worker) as the plain map it stands for


class DeferredValue:
    """A value kept packed until first used; attribute reads, equality and pickling see the decoded value."""

    __slots__ = ("_packed", "_decode", "_value")

    def __init__(self, packed: bytes, decode: Coder) -> None:
        self._packed = packed
        self._decode, self._value = decode, None

    def value(self) -> Any:
        if self._value is None:
            self._value = self._decode(unpack(self._packed))
        return self._value

    def forget(self) -> None:
        """Drop the decoded value, keeping the packed one: a pass that has read what it needed frees it (the raise
        facts of a cold scan's every file, decoded by narrowing, are a third of its memory)."""
        self._value = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.value(), name)

    def __eq__(self, other: object) -> bool:
        return self.value() == (other.value() if isinstance(other, DeferredValue) else other)

    __hash__ = None  # type: ignore[assignment]  # equal to its (unhashable) value

    def __repr__(self) -> str:
        return repr(self.value())

    def __reduce__(self) -> tuple[Callable[[Any], Any], tuple[Any]]:
        return _same, (self.value(),)  # pickled (to a worker) as the value it stands for


def _deferred_parts(hint: Any) -> tuple[str, Any] | None:
    """("map", X) of `Annotated[dict[str, X], DEFERRED]`, ("value", X) of `Annotated[X | None, DEFERRED]`;
    None for a hint without the mark."""
    if typing.get_origin(hint) is not typing.Annotated or DEFERRED not in hint.__metadata__:
        return None
    inner = hint.__origin__
    if typing.get_origin(inner) is dict:
        if typing.get_args(inner)[0] is not str:
            raise TypeError(f"DEFERRED marks a dict keyed by str only, not {inner!r}")
        return "map", typing.get_args(inner)[1]
    return "value", _optional_inner(typing.get_args(inner))


def _deferred_encoder(parts: tuple[str, Any]) -> Coder:
    shape, hint = parts
    inner = encoder(hint)
    if shape == "map":
        return lambda value: {key: pack(inner(item)) for key, item in value.items()}
    return lambda value: None if value is None else pack(inner(value.value() if type(value) is DeferredValue
                                                                else value))


def _deferred_decoder(parts: tuple[str, Any]) -> Coder:
    shape, hint = parts
    inner = decoder(hint)

    def decode_map(data: Any) -> DeferredMap:
        if type(data) is not dict or not all(type(key) is str and type(value) is bytes for key, value in data.items()):
            _fail("a map of packed values", data)
        return DeferredMap(data, inner)

    def decode_value(data: Any) -> DeferredValue | None:
        if data is None:
            return None
        if type(data) is not bytes:
            _fail("a packed value", data)
        return DeferredValue(data, inner)
    return decode_map if shape == "map" else decode_value


# --- encoding -----------------------------------------------------------------------------------------


def _same(value: Any) -> Any:
    return value


def _untyped_encode(value: Any) -> Any:
    """A value whose hint is only `tuple`: scalars, tuples of them, and dataclasses of the decoded modules."""
    kind = type(value)
    if kind is tuple:
        # msgpack packs a tuple as the array a list gives, nested ones too: a tuple is passed on as it is (the
        # raise facts hold a million of them) unless an item, at any depth, needs encoding (a dataclass).
        for index, item in enumerate(value):
            if type(item) in _SCALAR_TYPES:
                continue
            encoded = _untyped_encode(item)
            if encoded is not item:
                return [*value[:index], encoded, *[_untyped_encode(rest) for rest in value[index + 1:]]]
        return value
    if kind in _SCALAR_TYPES or isinstance(value, _PLAIN):
        return value
    if isinstance(value, tuple):
        return [_untyped_encode(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {_TAG: _tag(type(value)), _FIELDS: encoder(type(value))(value)}
    raise TypeError(f"cannot cache a {type(value).__name__} where the hint says only tuple")


def _sequence_encoder(args: tuple) -> Coder:
    inner = encoder(args[0])
    if inner is _same:
        return _same  # scalars: msgpack packs the list or tuple itself as an array
    return lambda value: [inner(item) for item in value]


def _set_encoder(args: tuple) -> Coder:
    inner = encoder(args[0])
    return lambda value: sorted(inner(item) for item in value)


def _tuple_encoder(args: tuple) -> Coder:
    if len(args) == 2 and args[1] is Ellipsis:
        return _sequence_encoder(args)
    coders = [encoder(a) for a in args]
    return lambda value: [code(item) for code, item in zip(coders, value)]


def _dict_encoder(args: tuple) -> Coder:
    if args[0] is not str:
        raise TypeError(f"the cache codec keeps dicts keyed by str only, not {args!r}")
    inner = encoder(args[1])
    return lambda value: {key: inner(item) for key, item in value.items()}


def _optional_encoder(args: tuple) -> Coder:
    inner = encoder(_optional_inner(args))
    return lambda value: None if value is None else inner(value)


# typing origin -> how to encode it from its arguments.
_GENERIC_ENCODERS: dict[Any, Callable[[tuple], Coder]] = {
    typing.Union: _optional_encoder, types.UnionType: _optional_encoder, list: _sequence_encoder,
    set: _set_encoder, frozenset: _set_encoder, tuple: _tuple_encoder, dict: _dict_encoder,
}


def _build_encoder(hint: Any) -> Coder:
    if hint in _PLAIN:
        return _same
    if typing.get_origin(hint) is typing.Annotated:
        deferred = _deferred_parts(hint)
        return encoder(hint.__origin__) if deferred is None else _deferred_encoder(deferred)
    if hint is tuple or hint is Any:
        return _untyped_encode
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass_encoder(_fields(hint, encoder))
    build = _GENERIC_ENCODERS.get(typing.get_origin(hint))
    if build is None:
        raise TypeError(f"the cache codec has no rule for {hint!r}")
    return build(typing.get_args(hint))


def _dataclass_encoder(fields: list[tuple[str, Coder]]) -> Coder:
    """An array of the fields in declaration order; only fields that need encoding take a call."""
    names = [name for name, _ in fields]
    coded = [(position, code) for position, (_name, code) in enumerate(fields) if code is not _same]
    if len(names) < 2:  # attrgetter of one name gives the value itself, not a tuple
        return lambda value: [code(getattr(value, name)) for name, code in fields]
    read = operator.attrgetter(*names)
    if not coded:
        return read  # a tuple of scalars: msgpack packs it as the array

    def encode(value: Any) -> list[Any]:
        data = list(read(value))
        for position, code in coded:
            data[position] = code(data[position])
        return data
    return encode


def _optional_inner(args: tuple) -> Any:
    others = [a for a in args if a is not type(None)]
    if len(others) != 1 or len(args) != 2:
        raise TypeError(f"the cache codec has no rule for a union of {args!r}")
    return others[0]


# --- decoding -----------------------------------------------------------------------------------------


def _scalar(kind: type) -> Coder:
    def decode(data: Any) -> Any:
        if type(data) is not kind:
            _fail(kind, data)
        return data
    return decode


def _float(data: Any) -> float:
    if type(data) not in (float, int):
        _fail(float, data)
    return float(data)


def _none(data: Any) -> None:
    if data is not None:
        _fail(None, data)


def _untyped_decode(data: Any) -> Any:
    kind = type(data)
    if kind is tuple:
        # Most items are strings: an array of scalars is returned as msgpack built it, and only arrays and
        # maps take a call (the raise facts hold a million items).
        for item in data:
            if type(item) not in _SCALAR_TYPES:
                return tuple([_untyped_decode(item) if type(item) in _NESTED else _plain_item(item) for item in data])
        return data
    if kind is dict:
        tag = data.get(_TAG)
        cls = _classes.get(tag) if type(tag) is str and data.keys() == _TAGGED else None
        if cls is None:
            _fail("a tagged fact class", data)
        return decoder(cls)(data[_FIELDS])
    return _plain_item(data)


_NESTED = frozenset({tuple, dict})
_SCALAR_TYPES = frozenset({str, int, float, bool, type(None)})


def _plain_item(data: Any) -> Any:
    if type(data) not in _SCALAR_TYPES:
        _fail("a tuple value", data)
    return data


def _sequence(inner: Coder, make: Callable[[Iterable[Any]], Any]) -> Coder:
    def decode(data: Any) -> Any:
        if type(data) is not tuple:
            _fail("an array", data)
        return make([inner(item) for item in data])
    return decode


def _fixed_tuple(inners: list[Coder]) -> Coder:
    def decode(data: Any) -> tuple:
        if type(data) is not tuple or len(data) != len(inners):
            _fail(f"an array of {len(inners)}", data)
        return tuple(inner(item) for inner, item in zip(inners, data))
    return decode


def _mapping(inner: Coder) -> Coder:
    def decode(data: Any) -> dict:
        if type(data) is not dict:
            _fail(dict, data)
        return {key: inner(item) for key, item in data.items()}
    return decode


def _dataclass(cls: type) -> Coder:
    """An array of the fields in declaration order. The fields that hold a str, int or bool are checked in one
    pass (their types against the expected ones); only the others take a call (a million fact items)."""
    fields = _fields(cls, decoder)
    count = len(fields)
    kinds = [_SCALAR_KINDS.get(code) for _name, code in fields]
    scalar_at = [position for position, kind in enumerate(kinds) if kind is not None]
    expected = tuple(kinds[position] for position in scalar_at)
    others = [(position, code) for position, (_name, code) in enumerate(fields) if kinds[position] is None]
    pick = operator.itemgetter(*scalar_at) if len(scalar_at) > 1 else lambda data: tuple(data[p] for p in scalar_at)

    def decode(data: Any) -> Any:
        if type(data) is not tuple or len(data) != count or tuple(map(type, pick(data))) != expected:
            _fail(cls.__name__, data)
        if not others:
            return cls(*data)
        values = list(data)
        for position, code in others:
            values[position] = code(values[position])
        return cls(*values)
    return decode


_SCALARS: dict[Any, Coder] = {str: _scalar(str), int: _scalar(int), bool: _scalar(bool), float: _float,
                              type(None): _none, tuple: _untyped_decode, Any: _untyped_decode}
_SCALAR_KINDS = {_SCALARS[kind]: kind for kind in (str, int, bool)}  # decoders that only check a type
# typing origin -> how to decode it from its arguments.
_GENERICS: dict[Any, Callable[[tuple], Coder]] = {
    typing.Union: lambda args: _optional(decoder(_optional_inner(args))),
    types.UnionType: lambda args: _optional(decoder(_optional_inner(args))),
    list: lambda args: _sequence(decoder(args[0]), list),
    set: lambda args: _sequence(decoder(args[0]), set),
    frozenset: lambda args: _sequence(decoder(args[0]), frozenset),
    tuple: lambda args: (_sequence(decoder(args[0]), tuple) if len(args) == 2 and args[1] is Ellipsis
                         else _fixed_tuple([decoder(a) for a in args])),
    dict: lambda args: _mapping(decoder(args[1])) if args[0] is str else _no_rule(args),
}


def _optional(inner: Coder) -> Coder:
    return lambda data: None if data is None else inner(data)


def _no_rule(args: tuple) -> Coder:
    raise TypeError(f"the cache codec keeps dicts keyed by str only, not {args!r}")


def _build_decoder(hint: Any) -> Coder:
    if hint in _SCALARS:
        return _SCALARS[hint]
    if typing.get_origin(hint) is typing.Annotated:
        deferred = _deferred_parts(hint)
        return decoder(hint.__origin__) if deferred is None else _deferred_decoder(deferred)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    build = _GENERICS.get(typing.get_origin(hint))
    if build is None:
        raise TypeError(f"the cache codec has no rule for {hint!r}")
    return build(typing.get_args(hint))
