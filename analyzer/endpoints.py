"""Endpoints resolved: each bind and connect with its port, where the number comes from, how sure, and the
machine a connect reaches. The one place port references (analyzer.facts.PortRef) become numbers.

    resolution = resolve_endpoints(files, deployment)   # after configs.read_deployment; returns, never mutates

Order of evidence, per reference kind (docs/configs.md, "Ports"):
- The code's own value first. A literal, a constant (this file's, an imported
  one, aliased or `module.X`), `self.X = <number>`, arithmetic on those: the
  number is the code's, and a startup config saying otherwise is a conflict,
  not a replacement.
- A launcher parameter is what the launcher passes: a constructor parameter
  (`def __init__(self, port=5580)`, `kwargs.get("port", 5580)`), a key of an
  arguments or config object (`args.port`, `self.config["port"]`), or a
  `self.X` the class never assigns. In a module a configured agent runs, the
  startup config's value for that name (port, health-check port, `*_port`
  param) is the port; otherwise the code's default is.
- Environment and registry lookups take the deployment's .env, compose and
  ports.yaml values; their defaults stand when no config sets the variable.
- Everything else is unknown: a port 0, `None`, `agent.get("port", 0)`.

Config evidence: an endpoint whose expression names a startup-config key
(`PORT`, `self.health_check_port`, `translator_port`) in a module a configured
agent runs is linked to that declared value (`configured_as`), and so are the
binds of a module none of whose binds uses its agent's port. Where the linked
value differs from the number, `config-port-conflict` reports both.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace

from analyzer.configs.deployment import LOCAL_HOSTS, host_setting_machines, machines_named
from analyzer.configs.model import ConfiguredAgent, DeclaredPort, Deployment
from analyzer.configs.ports import ConfigPorts, ConfigValue, agent_port
from analyzer.configs.values import MAX_PORT, MIN_PORT
from analyzer.facts import CONFIDENCES, PORT_SOURCES, EndpointFact, FileFacts, ImportFact, PortRef
from analyzer.resolve import ModuleIndex, resolve_import

# Sources whose number is the code's own: a config value for the same socket is a conflict.
CODE_SOURCES = tuple(s for s, (bucket, _meaning) in PORT_SOURCES.items() if bucket == "code")
_SOURCE_RANK = {source: rank for rank, source in enumerate(PORT_SOURCES)}
_CONFIDENCE_RANK = {confidence: rank for rank, confidence in enumerate(CONFIDENCES)}
_TEMPLATE_RE = re.compile(r"\{(\w+)(\.upper\(\)|\.lower\(\))?\}")
MAX_DEPTH = 12
# Names that map to a startup-config key of the agent running a module.
_KEY_NAMES = re.compile(r"(?:^|_)port$", re.I)


@dataclass(frozen=True, slots=True)
class ResolvedEndpoint:
    path: str
    machine: str
    index: int  # position among the file's endpoints: the graph id's `#E<n>`
    fact: EndpointFact
    port: int | None
    source: str  # a PORT_SOURCES key
    confidence: str  # a CONFIDENCES key, "" without a port
    origin: str  # `path:line` where the number is written, "" without a port
    candidates: tuple[int, ...]  # every value `self.X` may hold when they differ, else ()
    target_machine: str  # the machine a connect reaches ("" when its host says nothing); a bind's own
    port_from: DeclaredPort | None  # the config value the number came from
    configured_as: tuple[DeclaredPort, ...]  # config values that declare this socket's port, agreeing or not

    @property
    def site(self) -> str:
        return f"{self.path}:{self.fact.line}"


@dataclass
class EndpointResolution:
    endpoints: list[ResolvedEndpoint] = field(default_factory=list)
    extra_ports: list[DeclaredPort] = field(default_factory=list)  # env values endpoints use, without PORT in the name

    def summary(self) -> dict:
        """ScanReport fields: where ports come from, with one definition per count (PORT_SOURCES' buckets)."""
        sources = Counter(e.source for e in self.endpoints)
        buckets = Counter(PORT_SOURCES[e.source][0] for e in self.endpoints)
        port_calls = [e for e in self.endpoints if e.fact.scheme in ("tcp", "")]
        return {
            "endpoints_by_source": dict(sorted(sources.items())),
            "ports_from_code": buckets["code"], "ports_from_config": buckets["config"],
            "ports_unknown": buckets["unknown"],
            "tcp_endpoints": len(port_calls), "tcp_endpoints_with_port": sum(1 for e in port_calls if e.port is not None),
        }


@dataclass(frozen=True, slots=True)
class _Value:
    port: int
    source: str
    confidence: str
    origin: str
    declared: DeclaredPort | None = None
    candidates: tuple[int, ...] = ()

    def relabel(self, source: str, confidence: str | None = None) -> _Value:
        """The value as a name passes it on: a code source weaker than the name's takes the name's
        (`PORT = 5560` is a constant, `port=PORT` a default); a config value stays the config's."""
        weaker = self.source in CODE_SOURCES and _SOURCE_RANK[self.source] < _SOURCE_RANK[source]
        # Built directly: dataclasses.replace reads the fields each call, a third of resolving every endpoint.
        return _Value(self.port, source if weaker else self.source, _weakest(self.confidence, confidence or self.confidence),
                      self.origin, self.declared, self.candidates)


@dataclass(frozen=True)
class _Context:
    facts: FileFacts
    action: str
    agents: tuple[ConfiguredAgent, ...]  # the configured agents running this module
    bindings: dict[tuple[str, str], tuple[PortRef, _Context]] | None = None  # (helper, param) -> caller's argument
    depth: int = 0

    def deeper(self) -> _Context:
        return _Context(self.facts, self.action, self.agents, self.bindings, self.depth + 1)  # not replace(): hot


def _weakest(*confidences: str) -> str:
    return max(confidences, key=_CONFIDENCE_RANK.__getitem__)


def _valid(port: int | None) -> bool:
    return port is not None and MIN_PORT <= port <= MAX_PORT


class _Resolver:
    def __init__(self, files: list[FileFacts], deployment: Deployment) -> None:
        self.by_path = {f.path: f for f in files}
        self.index = ModuleIndex(self.by_path)
        self.configs = ConfigPorts(deployment)
        self.addresses = deployment.machine_addresses
        self.definitions = {f.path: {d.name: d for d in f.port_definitions} for f in files}

    # --- one endpoint -------------------------------------------------------------------------

    def endpoint(self, facts: FileFacts, index: int, fact: EndpointFact) -> ResolvedEndpoint:
        agents = tuple(self.configs.agents_running(facts.path))
        target = self._target_machine(fact, facts.machine, agents)
        ref = fact.port_ref
        if ref is None or ref.kind == "random":
            source = "none" if ref is None else "random"
            return ResolvedEndpoint(facts.path, facts.machine, index, fact, None, source, "", "", (), target, None, ())
        value = self.value(ref, _Context(facts, fact.action, agents))
        if value is None:
            return ResolvedEndpoint(facts.path, facts.machine, index, fact, None, "dynamic", "", "", (), target, None, ())
        return ResolvedEndpoint(facts.path, facts.machine, index, fact, value.port, value.source, value.confidence,
                                value.origin, value.candidates, target, value.declared, ())

    def value(self, ref: PortRef, context: _Context) -> _Value | None:
        if context.depth > MAX_DEPTH:
            return None
        resolve = getattr(self, f"_{ref.kind}", None)
        found = resolve(ref, context.deeper()) if resolve is not None else None
        return found if found is None or _valid(found.port) else None

    def _origin(self, context: _Context, line: int) -> str:
        return f"{context.facts.path}:{line}"

    def _from_config(self, found: ConfigValue, confidence: str = "likely") -> _Value | None:
        declared = found.declared
        if declared.port is None:
            return None
        return _Value(declared.port, found.source, confidence, f"{declared.path}:{declared.line}", declared)

    # --- reference kinds (PORT_REF_KINDS) ------------------------------------------------------

    def _literal(self, ref: PortRef, context: _Context) -> _Value | None:
        return _Value(ref.value, "literal", "certain", self._origin(context, ref.line)) if ref.value else None

    def _constant(self, ref: PortRef, context: _Context) -> _Value | None:
        found = self.value(ref.operands[0], context) if ref.operands else None
        return found.relabel("constant") if found else None

    def _imported(self, ref: PortRef, context: _Context) -> _Value | None:
        level = len(ref.module) - len(ref.module.lstrip("."))
        target = self._module_path(context.facts.path, ImportFact(ref.module[level:], (ref.name,), level, ref.line,
                                                                  lazy=False, guarded=False, is_from=True))
        return self._definition(target, ref.name, context)

    def _module_attribute(self, ref: PortRef, context: _Context) -> _Value | None:
        target = self._module_path(context.facts.path, ImportFact(ref.module, (), 0, ref.line, lazy=False,
                                                                  guarded=False, is_from=False))
        return self._definition(target, ref.name, context)

    def _definition(self, target: str | None, name: str, context: _Context) -> _Value | None:
        definition = self.definitions.get(target or "", {}).get(name)
        if definition is None or definition.is_function or target is None:
            return None
        found = self.value(definition.ref, self._context_of(target, context))
        return found.relabel("imported_constant") if found else None

    def _self_attribute(self, ref: PortRef, context: _Context) -> _Value | None:
        if not ref.operands:  # assigned by a base class or the launcher: a launcher parameter
            return self._launcher_key(ref.name, context)
        values = [v for v in (self.value(op, context) for op in ref.operands) if v is not None]
        if not values:
            return None
        first = values[0].relabel("self_attr")
        ports = sorted({v.port for v in values})
        if len(ports) > 1:
            return replace(first, confidence=_weakest(first.confidence, "possible"), candidates=tuple(ports))
        return first

    def _parameter(self, ref: PortRef, context: _Context) -> _Value | None:
        bound = (context.bindings or {}).get((ref.scope, ref.name))
        if bound is not None:
            argument, caller = bound
            return self.value(argument, caller)
        constructor = ref.scope.endswith("__init__")
        if constructor:
            found = self._launcher_key(ref.name, context)
            if found is not None:
                return found
        default = self.value(ref.operands[0], context) if ref.operands else None
        if default is None:
            return None
        return default.relabel("default_arg", "likely" if constructor else "possible")

    def _key(self, ref: PortRef, context: _Context) -> _Value | None:
        found = self._launcher_key(ref.name, context)
        if found is None and _KEY_NAMES.search(ref.name):
            registry = self.configs.registry(ref.name, context.facts.machine)
            found = self._from_config(registry) if registry is not None else None
        if found is not None:
            return found
        default = self.value(ref.operands[0], context) if ref.operands else None
        return default.relabel("default_arg", "likely") if default else None

    def _launcher_key(self, name: str, context: _Context) -> _Value | None:
        found = self.configs.agent_key(list(context.agents), name, context.action)
        return self._from_config(found) if found is not None else None

    def _env(self, ref: PortRef, context: _Context) -> _Value | None:
        name = self._template(ref.name, context)
        found = self.configs.env(name, context.facts.machine) if name else None
        if found is not None:
            return self._from_config(found)
        default = self.value(ref.operands[0], context) if ref.operands else None
        return default.relabel("env_default", "likely") if default else None

    def _registry(self, ref: PortRef, context: _Context) -> _Value | None:
        found = self.configs.registry(ref.name, context.facts.machine)
        return self._from_config(found) if found is not None else None

    def _call(self, ref: PortRef, context: _Context) -> _Value | None:
        if ref.module:
            level = len(ref.module) - len(ref.module.lstrip("."))
            target = self._module_path(context.facts.path, ImportFact(ref.module[level:], (ref.name,), level, ref.line,
                                                                      lazy=False, guarded=False, is_from=True))
        else:
            target = context.facts.path
        helper = self.definitions.get(target or "", {}).get(ref.name)
        if helper is None or not helper.is_function or target is None:
            return None
        bindings: dict[tuple[str, str], tuple[PortRef, _Context]] = {}
        for argument in ref.operands:
            param = argument.name or (helper.params[argument.value] if argument.value is not None
                                      and argument.value < len(helper.params) else "")
            if param and argument.operands:
                bindings[(helper.name, param)] = (argument.operands[0], context)
        found = self.value(helper.ref, replace(self._context_of(target, context), bindings=bindings))
        return replace(found, confidence=_weakest(found.confidence, "likely")) if found else None

    def _fallback(self, ref: PortRef, context: _Context) -> _Value | None:
        primary = self.value(ref.operands[0], context)
        if primary is not None:
            return primary
        fallback = self.value(ref.operands[1], context) if len(ref.operands) > 1 else None
        return fallback.relabel("default_arg", "likely") if fallback else None

    def _sum(self, ref: PortRef, context: _Context) -> _Value | None:
        values = [self.value(op, context) for op in ref.operands]
        if not values or any(v is None for v in values):
            return None
        known = [v for v in values if v is not None]
        weakest = max(known, key=lambda v: _SOURCE_RANK[v.source])
        declared = next((v.declared for v in known if v.declared is not None), None)
        return _Value(sum(v.port for v in known) + ref.offset, weakest.source,
                      _weakest(*(v.confidence for v in known)), known[0].origin, declared)

    # --- helpers ------------------------------------------------------------------------------

    def _template(self, name: str, context: _Context) -> str:
        """An env variable name; `{param}` placeholders take the string the helper's caller passed."""
        if "{" not in name:
            return name
        missing = False

        def fill(match: re.Match[str]) -> str:
            nonlocal missing
            bound = (context.bindings or {}).get((self._function_of(context), match.group(1)))
            text = bound[0].name if bound is not None and bound[0].kind == "text" else None
            if text is None:
                missing = True
                return ""
            case = match.group(2)
            return text.upper() if case == ".upper()" else text.lower() if case == ".lower()" else text
        filled = _TEMPLATE_RE.sub(fill, name)
        return "" if missing else filled

    @staticmethod
    def _function_of(context: _Context) -> str:
        functions = {function for function, _param in context.bindings or {}}
        return next(iter(functions)) if len(functions) == 1 else ""

    def _context_of(self, path: str, context: _Context) -> _Context:
        """Evaluating in another module: its own agents, the same socket action."""
        if path == context.facts.path:
            return context
        return replace(context, facts=self.by_path[path], agents=tuple(self.configs.agents_running(path)), bindings=None)

    def _module_path(self, importer: str, fact: ImportFact) -> str | None:
        targets, _external = resolve_import(self.index, importer, fact)
        target = next((t for t in targets if t != importer), None)
        if target is None and not fact.level:
            # A script's own folder is first on sys.path: `from port_config import X` beside it.
            sibling = posixpath.join(posixpath.dirname(importer), fact.module.replace(".", "/") + ".py")
            target = sibling if sibling in self.by_path and sibling != importer else None
        return target

    def _target_machine(self, fact: EndpointFact, machine: str, agents: tuple[ConfiguredAgent, ...]) -> str:
        """A bind's own machine; for a connect, the machine its host names, "" when the host says nothing."""
        if fact.action == "bind":
            return machine
        settings = {host.key.lower(): host for agent in agents for host in agent.hosts}
        for name in fact.host_names:
            lowered = name.strip().lower()
            if lowered in LOCAL_HOSTS or lowered.startswith("127."):
                return machine
            setting = settings.get(lowered)
            named = host_setting_machines(setting, self.addresses) if setting is not None else set()
            named = named or machines_named([name], self.addresses)
            if len(named) == 1:
                return next(iter(named))
        return ""

    # --- config evidence ----------------------------------------------------------------------

    def configured_as(self, endpoints: list[ResolvedEndpoint]) -> list[ResolvedEndpoint]:
        """Each endpoint with the startup-config values that declare its port (config-port-conflict compares)."""
        by_file: dict[str, list[ResolvedEndpoint]] = defaultdict(list)
        for endpoint in endpoints:
            by_file[endpoint.path].append(endpoint)
        linked: dict[tuple[str, int], list[DeclaredPort]] = defaultdict(list)
        for path, found in by_file.items():
            for agent in self.configs.agents_running(path):
                for endpoint, declared in _declarations(agent, found):
                    if all(d is not declared for d in linked[(path, endpoint.index)]):
                        linked[(path, endpoint.index)].append(declared)
        return [replace(e, configured_as=tuple(linked.get((e.path, e.index), ()))) for e in endpoints]


def _declarations(agent: ConfiguredAgent, endpoints: list[ResolvedEndpoint]) -> list[tuple[ResolvedEndpoint, DeclaredPort]]:
    """(endpoint, config value) pairs: by the name the endpoint's port expression uses, and the agent's port for
    every bind of a module none of whose binds uses it or is named for it."""
    pairs = [(e, d) for e in endpoints for d in [_declared_by_name(agent, e)] if d is not None]
    return pairs + _unused_agent_port(agent, endpoints, pairs)


def _declared_by_name(agent: ConfiguredAgent, endpoint: ResolvedEndpoint) -> DeclaredPort | None:
    name = _named(endpoint.fact.port_ref)
    declared = agent_port(agent, name) if name else None
    if declared is None or declared.port is None:
        return None
    own = name.lower() in ("port", "health_port", "health_check_port")
    return declared if endpoint.fact.action == "bind" or not own else None


def _unused_agent_port(agent: ConfiguredAgent, endpoints: list[ResolvedEndpoint],
                       named: list[tuple[ResolvedEndpoint, DeclaredPort]]) -> list[tuple[ResolvedEndpoint, DeclaredPort]]:
    port = agent.port
    if port is None or port.port is None or any(d is port for _e, d in named):
        return []
    binds = [e for e in endpoints if e.fact.action == "bind" and e.port is not None]
    if not binds or any(e.port == port.port for e in binds):
        return []
    health = agent.health_port.port if agent.health_port is not None else None
    paired = {id(e) for e, _d in named}
    return [(e, port) for e in binds if e.port != health and id(e) not in paired]


def _named(ref: PortRef | None) -> str:
    """The name a port expression is written with (`PORT`, `self.health_check_port`, `port or 5642`), or ""."""
    if ref is None:
        return ""
    if ref.kind == "fallback" and ref.operands:
        return _named(ref.operands[0])
    if ref.kind in ("constant", "imported", "module_attribute", "self_attribute", "parameter", "key"):
        return ref.name if _KEY_NAMES.search(ref.name) else ""
    return ""


def resolve_endpoints(files: list[FileFacts], deployment: Deployment) -> EndpointResolution:
    """Every endpoint of every file, resolved; the facts and the deployment are left as they are."""
    resolver = _Resolver(files, deployment)
    endpoints = [resolver.endpoint(facts, index, fact) for facts in files for index, fact in enumerate(facts.endpoints)]
    endpoints = resolver.configured_as(endpoints)
    return EndpointResolution(endpoints, list(resolver.configs.extra_ports.values()))


def resolve_file_endpoints(facts: FileFacts) -> list[ResolvedEndpoint]:
    """One file's endpoints resolved from that file alone (no imports, no configs): what a codemod can rely on."""
    return resolve_endpoints([facts], Deployment()).endpoints
