"""Read every deployment config of a repository and link what they declare.

Linking: an agent's `script_path` to a repository file (tried relative to the
repository root, the config's folder, its parent and the machine root; an
absolute container path like `/app/main_pc_code/agents/x.py` by its longest
existing tail), dependency names to declared agents (the same machine first),
dependency cycles (networkx, canonical rotation), and hosts that name another
machine (`${PC2_IP}`, or the address `.env` gives `PC2_IP`).
"""

from __future__ import annotations

import hashlib
import posixpath
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from analyzer.config import ScanConfig
from analyzer.configs import yamlnodes
from agent_runtime.boundedyaml import compose_bounded_yaml
from analyzer.configs.cache import ConfigCache
from analyzer.configs.discover import find_config_files
from analyzer.configs.environment import read_compose_environment, read_compose_ports, read_dotenv
from analyzer.configs.model import (
    COMPOSE, ENV, ENV_PORT, PARSE_ERROR, REGISTRY, STARTUP, ConfigFile, ConfiguredAgent, DeclaredPort, Deployment,
    DependencyCycle, EnvValue, HostSetting, mark_error,
)
from analyzer.configs.registry import read_registry
from analyzer.configs.startup import read_agents
from analyzer.configs.values import Lookup, port_number, variables

if TYPE_CHECKING:
    import networkx as nx

MAX_CYCLE_LENGTH = 8
MAX_CYCLES = 200
EXAMPLE_MARKERS = ("example", "sample", "template", "dist", "default")
LOCAL_HOSTS = frozenset({"", "*", "0.0.0.0", "localhost", "127.0.0.1", "::", "::1"})  # names, not a bind  # nosec B104
ADDRESS_SUFFIXES = ("_IP", "_HOST", "_ADDRESS", "_ADDR")


class Environment:
    """Variables from .env files and compose services.

    Order: the machine's own files, then shared ones; real files before
    `.env.example`-like ones; compose `environment:` before .env.
    """

    def __init__(self, values: Iterable[EnvValue]) -> None:
        self.by_name: dict[str, list[EnvValue]] = defaultdict(list)
        for value in values:
            self.by_name[value.name].append(value)

    def find(self, name: str, machine: str) -> EnvValue | None:
        """The value a process on `machine` sees: its machine's files, then shared ones (any, for shared code)."""
        candidates = [v for v in self.by_name.get(name, ()) if not machine or v.machine in (machine, "")]
        if not candidates:
            return None
        # A compose service's `environment:` is what its container sees, over a .env beside it.
        return min(candidates, key=lambda v: (_machine_rank(v.machine, machine), _example_rank(v.path),
                                              v.source != "compose", v.path, v.line))

    @cached_property
    def digest(self) -> str:
        """Hash of every assignment: what `${VAR}` substitution in a config can depend on."""
        rows = sorted((v.name, v.value, v.machine, v.path, v.line, v.source) for values in self.by_name.values() for v in values)
        return hashlib.sha256(repr(rows).encode()).hexdigest()

    def lookup(self, machine: str) -> Lookup:
        def get(name: str) -> str | None:
            found = self.find(name, machine)
            return found.value if found is not None else None
        return get


def _machine_rank(value_machine: str, machine: str) -> int:
    return 0 if value_machine == machine else 1 if value_machine == "" else 2


def _example_rank(path: str) -> int:
    name = path.rsplit("/", 1)[-1].lower()
    return 1 if any(marker in name for marker in EXAMPLE_MARKERS) else 0


def read_deployment(repo: Path, config: ScanConfig, module_paths: Iterable[str], cache_dir: str | None = None,
                    machines: Iterable[str] = ()) -> Deployment:
    started = time.perf_counter()
    deployment = Deployment()
    cache = ConfigCache(cache_dir) if cache_dir else None
    sources: list[_Source] = []
    for located, kind in find_config_files(repo, config):
        file = ConfigFile(located.path, located.machine, kind, "")
        deployment.files.append(file)
        text = _read_text(located.location(repo), file)
        if text is None:
            continue
        if kind == ENV:
            deployment.env.extend(read_dotenv(file, text))
        else:
            sources.append(_Source(file, text, cache))
    for source in sources:
        if source.file.kind == COMPOSE:
            deployment.env.extend(source.read("environment", "", list[EnvValue],
                                              partial(read_compose_environment, source.file)))
    environment = Environment(deployment.env)
    for source in sources:
        file, lookup, digest = source.file, environment.lookup(source.file.machine), environment.digest
        if file.kind == STARTUP:
            deployment.agents.extend(source.read("agents", digest, list[ConfiguredAgent],
                                                 lambda docs: read_agents(file, docs, lookup)))
        elif file.kind == REGISTRY:  # read from its text as the agents read it, the runtime's limits included
            deployment.registry.extend(source.read_text("registry", digest, list[DeclaredPort],
                                                        lambda: read_registry(file, source.text)))
        elif file.kind == COMPOSE:
            deployment.compose_ports.extend(source.read("ports", digest, list[DeclaredPort],
                                                        lambda docs: read_compose_ports(file, docs, lookup)))
    deployment.env_ports = [env_value_port(v) for v in deployment.env if "PORT" in v.name.upper() and v.value.strip().isdigit()]
    link(deployment, repo, set(module_paths), [*config.roots, *machines], config.hosts)
    deployment.seconds = time.perf_counter() - started
    return deployment


class _Source:
    """One YAML config file: parsed on first use, what its readers return cached by content."""

    def __init__(self, file: ConfigFile, text: str, cache: ConfigCache | None) -> None:
        self.file, self.text, self.cache = file, text, cache
        self._documents: list[yaml.Node] | None = None

    def documents(self) -> list[yaml.Node] | None:
        """The file's YAML documents; None (and the file marked malformed) when it does not parse."""
        if self._documents is None and self.file.parse_status != PARSE_ERROR:
            try:
                self._documents = compose_bounded_yaml(self.text)
            except yaml.YAMLError as error:
                mark_error(self.file, type(error).__name__, *yamlnodes.error_location(error))
        return self._documents

    def read(self, part: str, environment: str, hint: Any, reader: Callable[[list[yaml.Node]], list]) -> list:
        """What `reader` finds in the file's YAML documents (a list of `hint`), cached by content."""
        return self.read_text(part, environment, hint,
                              lambda: reader(documents) if (documents := self.documents()) is not None else [])

    def read_text(self, part: str, environment: str, hint: Any, reader: Callable[[], list]) -> list:
        """What `reader` finds in the file's text (a list of `hint`), from the cache when this content was read before."""
        key = ConfigCache.key(self.file, part, environment) if self.cache else ""
        cached = self.cache.get(key, hint) if self.cache else None
        if cached is not None:
            return cached
        found = reader()
        if self.cache and self.file.parse_status != PARSE_ERROR:  # a reader may refuse the file: not cached
            self.cache.put(key, found, hint)  # before linking changes the agents
        return found


def _read_text(location: Path, file: ConfigFile) -> str | None:
    try:
        data = location.read_bytes()
    except OSError as error:
        mark_error(file, "OSError", error.strerror or str(error), 0)
        return None
    file.sha256 = hashlib.sha256(data).hexdigest()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        mark_error(file, "UnicodeDecodeError", str(error), data[: error.start].count(b"\n") + 1)
        return None


def env_value_port(value: EnvValue) -> DeclaredPort:
    """The ConfigPort an env assignment declares."""
    return DeclaredPort(value.name, ENV_PORT, port_number(value.value, lambda _n: None), value.value, value.path,
                        value.machine, value.line)


# --- linking -------------------------------------------------------------


def link(deployment: Deployment, repo: Path, modules: set[str], roots: list[str],
         hosts: dict[str, list[str]] | None = None) -> None:
    for agent in deployment.agents:
        _link_script(agent, repo, modules)
    _link_dependencies(deployment.agents)
    deployment.cycles = find_cycles(deployment.agents)
    machines = sorted({*roots, *(a.machine for a in deployment.agents if a.machine), *(hosts or {})} - {""})
    deployment.machine_addresses = _machine_addresses(machines, Environment(deployment.env), hosts or {})
    for agent in deployment.agents:
        agent.points_to = _points_to(agent, deployment.machine_addresses)


def script_candidates(agent: ConfiguredAgent) -> list[str]:
    script = agent.script.strip().replace("\\", "/")
    if not script:
        return []
    if script.startswith("/"):
        parts = [p for p in script.split("/") if p]
        return [posixpath.join(*parts[i:]) for i in range(len(parts) - 1)]  # longest tail first, two parts at least
    folder = posixpath.dirname(agent.path)
    bases = ["", folder, posixpath.dirname(folder), agent.machine]
    candidates = []
    for base in bases:
        candidate = posixpath.normpath(posixpath.join(base, script))
        if not candidate.startswith("../") and candidate != ".." and candidate not in candidates:
            candidates.append(candidate)
    return candidates


def _link_script(agent: ConfiguredAgent, repo: Path, modules: set[str]) -> None:
    candidates = script_candidates(agent)
    for candidate in candidates:
        if candidate in modules:
            agent.script_path, agent.script_found, agent.runs_module = candidate, True, True
            return
    for candidate in candidates:
        if (repo / candidate).is_file():  # a script outside the scan (excluded, or not Python)
            agent.script_path, agent.script_found = candidate, True
            return


def _link_dependencies(agents: list[ConfiguredAgent]) -> None:
    by_name: dict[str, list[int]] = defaultdict(list)
    for index, agent in enumerate(agents):
        by_name[agent.name].append(index)
    for agent in agents:
        for dependency in agent.dependencies:
            candidates = by_name.get(dependency.name, [])
            if not candidates:
                agent.undeclared.append(dependency.name)
                continue
            target = min(candidates, key=lambda i: (_machine_rank(agents[i].machine, agent.machine), agents[i].path, agents[i].line))
            agent.depends_on.append((target, dependency.line))


def find_cycles(agents: list[ConfiguredAgent]) -> list[DependencyCycle]:
    if not any(agent.depends_on for agent in agents):
        return []  # no dependency, no cycle: not worth networkx's import (80 ms of a `fix` dry run)
    import networkx as nx  # loaded where a graph is built, not by an unchanged check (docs/performance.md)

    graph: nx.DiGraph[int] = nx.DiGraph()
    for index, agent in enumerate(agents):
        for target, _line in agent.depends_on:
            graph.add_edge(index, target)
    key = lambda i: (agents[i].name, agents[i].machine, agents[i].path)  # noqa: E731
    cycles: set[tuple[int, ...]] = set()
    for component in nx.strongly_connected_components(graph):
        if len(component) == 1 and not graph.has_edge(*2 * tuple(component)):
            continue
        for n, cycle in enumerate(nx.simple_cycles(graph.subgraph(component), length_bound=MAX_CYCLE_LENGTH)):
            start = cycle.index(min(cycle, key=key))
            cycles.add(tuple(cycle[start:] + cycle[:start]))
            if n + 1 >= MAX_CYCLES:
                break
    return [DependencyCycle(c) for c in sorted(cycles, key=lambda c: (len(c), [key(i) for i in c]))]


def _machine_addresses(machines: list[str], environment: Environment, hosts: dict[str, list[str]]) -> dict[str, set[str]]:
    """Each machine's address variables (`PC2_IP` for `pc2_code`), the addresses they hold, and the names and
    addresses `[tool.analyzer] hosts` gives it."""
    found: dict[str, set[str]] = {}
    for machine in machines:
        stem = machine.upper().removesuffix("_CODE")
        names = {stem + suffix for suffix in ADDRESS_SUFFIXES} | set(hosts.get(machine, []))
        values = {v.value.strip() for n in names for v in environment.by_name.get(n, [])}
        found[machine] = names | {v for v in values if v not in LOCAL_HOSTS}
    return found


def machines_named(names: Iterable[str], addresses: dict[str, set[str]]) -> set[str]:
    """The machines whose address variables or addresses are among `names` (compared case-insensitively:
    `pc2_host` and `PC2_HOST` are one name)."""
    named = {name.strip().lower() for name in names} - LOCAL_HOSTS
    return {machine for machine, marks in addresses.items() if named & {mark.lower() for mark in marks}}


def host_setting_machines(host: HostSetting, addresses: dict[str, set[str]]) -> set[str]:
    """The machines a config host value (`${PC2_IP}`, `192.168.1.2`) names."""
    return machines_named([*variables(host.text), host.value], addresses)


def _points_to(agent: ConfiguredAgent, addresses: dict[str, set[str]]) -> list[str]:
    other: set[str] = set()
    for host in agent.hosts:
        named = host_setting_machines(host, addresses)
        if agent.machine not in named:
            other |= named - {agent.machine}
    return sorted(other)
