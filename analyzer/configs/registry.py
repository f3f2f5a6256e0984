"""ports.yaml in the scan, read exactly as the agents read it (agent_runtime.portsyaml).

The file's text goes through the runtime's own parser, size and alias limits included.
A registry the runtime accepts gives one DeclaredPort per entry; one it refuses (a name
that is not UPPER_SNAKE_CASE, an unknown field, a port given twice on one machine, an
alias bomb...) is marked malformed with the runtime's own message and line, and
`config-malformed` reports it: the scan and the agents never disagree about a registry.

Where each machine's registry lives (what the port-literals codemod writes, what the
agents find upward from their own files) is `[tool.analyzer] ports_registry`, a path
relative to the repository root in which `{machine}` is the machine root:

    [tool.analyzer]
    ports_registry = "{machine}/config/ports.yaml"     # the default
"""

from __future__ import annotations

import posixpath
from typing import Any

from agent_runtime.portsyaml import RELATIVE_PATH, PortRegistryError, parse_registry

from analyzer.config import ConfigError
from analyzer.configs.model import REGISTRY_PORT, ConfigFile, DeclaredPort, mark_error

__all__ = ["DEFAULT_LOCATION", "SETTING", "read_registry", "registry_location"]

SETTING = "ports_registry"
DEFAULT_LOCATION = "{machine}/" + RELATIVE_PATH  # where the agents look: upward from their own files


def read_registry(file: ConfigFile, text: str) -> list[DeclaredPort]:
    try:
        entries = parse_registry(text, file.path)
    except PortRegistryError as error:
        mark_error(file, type(error).__name__, error.problem, error.line)
        return []
    return [
        DeclaredPort(entry.name, REGISTRY_PORT, entry.port, str(entry.port), file.path, entry.machine or file.machine,
                     entry.line, owner=entry.owner or "", socket=entry.socket or "")
        for entry in entries.values()
    ]


def registry_location(table: dict[str, Any], machine: str) -> str:
    """The repository path of `machine`'s registry under the `[tool.analyzer]` settings `table`."""
    template = table.get(SETTING, DEFAULT_LOCATION)
    if not isinstance(template, str) or not template.strip():
        raise ConfigError(f"[tool.analyzer] {SETTING} must be a path such as {DEFAULT_LOCATION!r}")
    try:
        path = posixpath.normpath(template.format(machine=machine)).lstrip("/")
    except (KeyError, IndexError, ValueError) as error:
        raise ConfigError(f"[tool.analyzer] {SETTING} = {template!r}: only {{machine}} may be filled in ({error})") \
            from None
    if template.startswith("/") or path == ".." or path.startswith("../"):
        raise ConfigError(f"[tool.analyzer] {SETTING} = {template!r} must stay inside the repository")
    return path
