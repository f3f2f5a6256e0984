"""ports.yaml: the one reader, validator and writer of the port registry format.

    ports:
      TRANSLATOR_REP:                            # NAME: UPPER_SNAKE_CASE, once per file
        port: 5563                               # an integer in 1..65535
        machine: main_pc_code                    # optional: the machine that binds it
        owner: main_pc_code/agents/translator.py # optional: the module that binds it
        socket: REP                              # optional: its ZeroMQ socket kind
        purpose: translation requests            # optional: free text for people
      HEALTH_PUB: 5610                           # shorthand: just the number

A registry is one YAML document whose top level is a mapping with a ``ports:`` mapping
(other top-level keys are left alone; ``ports:`` with nothing under it is an empty
registry). Refused, each with a PortRegistryError naming the file and the line: names that
are not UPPER_SNAKE_CASE or appear twice, fields other than the five above (or one given
twice), ports that are not integers in 1..65535, a socket kind ZeroMQ does not have, and a
port given to two names on one machine (an entry without ``machine`` may run anywhere, so
it collides with every entry on its port). Files over MAX_BYTES and alias bombs are
refused as well (agent_runtime.boundedyaml).

Each machine deploys its own tree, so each has its own registry, by default
``<machine root>/config/ports.yaml``: the entries its code reads, the ports other machines
bind that it connects to included (their ``machine`` says where they live).

The runtime (agent_runtime.ports), the analyzer's scan (analyzer/configs/registry.py) and
the port-literals codemod all read and write through this module, so a file the scan
accepts is one the agents start with, and one the agents refuse is a finding in the scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    import yaml

RELATIVE_PATH = "config/ports.yaml"  # a registry's place under its machine root
MAX_BYTES = 1 << 20  # 1 MiB: thousands of entries
MAX_ALIASES = 1_000  # alias nodes: a registry has no use for many
MIN_PORT, MAX_PORT = 1, 65535
FIELDS = ("port", "machine", "owner", "socket", "purpose")
TEXT_FIELDS = FIELDS[1:]
SOCKET_KINDS = frozenset({"PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB",
                          "STREAM"})
NAME_RE = re.compile(r"^[A-Z][A-Z0-9_]*$")
HEADER = (
    "# ZeroMQ ports this machine's code reads: agent_runtime.get_port(NAME); PORT_<NAME> overrides one.\n"
    "# Format (agent_runtime.portsyaml): NAME (UPPER_SNAKE_CASE): port, machine, owner, socket, purpose.\n"
)
_NULL_TAG = "tag:yaml.org,2002:null"


def _is_scalar(node: yaml.Node) -> TypeGuard[yaml.ScalarNode]:
    import yaml  # here, so that `from agent_runtime import get_port` imports no yaml until a file is read

    return isinstance(node, yaml.ScalarNode)


def _is_mapping(node: yaml.Node) -> TypeGuard[yaml.MappingNode]:
    import yaml  # as in _is_scalar

    return isinstance(node, yaml.MappingNode)


class PortRegistryError(ValueError):
    """A ports.yaml (or a PORT_* override) is malformed or inconsistent; ``line`` is 1-based, 0 if unknown."""

    def __init__(self, problem: str, source: str = "", line: int = 0) -> None:
        self.problem, self.source, self.line = problem, source, line
        where = f"{source}:{line}: " if source and line else f"{source}: " if source else ""
        super().__init__(where + problem)


class DuplicateNameError(PortRegistryError):
    """The same port name (or field) appears twice."""


class DuplicatePortError(PortRegistryError):
    """Two names are given the same port on one machine."""

    def __init__(self, port: int, machine: str | None, first: str, second: str, source: str = "", line: int = 0,
                 first_line: int = 0) -> None:
        self.port, self.machine, self.names = port, machine, (first, second)
        where = f"machine {machine!r}" if machine else "the same machine"
        earlier = f" (line {first_line})" if first_line else ""
        super().__init__(f"port {port} is given to both {first}{earlier} and {second} on {where}", source, line)


@dataclass(frozen=True)
class PortEntry:
    name: str
    port: int
    machine: str | None = None
    owner: str | None = None
    socket: str | None = None
    purpose: str | None = None
    line: int = field(default=0, compare=False)  # where the name is written; 0 for entries not read from a file


# ---------------------------------------------------------------- reading


def parse_registry(data: str | bytes, source: str = "ports.yaml") -> dict[str, PortEntry]:
    """The validated entries of a ports.yaml text, by name, in file order."""
    import yaml

    from agent_runtime.boundedyaml import compose_bounded_yaml

    try:
        documents = compose_bounded_yaml(data, max_bytes=MAX_BYTES, max_aliases=MAX_ALIASES)
    except yaml.YAMLError as error:
        raise PortRegistryError(f"not valid YAML: {_one_line(error)}", source, _error_line(error)) from None
    return registry_from_documents(documents, source)


def registry_from_documents(documents: list[yaml.Node], source: str = "ports.yaml") -> dict[str, PortEntry]:
    """The validated entries of an already composed ports.yaml (its node trees)."""
    if len(documents) != 1:
        line = _line(documents[1]) if len(documents) > 1 else 0
        raise PortRegistryError(
            f"expected one YAML document with a top-level 'ports:' mapping, found {len(documents)}", source, line)
    table = _ports_table(documents[0], source)
    entries: dict[str, PortEntry] = {}
    for key, value in table.value if table is not None else []:
        name = _name(key, source)
        if name in entries:
            raise DuplicateNameError(f"{name!r} appears twice (lines {entries[name].line} and {_line(key)})", source,
                                     _line(key))
        entries[name] = _entry(name, key, value, source)
    check_unique_ports(entries.values(), source)
    return entries


def _ports_table(root: yaml.Node, source: str) -> yaml.MappingNode | None:
    if not _is_mapping(root):
        raise PortRegistryError("expected a top-level mapping with a 'ports:' key", source, _line(root))
    found = [(key, value) for key, value in root.value if _is_scalar(key) and key.value == "ports"]
    if not found:
        raise PortRegistryError("expected a top-level 'ports:' mapping", source, _line(root))
    if len(found) > 1:
        raise DuplicateNameError(f"'ports' appears twice (lines {_line(found[0][0])} and {_line(found[1][0])})",
                                 source, _line(found[1][0]))
    value = found[0][1]
    if _is_scalar(value) and value.tag == _NULL_TAG:
        return None  # `ports:` and nothing yet
    if not _is_mapping(value):
        raise PortRegistryError("'ports:' must be a mapping of NAME to entry", source, _line(value))
    return value


def _name(key: yaml.Node, source: str) -> str:
    if not _is_scalar(key):
        raise PortRegistryError("a port name must be text", source, _line(key))
    if not NAME_RE.match(key.value):
        suggested = normalize_name(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key.value))  # MemoryAgent: MEMORY_AGENT
        hint = f" (write {suggested})" if NAME_RE.match(suggested) else ""
        raise PortRegistryError(f"port name {key.value!r} is not UPPER_SNAKE_CASE{hint}", source, _line(key))
    return key.value


def _entry(name: str, key: yaml.Node, value: yaml.Node, source: str) -> PortEntry:
    if _is_scalar(value):  # shorthand: NAME: 5563
        return PortEntry(name, check_port(_scalar(value), source, _line(value), name), line=_line(key))
    if not _is_mapping(value):
        raise PortRegistryError(f"{name} must be a mapping of fields or a port number", source, _line(value))
    fields: dict[str, yaml.Node] = {}
    for field_key, field_value in value.value:
        label = field_key.value if _is_scalar(field_key) else "a non-scalar key"
        if label not in FIELDS:
            raise PortRegistryError(f"{name} has an unknown field {label!r} (fields: {', '.join(FIELDS)})", source,
                                    _line(field_key))
        if label in fields:
            raise DuplicateNameError(f"{name} gives {label!r} twice", source, _line(field_key))
        fields[label] = field_value
    if "port" not in fields:
        raise PortRegistryError(f"{name} needs a 'port:' field", source, _line(key))
    port = check_port(_scalar(fields["port"]), source, _line(fields["port"]), name)
    text = {label: _text(name, label, fields[label], source) for label in TEXT_FIELDS if label in fields}
    socket = text.get("socket")
    if socket is not None:
        if socket.upper() not in SOCKET_KINDS:
            raise PortRegistryError(f"{name}: socket {socket!r} is not a ZeroMQ socket kind "
                                    f"({', '.join(sorted(SOCKET_KINDS))})", source, _line(fields["socket"]))
        text["socket"] = socket.upper()
    return PortEntry(name, port, line=_line(key), **text)


def _text(name: str, label: str, node: yaml.Node, source: str) -> str | None:
    if not _is_scalar(node):
        raise PortRegistryError(f"{name}: {label} must be text", source, _line(node))
    return None if node.tag == _NULL_TAG or not node.value else node.value


def _scalar(node: yaml.Node) -> Any:
    from yaml.constructor import SafeConstructor

    if not _is_scalar(node):
        return node  # check_port refuses it with its text
    return SafeConstructor().construct_object(node)


def check_port(value: Any, source: str = "", line: int = 0, name: str = "") -> int:
    """An integer in 1..65535 (an int, or text of one), else a PortRegistryError saying where."""
    label = f"{name}: " if name else ""
    shown = getattr(value, "value", value)  # a yaml node: its text
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise PortRegistryError(f"{label}port must be an integer, got {shown!r}", source, line)
    text = str(value).strip()
    if not text.isdigit():
        raise PortRegistryError(f"{label}port must be an integer, got {shown!r}", source, line)
    port = int(text)
    if not MIN_PORT <= port <= MAX_PORT:
        raise PortRegistryError(f"{label}port {port} is outside {MIN_PORT}..{MAX_PORT}", source, line)
    return port


def check_unique_ports(entries: Iterable[PortEntry], source: str = "") -> None:
    """DuplicatePortError when two names share a port on one machine."""
    by_port: dict[int, list[PortEntry]] = {}
    for entry in entries:
        for other in by_port.get(entry.port, []):
            if None in (entry.machine, other.machine) or entry.machine == other.machine:
                raise DuplicatePortError(entry.port, entry.machine or other.machine, other.name, entry.name, source,
                                         entry.line, other.line)
        by_port.setdefault(entry.port, []).append(entry)


def normalize_name(name: str) -> str:
    """``translator-rep`` -> ``TRANSLATOR_REP``: how a name in code or an env variable maps to an entry."""
    return re.sub(r"[^A-Za-z0-9]", "_", name).upper()


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _error_line(error: yaml.YAMLError) -> int:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    return mark.line + 1 if mark is not None else 0


def _one_line(error: yaml.YAMLError) -> str:
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    return " ".join(f"{context}, {problem}".split() if context else str(problem).split())


# ---------------------------------------------------------------- writing


def render_entries(entries: Iterable[PortEntry], indent: str = "  ") -> str:
    """Entries as block YAML under ``ports:`` (fields in the format's order, empty ones left out)."""
    lines = []
    for entry in entries:
        lines.append(f"{indent}{entry.name}:")
        lines.append(f"{indent * 2}port: {entry.port}")
        for label in TEXT_FIELDS:
            value = getattr(entry, label)
            if value:
                lines.append(f"{indent * 2}{label}: {_yaml_text(value)}")
    return "".join(line + "\n" for line in lines)


def render_registry(entries: Iterable[PortEntry]) -> str:
    return HEADER + "ports:\n" + render_entries(entries)


_PLAIN_TEXT = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})
_TOP_KEY = re.compile(r"^(?P<key>[^\s#][^:]*):")
_PORTS_KEY = re.compile(r"^ports:\s*(#.*)?$")


def _yaml_text(value: str) -> str:
    if _PLAIN_TEXT.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)  # a JSON string is a valid YAML scalar


def merge_registry(text: str | None, new_entries: list[PortEntry], source: str = "ports.yaml") -> tuple[str, str]:
    """``text`` with ``new_entries`` added, and a note ("" when nothing of the old text was lost).

    New entries are appended as text under ``ports:`` so the comments and order of a
    hand-edited file survive; only when that cannot give the same entries (another
    top-level key follows ``ports:``) is the whole document dumped again. The result is
    validated: a merge that would give a port to two names on one machine is refused.
    """
    if not text or not text.strip():
        merged = render_registry(new_entries)
        parse_registry(merged, source)
        return merged, ""
    expected = {**parse_registry(text, source), **{entry.name: entry for entry in new_entries}}
    appended = _append(text if text.endswith("\n") else text + "\n", new_entries)
    if appended:
        try:
            if parse_registry(appended, source) == expected:
                return appended, ""
        except PortRegistryError:  # the textual append made an invalid document: dump it instead
            pass
    dumped = _dump(text, new_entries)
    if parse_registry(dumped, source) != expected:
        raise PortRegistryError("merging the new entries would change existing ones", source)
    return dumped, f"{source} was rewritten as a whole; its comments were not kept"


def _append(base: str, new_entries: list[PortEntry]) -> str:
    keys = [(number, match.group("key").strip()) for number, line in enumerate(base.splitlines())
            if (match := _TOP_KEY.match(line)) and not line.startswith(("---", "..."))]
    lines = base.splitlines()
    if not any(key == "ports" for _, key in keys):
        return base + "ports:\n" + render_entries(new_entries)
    last_line, last_key = keys[-1]
    if last_key == "ports" and _PORTS_KEY.match(lines[last_line]):
        return base + render_entries(new_entries, _entry_indent(lines, last_line))
    return ""


def _entry_indent(lines: list[str], ports_line: int) -> str:
    for line in lines[ports_line + 1:]:
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            width = len(line) - len(stripped)
            return " " * width if width else "  "
    return "  "


def _dump(text: str, new_entries: list[PortEntry]) -> str:
    import yaml

    from agent_runtime.boundedyaml import load_bounded_yaml

    document = load_bounded_yaml(text, max_bytes=MAX_BYTES, max_aliases=MAX_ALIASES) or {}
    ports: dict[str, Any] = dict(document.get("ports") or {})
    for entry in new_entries:
        ports[entry.name] = _fields(entry)
    document["ports"] = ports
    return HEADER + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)


def _fields(entry: PortEntry) -> dict[str, Any]:
    """The entry as the mapping written under its name (empty fields left out)."""
    return {"port": entry.port, **{label: getattr(entry, label) for label in TEXT_FIELDS if getattr(entry, label)}}
