"""Port registry: one ``config/ports.yaml`` names every ZeroMQ port of the system.

File format (a contract shared with the ports codemod; keep it exactly so)::

    ports:
      TRANSLATOR_REP:            # NAME: upper snake case
        port: 5563
        machine: main_pc_code    # optional
        owner: main_pc_code/agents/translator.py   # optional, owner module file
        socket: REP              # optional, ZMQ socket kind

Lookup order for a name: the environment variable ``PORT_<NAME>`` (NAME upper-cased,
every non-alphanumeric character turned into ``_``), then the registry file. The file
is ``$ANALYZER_PORTS_FILE`` when set, else the first ``config/ports.yaml`` found walking
up from the calling module's directory, then from the current directory.

Validation on load: names are upper snake case, each name appears once, ports are
integers in 1..65535, and no port is given to two names on one machine. An entry
without ``machine`` may run anywhere, so it collides with every entry on its port.

yaml and zmq are imported only by the functions that need them.
"""

from __future__ import annotations

import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

PORTS_FILE_ENV = "ANALYZER_PORTS_FILE"
ENV_PREFIX = "PORT_"
RELATIVE_PATH = Path("config") / "ports.yaml"

# Port validity is a plain range check. The port-for package was considered: what it
# adds is an IANA "unassigned ranges" table, a ~10-line reader of the OS ephemeral
# range and "is this port free now" probes. Registered ports are often IANA-assigned
# ones, freeness is checked by bind() at the moment it matters, and the ephemeral
# range reader is re-done below, so a dependency inside every agent is not worth it.
MIN_PORT, MAX_PORT = 1, 65535
_LINUX_EPHEMERAL_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL_RANGE = (32768, 60999)  # Linux default

_NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_ENTRY_FIELDS = frozenset({"port", "machine", "owner", "socket"})


class PortRegistryError(ValueError):
    """ports.yaml (or a PORT_* override) is malformed or inconsistent."""


class DuplicateNameError(PortRegistryError):
    """The same port name appears twice in ports.yaml."""


class DuplicatePortError(PortRegistryError):
    """Two names are given the same port on one machine."""

    def __init__(self, port: int, machine: str | None, first: str, second: str) -> None:
        self.port, self.machine, self.names = port, machine, (first, second)
        where = f"machine {machine!r}" if machine else "the same machine"
        super().__init__(f"port {port} is given to both {first} and {second} on {where}")


class UnknownPortError(PortRegistryError, KeyError):
    """No registry entry and no PORT_* override for a name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class PortsFileNotFound(PortRegistryError, FileNotFoundError):
    """No ports.yaml was found where it is looked for."""


class PortInUseError(OSError):
    """Binding a registered port failed because something already listens on it."""

    def __init__(self, port: int, name: str | None, owner: str | None, endpoint: str) -> None:
        self.port, self.name, self.owner, self.endpoint = port, name, owner, endpoint
        label = f" ({name})" if name else ""
        held = f"; registered owner: {owner}" if owner else "; no registered owner"
        super().__init__(f"port {port}{label} is already in use, cannot bind {endpoint}{held}")


@dataclass(frozen=True)
class PortEntry:
    name: str
    port: int
    machine: str | None = None
    owner: str | None = None
    socket: str | None = None


class PortRegistry(Mapping[str, PortEntry]):
    """Validated entries of one ports.yaml, keyed by name (env overrides applied)."""

    def __init__(self, entries: Mapping[str, PortEntry], path: Path | None = None) -> None:
        self._entries = dict(entries)
        self.path = path
        validate_unique_ports(self._entries.values())

    def __getitem__(self, name: str) -> PortEntry:
        key = normalize_name(name)
        if key not in self._entries:
            where = f" in {self.path}" if self.path else ""
            raise UnknownPortError(f"no port named {key}{where} and no {env_var(key)} set")
        return self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def port(self, name: str) -> int:
        return self[name].port

    def owner_of(self, port: int, machine: str | None = None) -> PortEntry | None:
        """The entry that holds ``port`` (on ``machine`` when given), if any."""
        for entry in self._entries.values():
            if entry.port == port and (machine is None or entry.machine in (None, machine)):
                return entry
        return None


def normalize_name(name: str) -> str:
    """``translator-rep`` -> ``TRANSLATOR_REP`` (the same rule as for env variables)."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def env_var(name: str) -> str:
    return ENV_PREFIX + normalize_name(name)


def ephemeral_range() -> tuple[int, int]:
    """The OS range for ephemeral (client-side) ports; a fixed port inside it may be stolen."""
    try:
        low, high = _LINUX_EPHEMERAL_FILE.read_text().split()[:2]
        return int(low), int(high)
    except (OSError, ValueError):  # not Linux, or unreadable: use the Linux default
        return _DEFAULT_EPHEMERAL_RANGE


def is_ephemeral(port: int) -> bool:
    low, high = ephemeral_range()
    return low <= port <= high


def check_port(value: Any, where: str) -> int:
    """An integer in 1..65535, or a PortRegistryError that says where the bad value came from."""
    if isinstance(value, bool):
        raise PortRegistryError(f"{where}: port must be an integer, got {value!r}")
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise PortRegistryError(f"{where}: port must be an integer, got {value!r}") from None
    if str(port) != str(value).strip():
        raise PortRegistryError(f"{where}: port must be an integer, got {value!r}")
    if not MIN_PORT <= port <= MAX_PORT:
        raise PortRegistryError(f"{where}: port {port} is outside {MIN_PORT}..{MAX_PORT}")
    return port


def validate_unique_ports(entries: Any) -> None:
    """Raise DuplicatePortError when two names share a port on one machine."""
    by_port: dict[int, list[PortEntry]] = {}
    for entry in entries:
        for other in by_port.get(entry.port, []):
            same_machine = None in (entry.machine, other.machine) or entry.machine == other.machine
            if same_machine:
                raise DuplicatePortError(entry.port, entry.machine or other.machine, other.name, entry.name)
        by_port.setdefault(entry.port, []).append(entry)


# ---------------------------------------------------------------- parsing


def _unique_key_loader() -> type:
    """A yaml SafeLoader that refuses duplicate keys (plain yaml keeps the last one silently)."""
    import yaml

    class UniqueKeyLoader(yaml.SafeLoader):
        def construct_mapping(self, node: Any, deep: bool = False) -> dict:
            seen: dict[Any, Any] = {}
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                if key in seen:
                    raise DuplicateNameError(
                        f"{key!r} appears twice (lines {seen[key].start_mark.line + 1} "
                        f"and {key_node.start_mark.line + 1}) in {self.name}"
                    )
                seen[key] = key_node
            return super().construct_mapping(node, deep=deep)

    return UniqueKeyLoader


def parse_ports(text: str, source: str = "<ports.yaml>") -> dict[str, PortEntry]:
    """Entries of a ports.yaml text, validated one by one (no env overrides, no collisions)."""
    import yaml

    loader = _unique_key_loader()(text)
    loader.name = source
    try:
        document = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise PortRegistryError(f"{source}: not valid YAML: {exc}") from exc
    finally:
        loader.dispose()
    ports = (document or {}).get("ports") if isinstance(document, dict) else None
    if not isinstance(ports, dict):
        raise PortRegistryError(f"{source}: expected a top-level 'ports:' mapping")
    return {name: _parse_entry(name, fields, source) for name, fields in ports.items()}


def _parse_entry(name: Any, fields: Any, source: str) -> PortEntry:
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise PortRegistryError(f"{source}: port name {name!r} is not UPPER_SNAKE_CASE")
    if isinstance(fields, int) and not isinstance(fields, bool):
        fields = {"port": fields}  # tolerated shorthand: NAME: 5563
    if not isinstance(fields, dict) or "port" not in fields:
        raise PortRegistryError(f"{source}: {name} needs a 'port:' field")
    unknown = set(fields) - _ENTRY_FIELDS
    if unknown:
        raise PortRegistryError(f"{source}: {name} has unknown fields {sorted(unknown)}")
    optional = {key: None if fields.get(key) is None else str(fields[key]) for key in ("machine", "owner", "socket")}
    return PortEntry(name=name, port=check_port(fields["port"], f"{source}: {name}"), **optional)


def apply_env_overrides(entries: Mapping[str, PortEntry], env: Mapping[str, str]) -> dict[str, PortEntry]:
    """Replace each entry's port by ``PORT_<NAME>`` when that variable is set."""
    result = dict(entries)
    for name, entry in entries.items():
        value = env.get(env_var(name))
        if value is not None:
            result[name] = replace(entry, port=check_port(value, env_var(name)))
    return result


# ---------------------------------------------------------------- finding and caching

_cache_lock = threading.Lock()
_parsed_cache: dict[Path, tuple[tuple[int, int], dict[str, PortEntry]]] = {}


def _caller_dir() -> Path | None:
    """Directory of the first calling module outside this package."""
    package_dir = Path(__file__).resolve().parent
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_globals.get("__file__")
        if filename:
            directory = Path(filename).resolve().parent
            if directory != package_dir:
                return directory
        frame = frame.f_back
    return None


def _search_upward(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / RELATIVE_PATH
        if candidate.is_file():
            return candidate
    return None


def find_ports_file(start: Path | str | None = None) -> Path:
    """Where ports.yaml is: $ANALYZER_PORTS_FILE, else upward from ``start``/the caller, then cwd."""
    explicit = os.environ.get(PORTS_FILE_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise PortsFileNotFound(f"{PORTS_FILE_ENV}={explicit} does not name a file")
        return path
    starts = [Path(start)] if start is not None else [d for d in (_caller_dir(),) if d]
    starts.append(Path.cwd())
    for directory in starts:
        found = _search_upward(directory.resolve())
        if found:
            return found
    searched = ", ".join(str(d) for d in starts)
    raise PortsFileNotFound(f"no {RELATIVE_PATH} found upward from {searched}; set {PORTS_FILE_ENV}")


def _parsed(path: Path) -> dict[str, PortEntry]:
    """Parsed entries of ``path``, re-read only when the file's mtime or size changes."""
    path = path.resolve()
    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _parsed_cache.get(path)
        if cached and cached[0] == version:
            return cached[1]
    entries = parse_ports(path.read_text(encoding="utf-8"), str(path))
    with _cache_lock:
        _parsed_cache[path] = (version, entries)
    return entries


def load_registry(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> PortRegistry:
    """Load and validate ports.yaml; ``env`` (default os.environ) supplies PORT_* overrides."""
    resolved = Path(path) if path is not None else find_ports_file()
    entries = apply_env_overrides(_parsed(resolved), os.environ if env is None else env)
    return PortRegistry(entries, path=resolved)


# ---------------------------------------------------------------- public helpers


def get_port(name: str, registry: PortRegistry | None = None) -> int:
    """The port for ``name``: ``PORT_<NAME>`` if set, else the registry entry."""
    override = os.environ.get(env_var(name))
    if override is not None:
        return check_port(override, env_var(name))
    return (registry or load_registry()).port(name)


def endpoint(name: str, host: str = "*", scheme: str = "tcp", registry: PortRegistry | None = None) -> str:
    """``endpoint("TRANSLATOR_REP")`` -> ``"tcp://*:5563"``."""
    return f"{scheme}://{host}:{get_port(name, registry)}"


def bind(socket: Any, name: str, host: str = "*", registry: PortRegistry | None = None) -> str:
    """Bind a zmq socket to the registered port of ``name``; returns the endpoint.

    A port already in use raises PortInUseError naming the registered owner of that port.
    """
    import zmq

    address = endpoint(name, host=host, registry=registry)
    try:
        socket.bind(address)
    except zmq.ZMQError as exc:
        if exc.errno != zmq.EADDRINUSE:
            raise
        port = get_port(name, registry)
        raise PortInUseError(port, normalize_name(name), _owner_label(name, port, registry), address) from exc
    return address


def _owner_label(name: str, port: int, registry: PortRegistry | None) -> str | None:
    """Who the registry says owns ``port``: the owner module, else the name holding it."""
    try:
        registry = registry or load_registry()
    except PortRegistryError:  # the name came from a PORT_* override and there is no file
        return None
    entry = registry.owner_of(port)
    if entry is None:
        return None
    machine = f" on {entry.machine}" if entry.machine else ""
    return f"{entry.owner or 'unknown module'} ({entry.name}{machine})"
