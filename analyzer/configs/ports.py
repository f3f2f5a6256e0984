"""Endpoint ports the code leaves open, resolved through the deployment configs.

Which endpoints: those whose port the code cannot fix by itself. `dynamic`
ports (`self.port` set from a constructor argument, `args.port`,
`self.config["port"]`, `get_port("NAME")`, `os.environ["X_PORT"]`) and ports
that only have a fallback (`default_arg`: `def __init__(self, port=5580)`,
`kwargs.get("port", 5580)`; `env_default`: `os.environ.get("X_PORT", "5580")`),
because the launcher or the environment supplies the real number. Ports the code
writes down (literal, constant, imported constant, `self.port = 5570`) are never
replaced; `config-port-mismatch` compares them with the config instead.

How, first match wins:
1. `get_port("NAME")` / `endpoint("NAME")` (agent_runtime.ports): the variable
   `PORT_NAME` from .env or compose, else the ports.yaml entry NAME (source `ports_yaml`).
2. `os.environ["X"]`, `os.environ.get("X", ...)`, `os.getenv("X")`: X from
   .env (source `env`) or a compose service's environment (source `compose`).
3. A name, attribute, subscript or `.get` key (`port`, `self.health_check_port`,
   `config["translator_port"]`) in a module a configured agent runs: `port` is
   the agent's port, `health_port` / `health_check_port` its health port, any
   other `*_port` its param of that name (source `config`); failing that, a
   ports.yaml entry with the key's name upper-cased.
A module run by several configured agents that disagree stays unresolved.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from agent_runtime.portsyaml import normalize_name

from analyzer.configs.deployment import Environment, env_port
from analyzer.configs.model import ConfiguredAgent, DeclaredPort, Deployment
from analyzer.facts import EndpointFact, FileFacts

CONFIG_SOURCES = ("config", "ports_yaml", "env", "compose")
# port_source values the code only has a fallback for, and which lookups may replace them.
REPLACEABLE = {"dynamic": ("registry", "env", "agent"), "default_arg": ("registry", "agent"), "env_default": ("env",)}

_STR = r"""['"](?P<key>[\w.-]+)['"]"""
_WRAP_OPEN, _WRAP_CLOSE = r"^\s*(?:(?:int|str)\(\s*)?", r"\s*\)?\s*$"
REGISTRY_CALL_RE = re.compile(r"\b(?:get_port|endpoint)\(\s*" + _STR)
ENV_RE = re.compile(r"\b(?:environ\.get|getenv)\(\s*" + _STR + r"|\benviron\[\s*" + _STR.replace("key", "key2") + r"\s*\]")
KEY_RES = (
    re.compile(_WRAP_OPEN + r"[\w.]+\.get\(\s*" + _STR + r"\s*(?:,[^()]*)?\)" + _WRAP_CLOSE),  # config.get("port", 1)
    re.compile(_WRAP_OPEN + r"[\w.]+\[\s*" + _STR + r"\s*\]" + _WRAP_CLOSE),  # self.config["port"]
    re.compile(_WRAP_OPEN + r"(?:[A-Za-z_]\w*\.)*(?P<key>[A-Za-z_]\w*)" + _WRAP_CLOSE),  # self.port, args.port, port
)
HEALTH_KEYS = frozenset({"health_port", "health_check_port"})


@dataclass(slots=True)
class PortLink:
    port: int
    source: str  # config | ports_yaml | env | compose
    declared: DeclaredPort

    @property
    def origin(self) -> str:
        return f"{self.source}:{self.declared.path}:{self.declared.line}"


def resolve_endpoint_ports(files: list[FileFacts], deployment: Deployment) -> dict[tuple[str, int], PortLink]:
    """Set `port` / `port_source` of resolvable endpoints in place; returns {(path, endpoint index): link}."""
    resolver = _Resolver(deployment)
    links = {}
    for facts in files:
        for index, endpoint in enumerate(facts.endpoints):
            link = resolver.resolve(endpoint, facts.path, facts.machine)
            if link is not None:
                endpoint.port, endpoint.port_source = link.port, link.source
                links[(facts.path, index)] = link
    return links


class _Resolver:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.environment = Environment(deployment.env)
        self.runners: dict[str, list[ConfiguredAgent]] = defaultdict(list)
        for agent in deployment.agents:
            if agent.runs_module:
                self.runners[agent.script_path].append(agent)
        self.registry: dict[str, list[DeclaredPort]] = defaultdict(list)
        for entry in deployment.registry:
            self.registry[entry.name].append(entry)

    def resolve(self, endpoint: EndpointFact, path: str, machine: str) -> PortLink | None:
        ways = REPLACEABLE.get(endpoint.port_source)
        expression = endpoint.port_expr.strip()
        if not ways or not expression:
            return None
        registry_call = REGISTRY_CALL_RE.search(expression)
        if registry_call:
            name = normalize_name(registry_call.group("key"))
            return (self._env("PORT_" + name, machine) or self._registry(name, machine)) if "registry" in ways else None
        env_lookup = ENV_RE.search(expression)
        if env_lookup:
            return self._env(env_lookup.group("key") or env_lookup.group("key2"), machine) if "env" in ways else None
        key = _key(expression)
        if key is None or "agent" not in ways:
            return None
        return self._agent(key, path) or self._registry(normalize_name(key), machine)

    def _env(self, name: str, machine: str) -> PortLink | None:
        value = self.environment.find(name, machine)
        if value is None:
            return None
        declared = env_port(self.deployment, value)
        return PortLink(declared.port, value.source, declared) if declared.port is not None else None

    def _registry(self, name: str, machine: str) -> PortLink | None:
        entries = [e for e in self.registry.get(name, []) if e.port is not None and (not machine or e.machine in (machine, ""))]
        entries.sort(key=lambda e: (e.machine != machine, e.path, e.line))
        return PortLink(entries[0].port, "ports_yaml", entries[0]) if entries else None

    def _agent(self, key: str, path: str) -> PortLink | None:
        found = {}
        for agent in self.runners.get(path, []):
            declared = _agent_port(agent, key)
            if declared is not None and declared.port is not None:
                found.setdefault(declared.port, declared)
        if len(found) != 1:
            return None  # no agent gives this key, or the agents running this module disagree
        declared = next(iter(found.values()))
        return PortLink(declared.port, "config", declared)


def _key(expression: str) -> str | None:
    for pattern in KEY_RES:
        match = pattern.match(expression)
        if match:
            return match.group("key")
    return None


def _agent_port(agent: ConfiguredAgent, key: str) -> DeclaredPort | None:
    lowered = key.lower()
    if lowered == "port":
        return agent.port
    if lowered in HEALTH_KEYS:
        return agent.health_port
    if lowered.endswith("_port"):
        return next((p for p in agent.params if p.name.lower() == lowered), None)
    return None
