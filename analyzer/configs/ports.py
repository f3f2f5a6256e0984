"""What the deployment configs say about a port name: the lookups analyzer/endpoints.py resolves references with.

Nothing here reads code or changes a fact. Three lookups, each returning the
declared value (`DeclaredPort`, with its file and line) or None:

- `agent_key(agents, key, action)`: the value the startup config gives the
  agents running a module for a launcher parameter: `port` is the agent's port,
  `health_port` / `health_check_port` its health-check port, any other `*_port`
  its param of that name. A connect only takes a named param (`translator_port`),
  never the agent's own port or health port: those are what it serves, not
  what it talks to. Agents running one module that disagree give nothing.
- `env(name, machine)`: the variable from the machine's .env or a compose
  service's environment (source `env` or `compose`).
- `registry(name, machine)`: `PORT_<NAME>` from the environment, else the
  ports.yaml entry NAME (source `ports_yaml`), as agent_runtime.ports reads them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from agent_runtime.portsyaml import normalize_name

from analyzer.configs.deployment import Environment, env_value_port
from analyzer.configs.model import ConfiguredAgent, DeclaredPort, Deployment, EnvValue

HEALTH_KEYS = frozenset({"health_port", "health_check_port"})
OWN_KEYS = frozenset({"port", *HEALTH_KEYS})


@dataclass(frozen=True, slots=True)
class ConfigValue:
    declared: DeclaredPort
    source: str  # config | ports_yaml | env | compose


def agent_port(agent: ConfiguredAgent, key: str) -> DeclaredPort | None:
    """The port `agent`'s entry gives the launcher parameter `key`, if any."""
    lowered = key.lower()
    if lowered == "port":
        return agent.port
    if lowered in HEALTH_KEYS:
        return agent.health_port
    if lowered.endswith("_port"):
        return next((p for p in agent.params if p.name.lower() == lowered), None)
    return None


class ConfigPorts:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.environment = Environment(deployment.env)
        self.runners: dict[str, list[ConfiguredAgent]] = defaultdict(list)
        for agent in deployment.agents:
            if agent.runs_module:
                self.runners[agent.script_path].append(agent)
        self.registry_entries: dict[str, list[DeclaredPort]] = defaultdict(list)
        for entry in deployment.registry:
            self.registry_entries[entry.name].append(entry)
        self.env_ports = {(p.path, p.line, p.name): p for p in deployment.env_ports}
        self.extra_ports: dict[tuple[str, int, str], DeclaredPort] = {}

    def agents_running(self, path: str) -> list[ConfiguredAgent]:
        return self.runners.get(path, [])

    def agent_key(self, agents: list[ConfiguredAgent], key: str, action: str) -> ConfigValue | None:
        if action != "bind" and key.lower() in OWN_KEYS:
            return None
        found: dict[int, DeclaredPort] = {}
        for agent in agents:
            declared = agent_port(agent, key)
            if declared is not None and declared.port is not None:
                found.setdefault(declared.port, declared)
        if len(found) != 1:
            return None
        return ConfigValue(next(iter(found.values())), "config")

    def env(self, name: str, machine: str) -> ConfigValue | None:
        value = self.environment.find(name, machine)
        if value is None:
            return None
        declared = self._env_port(value)
        return ConfigValue(declared, value.source) if declared.port is not None else None

    def registry(self, name: str, machine: str) -> ConfigValue | None:
        normalized = normalize_name(name)
        override = self.env("PORT_" + normalized, machine)
        if override is not None:
            return override
        entries = [e for e in self.registry_entries.get(normalized, [])
                   if e.port is not None and (not machine or e.machine in (machine, ""))]
        entries.sort(key=lambda e: (e.machine != machine, e.path, e.line))
        return ConfigValue(entries[0], "ports_yaml") if entries else None

    def _env_port(self, value: EnvValue) -> DeclaredPort:
        """The ConfigPort of an env assignment; one without PORT in its name gets one once an endpoint uses it."""
        key = (value.path, value.line, value.name)
        found = self.env_ports.get(key) or self.extra_ports.get(key)
        if found is None:
            found = env_value_port(value)
            self.extra_ports[key] = found
        return found
