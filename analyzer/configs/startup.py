"""Startup configs: the agents a machine's launcher starts, wherever the file keeps them.

An agent entry is any mapping with a `script_path` (or `script`) key. It may sit
in a list under any group key (`core_services:`, `agents:`, `pc2_services:`),
or be the value of a key that names it (`agents: {STTAgent: {script_path: ...}}`),
block-style or inline. Its name is its `name` field, else that key.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import yaml

from analyzer.configs import yamlnodes as y
from analyzer.configs.model import (
    AGENT_PORT, HEALTH_PORT, PARAM_PORT, ConfigFile, ConfiguredAgent, DeclaredPort, Dependency, HostSetting,
)
from analyzer.configs.values import Lookup, port_number, substitute
from analyzer.redact import redact_text

SCRIPT_KEYS = ("script_path", "script")
PORT_KEYS = ("port",)
HEALTH_KEYS = ("health_check_port", "health_port")
DEPENDENCY_KEYS = ("dependencies", "depends_on", "requires")
# Nested mappings of an entry whose `*_port` / `*_host` keys are the agent's params.
PARAM_GROUPS = frozenset({"params", "parameters", "args", "arguments", "config", "settings", "env", "environment"})
HOST_SUFFIXES = ("_host", "_ip", "_address", "_addr")
MAX_DEPTH = 8


def read_agents(file: ConfigFile, documents: list[yaml.Node], env: Lookup) -> list[ConfiguredAgent]:
    agents: list[ConfiguredAgent] = []
    for document in documents:
        _walk(document, [], file, env, agents, 0)
    return agents


def _walk(node: yaml.Node, keys: list[str], file: ConfigFile, env: Lookup, found: list[ConfiguredAgent], depth: int,
          key_line: int = 0) -> None:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, yaml.MappingNode):
        table = y.fields(node)
        if y.first(table, *SCRIPT_KEYS) is not None:
            agent = _agent(node, table, keys, file, env, key_line)
            if agent is not None:
                found.append(agent)
            return
        for key, key_node, value in y.items(node):
            _walk(value, [*keys, key], file, env, found, depth + 1, y.line(key_node))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            # A list item has no key of its own: "" keeps the group key two levels up.
            _walk(item, [*keys, ""], file, env, found, depth + 1)


def _agent(node: yaml.Node, table: dict[str, yaml.Node], keys: list[str], file: ConfigFile, env: Lookup,
           key_line: int) -> ConfiguredAgent | None:
    name_node = table.get("name")
    named_by_key = name_node is None
    script_node = y.first(table, *SCRIPT_KEYS)
    script = (y.scalar_text(script_node) or "") if script_node is not None else ""
    name = (y.scalar_text(name_node) if name_node is not None else (keys[-1] if keys else "")) or ""
    if not name:  # an unnamed list entry goes by its script's file name
        name, named_by_key = PurePosixPath(script).stem, False
    if not name:
        return None
    parents = [k for k in (keys[:-1] if named_by_key else keys) if k]
    host_node = table.get("host")
    required_node = table.get("required")
    required = y.value(required_node) if required_node is not None else None
    agent = ConfiguredAgent(
        name=name, path=file.path, machine=file.machine, line=key_line if named_by_key and key_line else y.line(node),
        group=parents[-1] if parents else "",
        script=script,
        host=redact_text(y.scalar_text(host_node) or "") if host_node is not None else "",
        port=_port(y.first(table, *PORT_KEYS), "port", AGENT_PORT, name, file, env),
        health_port=_port(y.first(table, *HEALTH_KEYS), "health_check_port", HEALTH_PORT, name, file, env),
        required=required if isinstance(required, bool) else None,
        dependencies=_dependencies(y.first(table, *DEPENDENCY_KEYS)),
    )
    if host_node is not None and agent.host:
        agent.hosts.append(HostSetting("host", agent.host, redact_text(substitute(agent.host, env) or ""), y.line(host_node)))
    _params(node, agent, file, env, nested=True)
    return agent


def _port(node: yaml.Node | None, name: str, kind: str, agent: str, file: ConfigFile, env: Lookup) -> DeclaredPort | None:
    if node is None or not isinstance(node, yaml.ScalarNode) or node.value in ("", "~", "null"):
        return None
    return DeclaredPort(name, kind, port_number(y.value(node), env), node.value, file.path, file.machine, y.line(node), agent)


def _params(node: yaml.Node, agent: ConfiguredAgent, file: ConfigFile, env: Lookup, nested: bool) -> None:
    for key, _key_node, value in y.items(node):
        lowered = key.lower()
        if nested and lowered in PARAM_GROUPS:
            _params(value, agent, file, env, nested=False)
        elif lowered.endswith("_port") and lowered not in HEALTH_KEYS:
            port = _port(value, key, PARAM_PORT, agent.name, file, env)
            if port is not None:
                agent.params.append(port)
        elif lowered.endswith(HOST_SUFFIXES) and isinstance(value, yaml.ScalarNode) and value.value:
            agent.hosts.append(HostSetting(key, redact_text(value.value), redact_text(substitute(value.value, env) or ""),
                                           y.line(value)))


def _dependencies(node: yaml.Node | None) -> list[Dependency]:
    """`[A, B]`, `- A` items, `[{name: A}]` or `"A, B"`."""
    if node is None:
        return []
    if isinstance(node, yaml.ScalarNode):
        return [Dependency(part.strip(), y.line(node)) for part in node.value.split(",") if part.strip()]
    found = []
    for item in node.value if isinstance(node, yaml.SequenceNode) else []:
        target = y.field_of(item, "name") if isinstance(item, yaml.MappingNode) else item
        text = y.scalar_text(target) if target is not None else None
        if text:
            found.append(Dependency(text.strip(), y.line(item)))
    return found
