"""Import contracts: the layers and boundaries a team declares, checked on the scan's import graph.

In the manner of import-linter, from `[tool.analyzer.contracts]` of the scanned repository:

    [[tool.analyzer.contracts.layers]]
    name = "agents sit above services, services above shared code"
    layers = ["main_pc_code.agents", ["main_pc_code.services", "main_pc_code.workers"], "common"]  # highest first

    [[tool.analyzer.contracts.forbidden]]
    name = "agents never import the launcher"
    source_modules = ["main_pc_code.agents"]
    forbidden_modules = ["main_pc_code.system_launcher"]

    [[tool.analyzer.contracts.independence]]
    name = "agents never import other agents; shared code lives in common/"
    modules = ["main_pc_code.agents.*", "pc2_code.agents.*"]

A module pattern names a module and everything below it; `*` stands for one
part of a dotted name and `**` for any number of parts. A layer may import the
layers below it (and its own siblings, when it is a list of patterns), never one above; a forbidden contract's sources may not import
its forbidden modules; each module an independence pattern matches (with what is
below it) may not import another. Imports count directly and through other
modules (set `allow_indirect = true` on a contract to count direct imports
only); every violation carries its shortest import chain, `path:line` per hop.
A chain ends at the first module it may not reach and never passes through a
module the contract restricts itself (that module's own violation is the one to
fix), so one bad import is one violation, not one per module that imports it.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from analyzer.config import ConfigError

if TYPE_CHECKING:  # settings (analyzer/config.py) read contracts without loading the graph machinery
    from analyzer.graph import GraphSnapshot
    from analyzer.resolve import Resolution

CONTRACT_KINDS = ("layers", "forbidden", "independence")


class ContractError(ConfigError):
    """`[tool.analyzer.contracts]` is malformed; the message names the contract and the key."""


@dataclass(frozen=True)
class Contract:
    kind: str  # layers | forbidden | independence
    name: str
    allow_indirect: bool  # only direct imports count
    patterns: tuple[tuple[str, ...], ...]  # layers: one tuple per layer, highest first; forbidden: (sources,
    # forbidden); independence: (modules,)


@dataclass(frozen=True)
class Violation:
    contract: str
    kind: str
    source: str  # module name of the importer the chain starts at
    target: str  # module name it may not reach
    path: str  # the source module's file
    line: int  # its import that starts the chain
    chain: tuple[str, ...]  # `module:line` for each hop, ending with the target

    @property
    def chain_text(self) -> str:
        return " -> ".join(self.chain)


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for part in pattern.split("."):
        parts.append(r"[^.]+(?:\.[^.]+)*" if part == "**" else r"[^.]+" if part == "*" else re.escape(part))
    return re.compile(r"(" + r"\.".join(parts) + r")(?:\..*)?")


class _Matcher:
    """Which unit (the part of a name a pattern matched) a module falls in, for one list of patterns."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.regexes = [_pattern_regex(p) for p in patterns]

    def unit(self, module: str) -> str | None:
        for regex in self.regexes:
            match = regex.fullmatch(module)
            if match:
                return match.group(1)
        return None


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ContractError(f"{where} must be a non-empty list of module names")
    return tuple(v.strip() for v in value)


def parse_contracts(table: Any) -> tuple[Contract, ...]:
    """Contracts from the `[tool.analyzer.contracts]` table ({} or None: none)."""
    if not table:
        return ()
    if not isinstance(table, dict):
        raise ContractError("[tool.analyzer.contracts] must be a table of contract lists")
    unknown = sorted(set(table) - set(CONTRACT_KINDS))
    if unknown:
        raise ContractError(f"[tool.analyzer.contracts] has unknown kind(s) {', '.join(unknown)} "
                            f"(known: {', '.join(CONTRACT_KINDS)})")
    contracts = []
    for kind in CONTRACT_KINDS:
        entries = table.get(kind, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise ContractError(f"[[tool.analyzer.contracts.{kind}]] entries must be tables")
        for number, entry in enumerate(entries, start=1):
            contracts.append(_contract(kind, entry, f"contracts.{kind} #{number}"))
    return tuple(contracts)


_KEYS = {"layers": ("layers",), "forbidden": ("source_modules", "forbidden_modules"), "independence": ("modules",)}


def _contract(kind: str, entry: dict[str, Any], where: str) -> Contract:
    name = entry.get("name", "")
    if not isinstance(name, str) or not name.strip():
        raise ContractError(f"{where} needs a `name`")
    where = f"contract {name!r}"
    allowed = {"name", "allow_indirect", *_KEYS[kind]}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(allowed))})")
    allow_indirect = entry.get("allow_indirect", False)
    if not isinstance(allow_indirect, bool):
        raise ContractError(f"{where}: allow_indirect must be true or false")
    if kind == "layers":
        patterns = _layers(entry.get("layers"), where)
    else:
        patterns = tuple(_strings(entry.get(key), f"{where}: {key}") for key in _KEYS[kind])
    return Contract(kind, name.strip(), allow_indirect, patterns)


def _layers(value: Any, where: str) -> tuple[tuple[str, ...], ...]:
    """Each layer is a module pattern or a list of them (siblings that may import each other)."""
    if not isinstance(value, list) or len(value) < 2:
        raise ContractError(f"{where}: layers needs a list of at least two layers")
    return tuple(_strings(layer if isinstance(layer, list) else [layer], f"{where}: layers") for layer in value)


class _ImportGraph:
    def __init__(self, resolution: Resolution) -> None:
        from analyzer.resolve import module_name

        self.successors: dict[str, dict[str, int]] = {}
        self.paths: dict[str, str] = {}
        for edge in resolution.edges:
            importer, target = module_name(edge.importer), module_name(edge.target)
            self.paths[importer], self.paths[target] = edge.importer, edge.target
            lines = self.successors.setdefault(importer, {})
            lines[target] = min(lines.get(target, edge.line), edge.line)

    def modules(self) -> list[str]:
        return sorted(self.paths)

    def chains(self, start: str, forbidden, restricted: set[str], direct_only: bool
               ) -> list[tuple[str, list[tuple[str, int]]]]:
        """(target, [(module, line of its import of the next), ...]) for each forbidden module the shortest
        chains from `start` reach; a chain never continues past a forbidden or a `restricted` module."""
        previous: dict[str, tuple[str, int] | None] = {start: None}
        queue = deque([start])
        found = []
        while queue:
            module = queue.popleft()
            for target, line in sorted(self.successors.get(module, {}).items()):
                if target in previous:
                    continue
                previous[target] = (module, line)
                if forbidden(target):
                    found.append((target, self._hops(previous, target)))
                elif not direct_only and target not in restricted:
                    queue.append(target)
            if direct_only:
                break
        return found

    @staticmethod
    def _hops(previous: dict[str, tuple[str, int] | None], target: str) -> list[tuple[str, int]]:
        hops = []
        step = previous[target]
        while step is not None:
            hops.append(step)
            step = previous[step[0]]
        return list(reversed(hops))


def _violations(contract: Contract, graph: _ImportGraph) -> list[Violation]:
    found = []
    rules = list(_rules(contract, graph.modules()))
    restricted = {source for source, _ in rules}
    for source, may_not_reach in rules:
        for target, hops in graph.chains(source, may_not_reach, restricted, contract.allow_indirect):
            chain = (*(f"{module}:{line}" for module, line in hops), target)
            found.append(Violation(contract.name, contract.kind, source, target, graph.paths[source], hops[0][1], chain))
    return found


def _rules(contract: Contract, modules: list[str]):
    """(source module, predicate on the modules it may not reach) for every module a contract restricts."""
    if contract.kind == "forbidden":
        sources, forbidden = _Matcher(contract.patterns[0]), _Matcher(contract.patterns[1])
        for module in modules:
            if sources.unit(module) is not None and forbidden.unit(module) is None:
                yield module, lambda other: forbidden.unit(other) is not None
    elif contract.kind == "independence":
        units = _Matcher(contract.patterns[0])
        for module in modules:
            own = units.unit(module)
            if own is not None:
                yield module, lambda other, own=own: units.unit(other) not in (None, own)
    else:
        layers = [_Matcher(layer) for layer in contract.patterns]
        for module in modules:
            level = next((i for i, layer in enumerate(layers) if layer.unit(module) is not None), None)
            if level:
                above = layers[:level]
                yield module, lambda other, above=above: any(layer.unit(other) is not None for layer in above)


def check_contracts(contracts: tuple[Contract, ...], resolution: Resolution) -> list[Violation]:
    """Every violation of every contract, sorted by contract, then source and target."""
    if not contracts:
        return []
    graph = _ImportGraph(resolution)
    found = [v for contract in contracts for v in _violations(contract, graph)]
    return sorted(found, key=lambda v: (v.contract, v.source, v.target, v.chain))


def add_violations(graph: GraphSnapshot, violations: list[Violation]) -> None:
    """ContractViolation nodes, read by queries/import-contracts.cypher."""
    snapshot = graph.snapshot
    for n, violation in enumerate(violations):
        graph.nodes["ContractViolation"].add(
            id=f"{snapshot}|contract:{n}", snapshot=snapshot, contract=violation.contract, kind=violation.kind,
            path=violation.path, line=violation.line, source=violation.source, target=violation.target,
            chain=violation.chain_text, hops=len(violation.chain) - 1,
        )
