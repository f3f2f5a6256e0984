"""Ports by name: ``get_port("TRANSLATOR_REP")`` from this machine's ``config/ports.yaml``.

The file format and its validation are agent_runtime.portsyaml's; this module finds the
file, keeps it parsed, applies overrides and binds sockets.

Lookup order for a name: the environment variable ``PORT_<NAME>`` (NAME upper-cased,
every non-alphanumeric character turned into ``_``), then the registry. The registry is
``$AGENT_PORTS_FILE`` when set, else the first ``config/ports.yaml`` found walking up from
the calling module's folder, then from the ``__main__`` script's, then from the current
directory. An agent in ``pc2_code/agents/`` thus reads ``pc2_code/config/ports.yaml``,
its machine's own registry, wherever it is started from.

yaml and zmq are imported only by the functions that need them.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

from agent_runtime.portsyaml import (
    MAX_BYTES,
    RELATIVE_PATH,
    DuplicateNameError,
    DuplicatePortError,
    PortEntry,
    PortRegistryError,
    check_port,
    check_unique_ports,
    normalize_name,
)

__all__ = [
    "PORTS_FILE_ENV", "DuplicateNameError", "DuplicatePortError", "PortEntry", "PortInUseError", "PortRegistry",
    "PortRegistryError", "PortsFileNotFound", "UnknownPortError", "bind", "endpoint", "ephemeral_range",
    "find_ports_file", "get_port", "is_ephemeral", "load_registry", "normalize_name",
]

PORTS_FILE_ENV = "AGENT_PORTS_FILE"
ENV_PREFIX = "PORT_"

# Port validity is a plain range check. The port-for package was considered: what it
# adds is an IANA "unassigned ranges" table, a ~10-line reader of the OS ephemeral
# range and "is this port free now" probes. Registered ports are often IANA-assigned
# ones, freeness is checked by bind() at the moment it matters, and the ephemeral
# range reader is re-done below, so a dependency inside every agent is not worth it.
_LINUX_EPHEMERAL_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_DEFAULT_EPHEMERAL_RANGE = (32768, 60999)  # Linux default


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


class PortRegistry(Mapping[str, PortEntry]):
    """Validated entries of one ports.yaml, keyed by name (env overrides applied)."""

    def __init__(self, entries: Mapping[str, PortEntry], path: Path | None = None) -> None:
        self._entries = dict(entries)
        self.path = path
        check_unique_ports(self._entries.values(), str(path or ""))

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
    """Folder of the first calling module outside this package."""
    package_dir = Path(__file__).resolve().parent
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        filename = frame.f_globals.get("__file__")
        if filename:
            directory = Path(filename).resolve().parent
            if directory != package_dir:
                return directory
        frame = frame.f_back
    return None


def _main_dir() -> Path | None:
    filename = getattr(sys.modules.get("__main__"), "__file__", None)
    return Path(filename).resolve().parent if filename else None


def _search_upward(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        candidate = directory / RELATIVE_PATH
        if candidate.is_file():
            return candidate
    return None


def find_ports_file(start: Path | str | None = None) -> Path:
    """Where ports.yaml is: $AGENT_PORTS_FILE, else upward from ``start`` (default: the caller's
    module, then ``__main__``), then from the current directory."""
    explicit = os.environ.get(PORTS_FILE_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise PortsFileNotFound(f"{PORTS_FILE_ENV}={explicit} does not name a file")
        return path
    starts = [Path(start)] if start is not None else [d for d in (_caller_dir(), _main_dir()) if d]
    starts.append(Path.cwd())
    for directory in dict.fromkeys(starts):
        found = _search_upward(directory.resolve())
        if found:
            return found
    searched = ", ".join(str(d) for d in dict.fromkeys(starts))
    raise PortsFileNotFound(f"no {RELATIVE_PATH} found upward from {searched}; set {PORTS_FILE_ENV}")


def _parsed(path: Path) -> dict[str, PortEntry]:
    """Parsed entries of ``path``, re-read only when the file's mtime or size changes."""
    from agent_runtime.boundedyaml import YamlLimitError, read_bounded_file
    from agent_runtime.portsyaml import parse_registry

    path = path.resolve()
    stat = path.stat()
    version = (stat.st_mtime_ns, stat.st_size)
    with _cache_lock:
        cached = _parsed_cache.get(path)
        if cached and cached[0] == version:
            return cached[1]
    try:
        data = read_bounded_file(path, MAX_BYTES)
    except YamlLimitError as error:
        raise PortRegistryError(error.problem, str(path)) from None
    entries = parse_registry(data, str(path))
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
