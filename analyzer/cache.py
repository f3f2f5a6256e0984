"""Facts cached by content hash, so a rescan parses only what changed.

Facts depend on a file's bytes alone (path and machine are set on load), so a
renamed or copied file is a hit too. Entries are JSON, written and read by a
codec derived from the dataclasses' own fields and type hints (adding a fact
kind needs no codec change): loading an entry can never run code, whoever
wrote it. Every entry records the content hash it is filed under and the
facts key (analyzer version and a digest of the extraction code); an entry
that does not decode, decodes to the wrong shape or names another hash is a
miss, parsed again and overwritten, never an error.

The cache lives in a per-user folder outside any scanned repository
(`default_cache_dir`), so a repository cannot plant entries in it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import importlib.metadata
import json
import os
import secrets
import tempfile
import types
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from analyzer import __version__
from analyzer.facts import FileFacts

APP_FOLDER = "agent-graph-analyzer"
ENTRY_FORMAT = 1
_PACKAGE = Path(__file__).resolve().parent
# Libraries whose answers are part of the facts.
_EXTRACTION_LIBRARIES = ("libcst", "bandit", "radon")


def default_cache_dir() -> Path:
    """$ANALYZER_CACHE_DIR, else $XDG_CACHE_HOME/agent-graph-analyzer, else ~/.cache/agent-graph-analyzer."""
    explicit = os.environ.get("ANALYZER_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    if os.path.isabs(xdg):  # the XDG spec: a relative value is ignored
        return Path(xdg) / APP_FOLDER
    home = os.path.expanduser("~")
    if home == "~":  # no home directory at all (a bare container user)
        return Path(tempfile.gettempdir()) / f"{APP_FOLDER}-{os.getuid()}"
    return Path(home) / ".cache" / APP_FOLDER


def code_key(*sources: Path) -> str:
    """The analyzer version, the extraction libraries' versions and a digest of `sources` (files or folders of .py)."""
    digest = hashlib.sha256(__version__.encode())
    for library in _EXTRACTION_LIBRARIES:
        digest.update(f"|{library}={importlib.metadata.version(library)}".encode())
    for source in sources:
        for path in sorted(source.glob("*.py")) if source.is_dir() else [source]:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{__version__}-{digest.hexdigest()[:12]}"


# Changes whenever extraction (or the codec) changes what it produces for the same bytes.
FACTS_VERSION = code_key(_PACKAGE / "extract", _PACKAGE / "facts.py", _PACKAGE / "redact.py",
                         _PACKAGE / "narrowing" / "model.py", Path(__file__))


def local_key() -> bytes:
    """A random key kept in the per-user cache folder: marks what this user's scans wrote (scan fingerprints)."""
    path = default_cache_dir() / "local.key"
    try:
        key = path.read_bytes()
        if len(key) == 32:
            return key
    except OSError:
        pass  # first use: create it below
    make_ignored_folder(path.parent, mode=0o700)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")  # owner-only
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(secrets.token_bytes(32))
    try:
        os.link(temporary, path)  # atomic and never replaces: of two first scans, one key wins
    except FileExistsError:
        pass  # the other one's key is the key
    finally:
        os.unlink(temporary)
    return path.read_bytes()


def keyed_digest(text: str) -> str:
    return hmac.new(local_key(), text.encode("utf-8", "surrogateescape"), hashlib.sha256).hexdigest()


def make_ignored_folder(folder: Path, mode: int = 0o777) -> None:
    """Create `folder` (`mode` for the folders this call creates) and mark the topmost one it creates ignored by git."""
    missing = []
    for candidate in [folder, *folder.parents]:
        if candidate.exists():
            break
        missing.append(candidate)
    folder.mkdir(parents=True, exist_ok=True, mode=mode)
    if missing:
        ignore_everything(missing[-1])


def ignore_everything(folder: Path) -> None:
    """A `.gitignore` of `*` in a folder the tool created (as ruff and pytest do): `git status` stays clean."""
    try:
        (folder / ".gitignore").write_text("# created by agent-graph-analyzer\n*\n", encoding="utf-8")
    except OSError:
        pass  # a read-only parent: nothing to keep clean


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- the codec: dataclasses <-> JSON data, driven by fields and type hints ------------------------------


class EntryError(ValueError):
    """Cached data that does not have the shape its type hint asks for."""


Decoder = Callable[[Any], Any]
_decoders: dict[Any, Decoder] = {}


_PLAIN = frozenset({str, int, float, bool, type(None)})
_field_names: dict[type, tuple[str, ...]] = {}


def to_data(value: Any) -> Any:
    """JSON-ready data for `value` (dataclasses, lists, tuples, sets, str-keyed dicts, scalars)."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is list or kind is tuple:
        return [to_data(item) for item in value]
    names = _field_names.get(kind)
    if names is None and dataclasses.is_dataclass(kind):
        names = _field_names[kind] = tuple(f.name for f in dataclasses.fields(kind))
    if names is not None:
        return {name: to_data(getattr(value, name)) for name in names}
    if isinstance(value, (set, frozenset)):
        return sorted(to_data(item) for item in value)
    if isinstance(value, dict):
        return {_string_key(key): to_data(item) for key, item in value.items()}
    if isinstance(value, (str, int, float)):  # subclasses (an IntEnum, a str enum): their plain value
        return value
    raise TypeError(f"cannot cache a {kind.__name__}")


def _string_key(key: Any) -> str:
    if not isinstance(key, str):
        raise TypeError(f"cannot cache a dict keyed by {type(key).__name__}")
    return key


def from_data(hint: Any, data: Any) -> Any:
    """The value of type `hint` that `to_data` turned into `data`; EntryError when `data` has another shape."""
    return decoder(hint)(data)


def decoder(hint: Any) -> Decoder:
    found = _decoders.get(hint)
    if found is None:
        # A recursive type (PortRef.operands holds PortRefs) meets itself while it is built: it is found then
        # as a forward reference to the decoder being built.
        _decoders[hint] = lambda data: _decoders[hint](data)
        try:
            found = _decoders[hint] = _build_decoder(hint)
        except TypeError:
            del _decoders[hint]
            raise
    return found


def _fail(hint: Any, data: Any) -> typing.NoReturn:
    raise EntryError(f"expected {hint}, found {type(data).__name__}")


def _scalar(kind: type) -> Decoder:
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


def _optional(inner: Decoder) -> Decoder:
    return lambda data: None if data is None else inner(data)


def _sequence(inner: Decoder, make: Callable[[Iterable[Any]], Any]) -> Decoder:
    def decode(data: Any) -> Any:
        if type(data) is not list:
            _fail(list, data)
        return make(inner(item) for item in data)
    return decode


def _fixed_tuple(inners: tuple[Decoder, ...]) -> Decoder:
    def decode(data: Any) -> tuple:
        if type(data) is not list or len(data) != len(inners):
            _fail(f"a list of {len(inners)}", data)
        return tuple(inner(item) for inner, item in zip(inners, data))
    return decode


def _mapping(inner: Decoder) -> Decoder:
    def decode(data: Any) -> dict:
        if type(data) is not dict:
            _fail(dict, data)
        return {key: inner(item) for key, item in data.items()}
    return decode


def _dataclass(cls: type) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, decoder(hints[f.name])) for f in dataclasses.fields(cls)]
    names = {name for name, _ in fields}

    def decode(data: Any) -> Any:
        if type(data) is not dict or data.keys() != names:
            _fail(cls.__name__, data)
        return cls(**{name: field_decoder(data[name]) for name, field_decoder in fields})
    return decode


def _optional_of(args: tuple) -> Decoder:
    others = [a for a in args if a is not type(None)]
    if len(others) != 1 or len(args) != 2:
        raise TypeError(f"the cache codec has no rule for a union of {args!r}")
    return _optional(decoder(others[0]))


def _tuple_of(args: tuple) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        return _sequence(decoder(args[0]), tuple)
    return _fixed_tuple(tuple(decoder(a) for a in args))


def _dict_of(args: tuple) -> Decoder:
    if args[0] is not str:
        raise TypeError("the cache codec keeps dicts keyed by str only")
    return _mapping(decoder(args[1]))


_SCALARS: dict[Any, Decoder] = {str: _scalar(str), int: _scalar(int), bool: _scalar(bool), float: _float,
                                type(None): _none}
# typing origin -> how to decode it from its arguments.
_GENERICS: dict[Any, Callable[[tuple], Decoder]] = {
    typing.Union: _optional_of, types.UnionType: _optional_of,
    list: lambda args: _sequence(decoder(args[0]), list),
    set: lambda args: _sequence(decoder(args[0]), set),
    frozenset: lambda args: _sequence(decoder(args[0]), frozenset),
    tuple: _tuple_of,
    dict: _dict_of,
}


def _build_decoder(hint: Any) -> Decoder:
    if hint in _SCALARS:
        return _SCALARS[hint]
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _dataclass(hint)
    build = _GENERICS.get(typing.get_origin(hint))
    if build is None:
        raise TypeError(f"the cache codec has no rule for {hint!r}")
    return build(typing.get_args(hint))


# --- entries ------------------------------------------------------------------------------------------


class EntryFolder:
    """JSON entries filed by a hex key under `folder`; each records the key it was filed under and `version`."""

    def __init__(self, folder: Path, version: str) -> None:
        self.folder, self.version = folder, version

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def read(self, key: str, hint: Any) -> Any | None:
        """The value filed under `key`, or None when there is none or it is damaged, foreign or misfiled."""
        try:
            entry = json.loads(self._path(key).read_bytes())
            if type(entry) is not dict or entry.get("format") != ENTRY_FORMAT or entry.get("version") != self.version \
                    or entry.get("key") != key:
                return None
            return from_data(hint, entry.get("value"))
        except (OSError, ValueError, RecursionError):
            # Missing, unreadable, not JSON (ValueError covers decoding errors), nested past the parser's depth,
            # or the wrong shape (EntryError is a ValueError): a miss, overwritten by the next put.
            return None

    def write(self, key: str, value: Any) -> None:
        entry = {"format": ENTRY_FORMAT, "version": self.version, "key": key, "value": to_data(value)}
        data = json.dumps(entry, separators=(",", ":")).encode()  # ASCII: escaped paths' lone surrogates survive
        try:
            if not self.folder.exists():
                make_ignored_folder(self.folder, mode=0o700)
            write_atomically(self._path(key), data)
        except OSError:
            pass  # a full disk or a read-only cache costs speed, never the scan


class FactCache:
    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.entries = EntryFolder(Path(folder) / FACTS_VERSION, FACTS_VERSION)

    @staticmethod
    def _key(sha256: str, max_bytes: int) -> str:
        return f"{sha256}-{max_bytes}"

    def get(self, sha256: str, max_bytes: int) -> FileFacts | None:
        facts = self.entries.read(self._key(sha256, max_bytes), FileFacts)
        if facts is None or facts.sha256 != sha256:
            return None  # another file's facts filed under this hash: never trusted
        return facts

    def put(self, facts: FileFacts, max_bytes: int) -> None:
        self.entries.write(self._key(facts.sha256, max_bytes), facts)
