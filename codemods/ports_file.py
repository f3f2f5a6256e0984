"""Reading and merging `config/ports.yaml`, the port registry `agent_runtime.ports` reads.

The format is the contract shared with runtime/ports.py::

    ports:
      TRANSLATOR_REP:            # NAME: upper snake case
        port: 5563
        machine: main_pc_code    # optional
        owner: main_pc_code/agents/translator.py   # optional
        socket: REP              # optional ZMQ socket kind

New entries are appended as text under `ports:` so that the comments and order of
an existing, hand-edited file survive; only when that is impossible (the file has
another top-level key after `ports:`) is the whole document dumped again.
This module reads yaml itself: the codemod never imports the runtime package.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from codemods.base import CodemodError

REGISTRY_PATH = "config/ports.yaml"
HEADER = (
    "# ZeroMQ ports of the system, read by agent_runtime.ports.get_port(NAME).\n"
    "# Written by `analyzer fix port-literals`; edit freely (NAME: UPPER_SNAKE_CASE).\n"
)
_PLAIN = re.compile(r"^[A-Za-z_./][A-Za-z0-9_./-]*$")
_YAML_WORDS = frozenset({"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"})
_TOP_KEY = re.compile(r"^(?P<key>[^\s#][^:]*):")
_PORTS_KEY = re.compile(r"^ports:\s*(#.*)?$")


@dataclass(frozen=True)
class RegistryEntry:
    name: str
    port: int
    machine: str = ""
    owner: str = ""
    socket: str = ""


def read_entries(text: str, source: str = REGISTRY_PATH) -> dict[str, RegistryEntry]:
    """Entries of a ports.yaml text; CodemodError when it is not a registry."""
    import yaml

    try:
        document = yaml.safe_load(text) if text.strip() else {}
    except yaml.YAMLError as error:
        raise CodemodError(f"{source} is not valid YAML: {str(error).splitlines()[0]}") from None
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise CodemodError(f"{source}: expected a mapping with a 'ports:' key")
    ports = document.get("ports") or {}
    if not isinstance(ports, dict):
        raise CodemodError(f"{source}: 'ports:' must be a mapping of NAME to entry")
    entries = {}
    for name, fields in ports.items():
        if isinstance(fields, int) and not isinstance(fields, bool):
            fields = {"port": fields}
        if not isinstance(fields, dict) or not isinstance(fields.get("port"), int):
            raise CodemodError(f"{source}: entry {name!r} needs an integer 'port:'")
        entries[str(name)] = RegistryEntry(
            str(name), fields["port"], str(fields.get("machine") or ""), str(fields.get("owner") or ""),
            str(fields.get("socket") or ""),
        )
    return entries


def _scalar(value: str | int) -> str:
    if isinstance(value, int):
        return str(value)
    if _PLAIN.match(value) and value.lower() not in _YAML_WORDS:
        return value
    return json.dumps(value)  # a JSON string is a valid YAML scalar


def render_entries(entries: list[RegistryEntry], indent: str = "  ") -> str:
    lines = []
    for entry in entries:
        lines.append(f"{indent}{entry.name}:")
        lines.append(f"{indent * 2}port: {entry.port}")
        for key in ("machine", "owner", "socket"):
            value = getattr(entry, key)
            if value:
                lines.append(f"{indent * 2}{key}: {_scalar(value)}")
    return "".join(line + "\n" for line in lines)


def _top_level_keys(text: str) -> list[tuple[int, str]]:
    keys = []
    for number, line in enumerate(text.splitlines()):
        match = _TOP_KEY.match(line)
        if match and not line.startswith(("---", "...")):
            keys.append((number, match.group("key").strip()))
    return keys


def _entry_indent(lines: list[str], ports_line: int) -> str:
    for line in lines[ports_line + 1:]:
        stripped = line.lstrip(" ")
        if stripped and not stripped.startswith("#"):
            width = len(line) - len(stripped)
            return " " * width if width else "  "
    return "  "


def merge(text: str | None, new_entries: list[RegistryEntry]) -> tuple[str, str]:
    """The registry text with `new_entries` added, and a note ("" when nothing is lost)."""
    if not text or not text.strip():
        return HEADER + "ports:\n" + render_entries(new_entries), ""
    old = read_entries(text)
    expected = {**{n: e for n, e in old.items()}, **{e.name: e for e in new_entries}}
    base = text if text.endswith("\n") else text + "\n"
    keys = _top_level_keys(base)
    lines = base.splitlines()
    if not any(key == "ports" for _, key in keys):
        merged = base + "ports:\n" + render_entries(new_entries)
    elif keys and keys[-1][1] == "ports" and _PORTS_KEY.match(lines[keys[-1][0]]):
        merged = base + render_entries(new_entries, _entry_indent(lines, keys[-1][0]))
    else:
        merged = ""
    if merged:
        try:
            if read_entries(merged) == expected:
                return merged, ""
        except CodemodError:  # the textual append made an invalid document: dump it instead
            pass
    return _dump(text, new_entries), f"{REGISTRY_PATH} was rewritten as a whole; its comments were not kept"


def _dump(text: str, new_entries: list[RegistryEntry]) -> str:
    import yaml

    document = yaml.safe_load(text) or {}
    ports = dict(document.get("ports") or {})
    for entry in new_entries:
        fields: dict[str, str | int] = {"port": entry.port}
        fields.update({k: getattr(entry, k) for k in ("machine", "owner", "socket") if getattr(entry, k)})
        ports[entry.name] = fields
    document["ports"] = ports
    return HEADER + yaml.safe_dump(document, sort_keys=False, default_flow_style=False)
