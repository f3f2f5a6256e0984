"""Facts cached by content hash, so a rescan parses only what changed.

Facts depend on a file's bytes alone (path and machine are set on load), so a
renamed or copied file is a hit too. Entries are msgpack data (maps, arrays,
scalars: a data format, nothing in it can run), written and read by the codec
derived from the dataclasses' own fields and type hints (analyzer/codec.py;
adding a fact kind needs no codec change): loading an entry can never run code,
whoever wrote it. Every entry records the content hash it is filed under and the
facts key (analyzer version and a digest of the extraction code); an entry
that does not decode, decodes to the wrong shape or names another hash is a
miss, parsed again and overwritten, never an error. Every entry is signed with this user's local key
(`signature`): one this user's scans did not write is a miss before it is unpacked, so values the codec
decodes only when they are read (the raise facts' functions, `analyzer.codec.DEFERRED`) are known to be
its own output.

The cache lives in a per-user folder outside any scanned repository
(`default_cache_dir`), so a repository cannot plant entries in it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import importlib.metadata
import os
import secrets
import tempfile
import typing
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import msgpack

from analyzer import __version__
from analyzer.codec import EntryError, decoder, encoder, pack, unpack
from analyzer.facts import FileFacts
from analyzer.kinds import code_files

APP_FOLDER = "agent-graph-analyzer"
ENTRY_FORMAT = 2  # 2: signed; deferred maps
SIGNATURE_BYTES = 32
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


_versions: dict[tuple[Path, ...], str] = {}


def facts_version() -> str:
    """Changes whenever extraction (or the codec) changes what it produces for the same bytes: a digest of the
    extraction code and of every registered fact kind's and extractor's module (analyzer/kinds.py)."""
    sources = (_PACKAGE / "extract", _PACKAGE / "facts.py", _PACKAGE / "kinds.py", _PACKAGE / "redact.py",
               _PACKAGE / "narrowing" / "model.py", _PACKAGE / "codec.py", Path(__file__))
    registered = tuple(path for path in code_files() if path.parent != _PACKAGE / "extract" and path not in sources)
    if registered not in _versions:
        _versions[registered] = code_key(*sources, *registered)
    return _versions[registered]


def graph_version() -> str:
    """Part of the scan fingerprint: every module of the analyzer package (extraction, resolution, the graph
    rows and every part of the scan that adds to them: none can be left out of a list, and a module that only
    reads the graph costs a rewrite, never a stale "unchanged" snapshot) and the registered kinds' and
    extractors' modules."""
    registered = tuple(path for path in code_files() if _PACKAGE not in path.parents)
    key = (_PACKAGE, *registered)
    if key not in _versions:
        _versions[key] = code_key(*sorted(_PACKAGE.rglob("*.py")), *registered)
    return _versions[key]


def __getattr__(name: str) -> str:
    if name == "FACTS_VERSION":  # the key of the kinds registered now, not of those when this module was imported
        return facts_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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


def signature(body: bytes | memoryview, key: bytes | None = None) -> bytes:
    """`body` signed with this user's local key (or `key`, that key read once by a caller signing many)."""
    return hashlib.blake2b(body, key=key or local_key(), digest_size=SIGNATURE_BYTES).digest()


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
    except BaseException:  # any failure, interrupts included: no temporary file left behind, then re-raise
        Path(temporary).unlink(missing_ok=True)
        raise


# --- entries ------------------------------------------------------------------------------------------


class EntryFolder:
    """JSON entries filed by a hex key under `folder`; each records the key it was filed under and `version`."""

    def __init__(self, folder: Path, version: str) -> None:
        self.folder, self.version = folder, version
        self._key: bytes | None = None  # the local key, read on first use

    def _signature(self, body: bytes) -> bytes:
        if self._key is None:
            self._key = local_key()
        return signature(body, self._key)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.msgpack"

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def read(self, key: str, hint: Any) -> Any | None:
        """The value filed under `key`, or None when there is none or it is damaged, foreign or misfiled."""
        return self.read_with(key, decoder(hint))

    def read_with(self, key: str, decode: Callable[[Any], Any]) -> Any | None:
        """`read`, the entry's msgpack value turned into the result by `decode` (a codec decoder, or one that
        decodes only part of it); None on a miss, or when `decode` refuses the value (raises ValueError)."""
        try:
            data = self._path(key).read_bytes()
        except OSError:
            return None  # missing or unreadable: a miss, overwritten by the next put
        body = data[SIGNATURE_BYTES:]
        if not hmac.compare_digest(self._signature(body), data[:SIGNATURE_BYTES]):
            return None  # not written by this user's scans (or damaged since)
        return decode_entry(self.version, key, body, decode)

    def write(self, key: str, value: Any, hint: Any) -> None:
        self.write_body(key, encode_entry(self.version, key, value, hint))

    def write_body(self, key: str, body: bytes) -> None:
        """File an entry body `encode_entry` made, signed."""
        try:
            if not self.folder.exists():
                make_ignored_folder(self.folder, mode=0o700)
            write_atomically(self._path(key), self._signature(body) + body)
        except OSError:
            pass  # a full disk or a read-only cache costs speed, never the scan


def encode_entry(version: str, key: str, value: Any, hint: Any) -> bytes:
    """The body of `value`'s entry under `key`, as an EntryFolder of `version` files it."""
    return pack({"format": ENTRY_FORMAT, "version": version, "key": key, "value": encoder(hint)(value)})


def decode_entry(version: str, key: str, body: bytes, decode: Callable[[Any], Any]) -> Any | None:
    """The value of an entry body `encode_entry` made for `key` and `version` (read from a signed file, or
    sent by this process's own worker), or None when it is not one."""
    try:
        entry = unpack(body)
        if type(entry) is not dict or entry.get("format") != ENTRY_FORMAT or entry.get("version") != version \
                or entry.get("key") != key:
            return None
        return decode(entry.get("value"))
    except (ValueError, RecursionError, msgpack.UnpackException):
        # Not msgpack, nested past the unpacker's depth (its errors are ValueErrors), or the wrong shape
        # (EntryError is a ValueError): a miss, overwritten by the next put.
        return None


_FACT_FIELDS = {field.name: position for position, field in enumerate(dataclasses.fields(FileFacts))}
# What every partial read decodes: the file and how its parse went.
_IDENTITY_FIELDS = ("path", "machine", "sha256", "size", "lines", "parse_status", "parse_error")


@functools.cache
def _field_decoder(name: str) -> Callable[[Any], Any]:
    if name not in _FACT_FIELDS:
        raise ValueError(f"FileFacts has no field {name!r}")
    return decoder(typing.get_type_hints(FileFacts, include_extras=True)[name])


class FactCache:
    """Each file's facts, filed by the hash of its bytes (and the size limit they were extracted under)."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        version = facts_version()
        self.entries = EntryFolder(Path(folder) / version, version)

    @staticmethod
    def _key(sha256: str, max_bytes: int) -> str:
        return f"{sha256}-{max_bytes}"

    def has(self, sha256: str, max_bytes: int) -> bool:
        """Whether an entry is filed for these bytes (it may still be refused when read)."""
        return self.entries.has(self._key(sha256, max_bytes))

    def get(self, sha256: str, max_bytes: int) -> FileFacts | None:
        facts = self.entries.read(self._key(sha256, max_bytes), FileFacts)
        if facts is None or facts.sha256 != sha256:
            return None  # another file's facts filed under this hash: never trusted
        return facts

    def get_fields(self, sha256: str, max_bytes: int, names: Iterable[str]) -> FileFacts | None:
        """The facts filed for these bytes with only the fact lists `names` decoded, the others left empty: for a
        reader that needs a few (a codemod picking its files), at a fraction of what decoding them all costs."""
        wanted = (*_IDENTITY_FIELDS, *names)
        coders = [(name, _field_decoder(name), _FACT_FIELDS[name]) for name in wanted]  # the decoder checks the name

        def decode(value: Any) -> FileFacts:
            if type(value) is not tuple or len(value) != len(_FACT_FIELDS):
                raise EntryError(f"not a FileFacts entry: {type(value).__name__}")
            return FileFacts(**{name: code(value[position]) for name, code, position in coders})

        facts = self.entries.read_with(self._key(sha256, max_bytes), decode)
        if facts is None or facts.sha256 != sha256:
            return None  # another file's facts filed under this hash: never trusted
        return facts

    def put(self, facts: FileFacts, max_bytes: int) -> None:
        self.put_packed(pack_facts(facts, max_bytes))

    def put_packed(self, packed: PackedFacts) -> None:
        self.entries.write_body(packed.key, packed.body)


def pack_facts(facts: FileFacts, max_bytes: int) -> PackedFacts:
    """The facts as their cache entry: what a parsing worker files and sends back (smaller than a pickle, and
    the file's raise facts stay packed in the scanning process until narrowing reads them)."""
    key = FactCache._key(facts.sha256, max_bytes)
    return PackedFacts(key, encode_entry(facts_version(), key, facts, FileFacts))


def unpack_facts(packed: PackedFacts) -> FileFacts:
    """Facts `pack_facts` made in this process or its worker; EntryError when `packed` is not such facts."""
    facts = decode_entry(facts_version(), packed.key, packed.body, decoder(FileFacts))
    if facts is None:
        raise EntryError("not the facts cache's entry of this analyzer version")
    return facts


@dataclasses.dataclass(frozen=True)
class PackedFacts:
    key: str
    body: bytes
