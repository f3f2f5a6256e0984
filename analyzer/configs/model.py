"""Deployment facts: what the system's own configuration files declare.

Plain data, like `analyzer/facts.py`: readers fill these in, `deployment.py`
links them (scripts, dependencies, cycles, machines), `ports.py` uses them to
resolve endpoint ports and `graph.py` turns them into graph rows. Lines are
1-based and point at the YAML node that declared the value.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PARSE_OK = "ok"
PARSE_ERROR = "error"

# ConfigFile.kind
STARTUP, REGISTRY, COMPOSE, ENV = "startup", "ports", "compose", "env"

# DeclaredPort.kind
AGENT_PORT, HEALTH_PORT, PARAM_PORT, REGISTRY_PORT, COMPOSE_PORT, ENV_PORT = (
    "agent_port", "health_port", "param", "registry", "compose", "env",
)


@dataclass(slots=True)
class ConfigFile:
    path: str  # posix, relative to the repository root
    machine: str
    kind: str  # startup | ports | compose | env
    sha256: str
    parse_status: str = PARSE_OK
    error_kind: str = ""  # the YAML error class, e.g. ScannerError
    error_message: str = ""
    error_line: int = 0


def mark_error(file: ConfigFile, kind: str, message: str, line: int) -> None:
    """The file does not parse, or its reader refuses it: `config-malformed` reports it; nothing of it is read."""
    file.parse_status, file.error_kind, file.error_message, file.error_line = PARSE_ERROR, kind, message, line


@dataclass(slots=True)
class DeclaredPort:
    """A port number some configuration gives: an agent's port, a `*_port` param, a registry entry..."""

    name: str  # "port", "health_check_port", "translator_port", "TRANSLATOR_REP", "STT_PORT"
    kind: str  # agent_port | health_port | param | registry | compose | env
    port: int | None  # None when the text cannot be evaluated (an unset ${VAR})
    text: str  # the value as written
    path: str
    machine: str
    line: int
    agent: str = ""  # the configured agent or compose service declaring it
    owner: str = ""  # ports.yaml `owner`
    socket: str = ""  # ports.yaml `socket`


@dataclass(slots=True)
class EnvValue:
    """One environment variable assignment from a .env file or a compose service."""

    name: str
    value: str
    path: str
    machine: str
    line: int
    source: str  # env | compose


@dataclass(slots=True)
class Dependency:
    name: str
    line: int


@dataclass(slots=True)
class HostSetting:
    key: str  # "host", "pc2_host"...
    text: str  # as written, e.g. "${PC2_IP}"
    value: str  # after ${VAR} substitution
    line: int


@dataclass(slots=True)
class ConfiguredAgent:
    name: str
    path: str  # the config file
    machine: str
    line: int
    group: str  # the key the entry sits under: core_services, agents...
    script: str  # script_path as written
    host: str
    port: DeclaredPort | None
    health_port: DeclaredPort | None
    required: bool | None
    dependencies: list[Dependency] = field(default_factory=list)
    params: list[DeclaredPort] = field(default_factory=list)  # every `*_port` param
    hosts: list[HostSetting] = field(default_factory=list)
    # Filled in by deployment.link():
    script_path: str = ""  # repository path the script resolves to, "" when missing
    script_found: bool = False
    runs_module: bool = False  # script_path is a scanned Python module
    depends_on: list[tuple[int, int]] = field(default_factory=list)  # (agent index, line)
    undeclared: list[str] = field(default_factory=list)
    points_to: list[str] = field(default_factory=list)  # other machines its hosts name

    def ports(self) -> list[DeclaredPort]:
        own = [p for p in (self.port, self.health_port) if p is not None]
        return [*own, *self.params]


@dataclass(frozen=True, slots=True)
class DependencyCycle:
    members: tuple[int, ...]  # agent indexes, rotated to start at the smallest (name, machine)


@dataclass
class Deployment:
    files: list[ConfigFile] = field(default_factory=list)
    agents: list[ConfiguredAgent] = field(default_factory=list)
    registry: list[DeclaredPort] = field(default_factory=list)  # ports.yaml entries
    compose_ports: list[DeclaredPort] = field(default_factory=list)
    env: list[EnvValue] = field(default_factory=list)
    env_ports: list[DeclaredPort] = field(default_factory=list)
    cycles: list[DependencyCycle] = field(default_factory=list)
    machine_addresses: dict[str, set[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def declared_ports(self) -> list[DeclaredPort]:
        agent_ports = [p for agent in self.agents for p in agent.ports()]
        return [*agent_ports, *self.registry, *self.compose_ports, *self.env_ports]

