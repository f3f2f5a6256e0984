"""What port-literals writes besides the sources: each machine's registry and requirements file.

Each machine deploys its own tree, so each gets its own registry, at the place
`[tool.analyzer] ports_registry` names (default `{machine}/config/ports.yaml`, where the
agents find it by walking up from their own files). A registry is read, merged and
validated by agent_runtime.portsyaml, the module the agents themselves read it with:
the codemod cannot write a file the agents would refuse, and refuses to merge into one.
New entries are appended as text, so a hand-edited file keeps its comments and order.

The rewritten agents import agent_runtime, so each touched machine's requirements file
(`<machine root>/requirements.txt`, created if missing) lists the runtime distribution.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agent_runtime.portsyaml import PortEntry, PortRegistryError, merge_registry, parse_registry
from packaging.utils import canonicalize_name

from analyzer.configs.registry import registry_location
from analyzer.requirements import parse_requirements_text
from agent_graph_codemods.base import CodemodError

RUNTIME_DISTRIBUTION = "agent-graph-runtime"
RUNTIME_REQUIREMENT = f"{RUNTIME_DISTRIBUTION}>=0.1.0"  # get_port() and per-machine registries came with 0.1.0
REQUIREMENTS_FILE = "requirements.txt"
REQUIREMENT_COMMENT = "  # agent_runtime.get_port() reads config/ports.yaml (analyzer fix port-literals)"


@dataclass
class MachineRegistry:
    machine: str
    path: str  # repository-relative
    text: str | None  # None: no file yet
    entries: dict[str, PortEntry]


def read_registries(root: Path | None, machines: set[str], table: dict[str, Any]) -> dict[str, MachineRegistry]:
    """Each machine's registry as it is now (empty where there is none yet, or no tree: a snippet)."""
    registries = {}
    for machine in sorted(machines):
        path = registry_location(table, machine)
        full = root / path if root is not None else None
        text = full.read_text(encoding="utf-8") if full is not None and full.is_file() else None
        try:
            entries = parse_registry(text, path) if text is not None else {}
        except PortRegistryError as error:
            raise CodemodError(f"{error}; the agents refuse this registry too (the scan reports it as "
                               "config-malformed): fix it, then run the codemod again") from None
        registries[machine] = MachineRegistry(machine, path, text, entries)
    return registries


def known_entries(registries: dict[str, MachineRegistry]) -> dict[str, PortEntry]:
    """Every registry's entries by name, each with its machine (an entry without one is its file's machine's)."""
    known: dict[str, PortEntry] = {}
    for registry in registries.values():
        for name, entry in registry.entries.items():
            known.setdefault(name, replace(entry, machine=entry.machine or registry.machine or None))
    return known


def merged_registry(registry: MachineRegistry, new_entries: list[PortEntry]) -> tuple[str, str]:
    """The registry's new text with `new_entries` added, and a note when its comments could not be kept."""
    try:
        return merge_registry(registry.text, new_entries, registry.path)
    except PortRegistryError as error:
        raise CodemodError(f"cannot add the new ports to {registry.path}: {error}") from None


def requirements_path(machine: str) -> str:
    return posixpath.join(machine, REQUIREMENTS_FILE) if machine else REQUIREMENTS_FILE


def with_runtime_requirement(root: Path | None, machine: str, requirement: str) -> tuple[str, str | None, str]:
    """(path, new text or None when the runtime is listed already, a note for the summary)."""
    path = requirements_path(machine)
    full = root / path if root is not None else None
    text = full.read_text(encoding="utf-8") if full is not None and full.is_file() else None
    wanted = canonicalize_name(RUNTIME_DISTRIBUTION)
    if text is not None and any(
        r.name == wanted and not r.commented for r in parse_requirements_text(text, path, machine).requirements
    ):
        return path, None, ""
    line = requirement + REQUIREMENT_COMMENT + "\n"
    if text is None:
        return path, line, f"{path} created: the rewritten agents import agent_runtime ({requirement})"
    separator = "" if not text or text.endswith("\n") else "\n"
    return path, text + separator + line, f"{path}: {requirement} added (the rewritten agents import agent_runtime)"
